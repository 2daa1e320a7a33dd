"""field fill: each poll's per-field fill, the source's remembered fill and its warning's kind

A layout change that empties one field (the dates move to another element) parsed "fine" and
lost the field on every item in silence. poll.field_fill records, per configured field, how
many of the poll's items had it ({"items": n, "fields": {field: filled}}); source.last_fill is
what the next poll compares with (each field's fill rate, and the fields already reported
emptied so the news is given once); source.last_warning_kind is the kind of
source.last_warning (a PageWarning kind), bounded, for /metrics. All nullable: older polls and
sources simply have no fill recorded yet.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("poll") as batch:
        batch.add_column(sa.Column("field_fill", _JSON, nullable=True))
    with op.batch_alter_table("source") as batch:
        batch.add_column(sa.Column("last_fill", _JSON, nullable=True))
        batch.add_column(sa.Column("last_warning_kind", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("source") as batch:
        batch.drop_column("last_warning_kind")
        batch.drop_column("last_fill")
    with op.batch_alter_table("poll") as batch:
        batch.drop_column("field_fill")
