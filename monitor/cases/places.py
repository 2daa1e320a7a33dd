"""Places as first-class work: every place of a case (a mention on one site) needs its own public reply.

A place's reply state (`mention.place_state`):

    unanswered ──a reply recorded on it──► replied ──seen on the page──► verified
         ▲                                                                  │
         └────────────── (needs a reply again) ◄── disappeared ◄────────────┘  seen, then gone

`places_unanswered` on the case counts its places that are unanswered or disappeared: the queue
filters and sorts by it. Answered = replied or verified.

Each place has its own first-reply clock, in the states of the case's (monitor.cases.sla):
running → at_risk → breached, stopped by the first reply on that place as met or missed. It
counts the priority's first-response time on the priority's calendar from when the place came
into the case (`place_since`): the case's opening for the post that opened it, and for a cross-post
found later, when it was found, so it is not overdue the moment it joins. A reply on one place
stops only that place's clock; the case's own first-response clock still records the first reply
to the customer anywhere (and moves a new case to acknowledged), but the case is neither
answered nor met for the places it has not answered. Place clocks stop while the case is
dismissed or closed and run again when it is restored or reopened; the sweep raises
`place.sla_breached` for each place that passes its deadline unanswered.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases import flips
from monitor.config.business_hours import BusinessCalendar
from monitor.config.sla import SlaConfig
from monitor.models import Brand, Case, Mention
from monitor.models.desk import Reply

__all__ = [
    "ANSWERED",
    "NEEDS_REPLY",
    "add_place",
    "answer_place",
    "place_deadlines",
    "recount_places",
    "reply_seen",
    "restart_places",
    "stop_places",
    "sweep_places",
]

NEEDS_REPLY = ("unanswered", "disappeared")
ANSWERED = ("replied", "verified")
OPEN_CLOCK = ("running", "at_risk", "breached")


def add_place(case: Case, mention: Mention, since: datetime) -> None:
    """The mention becomes a place of `case`, unanswered, its clock from `since` (deadlines: `place_deadlines`)."""
    if mention.place_state is None:
        mention.place_state, mention.place_since, mention.place_sla = "unanswered", since, "running"
        mention.place_due_at = mention.place_risk_at = None
    if mention.place_state in NEEDS_REPLY:
        case.places_unanswered = (case.places_unanswered or 0) + 1


def place_deadlines(
    *, session: Session, case: Case, calendar: BusinessCalendar, sla: SlaConfig, now: datetime, every: bool
) -> None:
    """Deadlines for the case's places without one, or (`every`: its priority changed) for all of them.

    As for the case's clocks, a deadline moved into the future sets an at-risk or breached clock back
    to running; one moved into the past is left for the sweep, so each flip is seen once, as an event.
    """
    span = sla.targets(case.priority).first_response
    query = sa.select(Mention).where(Mention.case_id == case.id, Mention.place_state.is_not(None))
    if not every:
        query = query.where(Mention.place_due_at.is_(None))
    for place in session.scalars(query):
        since = place.place_since or case.opened_at
        place.place_since = since
        place.place_due_at = calendar.add(since, span.on(calendar))
        place.place_risk_at = calendar.add(since, (span * sla.at_risk).on(calendar))
        if place.place_sla in ("at_risk", "breached") and now < place.place_risk_at:
            place.place_sla = "running"


def answer_place(case: Case, place: Mention, posted_at: datetime) -> str | None:
    """A reply recorded on `place`: it is answered, its clock stopped; returns the clock's final state when
    this reply stopped it."""
    stopped = None
    if place.place_state in NEEDS_REPLY or place.place_state is None:
        if place.place_state in NEEDS_REPLY:
            case.places_unanswered = max(0, (case.places_unanswered or 0) - 1)
        place.place_state = "replied"
    if place.place_sla in OPEN_CLOCK or place.place_sla is None:
        due = place.place_due_at
        place.place_sla = stopped = "missed" if due is not None and posted_at > due else "met"
        place.place_replied_at = posted_at
    return stopped


def reply_seen(session: Session, place_id: int, *, visible: bool) -> str | None:
    """A poll saw (or no longer sees) a reply of ours under `place_id`; returns the place's new state, if it moved.

    Gone: the place needs a reply again unless another of its replies is still there or waiting to be seen.
    """
    place = session.get(Mention, place_id)
    if place is None or place.place_state is None:
        return None
    if visible and place.place_state != "verified":
        if place.place_state in NEEDS_REPLY:
            _count(session, place.case_id, -1)
        place.place_state = "verified"
        return "verified"
    if not visible and place.place_state in ANSWERED:
        others = session.scalar(
            sa.select(sa.func.count()).select_from(Reply)
            .where(Reply.mention_id == place_id, Reply.verify_state.in_(("verified", "pending", "unverifiable")))
        )  # fmt: skip
        if not others:
            place.place_state = "disappeared"
            _count(session, place.case_id, +1)
            return "disappeared"
    return None


def _count(session: Session, case_id: int | None, delta: int) -> None:
    if case_id is None:
        return
    case = session.get(Case, case_id)
    if case is not None:
        case.places_unanswered = max(0, (case.places_unanswered or 0) + delta)


def recount_places(session: Session, case_ids: Iterable[int]) -> None:
    """Count the places waiting for a reply again, after mentions moved between cases (split, merge)."""
    session.flush()
    waiting = (
        sa.select(sa.func.count())
        .select_from(Mention)
        .where(Mention.case_id == Case.id, Mention.place_state.in_(NEEDS_REPLY))
        .scalar_subquery()
    )
    session.execute(
        sa.update(Case).where(Case.id.in_(list(case_ids))).values(places_unanswered=waiting)
        .execution_options(synchronize_session="fetch")
    )  # fmt: skip


def stop_places(session: Session, case_id: int) -> None:
    """The case is dismissed or closed: its places' running clocks stop (no breach for work not wanted)."""
    session.execute(
        sa.update(Mention).where(Mention.case_id == case_id, Mention.place_sla.in_(OPEN_CLOCK))
        .values(place_sla="stopped").execution_options(synchronize_session="fetch")
    )  # fmt: skip


