"""api indexes: the open queue by deadline

The staff's main view is the open cases by first-response (or resolution) deadline. Through
the index of all cases by deadline, a page first stepped over every finished case with an
earlier deadline (40,000 of 200,000 in bench/api.py, a table read each); these partial
indexes hold only the open cases. ix_cases_status goes: SQLite, which plans without
statistics, took it for selective and read the whole open queue through it for each page,
and walking the id (newest) or a deadline index with the status as a filter serves every
status well enough. The queries name the open statuses literally (monitor.case_views), as
SQLite needs to match a partial index.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 20:05:00.000000
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('new', 'acknowledged', 'in_progress')")
log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    op.drop_index("ix_cases_status", table_name="cases")
    for clock in ("response", "resolution"):
        op.create_index(f"ix_cases_open_{clock}_due", "cases", [f"{clock}_due_at", "id"], unique=False,
                        sqlite_where=OPEN, postgresql_where=OPEN)  # fmt: skip
    if op.get_bind().dialect.name == "postgresql" and _trigrams():
        op.create_index("ix_cases_search_trgm", "cases", ["search_text"], unique=False, postgresql_using="gin",
                        postgresql_ops={"search_text": "gin_trgm_ops"})  # fmt: skip


def _trigrams() -> bool:
    """Whether pg_trgm is there or could be created here (a savepoint keeps a refusal from ending the upgrade)."""
    bind = op.get_bind()
    if not bind.scalar(sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")):
        log.warning("pg_trgm is not installed on this server: the text search of cases stays a scan")
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning("pg_trgm could not be created (%s): the text search of cases stays a scan", str(exc)[:200])
        return False
    return True


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_cases_search_trgm")  # the extension stays: other databases may use it
    for clock in ("response", "resolution"):
        op.drop_index(f"ix_cases_open_{clock}_due", table_name="cases")
    op.create_index("ix_cases_status", "cases", ["status", "id"], unique=False)
