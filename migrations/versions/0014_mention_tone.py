"""mention tone: each mention classed complaint, question or praise, with the reasons staff read

A review site's stream is full of five-star praise, and each one opened a case with SLA clocks.
mention.tone is what monitor.cases.tone read (complaint | question | praise) when the case step
ran; mention.tone_reasons the reasons shown with it. Both nullable: mentions stored before this
revision were never classed, and the API shows them without a tone.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("mention", recreate="never") as batch:
        batch.add_column(sa.Column("tone", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("tone_reasons", _JSON, nullable=True))


def downgrade() -> None:
    # In place (SQLite 3.35+ drops columns itself): a batch that copied and dropped `mention` with
    # foreign keys on would cascade-delete the replies and timeline entries that point at it.
    with op.batch_alter_table("mention", recreate="never") as batch:
        batch.drop_column("tone_reasons")
        batch.drop_column("tone")
