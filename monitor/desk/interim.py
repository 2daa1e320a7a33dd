"""Interim updates: when a promise is at risk, the desk offers a draft that says so, with a new date.

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

from monitor.cases.lifecycle import DeskRules
from monitor.cases.timeline import append
from monitor.desk.drafts import create_draft
from monitor.models import Brand, Case, Mention, Promise

__all__ = ["offer_interim_drafts"]

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
