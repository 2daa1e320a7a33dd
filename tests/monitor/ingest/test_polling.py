from __future__ import annotations

import itertools
import random
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.config import SchedulerConfig
from monitor.core.db import SessionFactory, session_scope
from monitor.ingest.polling import (
    Outcome,
    claim_due,
    claim_one,
    finish_poll,
    health_after,
    plan_next_poll,
    reap_abandoned,
    sync_config,
)
from monitor.models import Event, Poll, Source
from sources.base import Collected, PageWarning, PollFacts, Validators
from sources.errors import ConnectionFailed, Gone, ParseError, RateLimited, ServerError
from tests.support.clock import NOW
from tests.support.factories import feed_config, raw, synced

SETTINGS = SchedulerConfig()
LEASE = timedelta(minutes=5)


def source(interval: int = 900, errors: int = 0) -> Source:
    return Source(
        key="s", kind="feed", url="https://x.example", interval_seconds=interval, error_count=errors, next_poll_at=NOW
    )


def ok(
    *, retry_after: float | None = None, max_age: float | None = None, warnings: list[PageWarning] | None = None
) -> Outcome:
    facts = PollFacts(http_status=200, retry_after=retry_after, max_age=max_age, warnings=warnings or [])
    return Outcome(collected=Collected(items=[], facts=facts))


def delay(src: Source, outcome: Outcome, seed: int = 1) -> float:
    return (plan_next_poll(src, outcome, NOW, SETTINGS, random.Random(seed)) - NOW).total_seconds()


# -- the pure planner ----------------------------------------------------------------------


def test_success_polls_again_within_the_interval_never_later() -> None:
    delays = [delay(source(900), ok(), seed) for seed in range(200)]
    assert all(900 * 0.9 <= d <= 900 for d in delays)
    assert len({round(d) for d in delays}) > 50  # jitter spreads the load


def test_retry_after_and_max_age_push_out_but_only_up_to_the_cap() -> None:
    assert delay(source(60), ok(retry_after=600)) == 600
    assert delay(source(60), ok(max_age=1200)) == 1200
    assert delay(source(60), ok(max_age=86400)) == 3600  # capped at max_backoff
    assert delay(source(7200), ok(max_age=86400)) == 7200  # a long interval is its own cap


def test_failures_back_off_exponentially_and_are_probed_at_least_hourly() -> None:
    err = Outcome(error=ServerError("HTTP 500", http_status=500))
    got = [delay(source(60, errors=n), err, seed=0) for n in range(10)]
    assert got[0] == pytest.approx(60, rel=0.1)
    assert got[1] == pytest.approx(120, rel=0.1) and got[2] == pytest.approx(240, rel=0.1)
    assert all(a <= b * 1.1 for a, b in itertools.pairwise(got))
    assert max(got) <= 3600 and got[-1] >= 3600 * 0.9
    assert delay(source(86400), err) <= 3600  # a daily source that fails is retried within the hour


def test_rate_limited_waits_as_long_as_asked_within_the_cap() -> None:
    assert delay(source(60), Outcome(error=RateLimited("429", retry_after=1800))) == 1800
    assert delay(source(60), Outcome(error=RateLimited("429", retry_after=99999))) == 3600


@pytest.mark.parametrize(
    ("errors", "outcome", "health"),
    [
        (0, ok(), "ok"),
        (5, ok(), "ok"),
        (
            0,
            ok(warnings=[PageWarning(PageWarning.NOTHING_MATCHED, "selector 'div.review' matched nothing")]),
            "degraded",
        ),
        (0, ok(warnings=[PageWarning(PageWarning.ENCODING, "text looks wrongly decoded")]), "degraded"),
        (0, Outcome(error=ConnectionFailed("refused")), "degraded"),
        (2, Outcome(error=ConnectionFailed("refused")), "failing"),
        (0, Outcome(error=ParseError("not a feed")), "failing"),
        (0, Outcome(error=Gone("HTTP 410", http_status=410)), "gone"),
        (0, Outcome(crash="KeyError: 'x'"), "failing"),
    ],
)
def test_health(errors: int, outcome: Outcome, health: str) -> None:
    assert health_after(source(errors=errors), outcome) == health


# -- claims, leases and records on the database ---------------------------------------------


@pytest.fixture
def ids(sessions: SessionFactory) -> dict[str, int]:
    urls = {f"s{i}": f"https://b{i}.example/feed" for i in range(6)}
    return synced(sessions, feed_config(urls), NOW)


