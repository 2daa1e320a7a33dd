"""The state of the watch list: every source's health, last and next poll, and its poll history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from monitor.models import Poll, Source

__all__ = ["PollRow", "get_source", "list_polls", "list_sources"]


def list_sources(*, session: Session, include_inactive: bool = False) -> list[Source]:
    query = sa.select(Source).order_by(Source.key)
    if not include_inactive:
        query = query.where(Source.active.is_(True))
    return list(session.scalars(query))


def get_source(*, session: Session, key: str) -> Source | None:
    return session.scalars(sa.select(Source).where(Source.key == key)).first()


@dataclass(frozen=True, slots=True)
class PollRow:
    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
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
            duration_ms=p.duration_ms,
        )
        for p in session.scalars(query)
    ]
