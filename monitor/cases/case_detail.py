"""One case in full, as staff open it: its row in the queue, its places (mentions), customer
candidates, drafts, replies and timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session

# The queue's own statement and row: a case opened reads as it does in the list.
from monitor.cases.views import CaseRow, _row, _rows_query
from monitor.models import Case, CaseCandidate, CaseEvent, Customer, Mention, Promise, Source
from monitor.models.desk import Draft, Reply

__all__ = [
    "CandidateRow", "CaseDetail", "DraftRow", "Place", "PromiseRow", "ReplyRow", "TimelineEntry", "draft_row", "get_case",
    "promise_row", "reply_row",
]  # fmt: skip

T = TypeVar("T")

# These are the API's bodies too (api/routers/cases.py, drafts.py): the descriptions are the OpenAPI
# document's, and the classes have no docstrings because pydantic would publish those as well.


@dataclass(frozen=True, slots=True)
class Place:
    mention_id: int
    source: str
    url: str | None
    title: str | None
    body: str
    author: str | None
    language: str | None
    published_at: datetime | None
    first_seen_at: datetime
    joined_by: Annotated[str | None, Field(description="opened, duplicate (near-duplicate of a place) or staff")]
    similarity: Annotated[float | None, Field(description="0-100 score of the near-duplicate match that joined it")]
    reply_state: Annotated[
        str | None,
        Field(description="unanswered, replied, verified (seen on the page) or disappeared (seen, then gone)"),
    ]
    clock_from: Annotated[
        datetime | None, Field(description="When its first-reply clock started: the case's opening, or when found")
    ]
    reply_due_at: Annotated[datetime | None, Field(description="Its own first-reply deadline")]
    reply_sla: Annotated[str | None, Field(description="running, at_risk, breached, met, missed or stopped")]
    replied_at: Annotated[datetime | None, Field(description="When its first reply was posted")]
    tone: Annotated[str | None, Field(description="complaint, question or praise; null if never classed")] = None
    tone_reasons: Annotated[tuple[str, ...], Field(description="Why the tone was read so")] = ()


@dataclass(frozen=True, slots=True)
class PromiseRow:
    id: int
    mention_id: Annotated[int | None, Field(description="The place where it was made")]
    reply_id: Annotated[int | None, Field(description="The reply that made it")]
    made_at: datetime
    due_at: Annotated[datetime, Field(description="When the customer was told they will hear from us next")]
    risk_at: Annotated[datetime, Field(description="When it is at risk (an interim update is drafted)")]
    state: Annotated[str, Field(description="open, at_risk, kept or broken")]
    origin: Annotated[str, Field(description="phrase (the reply's words), draft (an interim update) or staff")]
    phrase: str | None
    made_by: str
    settled_at: datetime | None
    settled_by: Annotated[str | None, Field(description="reply, resolution or lapsed")]
    interim_draft_id: Annotated[int | None, Field(description="The interim-update draft offered when at risk")]


@dataclass(frozen=True, slots=True)
class CandidateRow:
    customer_id: int
    external_id: str
    full_name: str
    city: str | None
    tier: str | None
    lifetime_value: float | None
    score: float
    reasons: list[str]
    state: Annotated[str, Field(description="suggested, linked, confirmed or rejected")]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    actor: str
    kind: str
    mention_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class DraftRow:
    id: int
    mention_id: Annotated[int, Field(description="The place the draft answers")]
    kind: Annotated[str, Field(description="first, update (an interim update with a new date) or closing")]
    language: str
    text: str
    template: Annotated[str, Field(description="The template file it was made from")]
    notes: Annotated[
        list[str], Field(description="Why it differs from what was asked: another language, a failed rewrite")
    ]
    state: Annotated[str, Field(description="draft, approved, published or discarded")]
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    promised_at: Annotated[datetime | None, Field(description="The new date an interim update promises")]


@dataclass(frozen=True, slots=True)
class ReplyRow:
    id: int
    mention_id: int
    draft_id: int | None
    kind: Annotated[str, Field(description="first, update or closing")]
    text: str
    url: str | None
    posted_at: datetime
    recorded_by: str
    verify_state: Annotated[str, Field(description="unverifiable, pending, verified, unverified or disappeared")]
    verified_at: datetime | None


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: CaseRow
    places: list[Place]
    candidates: list[CandidateRow]
    drafts: list[DraftRow]
    replies: list[ReplyRow]
    timeline: list[TimelineEntry]
    promises: list[PromiseRow]


def get_case(*, session: Session, case_id: int) -> CaseDetail | None:
    found = session.execute(_rows_query().where(Case.id == case_id)).first()
    if found is None:
        return None
    places = [
        Place(
            mention_id=m.id or 0,
            source=key,
            url=m.url,
            title=m.title,
            body=m.body,
            author=m.author,
            language=m.language,
            published_at=m.published_at,
            first_seen_at=m.first_seen_at,
            joined_by=m.case_method,
            similarity=m.case_score,
            reply_state=m.place_state,
            clock_from=m.place_since,
            reply_due_at=m.place_due_at,
            reply_sla=m.place_sla,
            replied_at=m.place_replied_at,
            tone=m.tone,
            tone_reasons=tuple(m.tone_reasons or ()),
        )
        for m, key in session.execute(
            sa.select(Mention, Source.key)
            .join(Source, Source.id == Mention.source_id)
            .where(Mention.case_id == case_id)
            .order_by(Mention.id)
        )
    ]
    candidates = [
        CandidateRow(
            customer_id=c.id or 0,
            external_id=c.external_id,
            full_name=c.full_name,
            city=c.city,
            tier=c.tier,
            lifetime_value=c.lifetime_value,
            score=cc.score,
            reasons=list(cc.reasons or []),
            state=cc.state,
        )
        for cc, c in session.execute(
            sa.select(CaseCandidate, Customer)
            .join(Customer, Customer.id == CaseCandidate.customer_id)
            .where(CaseCandidate.case_id == case_id)
            .order_by(CaseCandidate.score.desc(), CaseCandidate.id)
        )
    ]
    timeline = [
        TimelineEntry(at=e.at, actor=e.actor, kind=e.kind, mention_id=e.mention_id, data=dict(e.data or {}))
        for e in session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    ]
    drafts = [
        _copy(DraftRow, d) for d in session.scalars(sa.select(Draft).where(Draft.case_id == case_id).order_by(Draft.id))
    ]
    replies = [
        _copy(ReplyRow, r) for r in session.scalars(sa.select(Reply).where(Reply.case_id == case_id).order_by(Reply.id))
    ]
    promises = [
        _copy(PromiseRow, p)
        for p in session.scalars(sa.select(Promise).where(Promise.case_id == case_id).order_by(Promise.id))
    ]
    return CaseDetail(case=_row(found), places=places, candidates=candidates, drafts=drafts, replies=replies,
                      timeline=timeline, promises=promises)  # fmt: skip


def draft_row(draft: Draft) -> DraftRow:
    return _copy(DraftRow, draft)


def reply_row(reply: Reply) -> ReplyRow:
    return _copy(ReplyRow, reply)


def promise_row(promise: Promise) -> PromiseRow:
    return _copy(PromiseRow, promise)


def _copy(cls: type[T], row: object) -> T:
    """The dataclass `cls` filled from the same-named attributes of a table row (lists copied)."""
    values = {name: getattr(row, name) for name in cls.__dataclass_fields__}  # type: ignore[attr-defined]
    return cls(**{k: list(v) if isinstance(v, list) else v for k, v in values.items()})
