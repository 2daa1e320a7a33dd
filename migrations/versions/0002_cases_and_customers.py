"""cases, timeline, lsh bands, customer register

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 16:05:24.777055
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("full_name", sa.String(length=300), nullable=False),
        sa.Column("names", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("emails", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("phones", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("orders", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=True),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("lifetime_value", sa.Float(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brand.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("brand_id", "external_id", name="uq_customer_brand_external"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_mention_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mention_count", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("customer_state", sa.String(length=16), nullable=True),
        sa.Column("customer_score", sa.Float(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["brand_id"],
            ["brand.id"],
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["merged_into_id"], ["cases.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_brand_opened", ["brand_id", "opened_at"], unique=False)

    op.create_table(
        "customer_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("customer_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_key_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_customer_key_lookup", ["brand_id", "kind", "value"], unique=False)

    op.create_table(
        "case_candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "customer_id", name="uq_candidate_case_customer"),
    )
    op.create_table(
        "case_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.create_index("ix_case_event_case", ["case_id", "id"], unique=False)

    op.create_table(
        "mention_band",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("band_key", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mention_band", schema=None) as batch_op:
        batch_op.create_index("ix_mention_band_key", ["band_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_mention_band_mention_id"), ["mention_id"], unique=False)

    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand_rule", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("case_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("case_method", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("case_score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_mention_case", ["case_id"], unique=False)
        batch_op.create_index(
            "ix_mention_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        )
        batch_op.create_foreign_key("fk_mention_case", "cases", ["case_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:

    with op.batch_alter_table("mention", schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint("fk_mention_case", type_="foreignkey")
        batch_op.drop_index(
            "ix_mention_pending",
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        )
        batch_op.drop_index("ix_mention_case")
        batch_op.drop_column("processed_at")
        batch_op.drop_column("case_score")
        batch_op.drop_column("case_method")
        batch_op.drop_column("case_id")
        batch_op.drop_column("brand_rule")

    with op.batch_alter_table("mention_band", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mention_band_mention_id"))
        batch_op.drop_index("ix_mention_band_key")

    op.drop_table("mention_band")
    with op.batch_alter_table("case_event", schema=None) as batch_op:
        batch_op.drop_index("ix_case_event_case")

    op.drop_table("case_event")
    op.drop_table("case_candidate")
    with op.batch_alter_table("customer_key", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_key_lookup")
        batch_op.drop_index(batch_op.f("ix_customer_key_customer_id"))

    op.drop_table("customer_key")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_brand_opened")

    op.drop_table("cases")
    op.drop_table("customer")
