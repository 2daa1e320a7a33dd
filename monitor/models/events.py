"""The outbox table and its writers: events written in the same transaction as the change that caused them.

Delivery to chat channels reads this table later; writing here never talks to the
network, so a change and its event commit (or roll back) together.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

from monitor.core.db import insert_many
from monitor.models.base import JsonType, _utc

__all__ = ["Event", "emit", "emit_many"]


class Event(SQLModel, table=True):
    """Outbox: written in the same transaction as the change that caused it."""

    __tablename__ = "event"
    __table_args__ = (sa.Index("ix_event_created", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    subject: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    created_at: datetime = _utc()


def emit(session: Session, kind: str, subject: str, payload: dict[str, Any], *, now: datetime) -> Event:
    event = Event(kind=kind, subject=subject[:200], payload=payload, created_at=now)
    session.add(event)
    return event


def emit_many(session: Session, events: Iterable[tuple[str, str, dict[str, Any]]], *, now: datetime) -> int:
    """Events (kind, subject, payload) in multi-row INSERTs, without ORM objects: for a sweep that flips
    thousands of clocks at once, where building and flushing one object per event took seconds."""
    rows = [{"kind": kind, "subject": subject[:200], "payload": payload, "created_at": now}
            for kind, subject, payload in events]  # fmt: skip
    insert_many(session, Event, rows)
    return len(rows)
