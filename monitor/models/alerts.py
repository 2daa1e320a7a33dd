"""Alert tables: deliveries (one message to one channel), their attempts, the routing cursor.

They live on the same SQLModel metadata as monitor.models, so Alembic and the
foreign key to `event` see one schema. The schema is made by migration 0004.

A delivery goes:
    pending ──claim──► sending ──sent──► sent
       ▲                  │
       └── transient ◄────┤ (backoff, Retry-After), or lease expired (process died)
    held ──(quiet hours end / digest window ends)──► claimed like pending
                          └──permanent, or max attempts──► failed ──POST …/retry──► pending
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.models.base import UtcDateTime

__all__ = [
    "AlertAttempt",
    "AlertChannelState",
    "AlertCursor",
    "AlertDelivery",
    "AlertDeliveryEvent",
    "AlertRouted",
    "DeliveryState",
]


class DeliveryState:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"
    ALL = (PENDING, SENDING, SENT, FAILED, HELD)


def _utc(**kw: Any) -> Any:
    return Field(sa_type=UtcDateTime, **kw)


class AlertDelivery(SQLModel, table=True):
    """One message to one channel: about one event, or a digest of several (`event_count`)."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        sa.Index("ix_alert_delivery_due", "channel", "state", "next_attempt_at"),
        sa.Index("ix_alert_delivery_state", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The event (for a digest, the first one; all of them are in alert_delivery_event).
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE", index=True)
    event_kind: str = Field(max_length=64)
    channel: str = Field(max_length=64)
    rule: int = 0
    state: str = Field(default=DeliveryState.PENDING, max_length=16)
    # Why a held delivery waits: "quiet_hours" or "digest".
    hold_reason: str | None = Field(default=None, max_length=16)
    digest: bool = False
    event_count: int = 1
    brand: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    max_attempts: int = 12
    next_attempt_at: datetime = _utc(index=True)
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = _utc(default=None)
    # Sent with the message (Idempotency-Key) so a receiver can drop a repeat.
    idempotency_key: str = Field(max_length=128, unique=True)
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=1000)
    sent_at: datetime | None = _utc(default=None)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class AlertDeliveryEvent(SQLModel, table=True):
    """The events a digest delivery carries."""

    __tablename__ = "alert_delivery_event"

    delivery_id: int = Field(foreign_key="alert_delivery.id", ondelete="CASCADE", primary_key=True)
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE", primary_key=True)


class AlertAttempt(SQLModel, table=True):
    """One try to send a delivery, whatever happened: the evidence of delivery."""

    __tablename__ = "alert_attempt"
    __table_args__ = (sa.Index("ix_alert_attempt_delivery", "delivery_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="alert_delivery.id", ondelete="CASCADE")
    at: datetime = _utc()
    # sent | transient | permanent | abandoned (the sending process died)
    outcome: str = Field(max_length=16)
    status: int | None = None
    error: str | None = Field(default=None, max_length=1000)
    duration_ms: int | None = None
    worker: str | None = Field(default=None, max_length=128)


class AlertCursor(SQLModel, table=True):
    """How far routing has read the event outbox.

    `event_id` is a watermark: every event at or below it has been routed. Events
    above it that were routed are listed in alert_routed (ids can commit out of order).
    """

    __tablename__ = "alert_cursor"

    name: str = Field(primary_key=True, max_length=32)
    event_id: int = 0
    updated_at: datetime = _utc()


class AlertRouted(SQLModel, table=True):
    """Events above the watermark that routing has already turned into deliveries (or into nothing)."""

    __tablename__ = "alert_routed"

    event_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    routed_at: datetime = _utc()


class AlertChannelState(SQLModel, table=True):
    """Per channel: the rate-limit window and a pause asked for by the service (429 Retry-After)."""

    __tablename__ = "alert_channel"

    key: str = Field(primary_key=True, max_length=64)
    window_start: datetime | None = _utc(default=None)
    window_count: int = 0
    paused_until: datetime | None = _utc(default=None)
    updated_at: datetime = _utc()