def claim(sessions: SessionFactory, now=NOW, worker="w1", limit=100):
    with session_scope(sessions) as session:
        return claim_due(session=session, now=now, worker=worker, limit=limit, lease=LEASE)


def finish(sessions: SessionFactory, c, outcome: Outcome, now=NOW):
    with session_scope(sessions) as session:
        recorded = finish_poll(
            session=session, claim=c, outcome=outcome, now=now, settings=SETTINGS, rng=random.Random(0)
        )
        return recorded.poll.outcome


def test_due_sources_are_claimed_once_until_the_lease_ends(sessions: SessionFactory, ids: dict[str, int]) -> None:
    first = claim(sessions)
    assert sorted(c.key for c in first) == sorted(ids)
    assert claim(sessions, worker="w2") == []
    with session_scope(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Poll).where(Poll.outcome == "running")) == 6


def test_a_finished_poll_records_everything_and_releases_the_source(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    (c,) = claim(sessions, limit=1)
    facts = PollFacts(http_status=200, pages=1, bytes_read=1234, validators=Validators(etag='"v1"', last_modified="x"))
    later = NOW + timedelta(seconds=2)
    assert finish(sessions, c, Outcome(collected=Collected(items=[raw(1), raw(2)], facts=facts)), later) == "ok"
    with session_scope(sessions) as session:
        poll = session.get(Poll, c.poll_id)
        src = session.get(Source, c.source_id)
        assert (poll.http_status, poll.items_seen, poll.items_new, poll.duration_ms, poll.bytes_read) == (
            200,
            2,
            2,
            2000,
            1234,
        )
        assert (src.health, src.etag, src.lease_owner, src.last_items, src.last_success_at) == (
            "ok",
            '"v1"',
            None,
            2,
            later,
        )
        assert timedelta(minutes=13) <= src.next_poll_at - later <= timedelta(minutes=15)
    # The next claim sends the stored validators; a 304 keeps them and stores nothing.
    with session_scope(sessions) as session:
        again = claim_one(session=session, key=c.key, now=later, worker="w1", lease=LEASE)
    assert again.validators == Validators(etag='"v1"', last_modified="x")
    not_modified = Outcome(collected=Collected(items=[], facts=PollFacts(http_status=304, not_modified=True)))
    assert finish(sessions, again, not_modified, later) == "not_modified"
    with session_scope(sessions) as session:
        assert session.get(Source, c.source_id).etag == '"v1"'


def test_failures_are_recorded_with_class_and_message_and_raise_events_once(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    now = NOW
    outcomes = [ConnectionFailed("connection refused", url="https://b0.example/feed")] * 3
    for error in outcomes:
        with session_scope(sessions) as session:
            c = claim_one(session=session, key="s0", now=now, worker="w", lease=LEASE)
        finish(sessions, c, Outcome(error=error), now)
        now += timedelta(hours=1)
    with session_scope(sessions) as session:
        src = session.get(Source, ids["s0"])
        assert (src.health, src.error_count, src.last_error_class) == ("failing", 3, "connection")
        assert "connection refused" in src.last_error
        polls = session.scalars(sa.select(Poll).where(Poll.source_id == ids["s0"])).all()
        assert [p.outcome for p in polls] == ["error"] * 3
        assert [e.kind for e in session.scalars(sa.select(Event))] == ["source.failing"]
    with session_scope(sessions) as session:
        c = claim_one(session=session, key="s0", now=now, worker="w", lease=LEASE)
    finish(sessions, c, ok(), now)
    with session_scope(sessions) as session:
        assert [e.kind for e in session.scalars(sa.select(Event).order_by(Event.id))] == [
            "source.failing",
            "source.recovered",
        ]
        assert session.get(Source, ids["s0"]).error_count == 0


@pytest.mark.parametrize(
    ("warning", "events"),
    [
        (PageWarning(PageWarning.NOTHING_MATCHED, "selector 'article.review' matched nothing"),
         [("source.layout_changed", "s1")]),
        # Told by the kind, not the wording: a truncated page is no layout change, whatever it says.
        (PageWarning(PageWarning.TRUNCATED, "page too large (its items matched nothing past the cut)"), []),
    ],
)  # fmt: skip
def test_a_page_that_suddenly_yields_nothing_raises_a_layout_event_by_its_warning_kind(
    sessions: SessionFactory, ids: dict[str, int], warning: PageWarning, events: list[tuple[str, str]]
) -> None:
    with session_scope(sessions) as session:
        c = claim_one(session=session, key="s1", now=NOW, worker="w", lease=LEASE)
    finish(sessions, c, Outcome(collected=Collected(items=[raw(1)], facts=PollFacts(http_status=200))))
    with session_scope(sessions) as session:
        c = claim_one(session=session, key="s1", now=NOW, worker="w", lease=LEASE)
    finish(sessions, c, ok(warnings=[warning]))
    with session_scope(sessions) as session:
        assert [(e.kind, e.subject) for e in session.scalars(sa.select(Event))] == events
        source = session.get(Source, ids["s1"])
        assert (source.health, source.last_warning) == ("degraded", warning.text)


def test_a_dead_workers_poll_is_marked_abandoned_and_the_source_is_polled_again(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    claimed = claim(sessions, worker="dead")
    assert len(claimed) == 6
    assert claim(sessions, now=NOW + timedelta(minutes=4), worker="w2") == []
    later = NOW + LEASE + timedelta(seconds=1)
    with session_scope(sessions) as session:
        reaped = reap_abandoned(session=session, now=later)
    assert sorted(source_id for source_id, _ in reaped) == sorted(c.source_id for c in claimed)
    assert {started for _, started in reaped} == {NOW}
    again = claim(sessions, now=later, worker="w2")
    assert len(again) == 6
    with session_scope(sessions) as session:
        outcomes = sorted(p.outcome for p in session.scalars(sa.select(Poll)))
    assert outcomes == ["abandoned"] * 6 + ["running"] * 6


def test_a_late_finish_by_a_worker_that_lost_its_lease_does_not_release_the_new_lease(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    with session_scope(sessions) as session:
        old = claim_one(session=session, key="s2", now=NOW, worker="slow", lease=LEASE)
    later = NOW + LEASE + timedelta(seconds=1)
    with session_scope(sessions) as session:
        reap_abandoned(session=session, now=later)
        new = claim_one(session=session, key="s2", now=later, worker="fast", lease=LEASE)
    assert new is not None
    finish(sessions, old, ok(), later)
    with session_scope(sessions) as session:
        assert session.get(Source, ids["s2"]).lease_owner == "fast"


def test_sync_adds_updates_and_deactivates_but_never_deletes(sessions: SessionFactory, ids: dict[str, int]) -> None:
    config = feed_config(
        {"s0": "https://b0.example/feed", "s1": "https://moved.example/feed", "new": "https://n.example/f"},
        interval="5m",
    )
    with session_scope(sessions) as session:
        counts = sync_config(session=session, config=config, now=NOW)
    assert counts == {"added": 1, "updated": 2, "deactivated": 4}
    with session_scope(sessions) as session:
        rows = {s.key: s for s in session.scalars(sa.select(Source))}
    assert len(rows) == 7 and not rows["s5"].active and rows["s1"].url == "https://moved.example/feed"
    assert rows["s0"].interval_seconds == 300


def test_postgres_workers_claim_disjoint_sources_concurrently(
    sessions: SessionFactory, ids: dict[str, int], db_url: str
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL behaviour; SQLite runs one worker")
    got: dict[str, list[str]] = {}
    barrier = threading.Barrier(3)

    def worker(name: str) -> None:
        with sessions() as session, session.begin():
            barrier.wait()
            claims = claim_due(session=session, now=NOW, worker=name, limit=2, lease=LEASE)
            got[name] = [c.key for c in claims]
            barrier.wait()  # hold the row locks until every worker has claimed

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    keys = [k for claims in got.values() for k in claims]
    assert sorted(keys) == sorted(ids) and len(set(keys)) == 6


def test_the_first_failure_retries_after_one_interval_not_two(sessions: SessionFactory, ids: dict[str, int]) -> None:
    with session_scope(sessions) as session:
        c = claim_one(session=session, key="s3", now=NOW, worker="w", lease=LEASE)
    finish(sessions, c, Outcome(error=ServerError("HTTP 502", http_status=502)))
    with session_scope(sessions) as session:
        src = session.get(Source, ids["s3"])
        assert timedelta(minutes=13) <= src.next_poll_at - NOW <= timedelta(minutes=15)
        assert (src.error_count, src.last_http_status) == (1, 502)
