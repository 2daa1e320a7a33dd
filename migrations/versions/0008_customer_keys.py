"""customer keys: the lookup index is the table's primary key

customer_key had a surrogate id (a sequence value and a third index per key) and a
separate index on (brand_id, kind, value). At a million customers the register holds
some twenty million keys, and COPY spent most of its server time keeping those three
indexes. Now (brand_id, kind, value, customer_id) is the primary key: one index serves
the lookup (index-only: customer_id is in it) and refuses a key filed twice; the index on
customer_id stays for re-keying and for the cascade when a customer is deleted.

The keys are derived data and are copied across, not rebuilt: the rules that make them
(monitor.customers.keys) do not change here.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 21:45:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _columns(with_id: bool) -> list[sa.Column]:
    # A fresh list per table: a Column belongs to one Table.
    columns = [sa.Column("id", sa.Integer(), nullable=False)] if with_id else []
    return [
        *columns,
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("brand_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "customer_key_new",
        *_columns(with_id=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("brand_id", "kind", "value", "customer_id", name="pk_customer_key"),
    )
    op.execute(
        "INSERT INTO customer_key_new (customer_id, brand_id, kind, value)"
        " SELECT DISTINCT customer_id, brand_id, kind, value FROM customer_key"
    )
    op.drop_index("ix_customer_key_lookup", table_name="customer_key")
    op.drop_index("ix_customer_key_customer_id", table_name="customer_key")
    op.drop_table("customer_key")
    op.rename_table("customer_key_new", "customer_key")
    op.create_index("ix_customer_key_customer_id", "customer_key", ["customer_id"], unique=False)


def downgrade() -> None:
    op.create_table(
        "customer_key_old",
        *_columns(with_id=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute(
        "INSERT INTO customer_key_old (customer_id, brand_id, kind, value)"
        " SELECT customer_id, brand_id, kind, value FROM customer_key"
    )
    op.drop_index("ix_customer_key_customer_id", table_name="customer_key")
    op.drop_table("customer_key")
    op.rename_table("customer_key_old", "customer_key")
    op.create_index("ix_customer_key_customer_id", "customer_key", ["customer_id"], unique=False)
    op.create_index("ix_customer_key_lookup", "customer_key", ["brand_id", "kind", "value"], unique=False)
