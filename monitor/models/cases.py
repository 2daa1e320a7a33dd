"""Tables of cases: the case, its timeline, and the customers it may be about.

Made only by the Alembic migrations; times are UTC (`UtcDateTime`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.models.base import JsonType, _utc

__all__ = ["Case", "CaseCandidate", "CaseEvent", "Promise"]


_OPEN = sa.text("status IN ('new', 'acknowledged', 'in_progress')")
_NEW = sa.text("status = 'new'")


class Case(SQLModel, table=True):
    """One complaint as staff handle it; its mentions are the places that need a public reply."""

    __tablename__ = "cases"  # "case" is an SQL keyword
    __table_args__ = (
        sa.Index("ix_cases_brand_opened", "brand_id", "opened_at"),
        sa.Index("ix_cases_response_due", "response_due_at", "id"),
        sa.Index("ix_cases_resolution_due", "resolution_due_at", "id"),
        # The SLA sweep: each flip reads one of these ranges.
        sa.Index("ix_cases_response_sla", "response_sla", "response_due_at"),
        sa.Index("ix_cases_response_risk", "response_sla", "response_risk_at"),
        sa.Index("ix_cases_resolution_sla", "resolution_sla", "resolution_due_at"),
        sa.Index("ix_cases_resolution_risk", "resolution_sla", "resolution_risk_at"),
        # The open queue by deadline (migration 0004): only open cases, so a page does not step over finished ones.
        sa.Index("ix_cases_open_response_due", "response_due_at", "id", sqlite_where=_OPEN, postgresql_where=_OPEN),
        sa.Index("ix_cases_open_resolution_due", "resolution_due_at", "id", sqlite_where=_OPEN, postgresql_where=_OPEN),
        sa.Index("ix_cases_assignee", "assignee", "id"),
        # The open queue by places still waiting for a reply (migration 0011).
        sa.Index("ix_cases_open_unanswered", "places_unanswered", "id", sqlite_where=_OPEN, postgresql_where=_OPEN),
        # The unanswered queue by first-reply deadline (the web inbox's default; migration 0013).
        sa.Index("ix_cases_new_response_due", "response_due_at", "id", sqlite_where=_NEW, postgresql_where=_NEW),
    )

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id")
    status: str = Field(default="new", max_length=16)
    title: str | None = Field(default=None, max_length=300)
    language: str | None = Field(default=None, max_length=8)
    opened_at: datetime = _utc()
    updated_at: datetime = _utc()
    last_mention_at: datetime = _utc()
    mention_count: int = 0
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    # None, "suggested" (candidates wait for staff), "auto" (linked by rule), "confirmed" (by staff)
    customer_state: str | None = Field(default=None, max_length=16)
    customer_score: float | None = None
    # Set when staff merged this case into another; its mentions moved there.
    merged_into_id: int | None = Field(default=None, foreign_key="cases.id", ondelete="SET NULL")
    # Triage (monitor.cases.triage): priority low|normal|high|urgent with the reasons; "staff" when overridden.
    category: str = Field(default="other", max_length=16)
    priority: str = Field(default="normal", max_length=8)
    priority_reasons: list[str] = Field(default_factory=list, sa_type=JsonType)
    priority_by: str = Field(default="triage", max_length=8)
    assignee: str | None = Field(default=None, max_length=128)
    dismissed_reason: str | None = Field(default=None, max_length=32)
    # SLA clocks (monitor.cases.sla): deadline, the moment it is at risk, and the clock's state:
    # running, at_risk, breached; met or missed once answered; stopped when the case is dismissed.
    response_due_at: datetime | None = _utc(default=None)
    response_risk_at: datetime | None = _utc(default=None)
    response_sla: str = Field(default="running", max_length=12)
    first_reply_at: datetime | None = _utc(default=None)
    resolution_due_at: datetime | None = _utc(default=None)
    resolution_risk_at: datetime | None = _utc(default=None)
    resolution_sla: str = Field(default="running", max_length=12)
    resolved_at: datetime | None = _utc(default=None)
    closed_at: datetime | None = _utc(default=None)
    # Places (mentions) with no public reply of their own, or whose reply disappeared (monitor.cases.places).
    places_unanswered: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Casefolded title and post texts (capped), for text search that works alike on SQLite and PostgreSQL.
    search_text: str = Field(default="", sa_type=sa.Text)


class CaseEvent(SQLModel, table=True):
    """The case timeline: append-only, who did what and why."""

    __tablename__ = "case_event"
    __table_args__ = (sa.Index("ix_case_event_case", "case_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE")
    at: datetime = _utc()
    actor: str = Field(default="system", max_length=128)
    kind: str = Field(max_length=48)
    mention_id: int | None = Field(default=None, foreign_key="mention.id", ondelete="SET NULL")
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)


class CaseCandidate(SQLModel, table=True):
    """A customer the case may be about, with the score and the reasons for it."""

    __tablename__ = "case_candidate"
    __table_args__ = (sa.UniqueConstraint("case_id", "customer_id", name="uq_candidate_case_customer"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE")
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    score: float
    reasons: list[str] = Field(default_factory=list, sa_type=JsonType)
    # suggested | linked (automatically) | confirmed | rejected (never suggested again)
    state: str = Field(default="suggested", max_length=16)
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = _utc(default=None)
    created_at: datetime = _utc()


class Promise(SQLModel, table=True):
    """When the customer was told they will hear from us next, tracked as a clock (monitor.cases.promises).

    open → at_risk → kept | broken; `settled_by` says what settled it: a reply on the place, the
    resolution, or the date passing.
    """

    __tablename__ = "promise"
    __table_args__ = (
        sa.Index("ix_promise_case", "case_id", "id"),
        sa.Index("ix_promise_due", "state", "due_at"),
        sa.Index("ix_promise_risk", "state", "risk_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE")
    mention_id: int | None = Field(default=None, foreign_key="mention.id", ondelete="SET NULL")
    reply_id: int | None = Field(default=None, foreign_key="reply.id", ondelete="SET NULL")
    made_at: datetime = _utc()
    due_at: datetime = _utc()
    risk_at: datetime = _utc()
    state: str = Field(default="open", max_length=8)
    # phrase (found in the reply's text), draft (an interim draft's new date) or staff (set by hand)
    origin: str = Field(max_length=8)
    phrase: str | None = Field(default=None, max_length=200)
    made_by: str = Field(max_length=128)
    settled_at: datetime | None = _utc(default=None)
    settled_by: str | None = Field(default=None, max_length=12)  # reply | resolution | lapsed
    interim_draft_id: int | None = Field(default=None, foreign_key="draft.id", ondelete="SET NULL")
