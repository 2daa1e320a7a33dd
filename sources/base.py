"""What every source adapter produces and the contract it follows.

An adapter turns one visit of a public resource into plain data: the items found
(`RawMention`), the HTTP facts of the visit (`PollFacts`) and the validators for the
next conditional GET. It knows HTTP and formats and nothing of the database, so it
can be tested with a loopback server or `httpx.MockTransport` alone.

Flow of one poll (see `collect`):

    fetcher.get(url, validators) ──► Response (bytes, already decoded charset known)
        │ 304 ──► PollFacts(not_modified=True), no parsing
        ▼
    parse(body, url, settings) in the CPU executor ──► ParsedPage(items, next_url, warnings)
        │ next_url and pages < max_pages ──► fetch the next page (no validators)
        ▼
    Collected(items, facts)

Parsing runs in an executor because it is CPU work (feedparser takes tens of ms for
a 50-item feed) and must not stall the event loop that keeps the other fetches going.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from sources.errors import PermanentError, SourceError

if TYPE_CHECKING:
    from sources.browser import BrowserFetcher
    from sources.http import Fetcher, Response

__all__ = [
    "Collected",
    "ItemFields",
    "PageWarning",
    "ParsedPage",
    "Parser",
    "PollFacts",
    "RawMention",
    "SourceKind",
    "SourceSpec",
    "Validators",
    "collect",
]


Locator = TypeVar("Locator")


class ItemFields(BaseModel, Generic[Locator]):
    """Where each field of an item is found, one locator per field: a CSS selector for HTML pages,
    a JMESPath expression for JSON (sources.html.HtmlFields, sources.json.JsonFields)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    body: Locator
    id: Locator | None = None
    title: Locator | None = None
    author: Locator | None = None
    url: Locator | None = None
    published: Locator | None = None
    rating: Locator | None = None
    # Replies the site shows under an item (used later to verify our published replies).
    reply: Locator | None = None


@dataclass(frozen=True, slots=True)
class RawMention:
    """One item as a source shows it, before normalising and storing.

    `body` is plain text (HTML already stripped by the adapter); `published_at`
    is timezone-aware UTC or None when the site does not say.
    """

    external_id: str | None
    url: str | None
    title: str | None
    body: str
    author: str | None = None
    published_at: datetime | None = None
    rating: float | None = None
    # Reply text the site shows under the item when the source declares a reply selector; None when
    # it declares none: then nothing is known of replies (an empty tuple says the page shows none).
    replies: tuple[str, ...] | None = None
    # How precise `published_at` is when the site gave less than a clock time: "hour", "day", "month"
    # or "year" (published_at is then the start of that period in the source's zone); None when exact.
    published_precision: str | None = None


@dataclass(frozen=True, slots=True)
class PageWarning:
    """A non-fatal finding on a page, by kind, so callers act on what happened rather than on wording.

    Kinds:
      NOTHING_MATCHED   the item selector or expression found nothing: a changed layout when the
                        source used to yield items (monitor raises source.layout_changed);
      TRUNCATED         the page was too large or too deeply nested and only its start was read;
      MALFORMED         the document is not well-formed; what could be read was kept;
      ENCODING          the text looks wrongly decoded (mojibake, undecodable bytes, a header
                        charset against the document's, or feedparser guessing the encoding).
      SKIPPED           items were found but could not be read, with how many and why
                        ("3 items had no element for body selector 'div.text'");
      FIELD_EMPTIED     a field filled on earlier polls is empty on every item now (given by
                        monitor, which knows the earlier polls; a changed layout too).
    """

    NOTHING_MATCHED = "nothing_matched"
    TRUNCATED = "truncated"
    MALFORMED = "malformed"
    ENCODING = "encoding"
    SKIPPED = "skipped"
    FIELD_EMPTIED = "field_emptied"

    kind: str
    text: str

    def on_page(self, number: int) -> PageWarning:
        return PageWarning(self.kind, f"page {number}: {self.text}")

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Validators:
    """Conditional-GET validators remembered from the last successful response."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class SourceKind:
    name: str
    # The `<name>:` section of a source in sources.yaml (a frozen pydantic model).
    settings: type[BaseModel]
    parse: Callable[..., ParsedPage]
    # A kind whose pages cannot be read without settings (selectors, expressions) needs its section.
    needs_settings: bool


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What an adapter needs to know of a source (built from sources.yaml by monitor.config.schema)."""

    key: str
    kind: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    # Kind-specific settings: sources.html.HtmlSettings, sources.json.JsonSettings,
    # sources.feed.FeedSettings. Pydantic models, so they pickle into a process pool.
    settings: Any = None
    obey_robots: bool = True
    max_pages: int = 1
    # Politeness overrides for this source; None means the fetcher's defaults.
    timeout: float | None = None
    max_bytes: int | None = None
    min_delay: float | None = None
    # "browser": rendered in headless Chromium (sources.browser), which waits for `wait_for` (CSS) to appear.
    fetch: str = "http"
    wait_for: str | None = None


