"""Replies tracked to publication: staff record what they posted, polls check it is really there.

Recording a reply on a place (a mention of the case):
  - the first reply on any place stops the first-response clock (met or missed by
    its posting time) and moves a new case to acknowledged;
  - a closing reply ("what we did") stops the resolution clock and moves the case to
    resolved; the first reply may be the closing one too;
  - a reply made from a draft needs the draft approved, and publishes it: its text is the
    draft's (sent without text, it is taken from the draft; sent with a different text, it is
    refused, since what a lead approved is what gets published).

Each reply answers its place (monitor.cases.places: the place's own clock stops as met or
missed, the case counts one place fewer waiting), keeps the open promise of that place (a closing
reply: every promise of the case), and may make a new one (monitor.cases.promises): the date staff
give, the new date of an interim draft, or the time phrase of its text ("within two working days").

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

from monitor.cases.lifecycle import CaseConflict, CaseInvalid, DeskRules
from monitor.cases.places import answer_place, reply_seen
from monitor.cases.promises import make_promise, settle_promises
from monitor.cases.sla import clock_after_reply
from monitor.cases.timeline import append
from monitor.config import Config
from monitor.core.errors import NotFound
from monitor.desk.promise_phrases import find_promise, promised_date
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
    rules: DeskRules | None = None,
    promise_due_at: datetime | None = None,
) -> Reply:
    """Record a reply staff published on a place (see the module docstring for its effects).

    With `rules` (the business calendar), the reply's promise is recorded: `promise_due_at` when staff
    give one, else the new date of the interim draft it publishes, else the time phrase of its text.
    """
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
    origin = "staff"
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
        promise_due_at = promise_due_at or draft.promised_at
        origin = "draft" if draft.promised_at is not None else origin
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
    place_clock = answer_place(case, mention, posted_at)
    if place_clock is not None:
        events.append(("place.answered", {"state": place_clock}))
    for kind_, data in events:
        append(session, case.id or 0, at=now, actor=actor, kind=kind_, mention_id=mention.id, data=data)
    # A further public reply keeps the promise made on this place; a closing one, every promise of the case.
    settle_promises(session=session, case=case, at=posted_at, by="resolution" if closing else "reply", now=now,
                    actor=actor, mention_id=mention.id)  # fmt: skip
    if rules is not None and not closing:
        _promise_of(session, rules, case, reply, promise_due_at, origin, actor, now)
    case.updated_at = now
    session.flush()
    return reply


def _promise_of(session: Session, rules: DeskRules, case: Case, reply: Reply, due: datetime | None, origin: str,
                actor: str, now: datetime) -> None:  # fmt: skip
    """The promise the reply makes, if it makes one (record_reply's docstring says which)."""
    brand = session.scalar(sa.select(Brand.key).where(Brand.id == case.brand_id)) or ""
    calendar = rules.calendar(brand, case.priority)
    phrase = None
    if due is None:
        found = find_promise(reply.text)
        if found is None:
            return
        due, phrase, origin = promised_date(found, posted_at=reply.posted_at, calendar=calendar), found.phrase, "phrase"
    make_promise(session=session, case=case, due_at=due, made_at=reply.posted_at, calendar=calendar,
                 at_risk=rules.config.sla.at_risk, origin=origin, actor=actor, now=now, mention_id=reply.mention_id,
                 reply_id=reply.id, phrase=phrase)  # fmt: skip


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
        else:
            continue
        session.flush()  # the place's state reads the replies' states
        reply_seen(session, mention_id, visible=visible)
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
