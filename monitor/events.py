"""The outbox: events written in the same transaction as the change that caused them.

Delivery to chat channels reads this table later; writing here never talks to the
network, so a change and its event commit (or roll back) together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from monitor.models import Event

__all__ = ["emit"]


def emit(session: Session, kind: str, subject: str, payload: dict[str, Any], *, now: datetime) -> Event:
    event = Event(kind=kind, subject=subject[:200], payload=payload, created_at=now)
    session.add(event)
    return event
