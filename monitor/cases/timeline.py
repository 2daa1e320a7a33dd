"""The case timeline: an append-only record of who did what to a case, and when.

This module is its only writer: staff changes (monitor.cases.lifecycle, monitor.desk),
automation (the case pipeline, the SLA sweep, reply verification) and followed edits all
append here, in the caller's transaction, next to the change each entry describes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session

from monitor.core.db import insert_many
from monitor.models import Case, CaseEvent, Mention

__all__ = ["SYSTEM", "append", "append_many", "note"]

SYSTEM = "system"  # the actor of everything the service does by itself


def append(
    session: Session,
    case_id: int,
    *,
    at: datetime,
    kind: str,
    actor: str = SYSTEM,
    mention_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append one entry."""
    session.add(CaseEvent(case_id=case_id, at=at, actor=actor, kind=kind, mention_id=mention_id, data=data or {}))


def note(
    session: Session, case: Case, now: datetime, actor: str, kind: str, mention: Mention | None = None, **data: object
) -> None:
    """Append one entry about `case` (and the place `mention`), its details as keywords."""
    append(session, case.id or 0, at=now, kind=kind, actor=actor, mention_id=mention.id if mention else None, data=data)


def append_many(session: Session, entries: Sequence[dict[str, Any]]) -> None:
    """Append many entries as multi-row INSERTs ({case_id, at, actor, kind, mention_id, data} each):
    an ORM object per entry made 2,000 SLA flips take 1.6 s."""
    insert_many(session, CaseEvent, entries)
