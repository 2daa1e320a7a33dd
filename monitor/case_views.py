"""What staff see of cases: the list, and one case with its places, customer candidates and timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from monitor.models import Brand, Case, CaseCandidate, CaseEvent, Customer, Mention, Source

__all__ = ["CaseDetail", "CaseFilter", "CaseRow", "get_case", "list_cases"]


@dataclass(frozen=True, slots=True)
class CaseFilter:
    brand: str | None = None
    status: str | None = None
    customer_state: str | None = None
    customer_id: int | None = None


@dataclass(frozen=True, slots=True)
class CaseRow:
    id: int
    brand: str
    status: str
    title: str | None
    language: str | None
    opened_at: datetime
    last_mention_at: datetime
    places: int
    customer_id: int | None
    customer_name: str | None
    customer_state: str | None
    merged_into_id: int | None


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
    joined_by: str | None
    similarity: float | None


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
    state: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    actor: str
    kind: str
    mention_id: int | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: CaseRow
    places: list[Place]
    candidates: list[CandidateRow]
    timeline: list[TimelineEntry]


def _rows_query() -> sa.Select[Any]:
    return (
        sa.select(Case, Brand.key, Customer.full_name)
        .join(Brand, Brand.id == Case.brand_id)
        .outerjoin(Customer, Customer.id == Case.customer_id)
    )


def _row(case: Case, brand: str, customer_name: str | None) -> CaseRow:
    return CaseRow(
        id=case.id or 0, brand=brand, status=case.status, title=case.title, language=case.language,
        opened_at=case.opened_at, last_mention_at=case.last_mention_at, places=case.mention_count,
        customer_id=case.customer_id, customer_name=customer_name, customer_state=case.customer_state,
        merged_into_id=case.merged_into_id,
    )  # fmt: skip


def list_cases(
    *, session: Session, filters: CaseFilter, before_id: int | None = None, limit: int = 50
) -> list[CaseRow]:
    """Newest first; merged cases are left out unless their status is asked for."""
    query = _rows_query().order_by(Case.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Case.id < before_id)
    if filters.brand:
        query = query.where(Brand.key == filters.brand)
    query = query.where(Case.status == filters.status) if filters.status else query.where(Case.status != "merged")
    if filters.customer_state:
        query = query.where(Case.customer_state == filters.customer_state)
    if filters.customer_id is not None:
        query = query.where(Case.customer_id == filters.customer_id)
    return [_row(*r) for r in session.execute(query)]


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
    return CaseDetail(case=_row(*found), places=places, candidates=candidates, timeline=timeline)
