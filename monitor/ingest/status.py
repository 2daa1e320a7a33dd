"""The state of the watch list: every source's health, last and next poll, and its poll history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session

from monitor.ingest.fill_watch import health_reason
from monitor.models import Poll, Source

__all__ = ["PollRow", "SourceRow", "get_source", "list_polls", "list_sources", "source_row"]


# The rows below are also the API's response bodies (api/routers/sources.py): the descriptions are the
# OpenAPI document's, which pydantic reads from the Annotated fields.
@dataclass(frozen=True, slots=True)
class SourceRow:
    key: str
    kind: str
    url: str
    brand: str | None
    language: str | None
    weight: int
    interval_seconds: int
    active: bool
    health: Annotated[str, Field(description="new, ok, degraded, failing or gone")]
    error_count: int
    last_error_class: str | None
    last_error: str | None
    last_warning: str | None
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_http_status: int | None
    last_items: int | None
    next_poll_at: datetime
    polling_now: bool
    # Added after the fields the API has always sent, so their order stays as it was.
    reason: Annotated[
        str | None,
        Field(
            description="Why the health is not ok: the last poll's error, else its first warning; null when ok or new"
        ),
    ]
    reason_kind: Annotated[
        str | None,
        Field(
            description="The reason's kind: an error class (timeout, http_5xx, ...) or a warning kind "
            "(nothing_matched, field_emptied, skipped, truncated, malformed); null when ok or new"
        ),
    ]


def source_row(source: Source, now: datetime) -> SourceRow:
    """The source as staff see it; `polling_now` while a worker holds its lease at `now`."""
    reason_kind, reason = health_reason(source)
    return SourceRow(
        key=source.key, kind=source.kind, url=source.url, brand=source.brand_key, language=source.language,
        weight=source.weight, interval_seconds=source.interval_seconds, active=source.active, health=source.health,
        reason=reason, reason_kind=reason_kind,
        error_count=source.error_count, last_error_class=source.last_error_class, last_error=source.last_error,
        last_warning=source.last_warning, last_poll_at=source.last_poll_at, last_success_at=source.last_success_at,
        last_http_status=source.last_http_status, last_items=source.last_items, next_poll_at=source.next_poll_at,
        polling_now=bool(source.lease_until and source.lease_until > now),
    )  # fmt: skip


def list_sources(*, session: Session, now: datetime, include_inactive: bool = False) -> list[SourceRow]:
    query = sa.select(Source).order_by(Source.key)
    if not include_inactive:
        query = query.where(Source.active.is_(True))
    return [source_row(s, now) for s in session.scalars(query)]


def get_source(*, session: Session, key: str) -> Source | None:
    return session.scalars(sa.select(Source).where(Source.key == key)).first()


@dataclass(frozen=True, slots=True)
class PollRow:
    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    outcome: Annotated[str, Field(description="running, ok, not_modified, error or abandoned")]
    worker: str | None
    http_status: int | None
    pages: int
    bytes_read: int
    items_seen: int
    items_new: int
    items_updated: int
    items_skipped: int
    error_class: str | None
    error_message: str | None
    warnings: list[str]
    duration_ms: int | None
    field_fill: Annotated[
        dict[str, Any] | None,
        Field(
            description='How many of the poll\'s items had each configured field: {"items": n, "fields": '
            '{"published": n, ...}}; null when nothing was parsed (an error, a 304, or a poll before this was recorded)'
        ),
    ]


def list_polls(*, session: Session, source: Source, before_id: int | None = None, limit: int = 50) -> list[PollRow]:
    query = sa.select(Poll).where(Poll.source_id == source.id).order_by(Poll.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Poll.id < before_id)
    return [
        PollRow(
            id=p.id,
            source=source.key,
            started_at=p.started_at,
            finished_at=p.finished_at,
            outcome=p.outcome,
            worker=p.worker,
            http_status=p.http_status,
            pages=p.pages,
            bytes_read=p.bytes_read,
            items_seen=p.items_seen,
            items_new=p.items_new,
            items_updated=p.items_updated,
            items_skipped=p.items_skipped,
            error_class=p.error_class,
            error_message=p.error_message,
            warnings=list(p.warnings or []),
            field_fill=p.field_fill,
            duration_ms=p.duration_ms,
        )
        for p in session.scalars(query)
    ]
