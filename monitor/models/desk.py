"""Tables of the response desk: drafted replies, published replies, and the API tokens of staff.

Made by migration 0003 like the rest of the schema; times are UTC (`UtcDateTime`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.models.base import UtcDateTime

__all__ = ["ApiToken", "Draft", "Reply"]


def _utc(**kw: Any) -> Any:
    return Field(sa_type=UtcDateTime, **kw)


class Draft(SQLModel, table=True):
    """A reply proposed for one place of a case; staff edit it, a lead approves it."""

    __tablename__ = "draft"
    __table_args__ = (sa.Index("ix_draft_case", "case_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE")
    mention_id: int = Field(foreign_key="mention.id", ondelete="CASCADE")
    kind: str = Field(default="first", max_length=8)  # first | update (interim, with a new date) | closing
    language: str = Field(max_length=8)
    text: str = Field(sa_type=sa.Text)
    template: str = Field(max_length=200)
    # Why the text is not exactly what was asked for (another language, a rewrite that failed).
    notes: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    state: str = Field(default="draft", max_length=12)  # draft | approved | published | discarded
    version: int = 1
    created_by: str = Field(max_length=128)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()
    approved_by: str | None = Field(default=None, max_length=128)
    approved_at: datetime | None = _utc(default=None)
    # The date an interim update promises (monitor.cases.promises); published, it becomes the case's promise.
    promised_at: datetime | None = _utc(default=None)


class Reply(SQLModel, table=True):
    """A reply staff published on a place: the text, where it is, when; and whether we saw it there."""

    __tablename__ = "reply"
    __table_args__ = (
        sa.Index("ix_reply_case", "case_id", "id"),
        sa.Index("ix_reply_mention", "mention_id", "verify_state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE")
    mention_id: int = Field(foreign_key="mention.id", ondelete="CASCADE")
    draft_id: int | None = Field(default=None, foreign_key="draft.id", ondelete="SET NULL")
    kind: str = Field(default="first", max_length=8)  # first | update | closing
    text: str = Field(sa_type=sa.Text)
    url: str | None = Field(default=None, max_length=2000)
    posted_at: datetime = _utc()
    recorded_by: str = Field(max_length=128)
    recorded_at: datetime = _utc()
    # unverifiable (the source shows no replies) | pending | verified | unverified (not seen in time)
    # | disappeared (seen, then gone)
    verify_state: str = Field(default="unverifiable", max_length=12)
    verified_at: datetime | None = _utc(default=None)
    checked_at: datetime | None = _utc(default=None)


class ApiToken(SQLModel, table=True):
    """A bearer token of the API: only its SHA-256 is stored; the secret is shown once, at creation."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=128)
    role: str = Field(max_length=8)  # viewer | agent | lead | admin
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)  # the first characters, to tell tokens apart in listings
    created_at: datetime = _utc()
    created_by: str = Field(max_length=128)
    last_used_at: datetime | None = _utc(default=None)
    revoked_at: datetime | None = _utc(default=None)
