"""SQLite transactions that write wait their turn for the one writer instead of failing at once; pipelined
statements on PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from monitor.core.db import SessionFactory, make_engine, make_session_factory, pipelined, session_scope
from monitor.models import Brand
from tests.support.clock import NOW


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "writers.db"
    path.write_bytes(sqlite_template.read_bytes())
    return f"sqlite:///{path}"


def _hold_the_write_lock(url: str, stop: threading.Event, held: threading.Event) -> None:
    """What the poller does: short write transactions, with its fetching and parsing in between."""
    engine = make_engine(url)
    while not stop.is_set():
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE brand SET updated_at = updated_at"))
            held.set()
            time.sleep(0.03)
        time.sleep(0.01)
    engine.dispose()


def test_a_transaction_that_reads_then_writes_waits_for_the_writer(sqlite_url: str) -> None:
    sessions = make_session_factory(make_engine(sqlite_url))
    with session_scope(sessions) as session:
        session.add(Brand(key="acme", name="Acme", created_at=NOW, updated_at=NOW))
    stop, held = threading.Event(), threading.Event()
    writer = threading.Thread(target=_hold_the_write_lock, args=(sqlite_url, stop, held))
    writer.start()
    try:
        assert held.wait(10)
        for i in range(20):
            # Read first, write after: begun DEFERRED this failed at once with "database is locked"
            # whenever the other connection was writing (1 in 4 approvals in the demo).
            with session_scope(sessions) as session:
                brand = session.scalars(sa.select(Brand)).one()
                time.sleep(0.01)
                brand.name = f"Acme {i}"
    finally:
        stop.set()
        writer.join()
    with session_scope(sessions, read_only=True) as session:
        assert session.scalars(sa.select(Brand.name)).one() == "Acme 19"


def test_a_read_only_transaction_does_not_wait_for_the_writer(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    with engine.begin() as holder:  # the writer keeps its lock until the reader is done
        holder.execute(sa.text("UPDATE brand SET updated_at = updated_at"))
        # Begun IMMEDIATE, this read would wait for the lock the holder keeps: "database is locked"
        # after the busy timeout. Begun DEFERRED it reads the last committed state at once.
        with session_scope(sessions, read_only=True) as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(Brand)) == 0
    engine.dispose()


def _change(brand: str, **values: str) -> sa.Update:
    return sa.update(Brand).where(Brand.key == brand).values(**values)


def test_a_statement_refused_in_a_pipeline_raises_in_it_and_its_savepoint_takes_back_the_rest(
    sessions: SessionFactory,
) -> None:
    """monitor.core.db.pipelined: on PostgreSQL the statements go without waiting for their answers; the
    refused one still raises by the end of the block (from a later statement, or from the block's end),
    and the statements around it are taken back with the savepoint. SQLite runs them one by one."""
    with session_scope(sessions) as session:
        session.add_all(Brand(key=key, name=key, created_at=NOW, updated_at=NOW) for key in ("acme", "other"))
    with session_scope(sessions) as session:
        savepoint = session.begin_nested()
        with (
            pytest.raises((sa.exc.IntegrityError, psycopg.errors.UniqueViolation)),
            pipelined(session.connection()),
        ):
            session.execute(_change("acme", name="first"))
            session.execute(_change("acme", key="other"))  # that key is taken
            session.execute(_change("other", name="after"))
        savepoint.rollback()
        with pipelined(session.connection()):
            session.execute(_change("acme", name="later"))
            session.execute(_change("other", name="last"))
    with session_scope(sessions, read_only=True) as session:
        assert sorted(session.execute(sa.select(Brand.key, Brand.name))) == [("acme", "later"), ("other", "last")]


def test_without_pipeline_mode_the_statements_are_answered_in_turn(
    sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A libpq built without pipeline mode: `pipelined` leaves the connection as it is, and a refused
    statement raises at once, as outside the block."""
    monkeypatch.setattr(psycopg.Pipeline, "is_supported", classmethod(lambda cls: False))
    with session_scope(sessions) as session:
        session.add_all(Brand(key=key, name=key, created_at=NOW, updated_at=NOW) for key in ("acme", "other"))
    with session_scope(sessions) as session, pipelined(session.connection()):
        session.execute(_change("acme", name="first"))
        with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
            session.execute(_change("acme", key="other"))
        session.execute(_change("other", name="after"))
    with session_scope(sessions, read_only=True) as session:
        assert sorted(session.execute(sa.select(Brand.key, Brand.name))) == [("acme", "first"), ("other", "after")]
