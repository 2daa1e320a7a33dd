"""kill -9 a real worker process mid-poll, again and again: nothing committed is lost, nothing is duplicated."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from monitor.config import load_config
from monitor.core.db import SessionFactory, session_scope
from monitor.core.revisions import upgrade
from monitor.models import Mention, MentionRevision, Poll, Source
from monitor.worker.poller import Poller, utcnow
from tests.support.factories import rss
from tests.support.loopback import LoopbackServer, Request
from tests.support.worker import start_worker

FEEDS = 4
PER_SECOND = 15  # items each feed grows by
MAX_ITEMS = 90


class GrowingFeeds:
    """Feeds that gain items over time; item 0's text is edited every second (revisions)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.frozen_at: float | None = None
        self.lock = threading.Lock()

    def size(self) -> int:
        elapsed = (self.frozen_at or time.monotonic()) - self.started
        return min(MAX_ITEMS, 5 + int(elapsed * PER_SECOND))

    def edit(self) -> int:
        return int((self.frozen_at or time.monotonic()) - self.started)

    def route(self, feed: int):
        def answer(request: Request):
            n, edit = self.size(), self.edit()
            items = [
                (
                    f"f{feed}-{i}",
                    f"Жалоба {i}",
                    f"Заказ {i} в Акме не доставлен." + (f" Правка {edit}." if i == 0 else ""),
                )
                for i in range(n)
            ]
            time.sleep(random.uniform(0.1, 0.4))  # a wide window to be killed in
            return 200, [("Content-Type", "application/rss+xml")], rss(items)

        return answer


# A bound, not a speed check: the worker starts a Python process and its parse pool, which took over 30 s
# on a 2-core machine running other test suites at the same time.
def wait_for_a_poll_in_flight(sessions: SessionFactory, after_id: int, finished: int, timeout: float = 120) -> int:
    """Wait until this worker finished `finished` polls and has another in flight; return the newest poll id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(sessions) as session:
            rows = session.execute(sa.select(Poll.id, Poll.outcome).where(Poll.id > after_id)).all()
        if sum(o != "running" for _, o in rows) >= finished and any(o == "running" for _, o in rows):
            return max(i for i, _ in rows)
        time.sleep(0.01)
    raise AssertionError(f"the worker did not finish {finished} polls with one more in flight in {timeout}s")


def test_kill_9_mid_poll_loses_and_duplicates_nothing(tmp_path: Path, db_url: str, sessions: SessionFactory) -> None:
    feeds = GrowingFeeds()
    routes = {f"/f{i}.rss": feeds.route(i) for i in range(FEEDS)}
    with LoopbackServer(routes) as server:
        config = tmp_path / "sources.yaml"
        config.write_text(
            "http: {per_host_delay: 0s, per_host_concurrency: 8, retries: 0, allow_networks: [127.0.0.0/8, '::1/128']}\n"
            "scheduler: {tick: 0.1s, lease: 2s, jitter: 0}\n"
            "sources:\n"
            + "".join(
                f"  - {{key: f{i}, kind: feed, url: '{server.url(f'/f{i}.rss')}', interval: 1s}}\n"
                for i in range(FEEDS)
            ),
            encoding="utf-8",
        )
        upgrade(db_url)
        log = tmp_path / "worker.log"
        newest = 0
        for _ in range(5):
            worker = start_worker(config, db_url, log)
            try:
                newest = wait_for_a_poll_in_flight(sessions, newest, finished=random.randint(0, 6))
            finally:  # a failed wait must not leave the worker polling after the test
                os.kill(worker.pid, signal.SIGKILL)
            assert worker.wait(timeout=10) == -signal.SIGKILL
        feeds.frozen_at = time.monotonic()

        # A last pass after the dead workers' leases ran out: what they left is reaped and polled again.
        async def final_pass() -> None:
            cfg = load_config(config)
            poller = Poller(config=cfg, sessions=sessions, clock=lambda: utcnow() + timedelta(minutes=1))
            try:
                await poller.run_due()
            finally:
                await poller.aclose()

        asyncio.run(final_pass())

    final_size = feeds.size()
    with session_scope(sessions) as session:
        per_source = dict(
            session.execute(sa.select(Source.key, sa.func.count(Mention.id)).join(Mention).group_by(Source.key)).all()
        )
        keys = session.execute(sa.select(Mention.source_id, Mention.dedup_key)).all()
        outcomes = [p.outcome for p in session.scalars(sa.select(Poll))]
        edited = session.scalars(sa.select(Mention).where(Mention.dedup_key.like("id:f%-0"))).all()
        revisions = session.scalar(sa.select(sa.func.count()).select_from(MentionRevision))
    assert per_source == {f"f{i}": final_size for i in range(FEEDS)}, (per_source, final_size, log.read_text()[-3000:])
    assert len(keys) == len(set(keys))
    assert "running" not in outcomes
    assert outcomes.count("abandoned") >= 5  # each kill landed mid-poll
    assert outcomes.count("ok") >= FEEDS
    # Every edit seen was kept as a revision of the same mention, never as a new mention.
    assert len(edited) == FEEDS and all(m.body.endswith(f"Правка {feeds.edit()}.") for m in edited)
    assert revisions == sum(m.revision - 1 for m in edited)
