"""unanswered queue index: new cases by first-reply deadline

The web inbox opens on the cases nobody has answered yet (status new), the soonest first-reply deadline
first. Through the open queue's partial index (0005) a page stepped over every acknowledged and in-progress
case with an earlier deadline (about 60,000 of 200,000 in bench/web.py: 3 s a page on SQLite); this one
holds only the new cases. The queue names a single status as `status = 'new'` word for word
(monitor/cases/case_filter.py), as SQLite needs to match a partial index.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 04:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = sa.text("status = 'new'")


def upgrade() -> None:
    op.create_index("ix_cases_new_response_due", "cases", ["response_due_at", "id"], unique=False,
                    sqlite_where=NEW, postgresql_where=NEW)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_cases_new_response_due", table_name="cases")
