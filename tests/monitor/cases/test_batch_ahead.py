"""The next batch's text work in a helper process (monitor.cases.batch_ahead): used where it fits, never needed."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

import monitor.cases.batch_ahead as batch_ahead
from monitor.cases.batch_ahead import Lookahead, decide
from monitor.cases.batch_state import POST_COLUMNS, Post
from monitor.cases.dedupe import signature
from monitor.cases.lifecycle import desk_rules
from monitor.core.db import SessionFactory, session_scope
from monitor.models import Brand, Mention, Source
from monitor.worker.jobs import process_cases
from tests.monitor.cases.test_batch import outcome, reset, store, stream
from tests.monitor.cases.test_cases import CONFIG, MATCHER
from tests.support.clock import NOW
from tests.support.factories import synced

pytestmark = pytest.mark.skipif(not Lookahead.available(), reason="the helper is forked: Linux only")


@pytest.fixture
def ids(sessions: SessionFactory) -> dict[str, int]:
    return synced(sessions, CONFIG, NOW)


def _placed_without_helper(sessions: SessionFactory, ids: dict[str, int]) -> object:
    """The stream placed without the helper: its outcome, and the mentions put back to pending."""
    store(sessions, stream(ids))
    process_cases(sessions=sessions, config=CONFIG, now=NOW, batch=2, helper=False)
    alone = outcome(sessions)
    reset(sessions)
    return alone


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many answers of the helper each batch used."""
    used: list[int] = []
    real = Lookahead.take

    def take(self: Lookahead, posts, rows):
        answers = real(self, posts, rows)
        used.append(len(answers))
        return answers

    monkeypatch.setattr(Lookahead, "take", take)
    return used


