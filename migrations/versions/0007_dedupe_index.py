"""dedupe index: bands keyed by (band_key, mention_id); prepared texts stored

A near-duplicate check reads the newest rows of 32 band keys. With an index on band_key
alone, PostgreSQL fetched every row of a crowded band (a template shared by thousands of
posts) and sorted them to keep 20; the primary key (band_key, mention_id) hands them out
newest first, read backwards, and the surrogate id with its index goes (a third of the
table's size). SQLite keeps the table in that key (WITHOUT ROWID).

mention_signature keeps each indexed mention's prepared text and marks, so candidates are
not cleaned again on every check. Mentions indexed before this revision have no row; the
check reads their own text instead, as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 21:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mention_band_next",
        sa.Column("band_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("mention_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("band_key", "mention_id"),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO mention_band_next (band_key, mention_id) SELECT DISTINCT band_key, mention_id FROM mention_band"
    )
    op.drop_table("mention_band")  # its indexes go with it
    op.rename_table("mention_band_next", "mention_band")
    if op.get_bind().dialect.name == "postgresql":  # the names PostgreSQL gives a table made as mention_band
        for kind in ("pkey", "mention_id_fkey"):
            op.execute(f"ALTER TABLE mention_band RENAME CONSTRAINT mention_band_next_{kind} TO mention_band_{kind}")
    op.create_index("ix_mention_band_mention_id", "mention_band", ["mention_id"], unique=False)
    op.create_table(
        "mention_signature",
        sa.Column("mention_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("marks", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mention_id"),
    )


def downgrade() -> None:
    op.drop_table("mention_signature")
    op.create_table(
        "mention_band_prev",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO mention_band_prev (mention_id, band_key) SELECT mention_id, band_key FROM mention_band")
    op.drop_table("mention_band")
    op.rename_table("mention_band_prev", "mention_band")
    if op.get_bind().dialect.name == "postgresql":
        for kind in ("pkey", "mention_id_fkey"):
            op.execute(f"ALTER TABLE mention_band RENAME CONSTRAINT mention_band_prev_{kind} TO mention_band_{kind}")
    op.create_index("ix_mention_band_key", "mention_band", ["band_key"], unique=False)
    op.create_index("ix_mention_band_mention_id", "mention_band", ["mention_id"], unique=False)
