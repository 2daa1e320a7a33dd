"""The case step's batch (monitor.cases.batch) written with one statement (or one executemany) a table.

New cases go in first, with RETURNING ids in the order given, so every row that names a case can be
built; then stored cases (their counters as increments, so a concurrent worker's join is not lost),
mentions, band rows and prepared texts, timeline entries, outbox events, customer candidates.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases.batch_state import CASE_FIELDS, CASE_WRITES, CaseState, Post
from monitor.cases.dedupe import stored_marks
from monitor.cases.timeline import SYSTEM, append_many
from monitor.core.db import insert_many
from monitor.models import Case, CaseCandidate, Mention
from monitor.models.events import emit_many

if TYPE_CHECKING:
    from monitor.cases.batch import CaseBatch

__all__ = ["write_batch", "write_candidates"]


def write_batch(batch: CaseBatch, others: list[Post]) -> None:
    """Store the batch: the placed posts and their cases, and `others` (unassigned or kept)."""
    session, now = batch.session, batch.now
    new = [c for c in batch.cases.values() if c.new]
    if new:
        for case, case_id in zip(new, _insert_cases(session, new), strict=True):
            case.id = case_id
    # By id: two workers updating the same stored cases lock them in one order, so they never deadlock.
    stored = sorted((c for c in batch.cases.values() if not c.new), key=lambda c: c.id)
    if stored:
        _update_stored(batch, stored)
    _update_by_id(session, Mention, [_decided(p, now) | _placed(p) for p in batch.placed])
    _update_by_id(session, Mention, [_decided(p, now) for p in others])
    indexed = [(p, p.signature) for p in batch.placed if p.signature is not None and p.signature.band_keys]
    _insert_plain(session, "mention_band", {"mention_id": "bigint", "band_key": "bigint"},
                  [(p.id, key) for p, sig in indexed for key in sig.band_keys])  # fmt: skip
    _insert_plain(session, "mention_signature", {"mention_id": "bigint", "content_hash": "text", "text": "text",
                  "marks": "text"}, [(p.id, p.content_hash, sig.text, stored_marks(sig.marks)) for p, sig in indexed])  # fmt: skip
    _insert_timeline(session, batch, now)
    emit_many(session, [(kind, f"case:{c.id}", {"case_id": c.id, **extra}) for kind, c, extra in batch.events], now=now)
    batch.write_candidates()


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
    """One UPDATE by id, executed for every row (the rows name the same columns; "id" picks the row)."""
    if rows:
        table = model.__table__
        columns = [c for c in rows[0] if c != "id"]
        statement = sa.update(table).where(table.c.id == sa.bindparam("b_id"))
        statement = statement.values({c: sa.bindparam(f"v_{c}") for c in columns})
        session.execute(statement, [{"b_id": r["id"], **{f"v_{c}": r[c] for c in columns}} for r in rows])


# PostgreSQL array types of the case columns the batch inserts: text, not varchar(n), so a value too long
# is refused by the column as an ORM insert would be (a cast to varchar(n) would cut it silently).
_ARRAY_TYPES = {"INTEGER": "integer", "FLOAT": "float8", "JSONB": "jsonb", "TEXT": "text",
                "TIMESTAMP WITH TIME ZONE": "timestamptz"}  # fmt: skip


def _insert_cases(session: Session, new: list[CaseState]) -> list[int]:
    """Insert the new cases, their ids in the order given. On PostgreSQL one INSERT … SELECT FROM
    unnest() WITH ORDINALITY ORDER BY it: the sequence gives the rows increasing ids in that order,
    so the returned ids, sorted, are the cases' in order (~0.5 ms of client CPU a case less than
    SQLAlchemy's sorted "insertmanyvalues"). Elsewhere that path."""
    table = Case.__table__
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        rows = [{f: getattr(c, f) for f in CASE_FIELDS} for c in new]
        ids = session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        return [case_id for (case_id,) in ids]
    kinds = []
    for field in CASE_FIELDS:
        name = table.c[field].type.compile(dialect=connection.dialect)
        kinds.append(_ARRAY_TYPES.get(name, "text" if name.startswith("VARCHAR") else name))
    names = ", ".join(CASE_FIELDS)
    arrays = ", ".join(f"%s::{kind}[]" for kind in kinds)
    sql = (f"INSERT INTO {table.name} ({names}) SELECT {names} FROM unnest({arrays}) WITH ORDINALITY "  # noqa: S608
           f"AS u({names}, n) ORDER BY n RETURNING id")  # fmt: skip
    columns = [
        [json.dumps(getattr(c, f)) if kind == "jsonb" else getattr(c, f) for c in new]
        for f, kind in zip(CASE_FIELDS, kinds, strict=True)
    ]
    return sorted(case_id for (case_id,) in connection.exec_driver_sql(sql, tuple(columns)))


def _insert_timeline(session: Session, batch: CaseBatch, now: datetime) -> None:
    """Timeline entries in the order noted (their ids keep it). On PostgreSQL one INSERT … SELECT FROM
    unnest(), as the band rows: through SQLAlchemy's JSON type and "insertmanyvalues" they cost ~0.3 ms
    of client CPU an entry; elsewhere timeline.append_many."""
    if session.connection().dialect.name != "postgresql":
        append_many(session, [{"case_id": c.id, "at": now, "actor": SYSTEM, "kind": kind, "mention_id": mid,
                               "data": data} for c, mid, kind, data in batch.timeline])  # fmt: skip
        return
    columns = {"case_id": "bigint", "at": "timestamptz", "actor": "text", "kind": "text", "mention_id": "bigint",
               "data": "jsonb"}  # fmt: skip
    rows = [(c.id, now, SYSTEM, kind, mid, json.dumps(data)) for c, mid, kind, data in batch.timeline]
    _insert_plain(session, "case_event", columns, rows, ordered=True)


def _insert_plain(
    session: Session, table: str, columns: dict[str, str], rows: list[tuple[Any, ...]], *, ordered: bool = False
) -> None:
    """Rows of plain values (integers, text; `columns` maps each column to its PostgreSQL type) without
    SQLAlchemy's per-row parameter handling, the largest part of the write for 32 band rows a post:
    on PostgreSQL one INSERT … SELECT FROM unnest() of one array a column (psycopg's executemany still
    cost ~25 µs a row), on SQLite the driver's executemany (its loop runs in C)."""
    if not rows:
        return
    connection = session.connection()
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{kind}[]" for kind in columns.values())
        sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays})"  # noqa: S608
        if ordered:  # ids from the sequence in the rows' order, not whatever order the plan produces
            sql = (f"INSERT INTO {table} ({names}) SELECT {names} FROM unnest({arrays}) WITH ORDINALITY "  # noqa: S608
                   f"AS u({names}, n) ORDER BY n")  # fmt: skip
        connection.exec_driver_sql(sql, tuple(list(column) for column in zip(*rows, strict=True)))
    else:
        marks = ", ".join("?" * len(columns))
        connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608