@dataclass(slots=True)
class PollFacts:
    """The HTTP facts of one poll, for the poll record and for planning the next one."""

    http_status: int | None = None
    not_modified: bool = False
    pages: int = 0
    bytes_read: int = 0
    validators: Validators = field(default_factory=Validators)
    # Seconds the server asked us to wait (Retry-After) or may cache (Cache-Control max-age).
    retry_after: float | None = None
    max_age: float | None = None
    # Entries that could not be read (the others are kept) and non-fatal findings,
    # e.g. "selectors matched nothing on page 1" (a changed layout means missed complaints).
    skipped: int = 0
    warnings: list[PageWarning] = field(default_factory=list)
    # For each configured field, how many of the items had it (sources.fill); None when nothing was
    # parsed (304), so an unchanged page never looks like one whose fields all emptied.
    fill: dict[str, int] | None = None


@dataclass(slots=True)
class ParsedPage:
    """What a parser finds on one page."""

    items: list[RawMention]
    next_url: str | None = None
    skipped: int = 0
    warnings: list[PageWarning] = field(default_factory=list)


@dataclass(slots=True)
class Collected:
    items: list[RawMention]
    facts: PollFacts


class Parser(Protocol):
    """A pure function from the bytes of one page to what is on it.

    `text` is the body decoded with the charset the fetcher settled on, `body` the raw bytes,
    `content_type` the Content-Type header as the server sent it (with its charset), `fetched_at`
    when the page was fetched (what relative dates such as "вчера" are read against).
    Raises sources.errors.ParseError when the page as a whole cannot be read.
    """

    def __call__(
        self,
        *,
        body: bytes,
        text: str,
        url: str,
        content_type: str | None,
        settings: Any,
        fetched_at: datetime | None = None,
    ) -> ParsedPage: ...


async def collect(
    spec: SourceSpec,
    *,
    fetcher: Fetcher,
    parser: Callable[..., ParsedPage],
    validators: Validators,
    cpu: Executor | None = None,
    clock: Callable[[], datetime] | None = None,
    browser: BrowserFetcher | None = None,
) -> Collected:
    """Fetch a source (following `next_page` up to `spec.max_pages`) and parse every page.

    Only the first page is fetched conditionally: its validators decide whether
    anything changed. `clock` stamps each page's fetch time for the parser (relative dates
    are read against it); without one, the parser reads no relative date. Errors from the fetcher or the parser propagate as
    sources.errors.SourceError subclasses; the caller records them on the poll.
    A source with `fetch: browser` has every page rendered by `browser` (same answer, rendered HTML).
    """
    # Imported here: sources.fill builds on this module's types.
    from sources.fill import configured_fields, explain_skips, field_fill

    get: Callable[..., Awaitable[Response]] = fetcher.get
    if spec.fetch == "browser":
        if browser is None:
            raise PermanentError(f"source '{spec.key}' is fetched with a browser, and none was started", url=spec.url)
        get = functools.partial(browser.get, wait_for=spec.wait_for)

    loop = asyncio.get_running_loop()
    facts = PollFacts()
    items: list[RawMention] = []
    url: str | None = spec.url
    seen_urls: set[str] = set()
    while url is not None and facts.pages < max(1, spec.max_pages):
        seen_urls.add(url)
        response = await get(
            url,
            headers=spec.headers,
            validators=validators if facts.pages == 0 else None,
            obey_robots=spec.obey_robots,
            timeout=spec.timeout,
            max_bytes=spec.max_bytes,
            min_delay=spec.min_delay,
        )
        if facts.pages == 0:
            facts.http_status = response.status_code
            facts.validators = response.validators
            facts.retry_after = response.retry_after
            facts.max_age = response.max_age
            if response.not_modified:
                facts.not_modified = True
                return Collected(items=[], facts=facts)
        facts.pages += 1
        facts.bytes_read += len(response.body)
        try:
            page = await loop.run_in_executor(
                cpu,
                _parse_page,
                parser,
                response.body,
                response.text,
                response.url,
                # The whole header: a feed parser needs the charset the server gave (see sources.feed).
                response.headers.get("content-type") or response.content_type,
                spec.settings,
                clock() if clock is not None else None,
            )
        except SourceError as exc:
            # The parser knows the format, not the visit: add what the fetch saw.
            exc.url = exc.url or response.url
            exc.http_status = exc.http_status or response.status_code
            raise
        explain_skips(page)
        items.extend(page.items)
        facts.skipped += page.skipped
        facts.warnings.extend(w.on_page(facts.pages) if facts.pages > 1 else w for w in page.warnings)
        url = page.next_url if page.next_url not in seen_urls else None
    facts.fill = field_fill(items, configured_fields(spec.settings))
    return Collected(items=items, facts=facts)


def _parse_page(
    parser: Callable[..., ParsedPage],
    body: bytes,
    text: str,
    url: str,
    content_type: str | None,
    settings: Any,
    fetched_at: datetime | None,
) -> ParsedPage:
    # A module-level trampoline so a ProcessPoolExecutor can pickle the call.
    return parser(body=body, text=text, url=url, content_type=content_type, settings=settings, fetched_at=fetched_at)
