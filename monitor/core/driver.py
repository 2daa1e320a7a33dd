"""Reads through the database driver's own cursor, for statements sent hundreds of times a batch.

SQLAlchemy's execute costs client CPU before the database is asked and after it answers (the
statement's cache key, parameter handling, a Row for each row): for the case step's small reads,
repeated hundreds of times a batch, about half of their client CPU. `driver_rows` sends SQL
written for the driver; `DriverQuery` compiles a Core SELECT once per dialect, sends it the same way
and converts each value by its column's type as SQLAlchemy's result would, so callers get the same
values (an aware UTC datetime from SQLite's text, JSON parsed, a boolean from SQLite's 0 or 1).

A list of ids is bound as one value (`id_list`, matched by `in_id_list`): an array on PostgreSQL, a
JSON array on SQLite. One value whatever the count (SQLite caps bound values), and psycopg's list
adapter, which checks each element with a regular expression, is not used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from contextlib import closing
from typing import Any

import sqlalchemy as sa

__all__ = ["DriverQuery", "driver_cursor", "driver_rows", "id_list", "in_id_list"]


def driver_rows(connection: sa.Connection, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of `sql` (in the driver's parameter style) on the connection's own cursor, as the driver gives them."""
    return _fetch(connection, sql, params)[0]


def driver_cursor(connection: sa.Connection) -> closing[Any]:
    """A cursor of the connection's driver (psycopg's or sqlite3's), closed when the block ends: for what
    only the driver does (psycopg's COPY), and for `driver_rows`."""
    return closing(connection.connection.dbapi_connection.cursor())  # type: ignore[union-attr]


def _fetch(connection: sa.Connection, sql: str, params: Sequence[Any] | dict[str, Any]) -> tuple[list[Any], Any]:
    """The rows and the cursor's description (DB-API: each column's name and type code)."""
    with driver_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall(), cursor.description


def id_list(ids: Collection[int], dialect: str) -> str:
    """`ids` as one bound value for `in_id_list`: PostgreSQL's array text ('{1,2}'), else a JSON array."""
    if dialect == "postgresql":
        return "{" + ",".join(map(str, ids)) + "}"
    return json.dumps(list(ids))


def in_id_list(column: sa.ColumnElement[int], name: str, dialect: str) -> sa.ColumnElement[bool]:
    """`column` is one of the ids bound as `name` (`id_list`)."""
    bound = sa.bindparam(name)
    if dialect == "postgresql":
        return column == sa.any_(sa.cast(bound, sa.ARRAY(sa.BigInteger)))
    return column.in_(sa.select(sa.column("value")).select_from(sa.func.json_each(bound)))


class DriverQuery:
    """A Core SELECT compiled once per dialect and run with `driver_rows`, its values converted by the
    selected columns' types (module docstring). `statement`: the SELECT, or a function of the dialect's
    name that builds it (a statement written per dialect, e.g. with `in_id_list`)."""

    def __init__(self, statement: sa.Select[Any] | Callable[[str], sa.Select[Any]]) -> None:
        self._statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, connection: sa.Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            statement = self._statement if isinstance(self._statement, sa.Select) else self._statement(dialect.name)
            compiled = self._compiled[dialect.name] = _Compiled(statement, dialect)
        rows, description = _fetch(connection, compiled.sql, compiled.bind(params))
        return compiled.convert(rows, description)


class _Compiled:
    """A statement's SQL for one dialect, its parameters' order and bind processors, and its columns'
    result processors (known from the first answer: some depend on the type the database reports)."""

    def __init__(self, statement: sa.Select[Any], dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql, self.dialect = str(compiled), dialect
        self.names = tuple(compiled.positiontup or ()) if dialect.positional else None
        self.binds = {
            name: process
            for bind, name in compiled.bind_names.items()
            if (process := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        # Values written in the statement (`Case.mention_count > 1`) are parameters SQLAlchemy named itself.
        self.constants = {name: bind.value for bind, name in compiled.bind_names.items() if not bind.required}
        self.types = [column.type for column in statement.selected_columns]
        self.results: tuple[Callable[[Any], Any] | None, ...] | None = None

    def bind(self, params: dict[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = {
            name: self.binds[name](v) if name in self.binds else v for name, v in (self.constants | params).items()
        }
        return tuple(values[name] for name in self.names) if self.names is not None else values

    def convert(self, rows: list[tuple[Any, ...]], description: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if self.results is None:
            self.results = tuple(
                kind.dialect_impl(self.dialect).result_processor(self.dialect, column[1])
                for kind, column in zip(self.types, description, strict=True)
            )
        if not any(self.results):
            return rows
        processors = self.results
        return [tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True)) for row in rows]
