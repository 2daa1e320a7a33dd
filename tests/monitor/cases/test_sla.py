from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from monitor.cases.brands import BrandMatcher
from monitor.cases.pipeline import process_pending
from monitor.cases.sla import apply_deadlines, clock_after_reply, sweep
from monitor.config import parse_config
from monitor.config.business_hours import BusinessCalendar, BusinessHoursConfig
from monitor.config.sla import SlaConfig, parse_span
from monitor.core.db import SessionFactory, session_scope
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Case, CaseEvent, Event
from tests.support.api import SAFETY
from tests.support.clock import NOW
from tests.support.factories import feed_config, raw, synced

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessCalendar(
    BusinessHoursConfig.model_validate({"hours": {d: "09:00-13:00, 14:00-18:00" for d in ("mon", "tue", "wed",
                                                                                       "thu", "fri")}}),
    zone="Europe/Berlin",
    country="DE",
)  # fmt: skip


def test_deadlines_on_business_hours() -> None:
    friday = datetime(2026, 11, 27, 17, 0, tzinfo=BERLIN)
    case = Case(brand_id=1, opened_at=friday, updated_at=friday, last_mention_at=friday, priority="normal")
    apply_deadlines(case=case, calendar=OFFICE, sla=SlaConfig(), now=friday)
    # normal: first reply in 4 business hours (1 on Friday, 3 on Monday), resolution in 3 working days
    assert case.response_due_at == datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN)
    assert case.response_risk_at == datetime(2026, 11, 30, 11, 0, tzinfo=BERLIN)  # 75% of 4h
    assert case.resolution_due_at == datetime(2026, 12, 2, 17, 0, tzinfo=BERLIN)  # 24h: Fri 1, Mon 8, Tue 8, Wed 7
    case.priority = "urgent"
    apply_deadlines(case=case, calendar=OFFICE, sla=SlaConfig(), now=friday)
    assert case.response_due_at == datetime(2026, 11, 27, 18, 0, tzinfo=BERLIN)


def test_a_later_deadline_sets_a_flipped_clock_running_again() -> None:
    opened = datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN)
    case = Case(brand_id=1, opened_at=opened, updated_at=opened, last_mention_at=opened, priority="urgent",
                response_sla="breached")  # fmt: skip
    case.priority = "low"  # 1 working day: due 25 Nov 09:00, at risk 24 Nov 15:00
    apply_deadlines(case=case, calendar=OFFICE, sla=SlaConfig(), now=opened + timedelta(hours=2))
    assert case.response_sla == "running"
    case.response_sla = "at_risk"
    apply_deadlines(case=case, calendar=OFFICE, sla=SlaConfig(), now=opened + timedelta(hours=7))
    assert case.response_sla == "at_risk"  # past the new risk mark: the sweep moves it on


def test_clock_after_reply() -> None:
    due = datetime(2026, 11, 24, 12, 0, tzinfo=BERLIN)
    assert clock_after_reply("running", due, due) == "met"
    assert clock_after_reply("breached", due, due + timedelta(seconds=1)) == "missed"
    assert clock_after_reply("stopped", due, due) == "stopped"


@pytest.mark.parametrize("value", ["", "0h", "4 hours", "-1h", "1w"])
def test_bad_sla_values_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match=r"business time"):
        SlaConfig.model_validate({"urgent": {"first_response": value, "resolution": "1d"}})


def test_span_parsing() -> None:
    assert str(parse_span("1d4h30m")) == "1d4h30m"
    assert parse_span("90m").time == timedelta(minutes=90)
    assert parse_span("0.5d").on(OFFICE) == timedelta(hours=4)


def _cases(sessions: SessionFactory, marks: list[tuple[timedelta, timedelta]]) -> list[int]:
    """Cases whose first-reply clock is at risk / due at NOW + the given offsets."""
    ids = []
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id))
        for risk, due in marks:
            case = Case(brand_id=brand_id, opened_at=NOW - timedelta(hours=3), updated_at=NOW, last_mention_at=NOW,
                        response_risk_at=NOW + risk, response_due_at=NOW + due,
                        resolution_risk_at=NOW + timedelta(days=2), resolution_due_at=NOW + timedelta(days=3))  # fmt: skip
            session.add(case)
            session.flush()
            ids.append(case.id)
    return ids


