"""Replies: recording stops the clocks and moves the case; polls verify them; the sweep ages unseen ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.cases.brands import BrandMatcher
from monitor.cases.lifecycle import CaseError
from monitor.cases.pipeline import process_pending
from monitor.core.db import SessionFactory, session_scope
from monitor.core.errors import NotFound
from monitor.desk.replies import check_replies, record_reply, sweep_unverified
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Case, Event, Mention
from monitor.models.desk import Reply
from monitor.worker.jobs import hand_on
from tests.support.clock import NOW
from tests.support.factories import feed_config, raw, synced

CONFIG = feed_config({"board": "https://board.example/f"})
ANSWER = "Здравствуйте, Иван! Нам очень жаль. Мы уже связались со службой доставки, номер обращения RW-1."


@pytest.fixture
def case_and_place(sessions: SessionFactory) -> tuple[int, int]:
    ids = synced(sessions, CONFIG, NOW)
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id))
        store_mentions(session=session, source_id=ids["board"], items=[raw(1, "Заказ Acme не пришел, курьер молчит")],
                       now=NOW, brand_id=brand_id, language_hint="ru")  # fmt: skip
        process_pending(session=session, config=CONFIG, matcher=BrandMatcher(CONFIG.brands), now=NOW)
        case = session.scalars(sa.select(Case)).one()
        return case.id, session.scalar(sa.select(Mention.id))


def record(sessions: SessionFactory, case_id: int, place: int, *, at=NOW, closing=False, verifiable=True) -> int:
    with session_scope(sessions) as session:
        reply = record_reply(session=session, case_id=case_id, mention_id=place, text=ANSWER, url="https://b/1#r",
                             posted_at=at, closing=closing, draft_id=None, verifiable=verifiable, actor="anna",
                             now=at)  # fmt: skip
        return reply.id


def test_the_first_reply_meets_or_misses_the_deadline(sessions: SessionFactory, case_and_place) -> None:
    case_id, place = case_and_place
    with session_scope(sessions) as session:
        due = session.get(Case, case_id).response_due_at
    record(sessions, case_id, place, at=due + timedelta(minutes=1))
    with session_scope(sessions) as session:
        case = session.get(Case, case_id)
        assert (case.status, case.response_sla, case.resolution_sla) == ("acknowledged", "missed", "running")
    record(sessions, case_id, place, at=due + timedelta(minutes=2), closing=True)
    with session_scope(sessions) as session:
        case = session.get(Case, case_id)
        assert (case.status, case.resolution_sla) == ("resolved", "met")
        kinds = [r.kind for r in session.scalars(sa.select(Reply).order_by(Reply.id))]
        assert kinds == ["first", "closing"]


def test_a_reply_on_another_case_or_in_the_future_is_refused(sessions: SessionFactory, case_and_place) -> None:
    case_id, place = case_and_place
    with pytest.raises(CaseError, match="in the future"), session_scope(sessions) as session:
        record_reply(session=session, case_id=case_id, mention_id=place, text="x", url=None,
                     posted_at=NOW + timedelta(hours=1), closing=False, draft_id=None, verifiable=False,
                     actor="anna", now=NOW)  # fmt: skip
    with pytest.raises(CaseError, match="not a place of case"), session_scope(sessions) as session:
        record_reply(session=session, case_id=case_id, mention_id=place + 999, text="x", url=None, posted_at=NOW,
                     closing=False, draft_id=None, verifiable=False, actor="anna", now=NOW)  # fmt: skip
    with pytest.raises(NotFound), session_scope(sessions) as session:
        record_reply(session=session, case_id=999999, mention_id=place, text="x", url=None, posted_at=NOW,
                     closing=False, draft_id=None, verifiable=False, actor="anna", now=NOW)  # fmt: skip


def test_polls_verify_replies_and_notice_when_one_disappears(sessions: SessionFactory, case_and_place) -> None:
    case_id, place = case_and_place
    reply_id = record(sessions, case_id, place)
    page = "Здравствуйте,   Иван!\nНам очень жаль. Мы уже связались со службой доставки, номер обращения RW-1. 🙂"
    with session_scope(sessions) as session:
        assert check_replies(session=session, mention_id=place, seen=["Другой ответ", "  "], now=NOW) == 0
        assert session.get(Reply, reply_id).verify_state == "pending"
        assert check_replies(session=session, mention_id=place, seen=[page], now=NOW) == 1
        assert session.get(Reply, reply_id).verify_state == "verified"
        assert check_replies(session=session, mention_id=place, seen=[page], now=NOW) == 0  # seen again: no change
        assert check_replies(session=session, mention_id=place, seen=[], now=NOW + timedelta(hours=1)) == 1
        assert session.get(Reply, reply_id).verify_state == "disappeared"
        events = session.scalars(sa.select(Event.kind).where(Event.kind.like("reply.%"))).all()
        assert events == ["reply.disappeared"]


def test_a_reply_never_seen_in_time_becomes_unverified_once(sessions: SessionFactory, case_and_place) -> None:
    case_id, place = case_and_place
    reply_id = record(sessions, case_id, place)
    unseen = record(sessions, case_id, place, verifiable=False)  # a source without replies: nothing to wait for
    with session_scope(sessions) as session:
        assert sweep_unverified(session=session, verify_within=timedelta(hours=2), now=NOW + timedelta(hours=1)) == 0
        assert sweep_unverified(session=session, verify_within=timedelta(hours=2), now=NOW + timedelta(hours=2)) == 1
        assert sweep_unverified(session=session, verify_within=timedelta(hours=2), now=NOW + timedelta(hours=3)) == 0
        assert session.get(Reply, reply_id).verify_state == "unverified"
        assert session.get(Reply, unseen).verify_state == "unverifiable"
        payload = session.scalars(sa.select(Event.payload).where(Event.kind == "reply.unverified")).one()
        assert (payload["reply_id"], payload["brand"], payload["case_id"]) == (reply_id, "acme", case_id)
        # seen late, it still counts as verified
        check_replies(session=session, mention_id=place, seen=[ANSWER], now=NOW + timedelta(hours=4))
        assert session.get(Reply, reply_id).verify_state == "verified"


def test_a_source_that_stops_showing_replies_does_not_make_ours_disappear(
    sessions: SessionFactory, case_and_place
) -> None:
    """Replies are checked only on polls of a source with a reply selector: `replies=None` says it has none."""
    case_id, place = case_and_place
    reply_id = record(sessions, case_id, place)
    with session_scope(sessions) as session:
        source_id = session.get(Mention, place).source_id
        brand_id = session.scalar(sa.select(Brand.id))
    body = "Заказ Acme не пришел, курьер молчит"
    for at, replies, state in ((1, (ANSWER,), "verified"), (2, None, "verified"), (3, (), "disappeared")):
        with session_scope(sessions) as session:
            stored = store_mentions(session=session, source_id=source_id, items=[raw(1, body, replies=replies)],
                                    now=NOW + timedelta(hours=at), brand_id=brand_id, language_hint="ru")  # fmt: skip
            hand_on(session=session, stored=stored, now=NOW + timedelta(hours=at))
        with session_scope(sessions) as session:
            assert session.get(Reply, reply_id).verify_state == state, (at, replies)
            assert session.get(Mention, place).replies == ([ANSWER] if at < 3 else [])
