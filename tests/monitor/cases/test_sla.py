from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from monitor.cases.sla import apply_deadlines, clock_after_reply, sweep
from monitor.config.business_hours import BusinessCalendar, BusinessHoursConfig
from monitor.config.sla import SlaConfig, parse_span
from monitor.core.db import SessionFactory, session_scope
from monitor.models import Brand, Case, CaseEvent, Event
from tests.support.clock import NOW
from tests.support.factories import feed_config, synced

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
