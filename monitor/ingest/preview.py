"""What a source extracts, fetched once and stored nowhere: for a person writing its selectors.

`preview_source` fetches a source the way a poll does (sources.base.collect, through the same
politeness, robots.txt, address policy and, for `fetch: browser`, the same Chromium) and
returns every item field by field, each configured field's fill rate, every warning with its
reason, and how many of the items a poll would store. It writes nothing to the database.

`replywatch sources preview`, `sources check --fetch`, `POST /api/v1/sources/{key}/preview`
and the web inbox's sources page all call it, so they show one answer for one page.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import Field

from monitor.config import Config, SourceConfig
from monitor.core.errors import NotFound
from monitor.ingest.store import prepare_mentions
from sources.base import RawMention, Validators, collect
from sources.browser import BrowserFetcher
from sources.errors import SourceError
from sources.fill import configured_fields
from sources.http import Fetcher
from sources.registry import KINDS

__all__ = ["FieldFill", "PreviewItem", "PreviewWarning", "SourcePreview", "open_fetchers", "preview_source"]

# Warning kinds of the preview's own, beside sources.base.PageWarning's.
NOT_STORED = "not_stored"  # items a poll would leave out: no text, or a key seen already on the page
FIELD_EMPTY = "field_empty"  # a configured field that no item had: its selector likely matches nothing


@dataclass(frozen=True, slots=True)
class PreviewItem:
    id: Annotated[str | None, Field(description="The item's id on the site (the `id` field, else its URL)")]
    url: str | None
    title: str | None
    body: str
    author: str | None
    published: Annotated[datetime | None, Field(description="The `published` field read as UTC")]
    rating: float | None
    replies: Annotated[
        tuple[str, ...] | None, Field(description="Replies shown under the item; null when no `reply` field is set")
    ]


@dataclass(frozen=True, slots=True)
class FieldFill:
    field: Annotated[str, Field(description="A configured field (id, title, body, author, url, published, rating)")]
    filled: Annotated[int, Field(description="Items that had a value for it")]
    rate: Annotated[float, Field(description="filled / items, 0 when no item was found")]


@dataclass(frozen=True, slots=True)
class PreviewWarning:
    kind: Annotated[
        str,
        Field(description="nothing_matched, truncated, malformed, encoding, skipped, not_stored or field_empty"),
    ]
    text: Annotated[str, Field(description="What was found, with its reason and where")]


@dataclass(frozen=True, slots=True)
class SourcePreview:
    key: str
    kind: str
    url: str
    fetch: Annotated[str, Field(description="http, or browser for a page rendered in headless Chromium")]
    ok: Annotated[bool, Field(description="Whether the page was fetched and parsed; else see error")]
    error_class: Annotated[str | None, Field(description="timeout, robots, gone, parse, address_refused, ...")]
    error: str | None
    http_status: int | None
    pages: int
    bytes_read: int
    ms: Annotated[int, Field(description="Milliseconds the fetch and parse took, politeness waits included")]
    items: Annotated[tuple[PreviewItem, ...], Field(description="Every item found, as the parser read it")]
    stored: Annotated[
        int, Field(description="How many of the items a poll would store (without empty and repeated ones)")
    ]
    fill: tuple[FieldFill, ...]
    warnings: tuple[PreviewWarning, ...]


@asynccontextmanager
async def open_fetchers(config: Config) -> AsyncIterator[tuple[Fetcher, BrowserFetcher | None]]:
    """The config's HTTP fetcher and, when a source renders pages, its browser; both closed at the end."""
    async with Fetcher(config.fetcher_settings()) as fetcher:
        browser = BrowserFetcher(fetcher, config.browser_settings()) if config.uses_browser else None
        try:
            yield fetcher, browser
        finally:
            if browser is not None:
                await browser.aclose()


async def preview_source(
    *, config: Config, key: str, fetcher: Fetcher | None = None, browser: BrowserFetcher | None = None
) -> SourcePreview:
    """Fetch the source `key` once and tell what it extracts; NotFound when the config has no such source.

    Without a `fetcher` one is opened for this call (and a browser when the source needs it). A failed
    fetch is not raised but answered (`ok` false, `error_class`, `error`): it is what the person asked.
    """
    source = config.source(key)
    if source is None:
        raise NotFound(f"no source with key '{key}' in {config.path}")
    if fetcher is None:
        async with open_fetchers(config) as (own_fetcher, own_browser):
            return await preview_source(config=config, key=key, fetcher=own_fetcher, browser=own_browser)
    if source.fetch == "browser" and browser is None:
        async with BrowserFetcher(fetcher, config.browser_settings()) as own_browser:
            return await preview_source(config=config, key=key, fetcher=fetcher, browser=own_browser)
    return await _preview(source, fetcher, browser)


async def _preview(source: SourceConfig, fetcher: Fetcher, browser: BrowserFetcher | None) -> SourcePreview:
    started = time.perf_counter()
    spec = source.spec()
    head = {"key": source.key, "kind": source.kind, "url": source.url, "fetch": source.fetch}
    try:
        got = await collect(spec, fetcher=fetcher, parser=KINDS[source.kind].parse, validators=Validators(),
                            browser=browser, clock=lambda: datetime.now(UTC))  # fmt: skip
    except SourceError as exc:
        return SourcePreview(**head, ok=False, error_class=exc.error_class, error=str(exc),
                             http_status=exc.http_status, pages=0, bytes_read=0, ms=_ms(started),
                             items=(), stored=0, fill=(), warnings=())  # fmt: skip
    items = got.items
    stored = len(prepare_mentions(items, source.language).items)
    fill = got.facts.fill or {}
    warnings = [PreviewWarning(w.kind, w.text) for w in got.facts.warnings]
    if stored < len(items):
        text = (
            f"{len(items) - stored} of {len(items)} items would not be stored: no text, or a key repeated on the page"
        )
        warnings.append(PreviewWarning(NOT_STORED, text))
    if items and (empty := [name for name in configured_fields(spec.settings) if fill.get(name) == 0]):
        names = ", ".join(repr(name) for name in empty)
        warnings.append(PreviewWarning(FIELD_EMPTY, f"{names} empty on all {len(items)} items: check the selector"))
    return SourcePreview(
        **head,
        ok=True,
        error_class=None,
        error=None,
        http_status=got.facts.http_status,
        pages=got.facts.pages,
        bytes_read=got.facts.bytes_read,
        ms=_ms(started),
        items=tuple(_item(m) for m in items),
        stored=stored,
        fill=tuple(FieldFill(name, n, round(n / len(items), 4) if items else 0.0) for name, n in fill.items()),
        warnings=tuple(warnings),
    )


def _item(mention: RawMention) -> PreviewItem:
    return PreviewItem(
        id=mention.external_id,
        url=mention.url,
        title=mention.title,
        body=mention.body,
        author=mention.author,
        published=mention.published_at,
        rating=mention.rating,
        replies=mention.replies,
    )


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
