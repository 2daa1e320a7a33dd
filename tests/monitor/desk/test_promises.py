"""Promises: the date a reply gives is recorded, tracked on the calendar, warned before it lapses, kept or broken."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.cases.brands import BrandMatcher
from monitor.cases.lifecycle import desk_rules
from monitor.cases.pipeline import process_pending
from monitor.core.db import SessionFactory, session_scope
from monitor.core.errors import DomainError
from monitor.desk.drafts import create_draft, edit_draft
from monitor.desk.promise_phrases import find_promise
from monitor.desk.promising import set_promise
from monitor.desk.replies import record_reply
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Case, Event, Mention, Promise
from monitor.models.desk import Draft
from monitor.reports.report import coverage_report
from monitor.worker.jobs import sweep_sla
from tests.support.clock import NOW
from tests.support.factories import feed_config, raw, synced

# Round-the-clock time: "two working days" is 48 hours, whatever the weekday.
SLA = "sla: {" + ", ".join(f"{p}: {{first_response: 4h, resolution: 2d, calendar: always}}"
                           for p in ("low", "normal", "high", "urgent")) + "}"  # fmt: skip
CONFIG = feed_config({"otzovik": "https://o.example/f", "pikabu": "https://p.example/f"}, extra=SLA)
RULES = desk_rules(CONFIG)
PROMISING = "Здравствуйте! Мы разбираемся и рассчитываем решить вопрос в течение двух рабочих дней. RW-1"


def _post(sessions: SessionFactory, source: str, n: int) -> None:
    ids = synced(sessions, CONFIG, NOW)
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id))
        store_mentions(session=session, source_id=ids[source], items=[raw(n, "Заказ Акме не пришёл, курьер молчит")],
                       now=NOW, brand_id=brand_id, language_hint="ru")  # fmt: skip
        process_pending(session=session, config=CONFIG, matcher=BrandMatcher(CONFIG.brands), now=NOW)


@pytest.fixture
def case_place(sessions: SessionFactory) -> tuple[int, int]:
    _post(sessions, "otzovik", 1)
    with session_scope(sessions) as session:
        return session.scalar(sa.select(Case.id)), session.scalar(sa.select(Mention.id))


def _reply(sessions, case_id, place, at, text=PROMISING, **kw):
    with session_scope(sessions) as session:
        return record_reply(session=session, case_id=case_id, mention_id=place, text=text, url=None, posted_at=at,
                            closing=kw.pop("closing", False), draft_id=kw.pop("draft_id", None), verifiable=False,
                            actor="anna", now=at, rules=RULES, **kw).id  # fmt: skip


def _promises(sessions) -> list[Promise]:
    with session_scope(sessions) as session:
        return list(session.scalars(sa.select(Promise).order_by(Promise.id)))


def test_a_reply_with_a_time_phrase_makes_a_promise_on_the_calendar(sessions, case_place) -> None:
    case_id, place = case_place
    _reply(sessions, case_id, place, NOW + timedelta(hours=1))
    [promise] = _promises(sessions)
    assert (promise.state, promise.origin, promise.phrase) == ("open", "phrase", "в течение двух рабочих дней")
    assert promise.due_at == NOW + timedelta(hours=49)  # two 24-hour days of the `always` calendar
    assert promise.risk_at == NOW + timedelta(hours=1 + 36)  # 75% of its time
    assert promise.mention_id == place


def test_a_promise_that_lapses_is_warned_offered_an_interim_draft_then_broken(sessions, case_place) -> None:
    case_id, place = case_place
    _reply(sessions, case_id, place, NOW)
    sweep_sla(sessions=sessions, config=CONFIG, now=NOW + timedelta(hours=37))
    with session_scope(sessions) as session:
        promise = session.scalars(sa.select(Promise)).one()
        assert promise.state == "at_risk"
        [event] = session.scalars(sa.select(Event).where(Event.kind == "case.promise_at_risk")).all()
        assert event.payload["case_id"] == case_id and event.payload["brand"] == "acme"
        draft = session.get(Draft, promise.interim_draft_id)
        assert draft is not None and draft.kind == "update" and draft.language == "ru"
        # the new date: the old one plus the promise's own length again
        assert draft.promised_at == NOW + timedelta(hours=96)
        assert "всё ещё занимаемся" in draft.text and draft.promised_at.date().isoformat() in draft.text
    # A second sweep offers no second draft.
    sweep_sla(sessions=sessions, config=CONFIG, now=NOW + timedelta(hours=38))
    sweep_sla(sessions=sessions, config=CONFIG, now=NOW + timedelta(hours=49))
    with session_scope(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 1
        promise = session.scalars(sa.select(Promise)).one()
        assert (promise.state, promise.settled_by) == ("broken", "lapsed")
        assert session.scalar(sa.select(sa.func.count()).where(Event.kind == "case.promise_broken")) == 1


def test_publishing_the_interim_draft_keeps_the_promise_and_makes_the_new_one(sessions, case_place) -> None:
    case_id, place = case_place
    _reply(sessions, case_id, place, NOW)
    sweep_sla(sessions=sessions, config=CONFIG, now=NOW + timedelta(hours=40))
    with session_scope(sessions) as session:
        draft_id = session.scalar(sa.select(Draft.id))
        edit_draft(session=session, draft_id=draft_id, text=None, state="approved", version=None, actor="lead",
                   role="lead", now=NOW + timedelta(hours=41))  # fmt: skip
    _reply(sessions, case_id, place, NOW + timedelta(hours=42), text=None, draft_id=draft_id)
    old, new = _promises(sessions)
    assert (old.state, old.settled_by) == ("kept", "reply")
    assert (new.state, new.origin, new.due_at) == ("open", "draft", NOW + timedelta(hours=96))


def test_a_resolution_before_the_date_keeps_every_promise(sessions, case_place) -> None:
    case_id, place = case_place
    _reply(sessions, case_id, place, NOW)
    _reply(sessions, case_id, place, NOW + timedelta(hours=20), text="Мы вернули деньги. RW-1", closing=True)
    [promise] = _promises(sessions)
    assert (promise.state, promise.settled_by) == ("kept", "resolution")
    with session_scope(sessions) as session:
        report = coverage_report(session=session, period_from=NOW - timedelta(days=1), period_to=NOW + timedelta(days=3),
                                 now=NOW + timedelta(days=3))  # fmt: skip
        assert (report.promises.made, report.promises.kept, report.promises.broken) == (1, 1, 0)


def test_a_reply_on_another_place_does_not_keep_the_promise(sessions, case_place) -> None:
    case_id, place = case_place
    _post(sessions, "pikabu", 2)
    with session_scope(sessions) as session:
        other = session.scalar(sa.select(Mention.id).where(Mention.id != place))
        assert session.get(Mention, other).case_id == case_id
    _reply(sessions, case_id, place, NOW)
    _reply(sessions, case_id, other, NOW + timedelta(hours=1), text="Мы на связи. RW-1")
    [promise] = _promises(sessions)
    assert promise.state == "open"


def test_staff_set_a_promise_and_bad_dates_are_refused(sessions, case_place) -> None:
    case_id, place = case_place
    with session_scope(sessions) as session:
        promise = set_promise(session=session, rules=RULES, case_id=case_id, due_at=NOW + timedelta(hours=8),
                              mention_id=None, actor="lead", now=NOW)  # fmt: skip
        assert (promise.origin, promise.risk_at) == ("staff", NOW + timedelta(hours=6))
    for due, mention, match in ((NOW - timedelta(hours=1), None, "not in the future"),
                                (NOW.replace(tzinfo=None), None, "time zone"),
                                (NOW + timedelta(hours=1), place + 999, "not a place")):  # fmt: skip
        with pytest.raises(DomainError, match=match), session_scope(sessions) as session:
            set_promise(session=session, rules=RULES, case_id=case_id, due_at=due, mention_id=mention, actor="lead",
                        now=NOW)  # fmt: skip


def test_a_first_draft_s_phrase_is_the_promise_it_makes(sessions, case_place) -> None:
    case_id, place = case_place
    with session_scope(sessions) as session:
        draft = create_draft(session=session, rules=RULES, case_id=case_id, mention_id=place, closing=False,
                             summary=None, language=None, actor="anna", now=NOW)  # fmt: skip
        text = draft.text
    found = find_promise(text)
    assert found is not None and found.language == "ru"
    _reply(sessions, case_id, place, NOW, text=text)
    [promise] = _promises(sessions)
    assert promise.phrase == found.phrase


@pytest.mark.parametrize(("text", "days", "hours"), [
    ("We expect to resolve it within two working days.", 2, 0),
    ("Мы рассчитываем решить вопрос в течение 21 рабочего дня.", 21, 0),
    ("Ми розраховуємо вирішити питання протягом трьох робочих днів.", 3, 0),
    ("Мы разлічваем вырашыць пытанне на працягу чатырох гадзін.", 0, 4),
    ("Նախատեսում ենք հարցը լուծել երկու աշխատանքային օրվա ընթացքում։", 2, 0),
    ("Wir melden uns innerhalb eines Werktages.", 1, 0),
    ("WITHIN   AN\nHOUR!", 0, 1),
])  # fmt: skip
def test_phrases_are_read_in_every_language(text: str, days: int, hours: int) -> None:
    found = find_promise(text)
    assert found is not None and (found.days, found.hours) == (days, hours)


@pytest.mark.parametrize("text", ["", "no promise here", "within 24 hoursmore", "в течение двух", "x" * 100_000,
                                  "within two working days"[::-1], "\x00\ud800 within"])  # fmt: skip
def test_no_phrase_no_promise(text: str) -> None:
    assert find_promise(text) is None
