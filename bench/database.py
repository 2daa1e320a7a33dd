"""A fresh, migrated database for a benchmark: a temporary SQLite file, or a dedicated PostgreSQL one."""

from __future__ import annotations

import sys
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from monitor.core.db import make_engine, normalise_url
from monitor.core.revisions import upgrade

__all__ = ["prepare_database", "refill_database", "sqlite_file_mb"]


def prepare_database(url: str | None, workdir: Path) -> str:
    """A fresh, migrated database: a temporary SQLite file, or the given one with schema public recreated."""
    if url is None:
        url = f"sqlite:///{workdir / 'bench.db'}"
    elif not url.startswith("sqlite"):
        url = normalise_url(url)
        if make_url(url).database == "test":
            sys.exit("refusing to drop schema public of the database 'test' (the test suite's); use another one")
        _create_pg_database(url)
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


def refill_database(database: str | None, url: str, workdir: Path) -> str:
    """An empty, migrated database for a new fill: `database` (a server's) recreated, else the kept
    SQLite file at `url` removed with its -wal and -shm files and made anew (for a later --reuse)."""
    if database:
        return prepare_database(database, workdir)
    for old in Path(url.removeprefix("sqlite:///")).parent.glob(Path(url).name + "*"):
        old.unlink()
    upgrade(url)
    return url


def _create_pg_database(url: str) -> None:
    """CREATE DATABASE when the URL names one that does not exist yet (a dedicated bench database)."""
    target = make_url(url)
    admin = make_engine(
        target.set(database="postgres").render_as_string(hide_password=False),
        poolclass=sa.pool.NullPool,
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database})
        if not exists:
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def sqlite_file_mb(url: str) -> float:
    path = Path(url.removeprefix("sqlite:///"))
    return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6, 1)  # with -wal
