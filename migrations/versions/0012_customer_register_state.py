"""customer register state: the register's version for matching's frequency tables, and the trained weights

Matching weighs each name word and city by how common it is in the brand's register
(Fellegi-Sunter u-probabilities), from tables a matching process keeps in memory;
customer_register_state.version changes with every import or edit so that they are reloaded.
model holds the m-probabilities estimated by EM (`replywatch customers train`).
ix_customer_brand_city: matching compares everyone living in a small town the texts name.
Candidates' stored scores (0-100) become hundredths, as the new ones are probabilities (0-1).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "customer_register_state",
        sa.Column("brand_id", sa.Integer(), sa.ForeignKey("brand.id"), primary_key=True),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rematched_version", sa.String(length=40), nullable=True),
        sa.Column("model", _JSON, nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_customer_brand_city", "customer", ["brand_id", "city"])
    # Candidates' scores become probabilities (0-1): the old 0-100 scores keep their order as hundredths.
    op.execute("UPDATE case_candidate SET score = score / 100.0 WHERE score > 1")
    op.execute("UPDATE cases SET customer_score = customer_score / 100.0 WHERE customer_score > 1")


def downgrade() -> None:
    op.execute("UPDATE case_candidate SET score = score * 100.0 WHERE score <= 1")
    op.execute("UPDATE cases SET customer_score = customer_score * 100.0 WHERE customer_score <= 1")
    op.drop_index("ix_customer_brand_city", table_name="customer")
    op.drop_table("customer_register_state")
