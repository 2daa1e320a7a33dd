"""The coverage report counts places and promises, not only cases.

Places: every place (mention) of the cases opened in the period, by its own reply clock
(monitor.cases.places): answered (replied or verified), waiting (unanswered, or our reply
disappeared); its first reply within its deadline = met / due, where due = met, missed or
breached, and the places still inside their time (running, at risk) are counted apart as not yet
due, as the case figures are. A place of a stopped clock (a dismissed or closed case) is neither.

Promises: every promise made in the period (monitor.cases.promises): kept, broken, and still open
(open or at risk); "kept" is a share of the promises settled (kept + broken).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from monitor.models import Case, Mention, Promise

__all__ = ["PlaceFigures", "PromiseFigures", "place_figures", "promise_figures"]


@dataclass(slots=True)
class PlaceFigures:
    places: int = 0
    answered: int = 0
    waiting: int = 0
    due: int = 0
    met: int = 0
    not_yet_due: int = 0

    @property
    def share(self) -> float | None:
        return self.met / self.due if self.due else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "within_deadline": self.share}


@dataclass(slots=True)
class PromiseFigures:
    made: int = 0
    kept: int = 0
    broken: int = 0
    open: int = 0

    @property
    def share(self) -> float | None:
        settled = self.kept + self.broken
        return self.kept / settled if settled else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kept_share": self.share}


def place_figures(session: Session, start: datetime, end: datetime, brand_id: int | None) -> PlaceFigures:
    """Places of the cases opened in [start, end), counted by state in the database (one grouped query)."""
    where = [Case.opened_at >= start, Case.opened_at < end, Case.status != "merged"]
    if brand_id is not None:
        where.append(Case.brand_id == brand_id)
    rows = session.execute(
        sa.select(Mention.place_state, Mention.place_sla, sa.func.count())
        .join(Case, Case.id == Mention.case_id)
        .where(*where)
        .group_by(Mention.place_state, Mention.place_sla)
    ).all()
    out = PlaceFigures()
    for state, clock, n in rows:
        out.places += n
        out.answered += n if state in ("replied", "verified") else 0
        out.waiting += n if state in ("unanswered", "disappeared") else 0
        out.due += n if clock in ("met", "missed", "breached") else 0
        out.met += n if clock == "met" else 0
        out.not_yet_due += n if clock in ("running", "at_risk") else 0
    return out


def promise_figures(session: Session, start: datetime, end: datetime, brand_id: int | None) -> PromiseFigures:
    """Promises made in [start, end), by state."""
    query = (
        sa.select(Promise.state, sa.func.count())
        .where(Promise.made_at >= start, Promise.made_at < end)
        .group_by(Promise.state)
    )
    if brand_id is not None:
        query = query.join(Case, Case.id == Promise.case_id).where(Case.brand_id == brand_id)
    out = PromiseFigures()
    for state, n in session.execute(query).all():
        out.made += n
        if state in ("kept", "broken"):
            setattr(out, state, getattr(out, state) + n)
        else:
            out.open += n
    return out
