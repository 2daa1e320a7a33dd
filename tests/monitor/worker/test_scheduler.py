"""The poll loop end to end: loopback HTTP server → fetcher → parser → database."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.core.db import SessionFactory, session_scope
from monitor.models import Mention, Poll, Source
from monitor.worker.poller import Poller
from monitor.worker.service import Worker
from tests.support.clock import NOW
from tests.support.factories import feed_config, rss
from tests.support.loopback import LoopbackServer, Request, slow, static

FEED = rss([(f"g{i}", f"Жалоба {i}", f"Заказ {i} в Акме не доставлен уже неделю.") for i in range(50)])


def etag_feed(body: bytes):
    tag = '"' + hashlib.sha1(body).hexdigest() + '"'

    def route(request: Request):
        if request.headers.get("If-None-Match") == tag:
            return 304, [("ETag", tag)], b""
        return 200, [("Content-Type", "application/rss+xml; charset=utf-8"), ("ETag", tag)], body

    return route


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


def counts(sessions: SessionFactory) -> dict[str, int]:
    with session_scope(sessions) as session:
        rows = session.execute(
            sa.select(Source.key, sa.func.count(Mention.id)).outerjoin(Mention).group_by(Source.key)
        ).all()
    return dict(rows)


async def test_every_source_is_polled_stored_and_a_broken_one_breaks_nothing(sessions: SessionFactory) -> None:
    routes = {
        "/a.rss": etag_feed(FEED),
        "/b.rss": etag_feed(rss([("x1", "Schlechter Service", "Die Lieferung kam nie an.")])),
        "/broken.rss": static(b"oops", status=500),
        "/html-not-feed": static(b"<html><body>Maintenance</body></html>", content_type="text/html"),
        "/slow.rss": slow(0.5, etag_feed(FEED)),
    }
    with LoopbackServer(routes) as server:
        config = feed_config({k.strip("/").split(".")[0]: server.url(k) for k in routes})
        clock = Clock()
        poller = Poller(config=config, sessions=sessions, clock=clock)
        try:
            await poller.sync()
            results = {r.source: r for r in await poller.run_due()}
            assert {k: r.outcome for k, r in results.items()} == {
                "a": "ok", "b": "ok", "broken": "error", "html-not-feed": "error", "slow": "ok",
            }  # fmt: skip
            assert results["a"].items_new == 50 and results["b"].items_new == 1
            assert "500" in (results["broken"].error or "")
            assert counts(sessions) == {"a": 50, "b": 1, "broken": 0, "html-not-feed": 0, "slow": 50}

            # Nothing is due until the interval passes; then a 304 stores nothing new.
            assert await poller.run_due() == []
            clock.now = NOW + timedelta(minutes=16)
            again = {r.source: r for r in await poller.run_due()}
            assert again["a"].outcome == "not_modified" and again["a"].items_new == 0
            assert counts(sessions)["a"] == 50
            assert server.requests_to("/a.rss")[-1].headers["If-None-Match"]
        finally:
            await poller.aclose()
    with session_scope(sessions) as session:
        health = dict(session.execute(sa.select(Source.key, Source.health)).all())
        polls = session.scalar(sa.select(sa.func.count()).select_from(Poll))
    assert health == {"a": "ok", "b": "ok", "broken": "degraded", "html-not-feed": "failing", "slow": "ok"}
    assert polls == 10  # every poll is recorded, success or failure


async def test_poll_now_polls_a_source_that_is_not_due(sessions: SessionFactory) -> None:
    with LoopbackServer({"/a.rss": etag_feed(FEED)}) as server:
        poller = Poller(config=feed_config({"a": server.url("/a.rss")}), sessions=sessions, clock=Clock())
        try:
            await poller.sync()
            await poller.run_due()
            result = await poller.poll_now("a")
            assert result is not None and result.outcome == "not_modified"
            assert await poller.poll_now("missing") is None
        finally:
            await poller.aclose()


async def test_the_tick_starts_polls_without_waiting_for_slow_ones(sessions: SessionFactory) -> None:
    routes = {"/fast.rss": etag_feed(FEED), "/slow.rss": slow(1.5, etag_feed(FEED))}
    with LoopbackServer(routes) as server:
        poller = Poller(config=feed_config({"fast": server.url("/fast.rss"), "slow": server.url("/slow.rss")}),
                        sessions=sessions, clock=Clock())  # fmt: skip
        try:
            await poller.sync()
            assert await poller.tick() == 2
            assert await poller.tick() == 0  # both leased, nothing else due

            for _ in range(50):
                if counts(sessions)["fast"] == 50:
                    break
                await asyncio.sleep(0.05)
            assert counts(sessions) == {"fast": 50, "slow": 0}  # fast is stored while slow is still in flight
        finally:
            await poller.aclose()
        assert counts(sessions) == {"fast": 50, "slow": 50}  # closing waits for polls in flight


@pytest.mark.parametrize("workers", [1])
async def test_parsing_in_a_process_pool_gives_the_same_result(sessions: SessionFactory, workers: int) -> None:
    with LoopbackServer({"/a.rss": etag_feed(FEED)}) as server:
        config = feed_config({"a": server.url("/a.rss")}, extra=f"scheduler: {{parse_workers: {workers}}}")
        poller = Poller(config=config, sessions=sessions, clock=Clock())
        try:
            await poller.sync()
            (result,) = await poller.run_due()
            assert result.items_new == 50
        finally:
            await poller.aclose()


def held_until(released: threading.Event, route):
    """`route`, answered only once `released` is set (a 503 if it never is, so a test fails, not hangs)."""

    def hold(request: Request):
        return route(request) if released.wait(10) else (503, [], b"")

    return hold


def counted(route, seen: list[str], released: threading.Event, wanted: int):
    def count(request: Request):
        seen.append(request.path)
        if len(seen) >= wanted:
            released.set()
        return route(request)

    return count


def due_first(sessions: SessionFactory, key: str) -> None:
    with session_scope(sessions) as session:
        session.execute(sa.update(Source).where(Source.key == key).values(next_poll_at=NOW - timedelta(minutes=1)))


def held_and_three_others() -> dict:
    """Routes of a source that answers only once three others were fetched, and of those three."""
    released, seen = threading.Event(), []
    routes = {"/held.rss": held_until(released, etag_feed(FEED))}
    return routes | {f"/f{i}.rss": counted(etag_feed(FEED), seen, released, 3) for i in range(3)}


async def held_first(sessions: SessionFactory, server: LoopbackServer, scheduler: str) -> Poller:
    """A synced poller of the server's routes, with the held source due before the others."""
    urls = {path.strip("/").split(".")[0]: server.url(path) for path in server.routes}
    poller = Poller(config=feed_config(urls, extra=f"scheduler: {{{scheduler}}}"), sessions=sessions, clock=Clock())
    await poller.sync()
    due_first(sessions, "held")
    return poller


