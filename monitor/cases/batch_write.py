"""The case step's batch (monitor.cases.batch) written with one statement (or one executemany) a table.

New cases go in first, with their ids in the order given, so every row that names a case can be
built; then stored cases (their counters as increments, so a concurrent worker's join is not lost),
mentions, band rows and prepared texts, timeline entries, outbox events, customer candidates.

On PostgreSQL the statements before the band rows go in one pipeline (monitor.core.db.pipelined) and
those after them in another: the new cases' ids are drawn from their sequence first, so no statement
waits for another's answer, and the server executes each statement while the next is encoded here.
The band rows go between the two by one binary COPY, which a pipeline cannot hold. The arrays of
values are sent in binary: the server parses no text, and a timestamp or a JSON text costs the client
a sixth.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases.batch_state import CASE_FIELDS, CASE_WRITES, CaseState, Post
from monitor.cases.dedupe import Signature, stored_marks
from monitor.cases.timeline import SYSTEM
from monitor.core.db import insert_many, pipelined
from monitor.core.driver import driver_cursor, driver_rows
from monitor.models import Case, CaseCandidate, CaseEvent, Event, Mention
from monitor.models.base import UtcDateTime

if TYPE_CHECKING:
    from monitor.cases.batch import CaseBatch

__all__ = ["write_batch", "write_candidates"]


def write_batch(batch: CaseBatch, others: list[Post]) -> None:
    """Store the batch: the placed posts and their cases, and `others` (unassigned or kept)."""
    session = batch.session
    indexed = [(p, p.signature) for p in batch.placed if p.signature is not None and p.signature.band_keys]
    with pipelined(session.connection()):
        _write_cases_and_mentions(batch, others)
    _insert_bands(session, indexed)
    with pipelined(session.connection()):
        _write_texts_and_timeline(batch, indexed)
    batch.write_candidates()  # SQLAlchemy reads the new candidates' ids: not in a pipeline


def _write_cases_and_mentions(batch: CaseBatch, others: list[Post]) -> None:
    session, now = batch.session, batch.now
    new = [c for c in batch.cases.values() if c.new]
    if new:
        _insert_cases(session, new)
    # By id: two workers updating the same stored cases lock them in one order, so they never deadlock.
    stored = sorted((c for c in batch.cases.values() if not c.new), key=lambda c: c.id)
    if stored:
        _update_stored(batch, stored)
    _update_by_id(session, Mention, [_decided(p, now) | _placed(p) for p in batch.placed])
    _update_by_id(session, Mention, [_decided(p, now) for p in others])


def _write_texts_and_timeline(batch: CaseBatch, indexed: list[tuple[Post, Signature]]) -> None:
    session, now = batch.session, batch.now
    _insert_plain(session, "mention_signature", {"mention_id": "bigint", "content_hash": "text", "text": "text",
                  "marks": "text"}, [(p.id, p.content_hash, sig.text, stored_marks(sig.marks)) for p, sig in indexed])  # fmt: skip
    _insert_typed(session, CaseEvent.__table__, _TIMELINE,
                  [(c.id, now, SYSTEM, kind, mid, data) for c, mid, kind, data in batch.timeline])  # fmt: skip
    # As models.events.emit_many stores them (subject cut to its column), in the order noted.
    _insert_typed(session, Event.__table__, ("kind", "subject", "payload", "created_at"),
                  [(kind, f"case:{c.id}"[:200], {"case_id": c.id, **extra}, now)
                   for kind, c, extra in batch.events])  # fmt: skip


def _insert_bands(session: Session, indexed: list[tuple[Post, Signature]]) -> None:
    """The posts' band rows, 32 a post (~6,400 a batch). On PostgreSQL one binary COPY whose rows numpy
    lays out at once: ~1.5 ms of CPU a batch, where psycopg adapts two lists of 6,400 ints in ~4.5 ms
    (as text ~15 ms), and the server stores them in less time than an INSERT's; migration 0016's
    statement trigger checks them as it checks an INSERT's. Elsewhere `_insert_plain`, in key order: the
    table is its key's B-tree, filled left to right, not at 6,400 random places (SQLite, 30,000 mentions:
    4.1 s against 5.0 s)."""
    if not indexed:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        _insert_plain(session, "mention_band", {"band_key": "", "mention_id": ""},
                      sorted((key, p.id) for p, sig in indexed for key in sig.band_keys))  # fmt: skip
        return
    counts = [len(sig.band_keys) for _, sig in indexed]
    rows = np.empty(sum(counts), dtype=_BAND_ROW)
    rows["fields"], rows["id_size"], rows["key_size"] = 2, 4, 8
    rows["mention_id"] = np.repeat([p.id for p, _ in indexed], counts)
    rows["band_key"] = np.fromiter(chain.from_iterable(sig.band_keys for _, sig in indexed), np.int64, len(rows))
    with (
        driver_cursor(connection) as cursor,
        cursor.copy("COPY mention_band (mention_id, band_key) FROM STDIN (FORMAT BINARY)") as copy,
    ):
        copy.write(_COPY_HEADER + rows.tobytes() + _COPY_TRAILER)


# PostgreSQL's binary COPY format: a signature, flags and the length of a header extension; then each row
# as its number of fields and each field as its length in bytes and its value, big-endian (mention_id is
# an INTEGER column, band_key a BIGINT: a field of another width is refused); -1 after the last row.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
_COPY_TRAILER = struct.pack("!h", -1)
_BAND_ROW = np.dtype(
    [("fields", ">i2"), ("id_size", ">i4"), ("mention_id", ">i4"), ("key_size", ">i4"), ("band_key", ">i8")]
)


def _decided(post: Post, now: datetime) -> dict[str, Any]:
    return {"id": post.id, "tone": post.tone, "tone_reasons": post.tone_reasons, "brand_id": post.brand_id,
            "brand_rule": post.brand_rule, "processed_at": now}  # fmt: skip


def _placed(post: Post) -> dict[str, Any]:
    assert post.case is not None and post.place is not None
    place = post.place
    return {"case_id": post.case.id, "case_method": post.method, "case_score": post.score, "place_state": place.state,
            "place_since": place.since, "place_sla": place.sla, "place_due_at": place.due,
            "place_risk_at": place.risk}  # fmt: skip


def _update_stored(batch: CaseBatch, stored: list[CaseState]) -> None:
    """The step's columns of stored cases; their counters as increments."""
    table = Case.__table__
    values: dict[str, Any] = {f: sa.bindparam(f"v_{f}") for f in CASE_WRITES}
    values["mention_count"] = table.c.mention_count + sa.bindparam("v_added")
    values["places_unanswered"] = table.c.places_unanswered + sa.bindparam("v_unanswered")
    rows = [{"b_id": c.id, "v_added": c.added, "v_unanswered": c.unanswered_added,
             **{f"v_{f}": getattr(c, f) for f in CASE_WRITES}} for c in stored]  # fmt: skip
    batch.session.execute(sa.update(table).where(table.c.id == sa.bindparam("b_id")).values(values), rows)
    # Clocks of stored places that a new priority moved (the batch's own are written with their mention).
    mine = {p.id for p in batch.placed}
    _update_by_id(batch.session, Mention, [
        {"id": p.id, "place_since": p.since, "place_due_at": p.due, "place_risk_at": p.risk, "place_sla": p.sla}
        for c in stored for p in c.places if p.changed and p.id not in mine])  # fmt: skip