def _states(sessions: SessionFactory) -> dict[int, str]:
    with session_scope(sessions) as session:
        return dict(session.execute(sa.select(Case.id, Case.response_sla)).all())


def test_the_sweep_flips_each_clock_once_with_one_event(sessions: SessionFactory) -> None:
    synced(sessions, feed_config({"a": "https://a.example/f"}), NOW)
    ok, risky, late = _cases(sessions, [(timedelta(hours=1), timedelta(hours=2)),
                                        (timedelta(minutes=-5), timedelta(hours=1)),
                                        (timedelta(hours=-2), timedelta(minutes=-1))])  # fmt: skip
    with session_scope(sessions) as session:
        counts = sweep(session=session, now=NOW)
    assert (counts.at_risk, counts.breached) == (1, 1)
    assert _states(sessions) == {ok: "running", risky: "at_risk", late: "breached"}
    with session_scope(sessions) as session:
        assert sweep(session=session, now=NOW).cases == []  # nothing flips twice
        events = session.execute(sa.select(Event.kind, Event.payload)).all()
        assert sorted(k for k, _ in events) == ["case.sla_at_risk", "case.sla_breached"]
        payload = next(p for k, p in events if k == "case.sla_breached")
        assert (payload["case_id"], payload["brand"], payload["clock"]) == (late, "acme", "response")
        kinds = session.scalars(sa.select(CaseEvent.kind).where(CaseEvent.case_id == late)).all()
        assert kinds == ["sla.breached"]
    with session_scope(sessions) as session:
        sweep(session=session, now=NOW + timedelta(hours=2))
    assert _states(sessions) == {ok: "breached", risky: "breached", late: "breached"}


def test_two_sweeps_at_once_never_flip_a_case_twice(sessions: SessionFactory) -> None:
    synced(sessions, feed_config({"a": "https://a.example/f"}), NOW)
    _cases(sessions, [(timedelta(hours=-2), timedelta(minutes=-1))] * 40)
    barrier = threading.Barrier(2)
    flipped: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            with session_scope(sessions) as session:
                flipped.extend(sweep(session=session, now=NOW).cases)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(flipped) == sorted(set(flipped)) and len(flipped) == 40
    with session_scope(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Event)) == 40


ROUND_THE_CLOCK = parse_config(
    """
brands:
  - {key: acme, name: Acme, country: DE, timezone: Europe/Berlin}
sla:
  urgent: {first_response: 1h, resolution: 1d, calendar: always}
  high: {first_response: 2h, resolution: 2d, calendar: weekend_shift}
  calendars:
    weekend_shift: {hours: {sat: "10:00-16:00", sun: "10:00-16:00"}, public_holidays: false}
sources:
  - {key: board, kind: feed, url: 'https://board.example/f', interval: 15m, brand: acme}
""",
    env={},
)


def test_an_urgent_case_on_friday_night_is_due_that_night_and_swept_on_time(sessions: SessionFactory) -> None:
    friday_night = datetime(2026, 11, 27, 22, 30, tzinfo=BERLIN)
    ids = synced(sessions, ROUND_THE_CLOCK, friday_night)
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id))
        store_mentions(session=session, source_id=ids["board"], items=[raw(1, SAFETY, title="Kettle")],
                       now=friday_night, brand_id=brand_id, language_hint=None)  # fmt: skip
        process_pending(session=session, config=ROUND_THE_CLOCK, matcher=BrandMatcher(ROUND_THE_CLOCK.brands),
                        now=friday_night)  # fmt: skip
        case = session.scalars(sa.select(Case)).one()
        assert case.priority == "urgent", case.priority_reasons
        # One hour of round-the-clock time, not Monday 10:00; the resolution day is 24 hours.
        assert case.response_due_at == datetime(2026, 11, 27, 23, 30, tzinfo=BERLIN)
        assert case.response_risk_at == datetime(2026, 11, 27, 23, 15, tzinfo=BERLIN)
        assert case.resolution_due_at == datetime(2026, 11, 28, 22, 30, tzinfo=BERLIN)
        case_id = case.id
    with session_scope(sessions) as session:
        assert sweep(session=session, now=datetime(2026, 11, 27, 23, 14, tzinfo=BERLIN)).cases == []
        assert sweep(session=session, now=datetime(2026, 11, 27, 23, 16, tzinfo=BERLIN)).at_risk == 1
        assert sweep(session=session, now=datetime(2026, 11, 27, 23, 31, tzinfo=BERLIN)).breached == 1
    with session_scope(sessions) as session:
        case = session.get(Case, case_id)
        assert (case.response_sla, case.resolution_sla) == ("breached", "running")
        payload = session.scalars(sa.select(Event.payload).where(Event.kind == "case.sla_breached")).one()
        assert payload["due_at"].startswith("2026-11-27T22:30")  # UTC