async def test_run_due_refills_free_slots_while_a_slow_poll_is_in_flight(sessions: SessionFactory) -> None:
    # Two slots; the held source is claimed first and answers only after the three others were
    # fetched. Polling in batches of two would wait for it, and it would then give up with a 503.
    with LoopbackServer(held_and_three_others()) as server:
        poller = await held_first(sessions, server, "max_concurrency: 2, parse_workers: 0")
        try:
            results = {r.source: r for r in await poller.run_due()}
        finally:
            await poller.aclose()
    assert {k: (r.outcome, r.items_new) for k, r in results.items()} == {
        "held": ("ok", 50), "f0": ("ok", 50), "f1": ("ok", 50), "f2": ("ok", 50),
    }  # fmt: skip
    assert counts(sessions) == {"held": 50, "f0": 50, "f1": 50, "f2": 50}


async def test_the_worker_refills_free_slots_without_waiting_for_the_next_tick(sessions: SessionFactory) -> None:
    # The tick comes once a minute; only the first one runs during the test.
    with LoopbackServer(held_and_three_others()) as server:
        poller = await held_first(sessions, server, "tick: 60s, max_concurrency: 2, parse_workers: 0")
        worker = Worker(poller)
        try:
            worker.start()
            for _ in range(200):
                if len(counts(sessions)) == 4 and all(n == 50 for n in counts(sessions).values()):
                    break
                await asyncio.sleep(0.05)
        finally:
            await worker.aclose()
    assert counts(sessions) == {"held": 50, "f0": 50, "f1": 50, "f2": 50}


async def test_the_worker_writes_its_heartbeat_on_its_schedule(sessions: SessionFactory, tmp_path) -> None:
    from datetime import UTC, datetime

    (tmp_path / "beats").mkdir()
    beat = tmp_path / "beats" / "worker.alive"
    with LoopbackServer({"/a.rss": static(rss([("1", "t", "b")]))}) as server:
        poller = Poller(config=feed_config({"a": server.url("/a.rss")}), sessions=sessions)
        worker = Worker(poller, heartbeat=beat)
        try:
            worker.start()  # the first beat is due at once
            for _ in range(200):
                if beat.exists():
                    break
                await asyncio.sleep(0.05)
        finally:
            await worker.aclose()
    written = datetime.fromisoformat(beat.read_text(encoding="utf-8"))
    assert written.tzinfo is not None and written <= datetime.now(UTC)
    assert [p.name for p in beat.parent.iterdir()] == ["worker.alive"]  # written atomically, no leftovers
