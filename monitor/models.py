"""Tables. The schema is made only by the Alembic migrations in migrations/.

Times are stored as UTC (`UtcDateTime` gives back aware datetimes on SQLite too).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

__all__ = [
    "Brand",
    "Event",
    "Mention",
    "MentionRevision",
    "Poll",
    "Source",
    "UtcDateTime",
]


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every engine."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so string comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _utc(**kw: Any) -> Any:
    return Field(sa_type=UtcDateTime, **kw)


class Brand(SQLModel, table=True):
    """A business whose reputation is watched; synced from sources.yaml at start."""

    __tablename__ = "brand"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    names: list[str] = Field(default_factory=list, sa_type=JsonType)
    domains: list[str] = Field(default_factory=list, sa_type=JsonType)
    language: str = Field(default="en", max_length=8)
    timezone: str = Field(default="UTC", max_length=64)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class Source(SQLModel, table=True):
    """One public resource on the watch list, with its polling state.

    The state lives on the row (miniflux style) so any worker process can pick
    the source up: `next_poll_at` says when it is due, `lease_*` who polls it now.
    """

    __tablename__ = "source"
    __table_args__ = (sa.Index("ix_source_due", "active", "next_poll_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)
    url: str = Field(max_length=2048)
    brand_key: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    weight: int = 1
    interval_seconds: int
    # False when the source left sources.yaml or was disabled there: kept for history.
    active: bool = True

    next_poll_at: datetime = _utc()
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = _utc(default=None)

    etag: str | None = Field(default=None, max_length=512)
    last_modified: str | None = Field(default=None, max_length=128)

    health: str = Field(default="new", max_length=16)
    error_count: int = 0
    last_error_class: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=1000)
    last_warning: str | None = Field(default=None, max_length=1000)
    last_poll_at: datetime | None = _utc(default=None)
    last_success_at: datetime | None = _utc(default=None)
    last_http_status: int | None = None
    last_items: int | None = None
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class Poll(SQLModel, table=True):
    """One visit of a source, whatever happened: the evidence of moderation coverage."""

    __tablename__ = "poll"
    __table_args__ = (sa.Index("ix_poll_source_started", "source_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", ondelete="CASCADE")
    started_at: datetime = _utc()
    finished_at: datetime | None = _utc(default=None)
    # running → ok | not_modified | error | abandoned (a worker died mid-poll)
    outcome: str = Field(default="running", max_length=16)
    worker: str | None = Field(default=None, max_length=128)
    http_status: int | None = None
    pages: int = 0
    bytes_read: int = 0
    items_seen: int = 0
    items_new: int = 0
    items_updated: int = 0
    items_skipped: int = 0
    error_class: str | None = Field(default=None, max_length=32)
    error_message: str | None = Field(default=None, max_length=1000)
    warnings: list[str] = Field(default_factory=list, sa_type=JsonType)
    duration_ms: int | None = None


class Mention(SQLModel, table=True):
    """One item found on a source. Facts are kept; an edit makes a revision.

    `dedup_key` is what makes storing idempotent: `id:<external id>`, else
    `url:<canonical url>`, else `hash:<content hash>`, unique per source.
    """

    __tablename__ = "mention"
    __table_args__ = (
        sa.UniqueConstraint("source_id", "dedup_key", name="uq_mention_source_key"),
        sa.Index("ix_mention_first_seen", "first_seen_at"),
        sa.Index("ix_mention_source", "source_id", "id"),
        sa.Index("ix_mention_brand", "brand_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", ondelete="CASCADE")
    dedup_key: str = Field(max_length=300)
    external_id: str | None = Field(default=None, max_length=512)
    url: str | None = Field(default=None, max_length=2048)
    canonical_url: str | None = Field(default=None, max_length=2048)
    title: str | None = Field(default=None, max_length=1000)
    body: str = Field(sa_type=sa.Text)
    author: str | None = Field(default=None, max_length=300)
    published_at: datetime | None = _utc(default=None)
    first_seen_at: datetime = _utc()
    last_seen_at: datetime = _utc()
    # When the current text was first seen (first_seen_at until an edit).
    revised_at: datetime = _utc()
    rating: float | None = None
    language: str | None = Field(default=None, max_length=8)
    content_hash: str = Field(max_length=64)
    revision: int = 1
    brand_id: int | None = Field(default=None, foreign_key="brand.id", ondelete="SET NULL")
    replies: list[str] = Field(default_factory=list, sa_type=JsonType)


class MentionRevision(SQLModel, table=True):
    """A superseded version of a mention's text, kept when the author edits it."""

    __tablename__ = "mention_revision"
    __table_args__ = (sa.UniqueConstraint("mention_id", "revision", name="uq_revision_mention_number"),)

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id", ondelete="CASCADE")
    revision: int
    title: str | None = Field(default=None, max_length=1000)
    body: str = Field(sa_type=sa.Text)
    content_hash: str = Field(max_length=64)
    seen_from: datetime = _utc()
    replaced_at: datetime = _utc()


class Event(SQLModel, table=True):
    """Outbox: written in the same transaction as the change that caused it."""

    __tablename__ = "event"
    __table_args__ = (sa.Index("ix_event_created", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    subject: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    created_at: datetime = _utc()
