"""No silent loss: a field gone from every item, skipped items, and the reason of a non-ok health.

Polls run against loopback pages through the real Poller, on both engines; the reason is then
read back where operators see it: `sources status`, the API's source rows and /metrics.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from monitor.cli.main import app as cli
from monitor.config import Config, parse_config
from monitor.core.db import SessionFactory, session_scope
from monitor.core.settings import Settings
from monitor.ingest.fill_watch import compare_fill
from monitor.models import Event, Poll, Source
from monitor.worker.poller import Poller
from sources.base import PageWarning
from tests.support.clock import NOW
from tests.support.factories import authorize
from tests.support.loopback import LoopbackServer, sequence, static

ITEM = '<div class="review" data-id="{n}"><h3>Отзыв {n}</h3>{time}{text}</div>'
TEXT = '<div class="text">Заказ {n} в Акме не доставлен, деньги не вернули.</div>'
TIME = '<time datetime="2026-11-2{n}T10:00:00Z">2{n} ноября</time>'


def page(numbers: range, *, dates: bool = True, text: Callable[[int], bool] = lambda n: True) -> str:
    items = "".join(
        ITEM.format(n=n, time=TIME.format(n=n) if dates else "", text=TEXT.format(n=n) if text(n) else "")
        for n in numbers
    )
    return f"<html><body>{items}</body></html>"


def html_config(url: str) -> Config:
    return parse_config(
        "brands:\n  - {key: acme, name: Acme, names: [Акме]}\n"
        "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8]}\n"
        "sources:\n"
        f"  - {{key: board, kind: html, url: '{url}', interval: 15m, brand: acme, html: {{item: div.review,"
        " fields: {id: '@data-id', title: h3, body: div.text, published: 'time@datetime'}}}\n",
        path="test.yaml",
        env={},
    )


async def poll_times(sessions: SessionFactory, config: Config, times: int) -> None:
    now = [NOW]
    poller = Poller(config=config, sessions=sessions, clock=lambda: now[0])
    try:
        await poller.sync()
        for _ in range(times):
            assert await poller.poll_now("board") is not None
            now[0] += timedelta(minutes=15)
    finally:
        await poller.aclose()


def html(body: str) -> Callable[..., object]:
    return static(body, content_type="text/html; charset=utf-8")


async def test_dates_gone_from_every_item_warn_on_each_poll_and_are_news_once(sessions: SessionFactory) -> None:
    route = sequence(
        html(page(range(1, 6))), html(page(range(2, 7), dates=False)), html(page(range(3, 8), dates=False)),
        html(page(range(4, 9))),
    )  # fmt: skip
    with LoopbackServer({"/reviews": route}) as server:
        await poll_times(sessions, html_config(server.url("/reviews")), 4)
    with session_scope(sessions) as session:
        polls = session.scalars(sa.select(Poll).order_by(Poll.id)).all()
        assert [p.field_fill for p in polls][:2] == [
            {"items": 5, "fields": {"id": 5, "title": 5, "body": 5, "published": 5}},
            {"items": 5, "fields": {"id": 5, "title": 5, "body": 5, "published": 0}},
        ]
        emptied = (
            "field 'published' empty on all 5 items (filled before: published 100%): the page layout may have changed"
        )
        assert [p.warnings for p in polls] == [[], [emptied], [emptied], []]
        events = session.scalars(sa.select(Event).where(Event.kind == "source.layout_changed")).all()
        assert [e.payload["warning"] for e in events] == [emptied]  # news once, while the warning repeats
        source = session.scalars(sa.select(Source)).one()
        assert (source.health, source.last_warning_kind, source.last_warning) == ("ok", None, None)


async def test_a_degraded_source_says_why_in_status_the_api_and_metrics(sessions: SessionFactory, db_url: str) -> None:
    route = sequence(html(page(range(1, 6))), html(page(range(2, 7), dates=False)))
    with LoopbackServer({"/reviews": route}) as server:
        config = html_config(server.url("/reviews"))
        await poll_times(sessions, config, 2)
    with session_scope(sessions) as session:
        source = session.scalars(sa.select(Source)).one()
        assert (source.health, source.last_warning_kind) == ("degraded", PageWarning.FIELD_EMPTIED)
        reason = source.last_warning
    assert reason is not None and reason.startswith("field 'published' empty on all 5 items")

    result = CliRunner().invoke(cli, ["sources", "status", "--json", "--database", db_url])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)
    assert (row["health"], row["reason_kind"], row["reason"]) == ("degraded", "field_emptied", reason)
    table = CliRunner().invoke(cli, ["sources", "status", "--database", db_url], env={"COLUMNS": "250"})
    assert "degraded" in table.output and "field 'published' empty" in table.output

    with TestClient(create_app(config, Settings(database_url=db_url))) as client:
        authorize(client)
        (api_row,) = client.get("/api/v1/sources").json()
        assert (api_row["reason_kind"], api_row["reason"]) == ("field_emptied", reason)
        polls = client.get("/api/v1/sources/board/polls").json()["items"]
        assert polls[0]["field_fill"]["fields"]["published"] == 0
        metrics = client.get("/metrics").text
    assert 'replywatch_source_health{health="degraded",reason_kind="field_emptied",source="board"} 1.0' in metrics


async def test_a_title_only_review_is_skipped_with_its_reason(sessions: SessionFactory) -> None:
    body = page(range(1, 5), text=lambda n: n != 3)  # review 3 has a title and no text
    with LoopbackServer({"/reviews": html(body)}) as server:
        await poll_times(sessions, html_config(server.url("/reviews")), 1)
    with session_scope(sessions) as session:
        poll = session.scalars(sa.select(Poll)).one()
        assert (poll.items_seen, poll.items_skipped) == (3, 1)
        assert poll.warnings == ["1 item had no element for body selector 'div.text'"]
        source = session.scalars(sa.select(Source)).one()
        assert (source.health, source.last_warning_kind) == ("degraded", PageWarning.SKIPPED)
        assert source.last_warning == poll.warnings[0]


def test_a_sparse_optional_field_missing_from_a_small_page_is_chance_not_a_layout_change() -> None:
    first = compare_fill(None, {"body": 20, "author": 1}, 20)
    assert first.memory == {"rates": {"body": 1.0, "author": 0.05}, "emptied": []}
    later = compare_fill(first.memory, {"body": 20, "author": 0}, 20)
    assert later.warnings == [] and later.newly_emptied == []
    # A 304 (nothing parsed) and a page that matched nothing keep the memory as it was.
    assert compare_fill(first.memory, None, 0).memory == first.memory
    assert compare_fill(first.memory, {"body": 0, "author": 0}, 0).memory == first.memory
