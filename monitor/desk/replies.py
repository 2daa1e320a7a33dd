"""Replies tracked to publication: staff record what they posted, polls check it is really there.

Recording a reply on a place (a mention of the case):
  - the first reply on any place stops the first-response clock (met or missed by
    its posting time) and moves a new case to acknowledged;
  - a closing reply ("what we did") stops the resolution clock and moves the case to
    resolved; the first reply may be the closing one too;
  - a reply made from a draft needs the draft approved, and publishes it: its text is the
    draft's (sent without text, it is taken from the draft; sent with a different text, it is
    refused, since what a lead approved is what gets published).

Verification: when the place's source shows replies (an html or json source with a
`fields.reply` selector), the reply starts as pending. Each poll passes the reply texts it saw
under the post to `check_replies`: a pending reply whose text is there becomes
verified; a verified reply no longer there has disappeared (an event). A pending
reply not seen within `verify_within` becomes unverified (an event) in the sweep;
seen later, it is still marked verified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from rapidfuzz import fuzz
from sqlmodel import Session

from monitor.cases.lifecycle import CaseConflict, CaseInvalid
from monitor.cases.sla import clock_after_reply
from monitor.cases.timeline import append
from monitor.config import Config
from monitor.core.errors import NotFound
from monitor.models import Brand, Case, Mention, Source
from monitor.models.desk import Draft, Reply
from monitor.models.events import emit

__all__ = ["check_replies", "check_shown_replies", "record_reply", "replies_visible", "sweep_unverified"]

# A reply counts as seen when the page shows it at this similarity (rapidfuzz partial ratio, 0-100):
# sites re-wrap lines, drop emoji or add a signature.
SEEN_AT = 90.0
_CLOSED = ("dismissed", "merged", "closed")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def replies_visible(*, session: Session, config: Config, mention_id: int) -> bool:
    """Whether polls can see replies under this place: its source (html or json) declares a `reply` field."""
    key = session.scalar(
        sa.select(Source.key).join(Mention, Mention.source_id == Source.id).where(Mention.id == mention_id)
    )
    source = config.source(key) if key else None
    fields = getattr(source.settings, "fields", None) if source is not None else None  # feeds have none
    return bool(fields is not None and fields.reply)


def record_reply(
    *,
    session: Session,
    case_id: int,
    mention_id: int,
    text: str | None,
    url: str | None,
    posted_at: datetime,
    closing: bool,
    draft_id: int | None,
    verifiable: bool,
    actor: str,
    now: datetime,
) -> Reply:
    """Record a reply staff published on a place (see the module docstring for its effects)."""
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.status in _CLOSED:
        raise CaseConflict(f"case {case_id} is {case.status}; reopen it before recording replies")
    mention = session.get(Mention, mention_id)
    if mention is None or mention.case_id != case.id:
        raise CaseInvalid(f"mention {mention_id} is not a place of case {case_id}")
    if posted_at > now + timedelta(minutes=5):
        raise CaseInvalid(f"posted_at {posted_at.isoformat()} is in the future")
    if draft_id is not None:
        draft = session.get(Draft, draft_id, with_for_update=True)
        if draft is None or draft.case_id != case.id or draft.mention_id != mention.id:
            raise CaseInvalid(f"draft {draft_id} is not a draft for mention {mention_id} of case {case_id}")
        if draft.state != "approved":
            raise CaseConflict(f"draft {draft_id} is {draft.state}; only an approved draft is published")
        if text is not None and text.strip() != draft.text.strip():
            raise CaseInvalid(f"the text differs from approved draft {draft_id}: leave text out to publish the "
                              "draft as approved, or edit the draft and have it approved again")  # fmt: skip
        text = draft.text
        draft.state, draft.updated_at = "published", now
    if text is None or not text.strip():
        raise CaseInvalid("the reply text is empty")
    kind = "closing" if closing else ("first" if case.first_reply_at is None else "update")
    reply = Reply(case_id=case.id, mention_id=mention.id, draft_id=draft_id, kind=kind, text=text, url=url,
                  posted_at=posted_at, recorded_by=actor, recorded_at=now,
                  verify_state="pending" if verifiable else "unverifiable")  # fmt: skip
    session.add(reply)
    session.flush()
    events: list[tuple[str, dict[str, object]]] = [("reply.recorded", {"reply_id": reply.id, "kind": kind})]
    if case.first_reply_at is None:
        case.first_reply_at = posted_at
        case.response_sla = clock_after_reply(case.response_sla, case.response_due_at, posted_at)
        events.append(("sla.response_stopped", {"state": case.response_sla}))
        if case.status == "new":
            events.append(("status.changed", {"old": "new", "new": "acknowledged", "by": "first public reply"}))
            case.status = "acknowledged"
    if closing:
        case.resolved_at = posted_at
        case.resolution_sla = clock_after_reply(case.resolution_sla, case.resolution_due_at, posted_at)
        events.append(("sla.resolution_stopped", {"state": case.resolution_sla}))
        if case.status != "resolved":
            events.append(("status.changed", {"old": case.status, "new": "resolved", "by": "closing reply"}))
            case.status = "resolved"
    for kind_, data in events:
        append(session, case.id or 0, at=now, actor=actor, kind=kind_, mention_id=mention.id, data=data)
    case.updated_at = now
    session.flush()
    return reply


def check_replies(*, session: Session, mention_id: int, seen: Sequence[str], now: datetime) -> int:
    """Compare the replies a poll saw under a post with the recorded ones; returns how many changed."""
    replies = list(
        session.scalars(
            sa.select(Reply).where(
                Reply.mention_id == mention_id, Reply.verify_state.in_(("pending", "unverified", "verified"))
            )
        )
    )
    if not replies:
        return 0
    shown = [_norm(s) for s in seen if s and s.strip()]
    changed = 0
    for reply in replies:
        mine = _norm(reply.text)[:2000]
        visible = any(fuzz.partial_ratio(mine, s) >= SEEN_AT for s in shown) if mine else False
        reply.checked_at = now
        if visible and reply.verify_state != "verified":
            reply.verify_state, reply.verified_at = "verified", now
            _timeline(session, reply, now, "reply.verified")
            changed += 1
        elif not visible and reply.verify_state == "verified":
            reply.verify_state = "disappeared"
            _timeline(session, reply, now, "reply.disappeared")
            _emit(session, reply, "reply.disappeared", now)
            changed += 1
    return changed


def check_shown_replies(*, session: Session, shown: Mapping[int, Sequence[str]], now: datetime) -> int:
    """`check_replies` for the posts of one poll that have replies waiting to be seen (one query for all)."""
    waiting = set(
        session.scalars(
            sa.select(Reply.mention_id)
            .where(Reply.mention_id.in_(list(shown)), Reply.verify_state.in_(("pending", "unverified", "verified")))
            .distinct()
        )
    )
    return sum(check_replies(session=session, mention_id=m, seen=shown[m], now=now) for m in sorted(waiting))


def sweep_unverified(*, session: Session, verify_within: timedelta, now: datetime) -> int:
    """Pending replies not seen on their page within `verify_within` become unverified (one event each)."""
    flipped = (
        session.execute(
            sa.update(Reply)
            .where(Reply.verify_state == "pending", Reply.recorded_at <= now - verify_within)
            .values(verify_state="unverified", checked_at=now)
            .returning(Reply.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    for reply_id in flipped:
        reply = session.get(Reply, reply_id)
        assert reply is not None
        _timeline(session, reply, now, "reply.unverified")
        _emit(session, reply, "reply.unverified", now)
    return len(flipped)


def _timeline(session: Session, reply: Reply, now: datetime, kind: str) -> None:
    append(
        session,
        reply.case_id,
        at=now,
        kind=kind,
        mention_id=reply.mention_id,
        data={"reply_id": reply.id, "url": reply.url},
    )


def _emit(session: Session, reply: Reply, kind: str, now: datetime) -> None:
    brand, priority = session.execute(
        sa.select(Brand.key, Case.priority).join(Case, Case.brand_id == Brand.id).where(Case.id == reply.case_id)
    ).one()
    payload = {"case_id": reply.case_id, "reply_id": reply.id, "mention_id": reply.mention_id, "url": reply.url,
               "brand": brand, "priority": priority}  # fmt: skip
    emit(session, kind, f"case:{reply.case_id}", payload, now=now)
