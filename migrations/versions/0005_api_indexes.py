"""api indexes: the open queue by deadline

The staff's main view is the open cases by first-response (or resolution) deadline. Through
the index of all cases by deadline, a page first stepped over every finished case with an
earlier deadline (40,000 of 200,000 in bench/api.py, a table read each); these partial
indexes hold only the open cases. ix_cases_status goes: SQLite, which plans without
statistics, took it for selective and read the whole open queue through it for each page,
and walking the id (newest) or a deadline index with the status as a filter serves every
status well enough. The queries name the open statuses literally (monitor.cases.views), as
SQLite needs to match a partial index.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 20:05:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status IN ('new', 'acknowledged', 'in_progress')")


def upgrade() -> None:
    op.drop_index("ix_cases_status", table_name="cases")
    for clock in ("response", "resolution"):
        op.create_index(f"ix_cases_open_{clock}_due", "cases", [f"{clock}_due_at", "id"], unique=False,
                        sqlite_where=OPEN, postgresql_where=OPEN)  # fmt: skip


def downgrade() -> None:
    for clock in ("response", "resolution"):
        op.drop_index(f"ix_cases_open_{clock}_due", table_name="cases")
    op.create_index("ix_cases_status", "cases", ["status", "id"], unique=False)
