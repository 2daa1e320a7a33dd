"""monitor/ingest/preview.py: one fetch, nothing stored, every item field by field, fill rates and warnings."""

from __future__ import annotations

import os

import pytest

from monitor.config import parse_config
from monitor.core.errors import NotFound
from monitor.ingest.preview import FIELD_EMPTY, NOT_STORED, FieldFill, preview_source
from sources.base import PageWarning
from sources.browser import browser_problem
from tests.support.js_site import REVIEWS, serve_js_site
from tests.support.loopback import LoopbackServer, static
from tests.support.preview_board import BOARD_SOURCE, PAGE_ITEMS, serve_board

HTTP = "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8]}\nsources:\n"


async def test_every_item_field_fill_rate_and_warning_of_one_fetch() -> None:
    with LoopbackServer() as server:
        config = parse_config(HTTP + BOARD_SOURCE % serve_board(server), env={})
        got = await preview_source(config=config, key="board")
        assert [r.path for r in server.requests] == ["/robots.txt", "/board"]
    assert got.ok and (got.error, got.error_class, got.http_status, got.pages) == (None, None, 200, 1)
    assert [(i.id, i.author, i.body) for i in got.items] == PAGE_ITEMS
    assert all(i.published is None and i.replies is None for i in got.items)
    assert got.stored == len(PAGE_ITEMS) - 1  # r1 twice on the page: a poll stores it once
    assert got.fill == (
        FieldFill("id", 6, 1.0),
        FieldFill("body", 6, 1.0),
        FieldFill("author", 5, round(5 / 6, 4)),
        FieldFill("published", 0, 0.0),
    )
    assert [(w.kind, w.text) for w in got.warnings] == [
        (PageWarning.SKIPPED, "1 item had an empty body (selector '.text')"),
        (NOT_STORED, "1 of 6 items would not be stored: no text, or a key repeated on the page"),
        (FIELD_EMPTY, "'published' empty on all 6 items: check the selector"),
    ]


async def test_a_failed_fetch_is_answered_with_its_reason() -> None:
    with LoopbackServer({"/robots.txt": static("User-agent: *\nDisallow: /\n")}) as server:
        config = parse_config(HTTP + BOARD_SOURCE % server.url("/board"), env={})
        got = await preview_source(config=config, key="board")
    assert not got.ok and got.error_class == "robots"
    assert "disallowed for replywatch by" in (got.error or "")
    assert (got.items, got.fill, got.warnings, got.stored) == ((), (), (), 0)


async def test_a_page_that_matches_nothing_says_so() -> None:
    with LoopbackServer({"/board": static("<html><body><p>Пусто</p></body></html>", content_type="text/html")}) as s:
        config = parse_config(HTTP + BOARD_SOURCE % s.url("/board"), env={})
        got = await preview_source(config=config, key="board")
    assert got.ok and got.items == () and got.stored == 0
    assert [w.kind for w in got.warnings] == [PageWarning.NOTHING_MATCHED]
    assert all(f.rate == 0.0 for f in got.fill)


async def test_an_unknown_key_is_not_found() -> None:
    config = parse_config(HTTP + BOARD_SOURCE % "https://board.example/r", env={})
    with pytest.raises(NotFound, match="no source with key 'nope'"):
        await preview_source(config=config, key="nope")


@pytest.mark.skipif(browser_problem() is not None and not os.environ.get("CI"), reason="no browser here")
async def test_a_browser_source_is_previewed_as_rendered() -> None:
    with LoopbackServer() as server:
        source = (
            "  - {key: js, kind: html, url: '%s', interval: 15m, fetch: browser,"
            " html: {item: li.review, fields: {id: '@id', author: .author, body: .text}}}\n"
        )
        config = parse_config(HTTP + source % serve_js_site(server), env={})
        got = await preview_source(config=config, key="js")
    assert got.ok and got.fetch == "browser"
    assert [(i.id, i.author, i.body) for i in got.items] == [(r["id"], r["author"], r["text"]) for r in REVIEWS]
    assert got.warnings == () and got.stored == len(REVIEWS)
