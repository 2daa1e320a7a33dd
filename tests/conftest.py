"""Databases for tests: every storage test runs on SQLite and on PostgreSQL.

The schema is always built by the Alembic migrations, as in production:
  - SQLite: migrated once into a template file, copied for each test (fast, isolated);
  - PostgreSQL: a database of the run's own, migrated once, tables truncated before each test.
PostgreSQL comes from $REPLYWATCH_TEST_DATABASE_URL (default: the local server CI starts).
Without a reachable server the PostgreSQL variants are skipped with the reason, except
in CI ($CI set), where that is a failure: CI must test both engines.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from monitor.core.db import SessionFactory, make_engine, make_session_factory, normalise_url
from monitor.core.revisions import upgrade

# pytest-xdist starts its workers with COLUMNS=80, and rich fixes a console's width from COLUMNS when the
# console is made (monitor.cli.common, at import): the CLI tests' own COLUMNS=200 would then be ignored.
os.environ.pop("COLUMNS", None)
os.environ.pop("LINES", None)

PG_URL = os.environ.get("REPLYWATCH_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_problem() -> str | None:
    try:
        engine = make_engine(PG_URL, connect_args={"connect_timeout": 3}, poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    return None


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of this test run's own on the server, migrated, dropped at the end.

    Its own database (not a schema in the shared one) lets several test runs share a
    server without dropping each other's tables.
    """
    problem = _pg_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}; CI must run the PostgreSQL tests")
        pytest.skip(problem)
    name = f"replywatch_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(PG_URL, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate(url: str) -> None:
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        tables = conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "replywatch.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_url")
    _truncate(url)
    yield url


@pytest.fixture
def old_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's engine, for tests that migrate step by step from an older revision."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    yield db_url
    # On PostgreSQL this is the run's shared database: a test that ended at an older revision (a
    # downgrade test) would leave the tests after it a schema without the newest columns.
    upgrade(db_url)


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: sa.Engine) -> SessionFactory:
    return make_session_factory(engine)
