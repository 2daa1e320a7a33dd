"""What staff see of cases: the queue (filters, sorting, keyset pages) and one case in full.

Sorting is by one of SORTS; every order ends with the case id, so a page boundary
is a (value, id) pair and the next page is a keyset query: page 4,000 costs what
page 1 does. Cases without a deadline (none once triage has run) sort last.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import orjson
import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlmodel import Session

from monitor.cases.lifecycle import OPEN_STATUSES
from monitor.models import Brand, Case, CaseCandidate, CaseEvent, Customer, Mention, Source, UtcDateTime
from monitor.models.desk import Draft, Reply

__all__ = [
    "QUEUE_FIELDS", "SORTS", "CaseDetail", "CaseFilter", "CaseRow", "get_case", "list_cases", "queue_rows",
    "queue_rows_async", "queue_sort_value", "sort_value",
]  # fmt: skip

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


def _statuses(f: CaseFilter) -> tuple[str, ...]:
    """The filter's statuses, 'open' spelled out, each once, in a fixed order (a part of the statement's shape)."""
    return tuple(sorted({s for st in f.status for s in (OPEN_STATUSES if st == "open" else (st,))}))


def _like(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its wildcards taken as text (ESCAPE '/', as `contains(autoescape=True)`)."""
    escaped = " ".join(text.split()).casefold().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _shape(f: CaseFilter) -> tuple[Any, ...]:
    """What the queue's SQL text depends on: which filters are set, the statuses (named in the text) and the
    number of priorities. The values themselves are bound parameters."""
    given = tuple(bool(getattr(f, name)) for name in _TRUTHY) + tuple(
        getattr(f, name) is not None for name in ("customer_id", "opened_from", "opened_to")
    )
    return (*given, f.unassigned, _statuses(f), len(set(f.priority)))


# Filters that apply when they are non-empty (an empty `brand=` is no filter), as they always have.
_TRUTHY = ("brand", "category", "assignee", "sla", "language", "source", "customer_state", "text")


def _params(f: CaseFilter) -> dict[str, Any]:
    """The bound values of `_filtered`'s statement, by parameter name."""
    values: dict[str, Any] = {
        "brand": f.brand, "category": f.category, "assignee": f.assignee, "sla": f.sla, "language": f.language,
        "source": f.source, "customer_state": f.customer_state, "customer_id": f.customer_id,
        "text": _like(f.text) if f.text else None, "opened_from": f.opened_from, "opened_to": f.opened_to,
    }  # fmt: skip
    values.update({f"priority_{i}": p for i, p in enumerate(sorted(set(f.priority)))})
    return values


def _filtered(query: sa.Select[Any], f: CaseFilter, hint: bool = False) -> sa.Select[Any]:
    """`query` with `f`'s conditions, each value a bound parameter named as in `_params`."""
    if f.brand:
        query = query.where(Brand.key == sa.bindparam("brand", f.brand))
    statuses = _statuses(f)
    if statuses:
        # Named in the SQL text, not bound: SQLite uses a partial index (the open queue's, migration 0005)
        # only when the query has its condition word for word.
        open_query = set(statuses) == set(OPEN_STATUSES)
        values = sa.bindparam("statuses", OPEN_STATUSES if open_query else statuses, expanding=True,
                              literal_execute=True)  # fmt: skip
        query = query.where(Case.status.in_(values))
    else:
        query = query.where(Case.status != sa.bindparam("merged", "merged", literal_execute=True))
    if f.priority:
        query = query.where(Case.priority.in_([sa.bindparam(f"priority_{i}", p)
                                               for i, p in enumerate(sorted(set(f.priority)))]))  # fmt: skip
    if f.category:
        query = query.where(Case.category == sa.bindparam("category", f.category))
    if f.unassigned:
        query = query.where(Case.assignee.is_(None))
    elif f.assignee:
        query = query.where(Case.assignee == sa.bindparam("assignee", f.assignee))
    if f.sla:
        sla = sa.bindparam("sla", f.sla)
        query = query.where(sa.or_(_plain(Case.response_sla, hint) == sla, _plain(Case.resolution_sla, hint) == sla))
    if f.language:
        query = query.where(Case.language == sa.bindparam("language", f.language))
    if f.source:
        on_source = (
            sa.select(Mention.id)
            .join(Source, Source.id == Mention.source_id)
            .where(Mention.case_id == Case.id, Source.key == sa.bindparam("source", f.source))
        )
        query = query.where(on_source.exists())
    if f.customer_state:
        query = query.where(Case.customer_state == sa.bindparam("customer_state", f.customer_state))
    if f.customer_id is not None:
        query = query.where(Case.customer_id == sa.bindparam("customer_id", f.customer_id))
    if f.text:
        query = query.where(Case.search_text.like(sa.bindparam("text", _like(f.text)), escape="/"))
    if f.opened_from is not None:
        query = query.where(Case.opened_at >= sa.bindparam("opened_from", f.opened_from, type_=Case.opened_at.type))
    if f.opened_to is not None:
        query = query.where(Case.opened_at < sa.bindparam("opened_to", f.opened_to, type_=Case.opened_at.type))
    return query


