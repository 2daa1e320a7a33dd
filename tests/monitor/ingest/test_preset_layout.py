"""A preset whose site changed its layout: the poll says so, through the real Poller, on both engines.

The pages are the real saved pages of tests/fixtures/html/real, served on loopback; the "new layout"
is the same page with one class renamed (a field empties on every item) or the JSON-LD gone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa

from monitor.config import Config, parse_config
from monitor.core.db import SessionFactory, session_scope
from monitor.models import Event, Poll, Source
from monitor.worker.poller import Poller
from tests.support.clock import NOW
from tests.support.loopback import LoopbackServer, sequence, static
from tests.support.paths import FIXTURES

REAL = FIXTURES / "html" / "real"


def config(url: str, preset: str) -> Config:
    return parse_config(
        "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8]}\n"
        f"sources:\n  - {{key: site, preset: {preset}, url: '{url}', interval: 15m}}\n",
        path="test.yaml",
        env={},
    )


async def poll(sessions: SessionFactory, cfg: Config, times: int) -> None:
    now = [NOW]
    poller = Poller(config=cfg, sessions=sessions, clock=lambda: now[0])
    try:
        await poller.sync()
        for _ in range(times):
            assert await poller.poll_now("site") is not None
            now[0] += timedelta(minutes=15)
    finally:
        await poller.aclose()


def html(body: str) -> Callable[..., object]:
    return static(body, content_type="text/html; charset=utf-8")


async def test_a_renamed_rating_class_empties_the_field_and_is_reported_once(sessions: SessionFactory) -> None:
    real = (REAL / "irecommend" / "home.html").read_text(encoding="utf-8")
    redesigned = real.replace("star-first", "star-head")
    with LoopbackServer({"/": sequence(html(real), html(redesigned), html(redesigned))}) as server:
        await poll(sessions, config(server.url("/"), "irecommend"), 3)
    with session_scope(sessions) as session:
        polls = session.scalars(sa.select(Poll).order_by(Poll.id)).all()
        assert [p.items_seen for p in polls] == [8, 8, 8]
        assert polls[0].field_fill == {
            "items": 8,
            "fields": {"title": 8, "body": 8, "author": 8, "url": 8, "rating": 8},
        }
        assert polls[1].field_fill["fields"]["rating"] == 0
        emptied = "field 'rating' empty on all 8 items (filled before: rating 100%): the page layout may have changed"
        assert [p.warnings for p in polls] == [[], [emptied], [emptied]]
        events = session.scalars(sa.select(Event).where(Event.kind == "source.layout_changed")).all()
        assert [e.payload["warning"] for e in events] == [emptied]
        source = session.scalars(sa.select(Source)).one()
        assert (source.health, source.last_warning_kind) == ("degraded", "field_emptied")


async def test_json_ld_gone_from_a_trustpilot_page_is_a_layout_change(sessions: SessionFactory) -> None:
    real = (REAL / "trustpilot" / "free-now.html").read_text(encoding="utf-8")
    # The reviews are still on the page, but no longer as JSON-LD: the preset reads nothing.
    moved = real.replace('type="application/ld+json"', 'type="application/json" id="__NEXT_DATA__"')
    with LoopbackServer({"/review/free-now.com": sequence(html(real), html(moved))}) as server:
        await poll(sessions, config(server.url("/review/free-now.com"), "trustpilot"), 2)
    with session_scope(sessions) as session:
        polls = session.scalars(sa.select(Poll).order_by(Poll.id)).all()
        assert [p.items_seen for p in polls] == [20, 0]
        assert polls[0].items_new == 20
        assert polls[1].warnings == ["no schema.org Review: the page has no JSON-LD"]
        source = session.scalars(sa.select(Source)).one()
        assert (source.health, source.last_warning_kind) == ("degraded", "nothing_matched")
        events = session.scalars(sa.select(Event).where(Event.kind == "source.layout_changed")).all()
        assert len(events) == 1
