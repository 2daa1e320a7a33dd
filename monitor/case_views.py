"""What staff see of cases: the queue (filters, sorting, keyset pages) and one case in full.

Sorting is by one of SORTS; every order ends with the case id, so a page boundary
is a (value, id) pair and the next page is a keyset query: page 4,000 costs what
page 1 does. Cases without a deadline (none once triage has run) sort last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session

from monitor.desk import OPEN_STATUSES
from monitor.desk_models import Draft, Reply
from monitor.models import Brand, Case, CaseCandidate, CaseEvent, Customer, Mention, Source

__all__ = ["SORTS", "CaseDetail", "CaseFilter", "CaseRow", "get_case", "list_cases", "sort_value"]

T = TypeVar("T")

# name → (column, descending)
SORTS: dict[str, tuple[Any, bool]] = {
    "newest": (Case.id, True),
    "oldest": (Case.id, False),
    "response_due": (Case.response_due_at, False),
    "resolution_due": (Case.resolution_due_at, False),
}


@dataclass(frozen=True, slots=True)
class CaseFilter:
    brand: str | None = None
    status: tuple[str, ...] = ()  # empty: every status but merged; ("open",) is new, acknowledged, in_progress
    priority: tuple[str, ...] = ()
    category: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    sla: str | None = None  # a state of either clock: running, at_risk, breached, met, missed
    language: str | None = None
    source: str | None = None
    customer_state: str | None = None
    customer_id: int | None = None
    text: str | None = None
    opened_from: datetime | None = None
    opened_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class CaseRow:
    """A case in the queue: the fields of api.schemas.CasePublic, in its order (the API serializes these rows)."""

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
    updated_at: datetime
    category: str
    priority: str
    priority_reasons: list[str]
    priority_by: str
    assignee: str | None
    response_due_at: datetime | None
    response_sla: str
    first_reply_at: datetime | None
    resolution_due_at: datetime | None
    resolution_sla: str
    resolved_at: datetime | None
    closed_at: datetime | None
    dismissed_reason: str | None


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
class DraftRow:
    id: int
    mention_id: int
    kind: str
    language: str
    text: str
    template: str
    notes: list[str]
    state: str
    version: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    approved_by: str | None
    approved_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReplyRow:
    id: int
    mention_id: int
    draft_id: int | None
    kind: str
    text: str
    url: str | None
    posted_at: datetime
    recorded_by: str
    verify_state: str
    verified_at: datetime | None


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: CaseRow
    places: list[Place]
    candidates: list[CandidateRow]
    drafts: list[DraftRow]
    replies: list[ReplyRow]
    timeline: list[TimelineEntry]


# What the queue shows of a case, by CaseRow's field names. Named columns rather than the Case entity: the
# list does not read search_text (up to SEARCH_CAP characters a case, there for the filter) nor build ORM objects.
_COLUMNS = (
    Case.id, Brand.key.label("brand"), Case.status, Case.title, Case.language, Case.opened_at,
    Case.last_mention_at, Case.mention_count.label("places"), Case.customer_id,
    Customer.full_name.label("customer_name"), Case.customer_state, Case.merged_into_id, Case.updated_at, Case.category,
    Case.priority, Case.priority_reasons, Case.priority_by, Case.assignee, Case.response_due_at, Case.response_sla,
    Case.first_reply_at, Case.resolution_due_at, Case.resolution_sla, Case.resolved_at, Case.closed_at,
    Case.dismissed_reason,
)  # fmt: skip


def _plain(column: Any, hint: bool) -> Any:
    """`+column` when `hint`: SQLite's way to say "filter on this, but do not pick an index by it".

    The queue's coarse filters (brand, SLA state) match a good share of all cases. SQLite plans
    without statistics (nothing here runs ANALYZE, and a long ANALYZE would lock writers out), so it takes
    any index with an equality for a selective one: a search in one brand's cases read all of them
    through the brand index and sorted them for each page of 50 (1 s at 200,000 cases). Kept off those indexes, it walks the
    index of the sort order (id or a deadline) and stops after `limit` matches. PostgreSQL has statistics
    and gets the plain column.
    """
    if not hint:
        return column
    return sa.sql.elements.UnaryExpression(column, operator=sa.sql.operators.custom_op("+"), type_=column.type)


def _rows_query(hint: bool = False) -> sa.Select[Any]:
    return (
        sa.select(*_COLUMNS)
        .select_from(Case)
        .join(Brand, Brand.id == _plain(Case.brand_id, hint))
        .outerjoin(Customer, Customer.id == Case.customer_id)
    )


def _row(row: sa.Row[Any]) -> CaseRow:
    return CaseRow(*row)  # _COLUMNS are in CaseRow's field order (tests/monitor/test_case_views.py)


def _filtered(query: sa.Select[Any], f: CaseFilter, hint: bool = False) -> sa.Select[Any]:
    if f.brand:
        query = query.where(Brand.key == f.brand)
    statuses = tuple(s for st in f.status for s in (OPEN_STATUSES if st == "open" else (st,)))
    if statuses:
        # Named in the SQL text, not bound: SQLite uses a partial index (the open queue's, migration 0004)
        # only when the query has its condition word for word.
        open_query = set(statuses) == set(OPEN_STATUSES)
        values = sa.bindparam("statuses", OPEN_STATUSES if open_query else statuses, expanding=True,
                              literal_execute=True)  # fmt: skip
        query = query.where(Case.status.in_(values))
    else:
        query = query.where(Case.status != "merged")
    if f.priority:
        query = query.where(Case.priority.in_(f.priority))
    if f.category:
        query = query.where(Case.category == f.category)
    if f.unassigned:
        query = query.where(Case.assignee.is_(None))
    elif f.assignee:
        query = query.where(Case.assignee == f.assignee)
    if f.sla:
        query = query.where(
            sa.or_(_plain(Case.response_sla, hint) == f.sla, _plain(Case.resolution_sla, hint) == f.sla)
        )
    if f.language:
        query = query.where(Case.language == f.language)
    if f.source:
        on_source = (
            sa.select(Mention.id)
            .join(Source, Source.id == Mention.source_id)
            .where(Mention.case_id == Case.id, Source.key == f.source)
        )
        query = query.where(on_source.exists())
    if f.customer_state:
        query = query.where(Case.customer_state == f.customer_state)
    if f.customer_id is not None:
        query = query.where(Case.customer_id == f.customer_id)
    if f.text:
        query = query.where(Case.search_text.contains(" ".join(f.text.split()).casefold(), autoescape=True))
    if f.opened_from is not None:
        query = query.where(Case.opened_at >= f.opened_from)
    if f.opened_to is not None:
        query = query.where(Case.opened_at < f.opened_to)
    return query


def list_cases(
    *,
    session: Session,
    filters: CaseFilter,
    sort: str = "newest",
    after: tuple[datetime | int | None, int] | None = None,
    limit: int = 50,
) -> list[CaseRow]:
    """One page of the queue; `after` is the (sort value, id) of the last row of the previous page."""
    column, descending = SORTS[sort]
    # Plain rows through the session's connection: the ORM's result machinery adds nothing to named columns.
    conn = session.connection()
    hint = conn.dialect.name == "sqlite"
    query = _filtered(_rows_query(hint), filters, hint)
    if column is Case.id:
        query = query.order_by(Case.id.desc() if descending else Case.id)
        if after is not None:
            query = query.where(Case.id < after[1] if descending else Case.id > after[1])
        return [_row(r) for r in conn.execute(query.limit(limit))]
    # Ascending deadlines, ties by id, NULLs last: the rows with a deadline, then (when the page is not full)
    # the rows without one. Two queries, not one ORDER BY `column IS NULL, column, id`: no index has that
    # order, so that query read and sorted every matching case for each page; each of these two walks an
    # index, (deadline, id) or the id, and stops after `limit` rows.
    rows: list[sa.Row[Any]] = []
    if after is None or after[0] is not None:
        dated = query.where(column.is_not(None)).order_by(column, Case.id)
        if after is not None:
            dated = dated.where(sa.tuple_(column, Case.id) > sa.tuple_(sa.literal(after[0], column.type), after[1]))
        rows = list(conn.execute(dated.limit(limit)))
    if len(rows) < limit:
        undated = query.where(column.is_(None)).order_by(Case.id)
        if after is not None and after[0] is None:
            undated = undated.where(Case.id > after[1])
        rows += conn.execute(undated.limit(limit - len(rows)))
    return [_row(r) for r in rows]


def sort_value(row: CaseRow, sort: str) -> datetime | int | None:
    return {"response_due": row.response_due_at, "resolution_due": row.resolution_due_at}.get(sort, row.id)


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
    drafts = [
        _copy(DraftRow, d) for d in session.scalars(sa.select(Draft).where(Draft.case_id == case_id).order_by(Draft.id))
    ]
    replies = [
        _copy(ReplyRow, r) for r in session.scalars(sa.select(Reply).where(Reply.case_id == case_id).order_by(Reply.id))
    ]
    return CaseDetail(case=_row(found), places=places, candidates=candidates, drafts=drafts, replies=replies,
                      timeline=timeline)  # fmt: skip


def _copy(cls: type[T], row: object) -> T:
    """The dataclass `cls` filled from the same-named attributes of a table row (lists copied)."""
    values = {name: getattr(row, name) for name in cls.__dataclass_fields__}  # type: ignore[attr-defined]
    return cls(**{k: list(v) if isinstance(v, list) else v for k, v in values.items()})
