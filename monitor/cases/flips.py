"""The SLA sweep's record of its flips, written by the database: `INSERT … SELECT`, no row through Python.

The sweep (monitor.cases.sla, .places, .promises) flips clocks with compare-and-set UPDATEs that return
the ids they changed; each flip needs a timeline entry and most need an outbox event. Building those
rows in Python and binding them back (a JSON dump and a datetime conversion per value) was most of
the sweep's time when thousands of clocks flip at once, so the rows are selected from the flipped
rows themselves, their JSON built by the database (`json_object` on SQLite, `jsonb_build_object`
on PostgreSQL). The JSON holds what Python wrote before: a deadline as `datetime.isoformat()` of the
aware UTC value ("2026-03-02T09:00:00+00:00", microseconds only when there are some).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from monitor.models import CaseEvent
from monitor.models.base import UtcDateTime
from monitor.models.events import Event

__all__ = ["CHUNK", "chunks", "insert_events", "insert_timeline", "iso_utc", "json_object", "text"]

CHUNK = 5000  # ids per IN list: far under SQLite's 32,766 bound variables, and one statement per 5,000 flips


def chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def text(value: str) -> Any:
    """A string bound as a parameter, typed: PostgreSQL cannot infer the type of a bare parameter in
    jsonb_build_object's variadic arguments."""
    return sa.cast(sa.literal(value), sa.Text)


def iso_utc(column: Any, dialect: str) -> Any:
    """The text `datetime.isoformat()` gives for the aware UTC value of `column` (NULL stays NULL)."""
    if dialect == "postgresql":
        utc = sa.func.timezone("UTC", column)
        whole = sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
        micro = sa.case((sa.func.date_trunc("second", utc) == utc, ""), else_=sa.func.to_char(utc, ".US"))
        return sa.case((column.is_(None), None), else_=whole + micro + "+00:00")
    # SQLite holds naive UTC as "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's storage format, always six digits).
    trimmed = sa.case((sa.func.substr(column, 20) == ".000000", sa.func.substr(column, 1, 19)), else_=column)
    return sa.func.replace(trimmed, " ", "T") + "+00:00"


def json_object(dialect: str, pairs: dict[str, Any]) -> Any:
    """A JSON object built by the database from `pairs` (key → SQL expression)."""
    build = sa.func.jsonb_build_object if dialect == "postgresql" else sa.func.json_object
    args: list[Any] = []
    for key, value in pairs.items():
        args += [sa.literal_column(f"'{key}'"), value]  # keys are this package's constants, never input
    return build(*args)


def _now(now: Any) -> Any:
    return sa.literal(now, UtcDateTime())


def insert_timeline(
    session: Session, *, case_id: Any, now: Any, kind: Any, mention_id: Any, data: Any, query: sa.Select[Any]
) -> None:
    """Timeline entries, one per row of `query` (the flipped rows, joined as needed): each argument an
    expression over those rows."""
    rows = query.with_only_columns(case_id, _now(now), text("system"), kind, mention_id, data)
    columns = ["case_id", "at", "actor", "kind", "mention_id", "data"]
    session.execute(sa.insert(CaseEvent.__table__).from_select(columns, rows))  # type: ignore[attr-defined]


def insert_events(session: Session, *, now: Any, kind: Any, subject: Any, payload: Any, query: sa.Select[Any]) -> None:
    """Outbox events, one per row of `query`, in its order (the ids follow it: alerts go out in that order)."""
    rows = query.with_only_columns(kind, subject, payload, _now(now))
    columns = ["kind", "subject", "payload", "created_at"]
    session.execute(sa.insert(Event.__table__).from_select(columns, rows))  # type: ignore[attr-defined]
