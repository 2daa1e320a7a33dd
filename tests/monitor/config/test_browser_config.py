"""`fetch: browser`, `wait_for:` and the `browser:` section of sources.yaml (monitor/config/browser.py)."""

from __future__ import annotations

import pytest

import sources.browser
from monitor.config import parse_config
from monitor.config.loader import ConfigError

HTML = "html: {item: li.review, fields: {body: .text}}"


def source(extra: str, *, kind: str = "html", section: str = HTML) -> str:
    return f"sources:\n  - {{key: board, kind: {kind}, url: 'https://board.example/r', interval: 5m, {extra}, {section}}}\n"


def problems(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, path="t.yaml", env={})
    return str(caught.value)


def test_a_browser_source_reaches_the_adapter_with_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("monitor.config.browser.browser_problem", lambda executable=None: None)
    text = "browser: {max_concurrency: 3, timeout: 45s, max_requests: 50, block: [image, font, stylesheet]}\n"
    config = parse_config(text + source("fetch: browser, wait_for: 'ul#reviews li'"), env={})
    spec = config.source("board").spec()
    assert (spec.fetch, spec.wait_for) == ("browser", "ul#reviews li")
    settings = config.browser_settings()
    assert (settings.max_concurrency, settings.timeout, settings.max_requests) == (3, 45.0, 50)
    assert settings.block == ("image", "font", "stylesheet")
    assert config.uses_browser


def test_sources_are_fetched_over_http_by_default() -> None:
    config = parse_config(source("weight: 1"), env={})
    assert config.source("board").spec().fetch == "http"
    assert not config.uses_browser
    assert config.browser_settings().block == ("image", "media", "font")


def test_without_playwright_a_browser_source_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources.browser, "_has_playwright", lambda: False)
    message = problems(source("fetch: browser"))
    assert "line 2: sources[0].fetch: source 'board' is fetched with a browser" in message
    assert "pip install 'replywatch[browser]'" in message


def test_without_chromium_a_browser_source_is_an_error_naming_it() -> None:
    message = problems("browser: {executable: /nonexistent/chromium}\n" + source("fetch: browser"))
    assert "sources[0].fetch: source 'board' is fetched with a browser" in message
    assert "'/nonexistent/chromium' (browser.executable)" in message


def test_a_disabled_browser_source_does_not_need_a_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources.browser, "_has_playwright", lambda: False)
    assert parse_config(source("fetch: browser, enabled: false"), env={}).uses_browser


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            source("fetch: browser", kind="feed", section="weight: 1"),
            "fetch: browser renders HTML pages, so it needs kind: html (not 'feed')",
        ),
        (source("wait_for: li.review"), "wait_for: is read only with fetch: browser"),
        (
            source("fetch: chromium"),
            "line 2: sources[0].fetch [source 'board']: Input should be 'http' or 'browser' (got 'chromium')",
        ),
        (source("fetch: browser, wait_for: 'li[['"), "is not a valid CSS selector"),
        ("browser: {block: [pictures]}\n", "line 1: browser.block[0]: Input should be 'document', 'stylesheet'"),
        ("browser: {timeout: 0s}\n", "browser.timeout"),
        ("browser: {max_concurrency: 0}\n", "browser.max_concurrency: Input should be greater than or equal to 1"),
        ("browser: {max_requests: 100000}\n", "browser.max_requests: Input should be less than or equal to 10000"),
        ("browser: {headless: false}\n", "browser.headless"),
    ],
)
def test_bad_browser_keys_are_errors_naming_the_key(text: str, expected: str) -> None:
    assert expected in problems(text)
