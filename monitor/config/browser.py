"""The `browser:` section of sources.yaml and the checks of sources with `fetch: browser`.

Pages built by JavaScript are rendered in headless Chromium (sources.browser). Whether this
machine can do that is decided when the file is loaded: a source with `fetch: browser` on a
machine without Playwright or Chromium is an error of the file naming the source, not a poll
that fails every few minutes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from monitor.config.types import Duration, Strict
from sources.browser import BrowserSettings, ResourceType, browser_problem

if TYPE_CHECKING:
    from monitor.config.schema import Config

__all__ = ["BrowserConfig", "check_browser_sources"]


class BrowserConfig(Strict):
    """How pages of `fetch: browser` sources are rendered (the HTTP politeness of `http:` applies to every request)."""

    # Chromium to drive; by default the first of chromium, chromium-browser, google-chrome on PATH.
    executable: str | None = None
    # Pages rendering at once over all sources: each one is a Chromium renderer process.
    max_concurrency: int = Field(default=2, ge=1, le=32)
    # From opening the page to reading its DOM: `load` must come within it (else a timeout error).
    timeout: Duration = timedelta(seconds=30)
    # Requests one page may make (scripts, XHR); the rest are refused.
    max_requests: int = Field(default=200, ge=1, le=10_000)
    # Kinds of request refused outright: a page's list does not need its pictures or fonts.
    block: tuple[ResourceType, ...] = ("image", "media", "font")

    @field_validator("timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value

    def settings(self) -> BrowserSettings:
        return BrowserSettings(
            executable=self.executable,
            max_concurrency=self.max_concurrency,
            timeout=self.timeout.total_seconds(),
            max_requests=self.max_requests,
            block=self.block,
        )


def check_browser_sources(config: Config) -> None:
    """ValueError naming the first `fetch: browser` source when this machine cannot render pages."""
    for i, source in enumerate(config.sources):
        if source.fetch != "browser" or not source.enabled:
            continue
        problem = browser_problem(config.browser.executable)
        if problem is not None:
            raise ValueError(f"sources[{i}].fetch: source '{source.key}' is fetched with a browser, but {problem}")
        return
