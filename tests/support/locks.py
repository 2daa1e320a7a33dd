"""Another connection holding a write lock while a test sends requests: how the API behaves when its
database is busy, on either engine."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import sqlalchemy as sa

from api.deps import libpq_conninfo

__all__ = ["lock_held"]


@contextmanager
def lock_held(engine: sa.Engine, *, sqlite: str, postgresql: str) -> Iterator[None]:
    """A transaction of another connection, open until the block ends. SQLite locks the whole database, so
    `sqlite` is only how the transaction begins (IMMEDIATE: other writers wait; EXCLUSIVE: readers too);
    on PostgreSQL the statement `postgresql` takes the lock (a row lock, a LOCK TABLE … MODE)."""
    if engine.dialect.name == "sqlite":
        conn = sqlite3.connect(engine.url.database or "", isolation_level=None)
        conn.execute(f"BEGIN {sqlite}")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    with psycopg.connect(libpq_conninfo(engine.url)) as conn:
        conn.execute(postgresql)
        yield
        conn.rollback()