def restart_places(session: Session, case_id: int) -> None:
    """The case is restored or reopened: the clocks of its places not yet answered run again (the sweep flips
    at once those past their marks, with the events)."""
    session.execute(
        sa.update(Mention)
        .where(Mention.case_id == case_id, Mention.place_sla == "stopped", Mention.place_replied_at.is_(None))
        .values(place_sla="running").execution_options(synchronize_session="fetch")
    )  # fmt: skip


def sweep_places(session: Session, now: datetime) -> dict[str, int]:
    """Flip place clocks past their marks, as `monitor.cases.sla.sweep` does the case's: a compare-and-set
    UPDATE per step, breaches first; one timeline entry per flip, and a `place.sla_breached` event per breach,
    oldest deadline first, both written by the database from the flipped rows (monitor.cases.flips)."""
    counts = {"at_risk": 0, "breached": 0}
    dialect = session.get_bind().dialect.name
    steps = (
        ("breached", Mention.place_sla.in_(("running", "at_risk")), Mention.place_due_at),
        ("at_risk", Mention.place_sla == "running", Mention.place_risk_at),
    )
    for new_state, from_states, mark in steps:
        flipped = session.scalars(
            sa.update(Mention)
            .where(from_states, mark.is_not(None), mark <= now)
            .values(place_sla=new_state)
            .returning(Mention.id)
            .execution_options(synchronize_session=False)
        ).all()
        for ids in flips.chunks(flipped):
            # A place of no case (none in practice: a place is made for a case) gets no entry, as before.
            joined = sa.join(Mention, Case, Case.id == Mention.case_id).outerjoin(Brand, Brand.id == Mention.brand_id)
            # RETURNING comes back in no set order: alerts go out oldest deadline first.
            rows = (
                sa.select(Mention.id).select_from(joined).where(Mention.id.in_(ids))
                .order_by(Mention.place_due_at, Mention.id)
            )  # fmt: skip
            data = {"clock": flips.text("place"), "due_at": flips.iso_utc(Mention.place_due_at, dialect),
                    "priority": Case.priority}  # fmt: skip
            flips.insert_timeline(session, case_id=Mention.case_id, now=now, kind=flips.text(f"place.sla_{new_state}"),
                                  mention_id=Mention.id, data=flips.json_object(dialect, data), query=rows)  # fmt: skip
            if new_state == "breached":
                payload = {"case_id": Mention.case_id, "mention_id": Mention.id, "brand": Brand.key,
                           "places": Case.mention_count, **data}  # fmt: skip
                flips.insert_events(session, now=now, kind=flips.text("place.sla_breached"),
                                    subject=flips.text("case:") + sa.cast(Mention.case_id, sa.Text),
                                    payload=flips.json_object(dialect, payload), query=rows)  # fmt: skip
        counts[new_state] += len(flipped)
    return counts
