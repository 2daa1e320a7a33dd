"""The case queue as staff see it: sorting and keyset pages, read straight through the driver.

Sorting is by one of SORTS; every order ends with the case id, so a page boundary
is a (value, id) pair and the next page is a keyset query: page 4,000 costs what
page 1 does. Cases without a deadline (none once triage has run) sort last.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
import psycopg
import sqlalchemy as sa
from pydantic import Field
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlmodel import Session

# The filter's parts of the page statement (private to the queue, which prepares them).
from monitor.cases.case_filter import CaseFilter, _filtered, _params, _plain, _shape
from monitor.models import Brand, Case, Customer, Mention, Promise, UtcDateTime

__all__ = [
    "QUEUE_FIELDS", "SORTS", "CaseRow", "list_cases", "queue_rows", "queue_rows_async", "queue_sort_value", "sort_value",
]  # fmt: skip

# name → (column, descending)
SORTS: dict[str, tuple[Any, bool]] = {
    "newest": (Case.id, True),
    "oldest": (Case.id, False),
    "response_due": (Case.response_due_at, False),
    "resolution_due": (Case.resolution_due_at, False),
    # Most places waiting first (ties: newest first); every case has a count, so there is no undated part.
    "unanswered_places": (Case.places_unanswered, True),
}


_SLA = "running, at_risk, breached, met, missed or stopped"


# A case in the queue, and the API's body for one (api/routers/cases.py writes the queue's JSON from
# queue_rows in this order). The descriptions are the OpenAPI document's; a docstring would be one too.
@dataclass(frozen=True, slots=True)
class CaseRow:
    id: int
    brand: str
    status: str
    title: str | None
    language: str | None
    opened_at: datetime
    last_mention_at: datetime
    places: Annotated[int, Field(description="Mentions in the case: each needs its own public reply")]
    customer_id: int | None
    customer_name: str | None
    customer_state: Annotated[
        str | None, Field(description="null, suggested, auto (linked by rule) or confirmed (by staff)")
    ]
    merged_into_id: int | None
    updated_at: datetime
    category: Annotated[str, Field(description="delivery, defect, refund, staff, billing, website or other")]
    priority: Annotated[str, Field(description="low, normal, high or urgent")]
    priority_reasons: Annotated[list[str], Field(description="Why triage chose this priority, or who set it")]
    priority_by: Annotated[str, Field(description="triage, or staff when a person chose the priority (kept)")]
    assignee: str | None
    response_due_at: Annotated[
        datetime | None, Field(description="Deadline of the first public reply (business hours)")
    ]
    response_sla: Annotated[str, Field(description=_SLA)]
    first_reply_at: datetime | None
    resolution_due_at: Annotated[datetime | None, Field(description="Deadline of the resolution (business hours)")]
    resolution_sla: Annotated[str, Field(description=_SLA)]
    resolved_at: datetime | None
    closed_at: datetime | None
    dismissed_reason: Annotated[str | None, Field(description="spam, not_about_us or duplicate, for dismissed cases")]
    places_answered: Annotated[int, Field(description="Places with a public reply of their own (replied or verified)")]
    places_unanswered: Annotated[
        int, Field(description="Places still waiting for a reply of their own (unanswered, or our reply disappeared)")
    ]
    next_place_due_at: Annotated[
        datetime | None, Field(description="The earliest first-reply deadline of a place not yet answered")
    ]
    promise_due_at: Annotated[
        datetime | None, Field(description="The date the customer was told they will hear from us next (open promise)")
    ]
    promise_state: Annotated[str | None, Field(description="open or at_risk: the open promise's state; null: none")]


def _words(name: str, values: tuple[str, ...]) -> Any:
    """`values` written into the SQL text (fixed words, not request values: `_prepared` binds only those)."""
    return sa.bindparam(name, values, expanding=True, literal_execute=True)


def _promise(column: Any) -> Any:
    """`column` of the case's open promise that falls due first."""
    return (
        sa.select(column)
        .where(Promise.case_id == Case.id, Promise.state.in_(_words("open_promise", ("open", "at_risk"))))
        .order_by(Promise.due_at, Promise.id)
        .limit(1)
        .scalar_subquery()
    )


# What the queue shows of a case, by CaseRow's field names. Named columns rather than the Case entity: the
# list does not read search_text (up to SEARCH_CAP characters a case, there for the filter) nor build ORM objects.
_COLUMNS = (
    Case.id, Brand.key.label("brand"), Case.status, Case.title, Case.language, Case.opened_at,
    Case.last_mention_at, Case.mention_count.label("places"), Case.customer_id,
    Customer.full_name.label("customer_name"), Case.customer_state, Case.merged_into_id, Case.updated_at, Case.category,
    Case.priority, Case.priority_reasons, Case.priority_by, Case.assignee, Case.response_due_at, Case.response_sla,
    Case.first_reply_at, Case.resolution_due_at, Case.resolution_sla, Case.resolved_at, Case.closed_at,
    Case.dismissed_reason, (Case.mention_count - Case.places_unanswered).label("places_answered"),
    Case.places_unanswered,
    # One index lookup per row of a page (ix_mention_case, ix_promise_case), not a join over every case. The
    # clock state is compared through coalesce so that no index on it can be picked: SQLite without statistics
    # (nothing here runs ANALYZE) took ix_mention_place_due and read every running clock for each row of the
    # page (3.3 s a queue page at 200,000 cases, against 0.8 ms with the case index).
    sa.select(sa.func.min(Mention.place_due_at)).where(Mention.case_id == Case.id, sa.func.coalesce(Mention.place_sla, "").in_(_words("open_clock", ("running", "at_risk", "breached"))))
    .scalar_subquery().label("next_place_due_at"),
    _promise(Promise.due_at).label("promise_due_at"), _promise(Promise.state).label("promise_state"),
)  # fmt: skip


def _rows_query(hint: bool = False) -> sa.Select[Any]:
    return (
        sa.select(*_COLUMNS)
        .select_from(Case)
        .join(Brand, Brand.id == _plain(Case.brand_id, hint))
        .outerjoin(Customer, Customer.id == Case.customer_id)
    )


def _row(row: sa.Row[Any]) -> CaseRow:
    return CaseRow(*row)  # _COLUMNS are in CaseRow's field order (tests/monitor/test_case_views.py)


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
    elif part == "dated" and descending:
        query = query.where(column.is_not(None)).order_by(column.desc(), Case.id.desc())
        if keyed:
            query = query.where(sa.tuple_(column, Case.id) < sa.tuple_(sa.bindparam("after_value", None, type_=column.type),
                                                                       after_id))  # fmt: skip
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
    return {"response_due": row.response_due_at, "resolution_due": row.resolution_due_at,
            "unanswered_places": row.places_unanswered}.get(sort, row.id)  # fmt: skip