def write_candidates(batch: CaseBatch) -> None:
    """Customer candidates the batch found or changed: new ones inserted, known ones updated."""
    fresh, changed = [], []
    for case in batch.cases.values():
        for row in case.candidates.values():
            if not row.get("changed"):
                continue
            values = {"score": row["score"], "reasons": row["reasons"], "state": row["state"]}
            if row["id"] is None:
                fresh.append({"case_id": case.id, "customer_id": row["customer_id"], "created_at": batch.now,
                              "decided_by": None, "decided_at": None, **values})  # fmt: skip
            else:
                changed.append({"id": row["id"], **values})
    insert_many(batch.session, CaseCandidate, fresh)
    _update_by_id(batch.session, CaseCandidate, changed)


def _update_by_id(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """The rows' columns by id (the rows name the same columns; "id" picks the row): on PostgreSQL one
    UPDATE … FROM unnest(), elsewhere the driver's executemany; the values through the columns' types,
    as SQLAlchemy would bind them (a JSON list, a UTC timestamp), without its per-row handling."""
    if not rows:
        return
    table = model.__table__
    columns = [c for c in rows[0] if c != "id"]
    connection = session.connection()
    values = _bound(connection.dialect, table, ["id", *columns], [tuple(r[c] for c in ("id", *columns)) for r in rows])
    if connection.dialect.name == "postgresql":
        kinds = [_array_type(table.c[c], connection.dialect) for c in ("id", *columns)]
        arrays = ", ".join(f"%b::{kind}[]" for kind in kinds)
        names = ", ".join(("id", *columns))
        sets = ", ".join(f"{c} = u.{c}" for c in columns)
        sql = f"UPDATE {table.name} AS t SET {sets} FROM unnest({arrays}) AS u({names}) WHERE t.id = u.id"  # noqa: S608
        connection.exec_driver_sql(sql, tuple(list(column) for column in zip(*values, strict=True)))
        return
    sets = ", ".join(f"{c} = ?" for c in columns)
    connection.exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE id = ?", [(*v[1:], v[0]) for v in values])  # noqa: S608


_TIMELINE = ("case_id", "at", "actor", "kind", "mention_id", "data")


def _insert_typed(session: Session, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Rows into `table`, ids in the order given, the values through the columns' types (`_bound`): on
    PostgreSQL one INSERT … SELECT FROM unnest() WITH ORDINALITY, elsewhere the driver's executemany
    (SQLAlchemy's "insertmanyvalues" cost ~0.3 ms of client CPU a row with a JSON column)."""
    if not rows:
        return
    connection = session.connection()
    values = _bound(connection.dialect, table, columns, rows)
    if connection.dialect.name == "postgresql":
        kinds = {c: _array_type(table.c[c], connection.dialect) for c in columns}
        _insert_plain(session, table.name, kinds, values, ordered=True)
        return
    _insert_plain(session, table.name, dict.fromkeys(columns, ""), values)


def _bound(dialect: sa.Dialect, table: sa.Table, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> list[tuple]:
    """The rows' values as SQLAlchemy binds them for `dialect`; JSON as its text on PostgreSQL (cast there)."""
    processors = []
    for column in columns:
        kind = table.c[column].type
        if dialect.name == "postgresql" and isinstance(kind, sa.JSON):
            processors.append(json.dumps)  # the jsonb array is sent as an array of its texts, and cast
        elif dialect.name == "postgresql" and isinstance(kind, sa.Float):
            processors.append(_float)  # a binary array holds one type: an int among floats would be refused
        elif isinstance(kind, UtcDateTime) and (process := _bind_processor(kind, dialect)) is not None:
            processors.append(_memo(process))  # a batch's timestamps are mostly one: `now`
        else:
            processors.append(_bind_processor(kind, dialect))
    if not any(processors):
        return rows
    return [tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True)) for row in rows]


def _bind_processor(kind: sa.types.TypeEngine, dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    # What SQLAlchemy applies to a bound value of this column type on this dialect (public API; the same
    # object its private `_cached_bind_processor` caches).
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _memo(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    seen: dict[Any, Any] = {}

    def bind(value: Any) -> Any:
        if value not in seen:
            seen[value] = process(value)
        return seen[value]

    return bind


# PostgreSQL array types of the case columns the batch inserts: text, not varchar(n), so a value too long
# is refused by the column as an ORM insert would be (a cast to varchar(n) would cut it silently).
_ARRAY_TYPES = {"INTEGER": "integer", "BIGINT": "bigint", "FLOAT": "float8", "JSONB": "jsonb", "TEXT": "text",
                "TIMESTAMP WITH TIME ZONE": "timestamptz", "BOOLEAN": "boolean"}  # fmt: skip


def _array_type(column: sa.Column, dialect: sa.Dialect) -> str:
    name = column.type.compile(dialect=dialect)
    return _ARRAY_TYPES.get(name, "text" if name.startswith("VARCHAR") else name)


def _insert_cases(session: Session, new: list[CaseState]) -> None:
    """Insert the new cases and give each its id, increasing in the order given (one by one would open
    them in that order). On PostgreSQL the ids are drawn from the table's sequence first (`_draw_ids`),
    then the rows go with them (`_insert_typed`), so no later statement waits for this one. Elsewhere
    `_insert_sqlite_cases`."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    ids = _draw_ids(connection, Case.__table__, len(new)) if postgres else _insert_sqlite_cases(session, new)
    for case, case_id in zip(new, ids, strict=True):
        case.id = case_id
    if postgres:  # SQLite's rows went in with the RETURNING of their ids
        _insert_typed(session, Case.__table__, ("id", *CASE_FIELDS),
                      [(c.id, *(getattr(c, f) for f in CASE_FIELDS)) for c in new])  # fmt: skip


_DRAW_IDS = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)"


def _draw_ids(connection: sa.Connection, table: sa.Table, count: int) -> list[int]:
    """`count` ids from the sequence of `table`'s id, increasing (a batch rolled back leaves a gap, as
    its INSERT would). The write's first statement: in its pipeline, the answer waits for no other.
    Read through the driver's cursor: SQLAlchemy cannot read an answer inside a pipeline."""
    return sorted(case_id for (case_id,) in driver_rows(connection, _DRAW_IDS, (table.name, count)))


def _insert_sqlite_cases(session: Session, new: list[CaseState]) -> list[int]:
    """SQLite: multi-row INSERTs through the driver, RETURNING the ids. SQLite has one writer and gives
    a row max(id) + 1, in the order the rows are inserted: the ids, sorted, are the cases' in order."""
    table = Case.__table__
    connection = session.connection()
    values = _bound(connection.dialect, table, CASE_FIELDS, [tuple(getattr(c, f) for f in CASE_FIELDS) for c in new])
    row = "(" + ", ".join("?" * len(CASE_FIELDS)) + ")"
    ids: list[int] = []
    for start in range(0, len(values), _SQLITE_ROWS):
        chunk = values[start : start + _SQLITE_ROWS]
        sql = (f"INSERT INTO {table.name} ({', '.join(CASE_FIELDS)}) VALUES "  # noqa: S608
               f"{', '.join([row] * len(chunk))} RETURNING id")  # fmt: skip
        ids += sorted(case_id for (case_id,) in driver_rows(connection, sql, [v for r in chunk for v in r]))
    return ids


_SQLITE_ROWS = 400  # rows of an INSERT on SQLite: 23 values each, under its 32,766 bound parameters


def _insert_plain(
    session: Session, table: str, columns: dict[str, str], rows: list[tuple[Any, ...]], *, ordered: bool = False
) -> None:
    """Rows of plain values (integers, text; `columns` maps each column to its PostgreSQL type) without
    SQLAlchemy's per-row parameter handling: on PostgreSQL one INSERT … SELECT FROM unnest() of one
    binary array a column (psycopg's executemany still cost ~25 µs a row), on SQLite the driver's
    executemany (its loop runs in C)."""
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(f"%b::{kind}[]" for kind in columns.values())
        sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
        if ordered:  # ids from the sequence in the rows' order, not whatever order the plan produces
            sql = (f"INSERT INTO {table} ({names}) SELECT {names} FROM unnest({arrays}) WITH ORDINALITY "  # noqa: S608
                   f"AS u({names}, n) ORDER BY n")  # fmt: skip
        connection.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
    else:
        marks = ", ".join("?" * len(columns))
        connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