def test_each_priority_counts_its_own_calendar() -> None:
    friday = datetime(2026, 11, 27, 17, 0, tzinfo=BERLIN)
    case = Case(brand_id=1, opened_at=friday, updated_at=friday, last_mention_at=friday, priority="high")
    sla = ROUND_THE_CLOCK.sla
    apply_deadlines(case=case, calendar=ROUND_THE_CLOCK.calendar("acme", sla.calendar_of("high")), sla=sla, now=friday)
    assert case.response_due_at == datetime(2026, 11, 28, 12, 0, tzinfo=BERLIN)  # the weekend shift, Saturday
    case.priority = "normal"  # the brand's business hours, as before: Monday
    apply_deadlines(case=case, calendar=ROUND_THE_CLOCK.calendar("acme", sla.calendar_of("normal")), sla=sla,
                    now=friday)  # fmt: skip
    assert case.response_due_at == datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN)  # 1h on Friday, 3h on Monday


@pytest.mark.parametrize(
    ("sla", "message"),
    [
        ({"urgent": {"first_response": "1h", "resolution": "1d", "calendar": "night"}},
         "sla.urgent.calendar: 'night' is not a calendar (known: business, always"),
        ({"calendars": {"always": {"hours": {"sun": "10:00-12:00"}}}}, "sla.calendars.always: 'always' is built in"),
    ],
)  # fmt: skip
def test_an_unknown_calendar_is_refused(sla: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        SlaConfig.model_validate(sla)


def test_the_database_writes_the_flip_records_as_python_did(sessions: SessionFactory) -> None:
    """The entries and events come from INSERT … SELECT (monitor.cases.flips): their JSON must hold what
    Python wrote before, a deadline as datetime.isoformat() with and without microseconds."""
    synced(sessions, feed_config({"a": "https://a.example/f"}), NOW)
    late = _cases(sessions, [(timedelta(hours=-2), timedelta(minutes=-1)),
                             (timedelta(hours=-2), timedelta(minutes=-3, microseconds=-250))])  # fmt: skip
    with session_scope(sessions) as session:
        session.execute(sa.update(Case).where(Case.id.in_(late)).values(priority="high"))
        sweep(session=session, now=NOW)
    with session_scope(sessions) as session:
        for case_id in late:
            due = session.scalar(sa.select(Case.response_due_at).where(Case.id == case_id))
            assert due is not None
            data = {"clock": "response", "due_at": due.isoformat(), "priority": "high"}
            entry = session.execute(sa.select(CaseEvent.kind, CaseEvent.actor, CaseEvent.at, CaseEvent.mention_id,
                                              CaseEvent.data).where(CaseEvent.case_id == case_id)).one()  # fmt: skip
            assert tuple(entry) == ("sla.breached", "system", NOW, None, data)
            event = session.execute(sa.select(Event.subject, Event.payload, Event.created_at)
                                    .where(Event.payload["case_id"].as_integer() == case_id)).one()  # fmt: skip
            assert tuple(event) == (f"case:{case_id}", {"case_id": case_id, "brand": "acme", **data}, NOW)
        dues = [d.isoformat() for d in session.scalars(sa.select(Case.response_due_at).order_by(Case.id))]
        assert dues[1].endswith(".999750+00:00") and "." not in dues[0]  # both forms were written
