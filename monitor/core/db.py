"""Engines and sessions (schema revisions: monitor.core.revisions).

SQLite is the embedded default (a file in the working directory) with WAL,
foreign keys and a busy timeout; PostgreSQL is used when the URL says so.

On SQLite a transaction that writes must say so when it begins (BEGIN IMMEDIATE): one that
begins as a reader and later asks for the write lock while another connection writes is
refused at once with "database is locked", busy timeout or not, because waiting could
deadlock two such readers. So every transaction begins IMMEDIATE (it waits its turn for the
one writer, up to the busy timeout) except those opened read-only (`session_scope(...,
read_only=True)`, or a connection with READ_ONLY in its execution options), which begin
DEFERRED and, under WAL, never wait for the writer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

__all__ = [
    "DEFAULT_URL",
    "READ_ONLY",
    "SessionFactory",
    "describe_url",
    "epoch_seconds",
    "insert_many",
    "make_engine",
    "make_session_factory",
    "normalise_url",
    "pipelined",
    "session_scope",
]

DEFAULT_URL = "sqlite:///replywatch.db"
# Execution option of a transaction that only reads: SQLite then begins it DEFERRED (module docstring).
READ_ONLY = {"replywatch_read_only": True}
SessionFactory = sessionmaker[Session]


def normalise_url(url: str) -> str:
    """Accept the URLs people paste: postgres:// and postgresql:// mean psycopg 3 here."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def describe_url(url: str) -> str:
    """The URL without its password, for start-up messages and logs."""
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> sa.Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **kwargs,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; let
        # SQLAlchemy emit BEGIN itself (the documented recipe), IMMEDIATE unless read-only.
        sa.event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
    return sa.create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    read_only = conn.get_execution_options().get("replywatch_read_only", False)
    conn.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def insert_many(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """`rows` into `model`'s table in batched multi-row INSERTs (SQLAlchemy's "insertmanyvalues").

    Asking for the ids back is what selects that path: a plain executemany through psycopg sends one
    INSERT per row (pipelined), and 4,000 rows took 0.7 s on PostgreSQL that way.
    """
    if rows:
        table = model.__table__
        session.execute(sa.insert(table).returning(table.c.id), rows).all()


@contextmanager
def pipelined(connection: sa.Connection) -> Iterator[None]:
    """On PostgreSQL, the statements executed on `connection` inside are sent without waiting for
    each one's answer (psycopg 3's pipeline mode): the server executes one while the client encodes
    the next. A statement's error is raised by a later statement or, at the latest, when the block
    ends (then as the driver's exception, not wrapped by SQLAlchemy). Reading a result inside waits
    for every statement sent before it, and only the driver's cursor can read it (SQLAlchemy takes a
    statement whose answer has not come yet for one that returns no rows). Elsewhere, and with a
    libpq built without pipeline mode, nothing changes: the same statements, each answered in turn."""
    if connection.dialect.name != "postgresql" or not _pipeline_supported():
        yield
        return
    with connection.connection.dbapi_connection.pipeline():  # type: ignore[union-attr]
        yield


def _pipeline_supported() -> bool:
    import psycopg  # here: a SQLite deployment need not load it

    return psycopg.Pipeline.is_supported()


def epoch_seconds(column: Any, dialect: str) -> Any:
    """Seconds since 1970 as a float, computed by the database (no datetime objects to build).

    On SQLite it comes from julianday(), which is exact to about 0.05 ms, not to the microsecond.
    """
    if dialect == "postgresql":
        return sa.cast(sa.func.extract("epoch", column), sa.Float)
    return (sa.func.julianday(column) - 2440587.5) * 86400.0


# Rows ANALYZE samples per index on SQLite: the planner needs the shape of the data, not exact counts,
# and a bounded sample keeps the refresh to milliseconds at hundreds of thousands of cases.
ANALYSIS_LIMIT = 1000


def refresh_statistics(session: Session) -> bool:
    """Give the query planner fresh statistics where nothing else does; True if it ran.

    SQLite: `ANALYZE` with a sample limit. Without sqlite_stat1, SQLite guesses every index equally
    selective, and some queue queries chose an index that made a page take seconds at 200,000 cases.
    PostgreSQL: `ANALYZE` only where autovacuum is off (it keeps the statistics otherwise). With none,
    the planner guesses a brand has a handful of mentions, and the case step's read of a brand's newest
    texts fetched and sorted all of them every batch (docs/PERFORMANCE.md, session 10).
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(sa.text(f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}"))
    elif dialect != "postgresql" or session.scalar(sa.text("SELECT current_setting('autovacuum')")) != "off":
        return False
    session.execute(sa.text("ANALYZE"))
    return True


def make_session_factory(engine: sa.Engine) -> SessionFactory:
    return sessionmaker(engine, class_=Session, expire_on_commit=False)


@contextmanager
def session_scope(factory: SessionFactory, *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error. A `read_only` one never waits for
    SQLite's writer (module docstring); it must not write."""
    with factory() as session, session.begin():
        if read_only:
            session.connection(execution_options=READ_ONLY)
        yield session
