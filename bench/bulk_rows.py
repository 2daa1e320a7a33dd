"""Rows written straight into the tables, bypassing the ORM: executemany on SQLite, COPY on PostgreSQL
(bench/api_data.py fills 200,000 cases so; building them through the services would take an hour)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from monitor.models import UtcDateTime

__all__ = ["encode_rows", "reset_sequences", "write_rows"]


def _converters(table: sa.Table, dialect: str) -> list[Any]:
    """Per column, how a Python value becomes what the driver stores (decided once per table, not per value)."""

    def sqlite_time(v: datetime | None) -> str | None:
        # As SQLAlchemy's SQLite DateTime stores UtcDateTime: naive UTC with microseconds always written,
        # so that text order is time order.
        return None if v is None else v.astimezone(UTC).isoformat(" ", "microseconds")[:26]

    def as_json(v: Any) -> str | None:
        return None if v is None else json.dumps(v, ensure_ascii=False)

    def same(v: Any) -> Any:
        return v

    out: list[Any] = []
    for column in table.columns:
        if isinstance(column.type, UtcDateTime):
            out.append(sqlite_time if dialect == "sqlite" else same)
        elif isinstance(column.type, sa.JSON):
            out.append(as_json)
        elif isinstance(column.type, sa.Boolean) and dialect == "sqlite":
            out.append(lambda v: None if v is None else int(v))
        else:
            out.append(same)
    return out


def _copy_text(value: Any) -> str:
    """A value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def encode_rows(table: sa.Table, rows: Sequence[dict[str, Any]], dialect: str) -> list[tuple[Any, ...]] | str:
    """Rows as the driver takes them: tuples for SQLite, COPY text for PostgreSQL.

    A column a row leaves out is NULL, so a new nullable column (a migration's) does not break every
    bench's fill; a NOT NULL column left out is still refused loudly, by the database.
    """
    convert = list(zip([c.name for c in table.columns], _converters(table, dialect), strict=True))
    if dialect == "sqlite":
        return [tuple(f(r.get(c)) for c, f in convert) for r in rows]
    return "".join("\t".join(_copy_text(f(r.get(c))) for c, f in convert) + "\n" for r in rows)


def write_rows(conn: sa.Connection, table: sa.Table, payload: list[tuple[Any, ...]] | str) -> None:
    """Bulk-insert encoded rows: executemany on SQLite, COPY on PostgreSQL."""
    if not payload:
        return
    columns = ", ".join(c.name for c in table.columns)
    raw = conn.connection.driver_connection
    assert raw is not None
    if isinstance(payload, list):
        marks = ", ".join("?" * len(table.columns))
        raw.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', payload)
        return
    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        copy.write(payload)


def reset_sequences(conn: sa.Connection, tables: Iterable[sa.Table]) -> None:
    """PostgreSQL: ids were given explicitly, so move each id sequence past them (new rows must not collide)."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), COALESCE((SELECT max(id) FROM \"{t.name}\"), 1))"
        )
