"""Places as first-class work: each place of a case has its own reply state and first-reply clock."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import sqlalchemy as sa

from monitor.cases.brands import BrandMatcher
from monitor.cases.case_detail import get_case
from monitor.cases.case_filter import CaseFilter
from monitor.cases.pipeline import process_pending
from monitor.cases.sla import sweep
from monitor.cases.views import list_cases
from monitor.core.db import SessionFactory, session_scope
from monitor.desk.decisions import split_case
from monitor.desk.replies import check_replies, record_reply
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Case, CaseEvent, Event, Mention
from monitor.reports.render import to_csv, to_html, to_json, to_markdown
from monitor.reports.report import coverage_report
from tests.support.clock import NOW
from tests.support.factories import feed_config, raw, synced

# Every priority on round-the-clock time with the same targets: deadlines do not depend on triage or the weekday.
SLA = "sla: {" + ", ".join(f"{p}: {{first_response: 4h, resolution: 2d, calendar: always}}"
                           for p in ("low", "normal", "high", "urgent")) + "}"  # fmt: skip
CONFIG = feed_config({"otzovik": "https://o.example/f", "irecommend": "https://i.example/f",
                      "pikabu": "https://p.example/f"}, extra=SLA)  # fmt: skip
COMPLAINT = "Заказ 4417-220 в Акме не доставлен уже две недели, курьер не отвечает, деньги не вернули."
ANSWER = "Здравствуйте! Нам очень жаль, мы уже разбираемся с доставкой, номер обращения RW-1."


def _post(sessions: SessionFactory, source: str, n: int, at, body: str = COMPLAINT) -> None:
    ids = synced(sessions, CONFIG, NOW)
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id))
        store_mentions(session=session, source_id=ids[source], items=[raw(n, body, url=f"https://{source}.example/{n}")],
                       now=at, brand_id=brand_id, language_hint="ru")  # fmt: skip
        process_pending(session=session, config=CONFIG, matcher=BrandMatcher(CONFIG.brands), now=at)


def _three_places(sessions: SessionFactory) -> tuple[int, list[int]]:
    for n, source in enumerate(("otzovik", "irecommend", "pikabu"), start=1):
        _post(sessions, source, n, NOW)
    with session_scope(sessions) as session:
        case = session.scalars(sa.select(Case)).one()
        return case.id, list(session.scalars(sa.select(Mention.id).order_by(Mention.id)))


def _reply(sessions: SessionFactory, case_id: int, place: int, at, **kw) -> None:
    with session_scope(sessions) as session:
        record_reply(session=session, case_id=case_id, mention_id=place, text=ANSWER, url=None, posted_at=at,
                     closing=False, draft_id=None, verifiable=kw.pop("verifiable", False), actor="anna", now=at,
                     **kw)  # fmt: skip


def test_a_three_place_case_answered_on_one_place_is_one_of_three(sessions: SessionFactory) -> None:
    case_id, places = _three_places(sessions)
    _reply(sessions, case_id, places[0], NOW + timedelta(hours=1))
    with session_scope(sessions) as session:
        detail = get_case(session=session, case_id=case_id)
        assert detail is not None
        row = detail.case
        assert (row.places, row.places_answered, row.places_unanswered) == (3, 1, 2)
        assert row.status == "acknowledged"  # the customer had a first reply somewhere
        states = [(p.reply_state, p.reply_sla) for p in detail.places]
        assert states == [("replied", "met"), ("unanswered", "running"), ("unanswered", "running")]
        assert all(p.reply_due_at == NOW + timedelta(hours=4) for p in detail.places)
        assert row.next_place_due_at == NOW + timedelta(hours=4)
    # Past the deadline, the two unanswered places breach, each with its own event; the answered one does not.
    with session_scope(sessions) as session:
        counts = sweep(session=session, now=NOW + timedelta(hours=5))
        assert (counts.place_breached, counts.place_at_risk) == (2, 0)
        events = list(session.scalars(sa.select(Event).where(Event.kind == "place.sla_breached").order_by(Event.id)))
        assert [e.payload["mention_id"] for e in events] == places[1:]
        assert all(e.payload["case_id"] == case_id and e.payload["brand"] == "acme" for e in events)
        assert all(e.payload["places"] == 3 for e in events)
        timeline = session.scalars(sa.select(CaseEvent.kind).where(CaseEvent.case_id == case_id)).all()
        assert timeline.count("place.sla_breached") == 2
        # a second sweep flips nothing again
        again = sweep(session=session, now=NOW + timedelta(hours=6))
        assert again.place_breached == 0
    # Late replies on the other two are missed, and the case has every place answered.
    _reply(sessions, case_id, places[1], NOW + timedelta(hours=6))
    _reply(sessions, case_id, places[2], NOW + timedelta(hours=6))
    with session_scope(sessions) as session:
        detail = get_case(session=session, case_id=case_id)
        assert [p.reply_sla for p in detail.places] == ["met", "missed", "missed"]
        assert (detail.case.places_answered, detail.case.places_unanswered) == (3, 0)
        assert detail.case.next_place_due_at is None


def test_a_cross_post_found_later_gets_its_own_clock_from_when_it_was_found(sessions: SessionFactory) -> None:
    _post(sessions, "otzovik", 1, NOW)
    later = NOW + timedelta(hours=3, minutes=30)
    _post(sessions, "irecommend", 2, later)
    with session_scope(sessions) as session:
        case = session.scalars(sa.select(Case)).one()
        places = list(session.scalars(sa.select(Mention).order_by(Mention.id)))
        assert [p.case_id for p in places] == [case.id, case.id]
        assert places[0].place_due_at == NOW + timedelta(hours=4)
        assert places[1].place_since == later
        assert places[1].place_due_at == later + timedelta(hours=4)
        # A sweep after the first place's deadline breaches it, not the one found later (only at risk).
        counts = sweep(session=session, now=NOW + timedelta(hours=5))
        assert (counts.place_breached, counts.place_at_risk) == (1, 0)
        counts = sweep(session=session, now=later + timedelta(hours=3, minutes=1))
        assert counts.place_at_risk == 1
        session.refresh(places[1])
        assert places[1].place_sla == "at_risk"


def test_the_queue_filters_and_sorts_by_unanswered_places(sessions: SessionFactory) -> None:
    case_id, places = _three_places(sessions)
    _post(sessions, "otzovik", 9, NOW, body="Акме: в магазине на Ленина грубый охранник выгнал меня без причины.")
    _reply(sessions, case_id, places[0], NOW + timedelta(minutes=30))
    with session_scope(sessions) as session:
        other = session.scalar(sa.select(Case.id).where(Case.id != case_id))
        by_waiting = list_cases(session=session, filters=CaseFilter(status=("open",)), sort="unanswered_places")
        assert [(r.id, r.places_unanswered) for r in by_waiting] == [(case_id, 2), (other, 1)]
        # keyset paging in that order: the second page starts after the first row
        page2 = list_cases(session=session, filters=CaseFilter(), sort="unanswered_places", after=(2, case_id))
        assert [r.id for r in page2] == [other]
    _reply(sessions, other, max(places) + 1, NOW + timedelta(minutes=40))
    with session_scope(sessions) as session:
        waiting = list_cases(session=session, filters=CaseFilter(unanswered_places=True))
        assert [r.id for r in waiting] == [case_id]
        sweep(session=session, now=NOW + timedelta(hours=5))
        breached = list_cases(session=session, filters=CaseFilter(place_sla="breached"))
        assert [r.id for r in breached] == [case_id]


def test_verification_and_disappearance_move_the_place(sessions: SessionFactory) -> None:
    case_id, places = _three_places(sessions)
    _reply(sessions, case_id, places[0], NOW + timedelta(minutes=10), verifiable=True)
    with session_scope(sessions) as session:
        check_replies(session=session, mention_id=places[0], seen=[ANSWER], now=NOW + timedelta(minutes=20))
    with session_scope(sessions) as session:
        assert session.get(Mention, places[0]).place_state == "verified"
        assert session.get(Case, case_id).places_unanswered == 2
        check_replies(session=session, mention_id=places[0], seen=[], now=NOW + timedelta(minutes=30))
    with session_scope(sessions) as session:
        assert session.get(Mention, places[0]).place_state == "disappeared"
        assert session.get(Case, case_id).places_unanswered == 3  # it needs a reply again


def test_split_and_dismiss_keep_the_counts_and_stop_the_clocks(sessions: SessionFactory) -> None:
    from monitor.cases.lifecycle import CaseChange, change_case, desk_rules

    case_id, places = _three_places(sessions)
    _reply(sessions, case_id, places[0], NOW + timedelta(minutes=10))
    with session_scope(sessions) as session:
        new = split_case(session=session, case_id=case_id, mention_ids=[places[2]], actor="lead", now=NOW,
                         config=CONFIG)  # fmt: skip
        new_id = new.id
    with session_scope(sessions) as session:
        assert session.get(Case, case_id).places_unanswered == 1
        assert session.get(Case, new_id).places_unanswered == 1
        change_case(session=session, rules=desk_rules(CONFIG), case_id=new_id,
                    change=CaseChange(status="dismissed", dismissed_reason="spam"), actor="lead", role="lead",
                    now=NOW)  # fmt: skip
    with session_scope(sessions) as session:
        assert session.get(Mention, places[2]).place_sla == "stopped"
        assert sweep(session=session, now=NOW + timedelta(hours=5)).place_breached == 1  # only the kept case's


def test_the_report_counts_places_not_only_cases(sessions: SessionFactory) -> None:
    case_id, places = _three_places(sessions)
    _reply(sessions, case_id, places[0], NOW + timedelta(hours=1))
    with session_scope(sessions) as session:
        report = coverage_report(session=session, period_from=NOW - timedelta(days=1), period_to=NOW + timedelta(days=1),
                                 now=NOW + timedelta(hours=2))  # fmt: skip
        assert report.overall.cases == 1 and report.overall.response_met == 1
        p = report.places
        assert (p.places, p.answered, p.waiting, p.due, p.met, p.not_yet_due) == (3, 1, 2, 1, 1, 2)
        sweep(session=session, now=NOW + timedelta(hours=5))
        report = coverage_report(session=session, period_from=NOW - timedelta(days=1), period_to=NOW + timedelta(days=1),
                                 now=NOW + timedelta(hours=5))  # fmt: skip
        assert (report.places.due, report.places.met, report.places.share) == (3, 1, 1 / 3)
    summary = to_markdown(report)
    assert "Places (each needs its own reply): 1 of 3 answered; first reply within deadline: 33% of 3 due" in summary
    assert "Promises made: 0" in summary
    assert to_json(report)["places"]["waiting"] == 2 and "places answered" in to_html(report)
    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert ["places", "3", "1", "2", "3", "1", "0.3333", "0"] in rows and ["promises", "0", "0", "0", "0", ""] in rows
