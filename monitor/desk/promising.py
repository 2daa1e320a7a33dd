"""Promises at the desk: a date staff set by hand, and interim updates offered when a promise is at risk.

Staff set a promise (`set_promise`) when they told the customer a date some other way (a phone call,
a reply whose words the phrase reader does not know); it is tracked like one a reply made.

Interim updates: when a promise is at risk, the desk offers a draft that says so, with a new date.

The SLA sweep hands on the promises it found at risk (monitor.cases.promises); for each one whose
case is still open, not resolved (so the resolution will miss the date unless it comes in the
little time left), and that has no interim draft yet, a draft of kind `update` is written for the
promise's place in the case's language ("we are still on it; new date …", `update.j2`). Its new
date is the old one plus the promise's own length again in business time, or the case's
resolution deadline when that is later. Staff edit and approve it like any draft; published, its
date becomes the case's next promise. One that cannot be written (a broken template) is logged
and skipped: the alert still goes out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
import structlog
from sqlmodel import Session

from monitor.cases.lifecycle import CaseConflict, CaseInvalid, DeskRules
from monitor.cases.promises import make_promise
from monitor.cases.timeline import append
from monitor.core.errors import NotFound
from monitor.desk.drafts import create_draft
from monitor.models import Brand, Case, Mention, Promise

__all__ = ["offer_interim_drafts", "set_promise"]

log = structlog.get_logger("replywatch.desk")
_WORKING = ("new", "acknowledged", "in_progress")


def offer_interim_drafts(*, session: Session, rules: DeskRules, promise_ids: Sequence[int], now: datetime) -> int:
    """Write an interim-update draft for each promise at risk that needs one; returns how many were written."""
    written = 0
    for promise_id in promise_ids:
        try:
            with session.begin_nested():
                written += _offer(session, rules, promise_id, now)
        except Exception:
            log.exception("promise.interim_failed", promise_id=promise_id)
    return written


def _offer(session: Session, rules: DeskRules, promise_id: int, now: datetime) -> int:
    promise = session.get(Promise, promise_id)
    if promise is None or promise.state != "at_risk" or promise.interim_draft_id is not None:
        return 0
    case = session.get(Case, promise.case_id)
    if case is None or case.status not in _WORKING:
        return 0
    place = promise.mention_id or session.scalar(sa.select(sa.func.min(Mention.id)).where(Mention.case_id == case.id))
    if place is None:
        return 0
    brand = session.scalar(sa.select(Brand.key).where(Brand.id == case.brand_id)) or ""
    calendar = rules.calendar(brand, case.priority)
    new_date = calendar.add(max(promise.due_at, now), calendar.between(promise.made_at, promise.due_at))
    if case.resolution_due_at is not None and case.resolution_due_at > new_date:
        new_date = case.resolution_due_at
    draft = create_draft(session=session, rules=rules, case_id=case.id or 0, mention_id=place, closing=False,
                         summary=None, language=None, actor="system", now=now, new_date=new_date)  # fmt: skip
    promise.interim_draft_id = draft.id
    append(session, case.id or 0, at=now, kind="promise.interim_offered", mention_id=place,
           data={"promise_id": promise.id, "draft_id": draft.id, "new_date": new_date.isoformat()})  # fmt: skip
    return 1


def set_promise(
    *,
    session: Session,
    rules: DeskRules,
    case_id: int,
    due_at: datetime,
    mention_id: int | None,
    actor: str,
    now: datetime,
) -> Promise:
    """Staff record a date the customer was promised (on `mention_id`, or for the case as a whole)."""
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.status not in _WORKING:
        raise CaseConflict(f"case {case_id} is {case.status}; a promise is for a case still being worked on")
    if mention_id is not None:
        place = session.get(Mention, mention_id)
        if place is None or place.case_id != case.id:
            raise CaseInvalid(f"mention {mention_id} is not a place of case {case_id}")
    if due_at.tzinfo is None:
        raise CaseInvalid("due_at needs a time zone, e.g. 2026-12-08T17:00:00Z")
    if due_at <= now:
        raise CaseInvalid(f"due_at {due_at.isoformat()} is not in the future")
    brand = session.scalar(sa.select(Brand.key).where(Brand.id == case.brand_id)) or ""
    return make_promise(session=session, case=case, due_at=due_at, made_at=now,
                        calendar=rules.calendar(brand, case.priority), at_risk=rules.config.sla.at_risk,
                        origin="staff", actor=actor, now=now, mention_id=mention_id)  # fmt: skip
