"""places and promises: each place of a case with its own reply state and clock; promised dates as clocks

A case with the same complaint on three sites was acknowledged and its response clock met after one
reply on one site. Each mention now carries its state as a place (unanswered, replied, verified,
disappeared) and its own first-reply clock (due, at risk, state, like the case's); the case counts
its places still waiting (`places_unanswered`, for the queue's filter and sort). `promise` holds each
date a reply told the customer they will hear next, with its own at-risk mark and outcome; a draft
may carry the new date of an interim update (`draft.promised_at`).

Existing places are filled from what is known: a place with a reply is replied (verified when one
of its replies was seen on the page), its clock met or missed by its first reply against the case's
first-response deadline; a place without one is unanswered, its clock the case's deadline (running,
stopped for finished cases). So after the upgrade the sweep reports the unanswered places of open
cases that are past that deadline: they were waiting all along.

Every ALTER is in place (`recreate="never"`; SQLite 3.35+ drops columns itself): a batch that copied
`cases` or `mention` to a new table and dropped the old one would, with foreign keys on, have
emptied `mention.case_id` and deleted every timeline entry, reply and draft on the way down.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 03:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status IN ('new', 'acknowledged', 'in_progress')")

_FILL_PLACES = """
UPDATE mention SET
  place_state = CASE
    WHEN EXISTS (SELECT 1 FROM reply r WHERE r.mention_id = mention.id AND r.verify_state = 'verified') THEN 'verified'
    WHEN EXISTS (SELECT 1 FROM reply r WHERE r.mention_id = mention.id) THEN 'replied'
    ELSE 'unanswered' END,
  place_replied_at = (SELECT MIN(r.posted_at) FROM reply r WHERE r.mention_id = mention.id),
  place_since = (SELECT CASE WHEN mention.first_seen_at > c.opened_at THEN mention.first_seen_at ELSE c.opened_at END
                 FROM cases c WHERE c.id = mention.case_id),
  place_due_at = (SELECT c.response_due_at FROM cases c WHERE c.id = mention.case_id),
  place_risk_at = (SELECT c.response_risk_at FROM cases c WHERE c.id = mention.case_id)
WHERE case_id IS NOT NULL
"""

_FILL_SLA = """
UPDATE mention SET place_sla = CASE
    WHEN place_replied_at IS NOT NULL THEN
      CASE WHEN place_due_at IS NULL OR place_replied_at <= place_due_at THEN 'met' ELSE 'missed' END
    WHEN (SELECT c.status FROM cases c WHERE c.id = mention.case_id) IN ('new', 'acknowledged', 'in_progress')
      THEN 'running'
    ELSE 'stopped' END
WHERE case_id IS NOT NULL
"""

_COUNT = """
UPDATE cases SET places_unanswered = (
  SELECT COUNT(*) FROM mention m WHERE m.case_id = cases.id AND m.place_state IN ('unanswered', 'disappeared'))
"""


def upgrade() -> None:
    with op.batch_alter_table("mention", recreate="never") as batch:
        batch.add_column(sa.Column("place_state", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("place_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("place_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("place_risk_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("place_sla", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("place_replied_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_mention_place_due", "mention", ["place_sla", "place_due_at"], unique=False)
    op.create_index("ix_mention_place_risk", "mention", ["place_sla", "place_risk_at"], unique=False)
    with op.batch_alter_table("cases", recreate="never") as batch:
        batch.add_column(sa.Column("places_unanswered", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_cases_open_unanswered", "cases", ["places_unanswered", "id"], unique=False,
                    sqlite_where=_OPEN, postgresql_where=_OPEN)  # fmt: skip
    with op.batch_alter_table("draft", recreate="never") as batch:
        batch.add_column(sa.Column("promised_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "promise",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("mention_id", sa.Integer(), nullable=True),
        sa.Column("reply_id", sa.Integer(), nullable=True),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("risk_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("phrase", sa.String(length=200), nullable=True),
        sa.Column("made_by", sa.String(length=128), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_by", sa.String(length=12), nullable=True),
        sa.Column("interim_draft_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["reply_id"], ["reply.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["interim_draft_id"], ["draft.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_promise_case", "promise", ["case_id", "id"], unique=False)
    op.create_index("ix_promise_due", "promise", ["state", "due_at"], unique=False)
    op.create_index("ix_promise_risk", "promise", ["state", "risk_at"], unique=False)
    op.execute(_FILL_PLACES)
    op.execute(_FILL_SLA)
    op.execute(_COUNT)


def downgrade() -> None:
    op.drop_index("ix_promise_risk", table_name="promise")
    op.drop_index("ix_promise_due", table_name="promise")
    op.drop_index("ix_promise_case", table_name="promise")
    op.drop_table("promise")
    with op.batch_alter_table("draft", recreate="never") as batch:
        batch.drop_column("promised_at")
    op.drop_index("ix_cases_open_unanswered", table_name="cases")
    with op.batch_alter_table("cases", recreate="never") as batch:
        batch.drop_column("places_unanswered")
    op.drop_index("ix_mention_place_risk", table_name="mention")
    op.drop_index("ix_mention_place_due", table_name="mention")
    with op.batch_alter_table("mention", recreate="never") as batch:
        batch.drop_column("place_replied_at")
        batch.drop_column("place_sla")
        batch.drop_column("place_risk_at")
        batch.drop_column("place_due_at")
        batch.drop_column("place_since")
        batch.drop_column("place_state")
