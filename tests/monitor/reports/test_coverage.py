"""Source coverage from daily roll-ups equals coverage worked out from the raw polls.

The reference below orders the successful polls and measures every gap itself; the code
under test reads `poll_day` rows where they exist, the poll table elsewhere, and writes
the rows it was missing. They must agree for any period: whole days, days cut at either
edge, a period that starts before the source existed, a period that ends today, cold
(no rows yet) and warm (rows made by the previous report).
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from monitor.core.db import SessionFactory, session_scope
from monitor.models import Poll, PollDay, Source
from monitor.reports.coverage import SETTLE, forget_days, roll_up, source_coverage

T0 = datetime(2026, 3, 1, tzinfo=UTC)
CREATED = T0 + timedelta(hours=5, minutes=30)
NOW = T0 + timedelta(days=6, hours=14)
INTERVAL = 900


def _source(key: str, interval: int = INTERVAL) -> Source:
    return Source(key=key, kind="feed", url=f"https://{key}.example/feed", brand_key=None, weight=1,
                  interval_seconds=interval, active=True, next_poll_at=NOW, health="ok", error_count=0,
                  created_at=CREATED, updated_at=CREATED)  # fmt: skip


def _history(rng: random.Random, source_id: int) -> list[Poll]:
    """Polls every ~15 minutes with jitter, a few failures and one long outage, gaps as finish_poll stores them."""
    polls, previous = [], None
    at = CREATED + timedelta(minutes=3)
    while at < NOW:
        outage = T0 + timedelta(days=2, hours=22) <= at < T0 + timedelta(days=3, hours=3)
        if not outage:
            failed = rng.random() < 0.05
            poll = Poll(source_id=source_id, started_at=at, finished_at=at + timedelta(seconds=1),
                        outcome="error" if failed else rng.choice(("ok", "not_modified")),
                        error_class=rng.choice(("timeout", "http_5xx")) if failed else None)  # fmt: skip
            if not failed:
                poll.gap_seconds = (at - previous).total_seconds() if previous else None
                previous = at
            polls.append(poll)
        at += timedelta(seconds=INTERVAL - rng.randrange(0, 120) + (1800 if rng.random() < 0.02 else 0))
    return polls


def _reference(polls: list[Poll], start: datetime, end: datetime, interval: int) -> tuple[int, float, float, dict]:
    """(successes, uncovered seconds, longest gap, failures) measured from the ordered polls themselves."""
    end = min(end, NOW)
    since = max(start, CREATED)
    allowed = interval * 1.1
    times = sorted(p.started_at for p in polls if p.outcome != "error" and start <= p.started_at < end)
    failures: dict[str, int] = {}
    for p in polls:
        if p.outcome == "error" and start <= p.started_at < end:
            failures[p.error_class] = failures.get(p.error_class, 0) + 1
    if not times:
        span = (end - since).total_seconds()
        return 0, max(span - allowed, 0.0), span, failures
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    gaps += [(times[0] - since).total_seconds(), (end - times[-1]).total_seconds()]
    return len(times), sum(max(g - allowed, 0.0) for g in gaps), max(gaps), failures


@pytest.fixture
def history(sessions: SessionFactory) -> tuple[int, list[Poll]]:
    with session_scope(sessions) as session:
        source = _source("board")
        session.add(source)
        session.flush()
        polls = _history(random.Random(11), source.id)
        session.add_all(polls)
        return source.id, [Poll(started_at=p.started_at, outcome=p.outcome, error_class=p.error_class) for p in polls]


PERIODS = [
    (T0, NOW),  # from before the source existed to today
    (T0 + timedelta(days=1), T0 + timedelta(days=4)),  # whole days
    (T0 + timedelta(days=1, hours=7, minutes=13), T0 + timedelta(days=4, hours=2, minutes=1)),  # cut at both edges
    (T0 + timedelta(days=2, hours=23), T0 + timedelta(days=3, hours=1)),  # inside the outage, across midnight
    (T0 + timedelta(days=5, hours=12), T0 + timedelta(days=9)),  # ends in the future: capped at now
]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_coverage_from_day_rows_equals_coverage_from_the_polls(
    sessions: SessionFactory, history: tuple[int, list[Poll]], start: datetime, end: datetime
) -> None:
    _, polls = history
    n, uncovered, longest, failures = _reference(polls, start, end, INTERVAL)
    for attempt in ("cold", "warm"):
        with session_scope(sessions) as session:
            (board,) = source_coverage(session, start, min(end, NOW), NOW, None)
        assert board.successful_polls == n, attempt
        assert board.uncovered_seconds == pytest.approx(uncovered, abs=0.01), attempt
        assert board.longest_gap_seconds == pytest.approx(longest, abs=0.01), attempt
        assert board.failures == failures, attempt


def test_only_settled_whole_days_are_summed_up_and_an_interval_change_remakes_them(
    sessions: SessionFactory, history: tuple[int, list[Poll]]
) -> None:
    source_id, polls = history
    with session_scope(sessions) as session:
        source_coverage(session, T0, NOW, NOW, None)
    with session_scope(sessions) as session:
        days = sorted(session.scalars(sa.select(PollDay.day)))
        # The source was created on day 0 (so day 0 is whole from its creation), today is not over.
        assert days == [(T0 + timedelta(days=i)).date() for i in range(6)]
        assert {r.interval_seconds for r in session.scalars(sa.select(PollDay))} == {INTERVAL}
        session.get(Source, source_id).interval_seconds = 600
    n, uncovered, longest, _ = _reference(polls, T0, NOW, 600)
    with session_scope(sessions) as session:
        (board,) = source_coverage(session, T0, NOW, NOW, None)
        assert (board.successful_polls, board.longest_gap_seconds) == (n, pytest.approx(longest, abs=0.01))
        assert board.uncovered_seconds == pytest.approx(uncovered, abs=0.01)
    with session_scope(sessions) as session:
        assert {r.interval_seconds for r in session.scalars(sa.select(PollDay))} == {600}


def test_a_poll_that_finishes_after_its_day_was_summed_up_is_counted(
    sessions: SessionFactory, history: tuple[int, list[Poll]]
) -> None:
    source_id, _polls = history
    day = T0 + timedelta(days=4)
    with session_scope(sessions) as session:
        before = source_coverage(session, day, day + timedelta(days=1), NOW, None)[0]
    late = Poll(source_id=source_id, started_at=day + timedelta(hours=23, minutes=59), outcome="error",
                error_class="timeout", finished_at=NOW)  # fmt: skip
    with session_scope(sessions) as session:
        session.add(late)
        forget_days(session, [(source_id, late.started_at)], NOW)  # what finish_poll and the reaper do
    with session_scope(sessions) as session:
        after = source_coverage(session, day, day + timedelta(days=1), NOW, None)[0]
    assert after.failed_polls == before.failed_polls + 1


def test_the_roll_up_job_makes_the_days_just_over_and_nothing_for_today(
    sessions: SessionFactory, history: tuple[int, list[Poll]]
) -> None:
    midnight = T0 + timedelta(days=6)
    with session_scope(sessions) as session:
        assert roll_up(session=session, now=midnight + SETTLE / 2) == 1  # day 4; day 5 is not settled yet
    with session_scope(sessions) as session:
        assert roll_up(session=session, now=midnight + SETTLE) == 1  # day 5
        assert roll_up(session=session, now=midnight + SETTLE) == 0  # nothing missing
        days = sorted(session.scalars(sa.select(PollDay.day)))
    assert days == [(T0 + timedelta(days=4)).date(), (T0 + timedelta(days=5)).date()]


def test_a_source_with_no_polls_is_uncovered_from_its_creation(sessions: SessionFactory) -> None:
    with session_scope(sessions) as session:
        session.add(_source("silent"))
    with session_scope(sessions) as session:
        (silent,) = source_coverage(session, T0, NOW, NOW, None)
    assert (silent.successful_polls, silent.longest_gap_seconds) == (0, (NOW - CREATED).total_seconds())
    assert silent.coverage == pytest.approx(INTERVAL * 1.1 / (NOW - CREATED).total_seconds())
