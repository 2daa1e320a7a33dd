"""The planner's statistics: the worker refreshes them where nothing else does (monitor.core.db)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session

from monitor.core.db import SessionFactory, refresh_statistics, session_scope
from monitor.models import Brand
from tests.support.clock import NOW


def _brands(session: Session, n: int) -> None:
    session.add_all(Brand(key=f"b{i}", name=f"Бренд {i}", created_at=NOW, updated_at=NOW) for i in range(n))


def test_sqlite_gets_statistics_and_postgresql_where_autovacuum_is_off(db_url: str, sessions: SessionFactory) -> None:
    with session_scope(sessions) as session:
        _brands(session, 50)
    with session_scope(sessions) as session:
        ran = refresh_statistics(session)
    with session_scope(sessions) as session:
        if db_url.startswith("sqlite"):
            assert ran
            rows = dict(session.execute(sa.text("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = 'brand'")).all())
            # The unique key index is described: 50 rows, one row per key.
            assert any(stat.startswith("50 1") for stat in rows.values()), rows
        else:
            # Only where autovacuum is off (as on the CI machine): otherwise it keeps the statistics itself.
            assert ran == (session.scalar(sa.text("SELECT current_setting('autovacuum')")) == "off")
            if ran:
                assert session.scalar(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'brand'")) == 50


def test_a_refresh_on_an_empty_database_is_harmless(db_url: str, sessions: SessionFactory) -> None:
    with session_scope(sessions) as session:
        refresh_statistics(session)
    with session_scope(sessions) as session:
        refresh_statistics(session)  # twice: ANALYZE replaces what it wrote
        assert session.scalar(sa.text("SELECT count(*) FROM brand")) == 0
