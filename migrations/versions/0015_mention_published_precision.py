"""mention.published_precision: how precise the published date is

A source reads some dates only to the day, month or year ("21.03.2018", "June 2019", "вчера") or to
the hour ("2 год тому"); `published_at` then stands at the start of that period. The precision
("hour", "day", "month", "year"; NULL for a clock time or an unknown) is kept next to it, so a
month-precision review is not taken for one written on the 1st at midnight. Rows stored before this
revision keep NULL: their precision was not recorded.

In place on both databases (`recreate="never"`; SQLite 3.35+ drops a column itself), as 0011: a batch
that copies the table would, on SQLite, drop `mention` and with it, by ON DELETE CASCADE, its replies.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 04:50:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mention", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("published_precision", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mention", recreate="never") as batch_op:
        batch_op.drop_column("published_precision")
