"""Tables of the watch list: brands, sources and every poll of them (the proof of coverage).

Made only by the Alembic migrations; times are UTC (`UtcDateTime`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.models.base import JsonType, _utc

__all__ = ["Brand", "Poll", "PollDay", "PollDayFailure", "Source"]


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
    # The PageWarning kind of last_warning: a bounded label for /metrics, where the text is not.
    last_warning_kind: str | None = Field(default=None, max_length=32)
    last_poll_at: datetime | None = _utc(default=None)
    last_success_at: datetime | None = _utc(default=None)
    last_http_status: int | None = None
    last_items: int | None = None
    # What the next poll's field fill is compared with (monitor.ingest.fill_watch): each field's rate
    # and the fields already reported emptied, so a vanished field is news once, a warning every poll.
    last_fill: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
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
    # {"items": n, "fields": {field: items that had it}} for each configured field; None when not parsed.
    field_fill: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
    duration_ms: int | None = None
    # Seconds since the start of the source's previous successful poll (successful polls only): the
    # coverage report sums these instead of ordering millions of polls at report time.
    gap_seconds: float | None = None


class PollDay(SQLModel, table=True):
    """One source's successful and failed polls of one UTC day, summed up for the coverage report.

    Written by `monitor.reports.coverage.roll_up` for days that are over (never for today), so a
    report over 90 days reads 90 rows a source instead of 8,640 polls. `uncovered_seconds` was
    computed with `interval_seconds`: when the source's interval changes, the row is made again.
    A poll that finishes (or is reaped) after its day was summed up deletes the day's row.
    """

    __tablename__ = "poll_day"

    source_id: int = Field(foreign_key="source.id", ondelete="CASCADE", primary_key=True)
    day: date = Field(primary_key=True)
    interval_seconds: int
    successes: int = 0
    first_success_at: datetime | None = _utc(default=None)
    last_success_at: datetime | None = _utc(default=None)
    # gap_seconds of the day's first success (it began on an earlier day), and the longest gap of
    # the others: a period that starts with this day replaces the first by its own head gap.
    first_gap_seconds: float | None = None
    longest_gap_after_first: float | None = None
    uncovered_seconds: float = 0.0
    made_at: datetime = _utc()


class PollDayFailure(SQLModel, table=True):
    """The failed polls of a `PollDay` by class (timeout, http_5xx, …); goes with its day row."""

    __tablename__ = "poll_day_failure"
    __table_args__ = (
        sa.ForeignKeyConstraint(["source_id", "day"], ["poll_day.source_id", "poll_day.day"], ondelete="CASCADE"),
    )

    source_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    error_class: str = Field(primary_key=True, max_length=32)
    polls: int