# The parts of a queue page (see queue_rows): by id, the cases with a deadline, the ones without.
Part = Literal["id", "dated", "undated"]


def _page_query(f: CaseFilter, sort: str, part: Part, keyed: bool, hint: bool) -> sa.Select[Any]:
    """One part of a page as a statement whose values are all bound parameters (`_params`, `after_value`,
    `after_id`, `limit`), so that its SQL text holds for every request of the same shape."""
    column, descending = SORTS[sort]
    query = _filtered(_rows_query(hint), f, hint)
    after_id = sa.bindparam("after_id", None, type_=sa.Integer)
    if part == "id":
        query = query.order_by(Case.id.desc() if descending else Case.id)
        if keyed:
            query = query.where(Case.id < after_id if descending else Case.id > after_id)
    elif part == "dated":
        query = query.where(column.is_not(None)).order_by(column, Case.id)
        if keyed:
            query = query.where(sa.tuple_(column, Case.id) > sa.tuple_(sa.bindparam("after_value", None, type_=column.type),
                                                                       after_id))  # fmt: skip
    else:
        query = query.where(column.is_(None)).order_by(Case.id)
        if keyed:
            query = query.where(Case.id > after_id)
    return query.limit(sa.bindparam("limit", None, type_=sa.Integer))


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A page statement compiled for one dialect: its SQL text, and how to turn `_params` into the driver's."""

    sql: str
    names: tuple[str, ...] | None  # positional drivers (SQLite): the parameters' names in order; None for named
    processors: tuple[tuple[str, Callable[[Any], Any]], ...]  # dialect conversions of the values (datetimes)
    constants: dict[str, Any]  # the compiler's own anonymous parameters (SQLite's `OFFSET ?` after a LIMIT)

    def bind(self, values: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values.update(self.constants)
        for name, process in self.processors:
            if values.get(name) is not None:
                values[name] = process(values[name])
        return tuple(values[n] for n in self.names) if self.names is not None else values


# Compiled page statements by (dialect, sort, part, keyed, filter shape): building a SELECT and its cache key
# was a tenth of a list request. Filter shapes are few in practice; the bound keeps a caller sending every
# combination from growing it without end.
_PREPARED: dict[tuple[Any, ...], _Prepared] = {}
_PREPARED_MAX = 1000


def _prepared(dialect: sa.Dialect, f: CaseFilter, sort: str, part: Part, keyed: bool) -> _Prepared:
    key = (dialect.name, sort, part, keyed, _shape(f))
    found = _PREPARED.get(key)
    if found is not None:
        return found
    statement = _page_query(f, sort, part, keyed, hint=dialect.name == "sqlite")
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    processors = []
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((name, process))
    positional = compiled.positiontup if dialect.positional else None
    # Every value of a request is a named parameter; an anonymous one is a constant SQLAlchemy made itself.
    constants = {name: bind.value for bind, name in compiled.bind_names.items() if bind.unique}
    found = _Prepared(str(compiled), tuple(positional) if positional is not None else None, tuple(processors),
                      constants)  # fmt: skip
    if len(_PREPARED) >= _PREPARED_MAX:
        _PREPARED.clear()
    _PREPARED[key] = found
    return found


_DATE_AT = tuple(i for i, c in enumerate(_COLUMNS) if isinstance(c.type, UtcDateTime))
_REASONS_AT = next(i for i, c in enumerate(_COLUMNS) if c.key == "priority_reasons")
# Names psycopg gives the session's zone when it is UTC: its datetimes are then UTC already.
_PSYCOPG = pg_psycopg.dialect()  # the dialect whose SQL queue_rows_async sends
_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu"})


def _converted(rows: list[list[Any]], dialect: str, timezone: str) -> list[list[Any]]:
    """CaseRow's values from a driver's rows: aware UTC datetimes, priority_reasons a list.

    SQLite gives the stored text for both (SQLAlchemy's format, naive UTC, and JSON); psycopg gives the
    parsed JSON and aware datetimes in the session's zone (`timezone`).
    """
    if dialect == "sqlite":
        for row in rows:
            for i in _DATE_AT:
                if row[i] is not None:
                    row[i] = datetime.fromisoformat(row[i] + "+00:00")  # one C call; .replace(tzinfo=) is slower
            if row[_REASONS_AT] is not None:
                row[_REASONS_AT] = orjson.loads(row[_REASONS_AT])
    elif timezone not in _UTC_ZONES:
        for row in rows:
            for i in _DATE_AT:
                if row[i] is not None:
                    row[i] = row[i].astimezone(UTC)
    return rows


def _fetch(conn: sa.Connection, sql: str, bound: Any) -> list[list[Any]]:
    """The rows of `sql` as lists of CaseRow's values, straight through the driver's cursor: SQLAlchemy's
    result layer (a fetchone per row, type processors per value) cost more than the query."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql, bound)
        rows = [list(r) for r in cursor.fetchall()]
    finally:
        cursor.close()
    sqlite = conn.dialect.name == "sqlite"
    return _converted(rows, conn.dialect.name, "" if sqlite else str(getattr(dbapi.info, "timezone", "")))


async def _fetch_async(conn: psycopg.AsyncConnection[Any], sql: str, bound: Any) -> list[list[Any]]:
    """`_fetch` on psycopg's async connection."""
    async with conn.cursor() as cursor:
        await cursor.execute(sql, bound)
        rows = [list(r) for r in await cursor.fetchall()]
    return _converted(rows, "postgresql", str(conn.info.timezone))


QUEUE_FIELDS: tuple[str, ...] = tuple(c.key for c in _COLUMNS)

# A page's statements, (SQL text, bound values) one at a time, each sent the rows of the one before;
# it returns the page. Written once, and driven by queue_rows (a Connection) and queue_rows_async.
_Steps = Generator[tuple[str, Any], list[list[Any]], list[list[Any]]]


def _queue_steps(
    dialect: sa.Dialect, filters: CaseFilter, sort: str, after: tuple[datetime | int | None, int] | None, limit: int
) -> _Steps:
    column, _ = SORTS[sort]

    def statement(part: Part, n: int) -> tuple[str, Any]:
        keyed = after is not None and (part != "undated" or after[0] is None)
        values = _params(filters)
        values["limit"] = n
        if keyed:
            assert after is not None
            values["after_id"] = after[1]
            values["after_value"] = after[0]
        prepared = _prepared(dialect, filters, sort, part, keyed)
        return prepared.sql, prepared.bind(values)

    if column is Case.id:
        return (yield statement("id", limit))
    # Ascending deadlines, ties by id, NULLs last: the rows with a deadline, then (when the page is not full)
    # the rows without one. Two queries, not one ORDER BY `column IS NULL, column, id`: no index has that
    # order, so that query read and sorted every matching case for each page; each of these two walks an
    # index, (deadline, id) or the id, and stops after `limit` rows.
    rows: list[list[Any]] = []
    if after is None or after[0] is not None:
        rows = yield statement("dated", limit)
    if len(rows) < limit:
        rows += yield statement("undated", limit - len(rows))
    return rows


def queue_rows(
    conn: sa.Connection,
    filters: CaseFilter,
    sort: str = "newest",
    after: tuple[datetime | int | None, int] | None = None,
    limit: int = 50,
) -> list[list[Any]]:
    """One page of the queue as lists of QUEUE_FIELDS (CaseRow's fields, in order); `after` is the
    (sort value, id) of the last row of the previous page.

    The hot read of the desk, so it skips what the ORM and SQLAlchemy's result types would add per
    request: the SQL text of each statement shape is compiled once (`_prepared`), sent as it is
    through the driver's cursor, and only the datetimes and the JSON of its rows are converted (`_fetch`).
    """
    steps = _queue_steps(conn.dialect, filters, sort, after, limit)
    try:
        sql, bound = next(steps)
        while True:
            sql, bound = steps.send(_fetch(conn, sql, bound))
    except StopIteration as done:
        return done.value


async def queue_rows_async(
    conn: psycopg.AsyncConnection[Any],
    filters: CaseFilter,
    sort: str = "newest",
    after: tuple[datetime | int | None, int] | None = None,
    limit: int = 50,
) -> list[list[Any]]:
    """`queue_rows` on a psycopg AsyncConnection (PostgreSQL), for a caller on the event loop: the page
    costs no trip through a thread pool. The statements are the psycopg dialect's, as queue_rows sends them."""
    steps = _queue_steps(_PSYCOPG, filters, sort, after, limit)
    try:
        sql, bound = next(steps)
        while True:
            sql, bound = steps.send(await _fetch_async(conn, sql, bound))
    except StopIteration as done:
        return done.value


def list_cases(
    *,
    session: Session,
    filters: CaseFilter,
    sort: str = "newest",
    after: tuple[datetime | int | None, int] | None = None,
    limit: int = 50,
) -> list[CaseRow]:
    """One page of the queue as CaseRows (queue_rows through the session's connection)."""
    return [CaseRow(*r) for r in queue_rows(session.connection(), filters, sort, after, limit)]


def queue_sort_value(row: Sequence[Any], sort: str) -> datetime | int | None:
    """`sort_value` of a queue_rows row."""
    return row[_SORT_AT[sort]]


_SORT_AT = {name: QUEUE_FIELDS.index(column.key) for name, (column, _) in SORTS.items()}


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
