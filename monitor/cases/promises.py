"""Promises: the date a reply told the customer they will hear from us next, tracked as a clock of its own.

A promise is made when a reply is recorded that states a date (the time phrase of its text, "within
two working days", counted from its posting on the business calendar the case's priority counts;
the new date of an interim-update draft; or a date staff give), or when staff set one by hand:

    open ──75% of its business time used──► at_risk ──its date passes──► broken
      │                                        │
      └─── a further public reply on its place, or the case's resolution, before the date ──► kept

At risk, the sweep raises `case.promise_at_risk` (alerts) and hands the promise on, so the desk
offers an interim-update draft ("we are still on it; new date …"); broken, it raises
`case.promise_broken`. A reply that keeps a promise may make the next one (an interim update does).
Every move is on the case timeline; `settled_by` says what settled it (reply, resolution, lapsed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases import flips, timeline
from monitor.config.business_hours import BusinessCalendar
from monitor.core.errors import Invalid
from monitor.models import Brand, Case, Promise

__all__ = ["OPEN_PROMISE", "PromiseSweep", "make_promise", "settle_promises", "sweep_promises"]

OPEN_PROMISE = ("open", "at_risk")
# Further than this is no promise to track (and counting business time across years costs a calendar walk).
MAX_AHEAD = timedelta(days=366)


def make_promise(
    *,
    session: Session,
    case: Case,
    due_at: datetime,
    made_at: datetime,
    calendar: BusinessCalendar,
    at_risk: float,
    origin: str,
    actor: str,
    now: datetime,
    mention_id: int | None = None,
    reply_id: int | None = None,
    phrase: str | None = None,
) -> Promise:
    """Record a promise; it is at risk once `at_risk` of its business time (from `made_at`) is used."""
    if due_at.tzinfo is None:
        raise Invalid("a promised date needs a time zone")
    if due_at <= made_at:
        raise Invalid(f"the promised date {due_at.isoformat()} is not after the moment it was made "
                      f"({made_at.isoformat()})")  # fmt: skip
    if due_at - made_at > MAX_AHEAD:
        raise Invalid(f"the promised date {due_at.isoformat()} is more than a year after it was made; "
                      "give the date the customer will hear from us next")  # fmt: skip
    span = calendar.between(made_at, due_at)
    risk = calendar.add(made_at, span * at_risk) if span else made_at + (due_at - made_at) * at_risk
    promise = Promise(case_id=case.id or 0, mention_id=mention_id, reply_id=reply_id, made_at=made_at,
                      due_at=due_at, risk_at=min(risk, due_at), state="open", origin=origin,
                      phrase=phrase[:200] if phrase else None, made_by=actor)  # fmt: skip
    session.add(promise)
    session.flush()
    timeline.append(session, case.id or 0, at=now, actor=actor, kind="promise.made", mention_id=mention_id,
                    data={"promise_id": promise.id, "due_at": due_at.isoformat(), "origin": origin,
                          "phrase": promise.phrase})  # fmt: skip
    return promise


def settle_promises(
    *, session: Session, case: Case, at: datetime, by: str, now: datetime, actor: str, mention_id: int | None = None
) -> list[Promise]:
    """A reply on `mention_id` (by="reply") or the case's resolution (by="resolution") at `at`: each open
    promise it answers is kept when `at` is not past its date, else broken (a sweep may not have run yet)."""
    query = sa.select(Promise).where(Promise.case_id == case.id, Promise.state.in_(OPEN_PROMISE))
    if by == "reply":  # a reply keeps the promise made on its place (or one made for no place in particular)
        query = query.where(sa.or_(Promise.mention_id == mention_id, Promise.mention_id.is_(None)))
    settled = list(session.scalars(query.order_by(Promise.id).with_for_update()))
    for promise in settled:
        kept = at <= promise.due_at
        promise.state = "kept" if kept else "broken"
        promise.settled_at, promise.settled_by = at, by if kept else "lapsed"
        timeline.append(session, case.id or 0, at=now, actor=actor, kind=f"promise.{promise.state}",
                        mention_id=promise.mention_id,
                        data={"promise_id": promise.id, "due_at": promise.due_at.isoformat(), "by": by})  # fmt: skip
    return settled


@dataclass(slots=True)
class PromiseSweep:
    at_risk: int = 0
    broken: int = 0
    at_risk_ids: list[int] = field(default_factory=list)  # for the desk's interim-update drafts


def sweep_promises(session: Session, now: datetime) -> PromiseSweep:
    """Flip promises past their marks (a compare-and-set UPDATE per step, broken first), with one timeline
    entry and one event (`case.promise_broken`, `case.promise_at_risk`) per flip, both written by the
    database from the flipped rows (monitor.cases.flips)."""
    out = PromiseSweep()
    dialect = session.get_bind().dialect.name
    steps = (
        ("broken", Promise.state.in_(OPEN_PROMISE), Promise.due_at, {"settled_at": now, "settled_by": "lapsed"}),
        ("at_risk", Promise.state == "open", Promise.risk_at, {}),
    )
    for new_state, from_states, mark, more in steps:
        flipped = session.scalars(
            sa.update(Promise)
            .where(from_states, mark <= now)
            .values(state=new_state, **more)
            .returning(Promise.id)
            .execution_options(synchronize_session=False)
        ).all()
        for ids in flips.chunks(flipped):
            joined = sa.outerjoin(Promise, Case, Case.id == Promise.case_id).outerjoin(Brand, Brand.id == Case.brand_id)
            rows = sa.select(Promise.id).select_from(joined).where(Promise.id.in_(ids)).order_by(Promise.id)
            data = {
                "promise_id": Promise.id,
                "due_at": flips.iso_utc(Promise.due_at, dialect),
                "priority": Case.priority,
            }
            flips.insert_timeline(session, case_id=Promise.case_id, now=now, kind=flips.text(f"promise.{new_state}"),
                                  mention_id=Promise.mention_id, data=flips.json_object(dialect, data),
                                  query=rows)  # fmt: skip
            payload = {"case_id": Promise.case_id, "mention_id": Promise.mention_id, "brand": Brand.key, **data}
            flips.insert_events(session, now=now, kind=flips.text(f"case.promise_{new_state}"),
                                subject=flips.text("case:") + sa.cast(Promise.case_id, sa.Text),
                                payload=flips.json_object(dialect, payload), query=rows)  # fmt: skip
        setattr(out, new_state, len(flipped))
        if new_state == "at_risk":
            out.at_risk_ids = list(flipped)
    return out
