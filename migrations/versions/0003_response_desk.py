"""response desk: triage, SLA clocks, drafts, replies, API tokens

Existing cases get priority normal, category other and running clocks without deadlines;
`replywatch db upgrade` then fills their deadlines (monitor.cases.sla.backfill).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:42:07.852791
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("template", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=128), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.create_index("ix_draft_case", ["case_id", "id"], unique=False)

    op.create_table(
        "reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verify_state", sa.String(length=12), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.create_index("ix_reply_case", ["case_id", "id"], unique=False)
        batch_op.create_index("ix_reply_mention", ["mention_id", "verify_state"], unique=False)

    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gap_seconds", sa.Float(), nullable=True))
    _backfill_poll_gaps()

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("category", sa.String(length=16), nullable=False, server_default=sa.text("'other'"))
        )
        batch_op.add_column(
            sa.Column("priority", sa.String(length=8), nullable=False, server_default=sa.text("'normal'"))
        )
        batch_op.add_column(
            sa.Column(
                "priority_reasons",
                sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
                nullable=False,
                server_default=sa.text("'[]'"),
            )
        )
        batch_op.add_column(
            sa.Column("priority_by", sa.String(length=8), nullable=False, server_default=sa.text("'triage'"))
        )
        batch_op.add_column(sa.Column("assignee", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("dismissed_reason", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("response_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("response_risk_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("response_sla", sa.String(length=12), nullable=False, server_default=sa.text("'running'"))
        )
        batch_op.add_column(sa.Column("first_reply_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolution_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolution_risk_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("resolution_sla", sa.String(length=12), nullable=False, server_default=sa.text("'running'"))
        )
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=sa.text("''")))
        batch_op.create_index("ix_cases_assignee", ["assignee", "id"], unique=False)
        batch_op.create_index("ix_cases_resolution_due", ["resolution_due_at", "id"], unique=False)
        batch_op.create_index("ix_cases_resolution_risk", ["resolution_sla", "resolution_risk_at"], unique=False)
        batch_op.create_index("ix_cases_resolution_sla", ["resolution_sla", "resolution_due_at"], unique=False)
        batch_op.create_index("ix_cases_response_due", ["response_due_at", "id"], unique=False)
        batch_op.create_index("ix_cases_response_risk", ["response_sla", "response_risk_at"], unique=False)
        batch_op.create_index("ix_cases_response_sla", ["response_sla", "response_due_at"], unique=False)
        batch_op.create_index("ix_cases_status", ["status", "id"], unique=False)


def _backfill_poll_gaps() -> None:
    """Give the successful polls recorded before this revision their gap to the previous success."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        epoch = "extract(epoch from started_at)"
    else:
        epoch = "(julianday(started_at) - 2440587.5) * 86400.0"
    op.execute(
        sa.text(
            f"UPDATE poll SET gap_seconds = sub.gap FROM (SELECT id, {epoch} - lag({epoch}) OVER "  # noqa: S608 - constants
            "(PARTITION BY source_id ORDER BY started_at) AS gap FROM poll WHERE outcome IN ('ok', 'not_modified')) "
            "AS sub WHERE poll.id = sub.id AND sub.gap IS NOT NULL"
        )
    )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status")
        batch_op.drop_index("ix_cases_response_sla")
        batch_op.drop_index("ix_cases_response_risk")
        batch_op.drop_index("ix_cases_response_due")
        batch_op.drop_index("ix_cases_resolution_sla")
        batch_op.drop_index("ix_cases_resolution_risk")
        batch_op.drop_index("ix_cases_resolution_due")
        batch_op.drop_index("ix_cases_assignee")
        batch_op.drop_column("search_text")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("resolution_sla")
        batch_op.drop_column("resolution_risk_at")
        batch_op.drop_column("resolution_due_at")
        batch_op.drop_column("first_reply_at")
        batch_op.drop_column("response_sla")
        batch_op.drop_column("response_risk_at")
        batch_op.drop_column("response_due_at")
        batch_op.drop_column("dismissed_reason")
        batch_op.drop_column("assignee")
        batch_op.drop_column("priority_by")
        batch_op.drop_column("priority_reasons")
        batch_op.drop_column("priority")
        batch_op.drop_column("category")

    with op.batch_alter_table("poll", schema=None) as batch_op:
        batch_op.drop_column("gap_seconds")

    with op.batch_alter_table("reply", schema=None) as batch_op:
        batch_op.drop_index("ix_reply_mention")
        batch_op.drop_index("ix_reply_case")

    op.drop_table("reply")
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_index("ix_draft_case")

    op.drop_table("draft")
    op.drop_table("api_token")
