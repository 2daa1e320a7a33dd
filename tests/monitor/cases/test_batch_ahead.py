"""The next batch's text work in a helper process (monitor.cases.batch_ahead): used where it fits, never needed."""

from __future__ import annotations

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
    store(sessions, stream(ids))
    process_cases(sessions=sessions, config=CONFIG, now=NOW, batch=2, helper=False)
    alone = outcome(sessions)
    reset(sessions)
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
    store(sessions, stream(ids))
    process_cases(sessions=sessions, config=CONFIG, now=NOW, batch=2, helper=False)
    alone = outcome(sessions)
    reset(sessions)

    def broken(*args: object) -> list[object]:
        raise RuntimeError("the helper crashed")

    monkeypatch.setattr(batch_ahead, "_work", broken)  # the forked helper inherits it
    with capture_logs() as logs:
        counts = process_cases(sessions=sessions, config=CONFIG, now=NOW, batch=2, helper=True)
    assert counts.processed == 8 and counts.failed == 0
    assert outcome(sessions) == alone
    assert "case.lookahead_failed" in [e["event"] for e in logs]