def test_later_batches_use_the_helpers_answers_and_decide_the_same(
    sessions: SessionFactory, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = _placed_without_helper(sessions, ids)
    used = _spy(monkeypatch)
    counts = process_cases(sessions=sessions, config=CONFIG, now=NOW, batch=2, helper=True)
    assert counts.processed == 8
    assert outcome(sessions) == alone  # cases, joins, clocks, timeline, events, bands: as without it
    assert used[0] == 0 and sum(used) == 6  # the first batch is worked out here, the three after it by the helper


def test_a_row_changed_since_the_helper_read_it_is_worked_out_here(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    store(sessions, stream(ids))
    with Lookahead(CONFIG, MATCHER) as ahead, session_scope(sessions) as session:
        ahead.submit(session, after_id=0, limit=8)
        rows = [tuple(row) for row in session.execute(sa.select(*POST_COLUMNS).order_by(Mention.id))]
        edited = list(rows[2])
        edited[5] += " Edited after the helper read it."  # the body
        rows[2] = tuple(edited)
        posts = [Post(*row) for row in rows]
        answers = ahead.take(posts, rows)
        source_brands = {sid: key for sid, key in session.execute(sa.select(Source.id, Source.brand_key))}
        brand_ids = {key: bid for key, bid in session.execute(sa.select(Brand.key, Brand.id))}
    assert set(answers) == {p.id for p in posts} - {posts[2].id}
    triager = desk_rules(CONFIG).triager
    for post in posts:
        if post.id not in answers:
            continue
        here = decide(CONFIG, MATCHER, post, source_brands[post.source_id], brand_ids)
        got = answers[post.id]
        assert (got.outcome, got.tone, got.tone_reasons, got.brand_id, got.brand_rule) == (
            here.outcome,
            here.tone,
            here.tone_reasons,
            here.brand_id,
            here.brand_rule,
        )
        if got.outcome == "place":
            assert got.signature == signature(post.title, post.body, brand_id=here.brand_id)
            assert got.triage == triager.read(post.text)


def test_a_helper_that_fails_costs_no_mention(
    sessions: SessionFactory, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = _placed_without_helper(sessions, ids)

    def broken(*args: object) -> list[object]:
        raise RuntimeError("the helper crashed")

    monkeypatch.setattr(batch_ahead, "_work", broken)  # the forked helper inherits it
    with capture_logs() as logs:
        counts = process_cases(sessions=sessions, config=CONFIG, now=NOW, batch=2, helper=True)
    assert counts.processed == 8 and counts.failed == 0
    assert outcome(sessions) == alone
    assert "case.lookahead_failed" in [e["event"] for e in logs]


def _ended(process: Any) -> bool:
    """Whether a helper process has ended. Process.is_alive() alone can say "alive" for a killed helper: the
    executor's own thread reaps it at the same moment (os.waitpid in two threads; the loser is told "no such
    child", which multiprocessing reads as "still running"; seen once in three runs), so /proc decides."""
    process.join(timeout=10)
    if not process.is_alive():
        return True
    try:
        state = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True  # gone and reaped
    return state in ("Z", "X")  # dead, not yet reaped


def _stuck(*args: object) -> object:
    import time

    time.sleep(120)  # a helper that never answers (e.g. a lock inherited from another thread at fork)
    raise AssertionError("the stuck helper should have been ended")


def test_a_helper_that_hangs_is_ended_and_its_batch_done_here(
    sessions: SessionFactory, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    store(sessions, stream(ids))
    monkeypatch.setattr(batch_ahead, "decide", _stuck)  # the forked helper inherits it; this process
    with Lookahead(CONFIG, MATCHER, timeout=0.5) as ahead, session_scope(sessions) as session:  # never calls it
        ahead.submit(session, after_id=0, limit=8)
        pool = ahead._pool
        assert pool is not None
        helpers = list(pool._processes.values())
        rows = [tuple(row) for row in session.execute(sa.select(*POST_COLUMNS).order_by(Mention.id))]
        started = time.monotonic()
        with capture_logs() as logs:
            answers = ahead.take([Post(*row) for row in rows], rows)
        waited = time.monotonic() - started
    assert answers == {}  # the caller works the batch out itself
    assert waited < 60, "take() waited for the stuck helper instead of giving up after its timeout"
    assert [e["event"] for e in logs] == ["case.lookahead_failed"], logs
    assert "no answer within 0.5 s" in logs[0].get("reason", ""), logs
    assert helpers and all(_ended(helper) for helper in helpers), "the stuck helper process was left running"


def test_closing_with_a_stuck_answer_nobody_took_ends_the_helper(
    sessions: SessionFactory, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store(sessions, stream(ids))
    monkeypatch.setattr(batch_ahead, "decide", _stuck)
    ahead = Lookahead(CONFIG, MATCHER, timeout=0.5)
    with session_scope(sessions) as session:
        ahead.submit(session, after_id=0, limit=8)
    assert ahead._pool is not None
    helpers = list(ahead._pool._processes.values())
    ahead.close()  # the run ends with the helper's batch unclaimed (another worker took it) and unanswered
    assert ahead._pool is None
    assert helpers and all(_ended(helper) for helper in helpers), "the stuck helper process was left running"


def _work_checking_the_collector(*args: Any) -> list[Any]:
    """batch_ahead._work, in the helper, refusing to answer while the cyclic collector is off there."""
    if not gc.isenabled():
        raise RuntimeError("the helper runs with the cyclic collector paused")
    return _REAL_WORK(*args)


_REAL_WORK = batch_ahead._work


def test_the_helper_runs_with_the_cyclic_collector_on(
    sessions: SessionFactory, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helper is forked inside a batch, while the collector is paused there: it must not stay paused
    for the helper's life (its answers would grow memory with any cycle it makes)."""
    store(sessions, stream(ids))
    used = _spy(monkeypatch)
    monkeypatch.setattr(batch_ahead, "_work", _work_checking_the_collector)
    with capture_logs() as logs:
        counts = process_cases(sessions=sessions, config=CONFIG, now=NOW, batch=2, helper=True)
    assert counts.processed == 8
    assert not [e for e in logs if e["event"] == "case.lookahead_failed"]
    assert sum(used) == 6
