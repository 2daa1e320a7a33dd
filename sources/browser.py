"""Pages built by JavaScript: render them in headless Chromium and hand the parsers the rendered HTML.

A source with `fetch: browser` is fetched by `BrowserFetcher.get`, which answers like
`Fetcher.get` (a sources.http.Response) so that `kind: html` parses the result unchanged.
Order of one get():

1. The document itself is fetched by the HTTP Fetcher: URL and address checks, robots.txt,
   the host's turn (pacing, Crawl-delay), retries, redirects, the conditional GET. A 304
   or an error ends here, before any browser work.
2. A slot of the browser's own cap (`browser.max_concurrency` pages rendering at once).
3. A fresh browser context (no cookies or storage shared between sources or polls) with
   our User-Agent and service workers blocked; the page is opened at the document's URL.
4. Every request the page makes is intercepted and answered by us, never by Chromium's
   own network stack: blocked resource types (images, fonts, media by default) and
   methods other than GET are refused; the rest are fetched with the same Fetcher, so
   each meets the outbound address policy where the connection opens (no DNS-rebinding
   gap), robots.txt and the host's pacing. The source's own headers go to its own origin
   only. Whatever escapes interception (WebSockets, prefetches) meets a proxy that does
   not exist and a resolver that resolves nothing, so the browser has no network of its own.
5. The page must fire `load` within `browser.timeout` (else FetchTimeout); then it may
   settle until the source's `wait_for` selector is in the DOM, or the network is idle,
   within what is left of that time. A page that does not settle is read as it is (the
   parser's warnings say what it lacks).
6. The DOM is serialised and returned as UTF-8 HTML, capped like a fetched body.

Playwright drives the Chromium at `browser.executable` (Debian's chromium package); it is
an optional dependency (`replywatch[browser]`) imported only when a page is rendered.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import os
import shutil
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field

from sources.base import Validators
from sources.errors import (
    AddressRefused,
    BlockedByRobots,
    BrowserUnavailable,
    FetchTimeout,
    InvalidUrl,
    SourceError,
    TooLarge,
    UnexpectedContent,
)
from sources.http import Fetcher, Response

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Playwright, Request, Route

__all__ = [
    "CHROMIUM_NAMES",
    "BrowserFetcher",
    "BrowserSettings",
    "ResourceType",
    "browser_problem",
    "find_chromium",
]

log = structlog.get_logger(__name__)

# What Chromium calls the kinds of request a page makes (Playwright's Request.resource_type).
ResourceType = Literal[
    "document", "stylesheet", "image", "media", "font", "script", "texttrack", "xhr", "fetch",
    "eventsource", "websocket", "manifest", "other",
]  # fmt: skip
# Looked up on PATH when no executable is configured; Debian's package installs /usr/bin/chromium.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# A proxy whose name the browser's resolver cannot resolve (see the launch arguments): anything
# that escapes interception has nowhere to go. "<-loopback>" sends loopback through it too.
_NO_EGRESS = {"server": "http://no-egress.invalid:9", "bypass": "<-loopback>"}
_LAUNCH_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking", "--disable-sync",
                "--no-first-run", "--disable-dev-shm-usage"]  # fmt: skip
# Seconds past browser.timeout for reading the DOM and for closing a page, before the render is given up.
_GRACE = 5.0
# Headers the Fetcher sets itself, or that describe a body it re-encodes.
_DROP_REQUEST = frozenset({"host", "user-agent", "connection", "content-length", "accept-encoding"})
_DROP_RESPONSE = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection", "keep-alive"})


class BrowserSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    executable: str | None = None  # None: the first of CHROMIUM_NAMES on PATH
    max_concurrency: int = Field(default=2, ge=1)  # pages rendering at once, over all sources
    timeout: float = Field(default=30.0, gt=0)  # seconds from opening the page to reading its DOM
    max_requests: int = Field(default=200, ge=1)  # requests one page may make before the rest are refused
    block: tuple[ResourceType, ...] = ("image", "media", "font")


def find_chromium(executable: str | None = None) -> str | None:
    """The Chromium to run: `executable` when it is an executable file (or a name on PATH), else the first
    of CHROMIUM_NAMES on PATH; None when there is none."""
    if executable:
        found = shutil.which(executable)
        return found if found and os.access(found, os.X_OK) else None
    return next((path for name in CHROMIUM_NAMES if (path := shutil.which(name))), None)


def browser_problem(executable: str | None = None) -> str | None:
    """Why pages cannot be rendered on this machine (for a config error naming the source), or None."""
    if not _has_playwright():
        return "Playwright is not installed: pip install 'replywatch[browser]'"
    if find_chromium(executable) is None:
        where = f"'{executable}' (browser.executable)" if executable else f"none of {', '.join(CHROMIUM_NAMES)} on PATH"
        return f"no Chromium to run: {where}; install Debian's chromium package or set browser.executable"
    return None


def _has_playwright() -> bool:
    return importlib.util.find_spec("playwright") is not None


@dataclasses.dataclass(slots=True)
class _Render:
    """One page being rendered: what it was fetched with and what its requests met."""

    document: Response
    headers: Mapping[str, str]
    obey_robots: bool
    timeout: float | None
    max_bytes: int | None
    min_delay: float | None
    requests: int = 0
    blocked: dict[str, int] = dataclasses.field(default_factory=dict)  # reason -> count
    tasks: set[asyncio.Task[None]] = dataclasses.field(default_factory=set)
    document_served: bool = False

    def block(self, reason: str) -> None:
        self.blocked[reason] = self.blocked.get(reason, 0) + 1


class BrowserFetcher:
    """Renders pages in one Chromium (started on first use, restarted when it dies), through `fetcher`."""

    def __init__(self, fetcher: Fetcher, settings: BrowserSettings | None = None) -> None:
        self.fetcher = fetcher
        self.settings = settings or BrowserSettings()
        self._slots = asyncio.Semaphore(self.settings.max_concurrency)
        self._start_lock = asyncio.Lock()
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    async def __aenter__(self) -> BrowserFetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._browser is not None:
            await _quietly(self._browser.close())
            self._browser = None
        if self._playwright is not None:
            await _quietly(self._playwright.stop())
            self._playwright = None

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        validators: Validators | None = None,
        obey_robots: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109 - the HTTP read timeout of each request
        max_bytes: int | None = None,
        min_delay: float | None = None,
        wait_for: str | None = None,
    ) -> Response:
        document = await self.fetcher.get(
            url,
            headers=headers,
            validators=validators,
            obey_robots=obey_robots,
            timeout=timeout,
            max_bytes=max_bytes,
            min_delay=min_delay,
        )
        if document.not_modified:
            return document
        render = _Render(document, dict(headers or {}), obey_robots, timeout, max_bytes, min_delay)
        loop = asyncio.get_running_loop()
        async with self._slots:
            started = loop.time()
            html = await self._render(render, wait_for)
            elapsed_ms = (loop.time() - started) * 1000
        body = html.encode("utf-8")
        cap = self.fetcher.settings.max_bytes if max_bytes is None else max_bytes
        if len(body) > cap:
            raise TooLarge(f"the rendered page is {len(body)} bytes, over the {cap}-byte cap", url=document.url)
        log.info("browser.rendered", url=document.url, ms=round(elapsed_ms), requests=render.requests,
                 blocked=render.blocked or None, bytes=len(body))  # fmt: skip
        response_headers = httpx.Headers(document.headers)
        response_headers["content-type"] = "text/html; charset=utf-8"
        return dataclasses.replace(
            document,
            headers=response_headers,
            body=body,
            text=html,
            encoding="utf-8",
            content_type="text/html",
            elapsed_ms=document.elapsed_ms + elapsed_ms,
        )

    async def _started(self) -> Browser:
        async with self._start_lock:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            await self.aclose()  # a browser that died (crashed, killed) is started again
            problem = browser_problem(self.settings.executable)
            if problem is not None:
                raise BrowserUnavailable(problem)
            from playwright.async_api import Error, async_playwright

            try:
                self._playwright = await async_playwright().start()
                self._browser = await self._playwright.chromium.launch(
                    executable_path=find_chromium(self.settings.executable),
                    proxy=_NO_EGRESS,  # type: ignore[arg-type]
                    args=_LAUNCH_ARGS,
                )
            except Error as exc:
                await self.aclose()
                raise BrowserUnavailable(f"Chromium did not start: {_first_line(exc)}") from exc
            log.info("browser.started", version=self._browser.version)
            return self._browser

    async def _render(self, render: _Render, wait_for: str | None) -> str:
        browser = await self._started()
        limit = self.settings.timeout
        context = await browser.new_context(
            user_agent=self.fetcher.settings.user_agent, service_workers="block", accept_downloads=False
        )
        try:
            # Playwright's own timeouts cover loading and waiting, not reading the DOM: a page whose
            # script spins forever after `load` would hold page.content() (and this poll) for good.
            async with asyncio.timeout(limit + _GRACE):
                return await self._visit(context, render, wait_for)
        except TimeoutError:
            message = f"the page did not finish loading in {limit:g} s (browser.timeout)"
            raise FetchTimeout(message, url=render.document.url) from None
        finally:
            for task in list(render.tasks):
                task.cancel()
            try:
                async with asyncio.timeout(_GRACE):
                    await _quietly(context.close())
            except TimeoutError:
                log.warning("browser.close_stuck", url=render.document.url)
                await self.aclose()  # started afresh for the next page

    async def _visit(self, context: BrowserContext, render: _Render, wait_for: str | None) -> str:
        from playwright.async_api import Error
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        async def intercept(route: Route, request: Request) -> None:
            # Each answer is a task of ours, so closing the page cancels a request still waiting for
            # its host (a stalled script must not hold the host's turn until the HTTP timeout).
            task = asyncio.create_task(self._answer(render, route, request))
            render.tasks.add(task)
            task.add_done_callback(render.tasks.discard)

        limit, url = self.settings.timeout, render.document.url
        await context.route("**/*", intercept)
        page = await context.new_page()
        deadline = asyncio.get_running_loop().time() + limit
        try:
            await page.goto(url, wait_until="load", timeout=limit * 1000)
        except PlaywrightTimeout:
            raise TimeoutError from None
        except Error as exc:
            raise UnexpectedContent(f"the browser could not open the page: {_first_line(exc)}", url=url) from None
        left = max(0.0, deadline - asyncio.get_running_loop().time()) * 1000
        try:
            if wait_for:
                await page.wait_for_selector(wait_for, state="attached", timeout=left)
            else:
                await page.wait_for_load_state("networkidle", timeout=left)
        except PlaywrightTimeout:
            log.warning("browser.unsettled", url=url, wait_for=wait_for, timeout_s=limit)
        return await page.content()

    async def _answer(self, render: _Render, route: Route, request: Request) -> None:
        try:
            await self._answer_request(render, route, request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # The page or context closed under a request: nothing is left to answer.
            log.debug("browser.answer_dropped", url=request.url, error=_first_line(exc))

    async def _answer_request(self, render: _Render, route: Route, request: Request) -> None:
        document = render.document
        if not render.document_served and request.is_navigation_request():  # the first one is our goto
            # The document was fetched already (step 1): re-encoded as the fetcher decoded it, so the
            # browser reads the text the parsers would have read without it.
            render.document_served = True
            await route.fulfill(status=document.status_code, body=document.text.encode("utf-8"),
                                headers=_page_headers(document.headers, "text/html; charset=utf-8"))  # fmt: skip
            return
        reason = self._refusal(render, request)
        if reason is not None:
            render.block(reason)
            await route.abort("blockedbyclient")
            return
        render.requests += 1
        same_origin = httpx.URL(request.url).netloc == httpx.URL(document.url).netloc
        sent = {k: v for k, v in (await request.all_headers()).items() if k.lower() not in _DROP_REQUEST}
        if same_origin:
            sent.update(render.headers)  # the source's own headers, never to a third party
        try:
            answer = await self.fetcher.get(request.url, headers=sent, obey_robots=render.obey_robots,
                                            timeout=render.timeout, max_bytes=render.max_bytes,
                                            min_delay=render.min_delay if same_origin else None)  # fmt: skip
        except (AddressRefused, BlockedByRobots, InvalidUrl) as exc:
            render.block(exc.error_class)
            log.info("browser.request_blocked", page=document.url, url=request.url, reason=exc.message)
            await route.abort("addressunreachable" if isinstance(exc, AddressRefused) else "blockedbyclient")
            return
        except SourceError as exc:
            if exc.http_status is None or isinstance(exc, TooLarge):
                await route.abort("failed")
            else:  # the page's script sees the status, as it would in a browser of its own
                await route.fulfill(status=exc.http_status, body=b"")
            return
        await route.fulfill(status=answer.status_code, body=answer.body, headers=_page_headers(answer.headers))

    def _refusal(self, render: _Render, request: Request) -> str | None:
        if request.resource_type in self.settings.block:
            return request.resource_type
        if request.method != "GET":  # the Fetcher sends GETs only; a page's POSTs are refused, and counted
            return "method"
        if not request.url.startswith(("http://", "https://")):
            return "scheme"
        if render.requests >= self.settings.max_requests:
            return "max_requests"
        return None


def _page_headers(headers: httpx.Headers, content_type: str | None = None) -> dict[str, str]:
    kept = {k: v for k, v in headers.items() if k.lower() not in _DROP_RESPONSE}
    if content_type is not None:
        kept["content-type"] = content_type
    return kept


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


async def _quietly(closing: Any) -> None:
    try:
        await closing
    except Exception as exc:  # already closed, or the browser process is gone
        log.debug("browser.close_failed", error=_first_line(exc))
