"""SLA clocks: a deadline for the first public reply and one for resolution, on business hours.

Each case carries two clocks, each as indexed columns: the deadline (`*_due_at`),
the moment it is at risk (`*_risk_at`, when the configured share of the business
time is used, 75% by default) and its state:

    running → at_risk → breached        the sweep moves a clock forward
    running | at_risk | breached → met | missed    the reply (or resolution) arrives
    any → stopped                        the case is dismissed

Deadlines count business time from the case's opening in the brand's zone and
calendar (monitor.config.business_hours), per priority; a priority may count another
calendar (`sla.<priority>.calendar`: `always`, round the clock, or one of
`sla.calendars`), which the caller passes in as `calendar`. They are computed when the case
opens and recomputed from the opening when its priority changes. A recompute that
moves a deadline into the future sets the clock back to running; one that moves it
into the past leaves the clock as it is, and the next sweep flips it, so every flip
is seen once, as an event.

The sweep runs every minute. Each flip is one `UPDATE … WHERE state IN (…) AND
due <= now RETURNING id`: a compare-and-set, so two processes sweeping at once
never flip a case twice (PostgreSQL locks the row, SQLite has one writer), and
only the process whose update changed the row writes the event. The timeline entries and events
of a step's flips are then two `INSERT … SELECT`s over the returned ids (monitor.cases.flips), so no
row passes through Python however many clocks flip. Breaches are swept
before risks, so a case whose clock passed both marks while no worker ran gets one
breached event rather than two. The same sweep flips the clock of each place
(monitor.cases.places: `place.sla_breached`) and each promise (monitor.cases.promises:
`case.promise_at_risk`, `case.promise_broken`) the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases import flips
from monitor.cases.places import sweep_places
from monitor.cases.promises import sweep_promises
from monitor.config.business_hours import BusinessCalendar
from monitor.config.sla import SlaConfig
from monitor.models import Brand, Case

__all__ = [
    "SweepCounts",
    "apply_deadlines",
    "clock_after_reply",
    "sweep",
]

OPEN_CLOCK = ("running", "at_risk", "breached")


def apply_deadlines(*, case: Case, calendar: BusinessCalendar, sla: SlaConfig, now: datetime) -> None:
    """Set both deadlines from the case's opening and priority (see the module docstring for states)."""
    targets = sla.targets(case.priority)
    for clock, span in (("response", targets.first_response), ("resolution", targets.resolution)):
        due = calendar.add(case.opened_at, span.on(calendar))
        risk = calendar.add(case.opened_at, (span * sla.at_risk).on(calendar))
        setattr(case, f"{clock}_due_at", due)
        setattr(case, f"{clock}_risk_at", risk)
        if getattr(case, f"{clock}_sla") in ("at_risk", "breached") and now < risk:
            setattr(case, f"{clock}_sla", "running")


def clock_after_reply(state: str, due: datetime | None, at: datetime) -> str:
    """The final state of a clock stopped at `at`: met when on time, missed when late."""
    if state not in OPEN_CLOCK:
        return state
    return "missed" if due is not None and at > due else "met"


@dataclass(slots=True)
class SweepCounts:
    at_risk: int = 0
    breached: int = 0
    cases: list[int] = field(default_factory=list)
    # Place clocks (monitor.cases.places) and promises (monitor.cases.promises).
    place_at_risk: int = 0
    place_breached: int = 0
    promise_at_risk: int = 0
    promise_broken: int = 0
    promises_at_risk: list[int] = field(default_factory=list)  # handed on: the desk offers interim updates


def sweep(*, session: Session, now: datetime, cases_only: bool = False) -> SweepCounts:
    """Flip every clock whose mark has passed; one event and one timeline entry per flip.

    `cases_only` leaves places and promises alone: the sweep as it was before they had clocks, which
    bench/api.py times next to the whole one.
    """
    counts = SweepCounts()
    # Nothing is read before the first UPDATE: on SQLite a transaction that reads first and writes later cannot
    # wait for another writer (its snapshot would be stale) and fails at once with "database is locked".
    dialect = session.get_bind().dialect.name
    for clock in ("response", "resolution"):
        state, due, risk = (getattr(Case, f"{clock}_{x}") for x in ("sla", "due_at", "risk_at"))
        steps = (
            ("breached", state.in_(("running", "at_risk")), due),
            ("at_risk", state == "running", risk),
        )
        for new_state, from_states, mark in steps:
            flipped = session.scalars(
                sa.update(Case)
                .where(from_states, mark.is_not(None), mark <= now)
                .values({state: new_state, Case.updated_at: now})
                .returning(Case.id)
                .execution_options(synchronize_session=False)
            ).all()
            # The entries and events are selected from the flipped cases by the database (monitor.cases.flips):
            # building them in Python was most of the sweep's time when thousands flip.
            for ids in flips.chunks(flipped):
                rows = sa.select(Case.id).select_from(sa.outerjoin(Case, Brand, Brand.id == Case.brand_id))
                rows = rows.where(Case.id.in_(ids))
                data = {"clock": flips.text(clock), "due_at": flips.iso_utc(due, dialect), "priority": Case.priority}
                flips.insert_timeline(session, case_id=Case.id, now=now, kind=flips.text(f"sla.{new_state}"),
                                      mention_id=sa.cast(sa.null(), sa.Integer),
                                      data=flips.json_object(dialect, data), query=rows)  # fmt: skip
                payload = flips.json_object(dialect, {"case_id": Case.id, "brand": Brand.key, **data})
                flips.insert_events(session, now=now, kind=flips.text(f"case.sla_{new_state}"),
                                    subject=flips.text("case:") + sa.cast(Case.id, sa.Text), payload=payload,
                                    query=rows)  # fmt: skip
            counts.cases += flipped
            setattr(counts, new_state, getattr(counts, new_state) + len(flipped))
    if cases_only:
        return counts

    places = sweep_places(session, now)
    counts.place_at_risk, counts.place_breached = places["at_risk"], places["breached"]
    promises = sweep_promises(session, now)
    counts.promise_at_risk, counts.promise_broken = promises.at_risk, promises.broken
    counts.promises_at_risk = promises.at_risk_ids
    return counts
