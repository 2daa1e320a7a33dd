"""The SLA sweep of bench/api.py timed: when no clock is due, and when about 1% of the cases' clocks flip.

The clocks counted are the cases', their places' and their promises' (the sweep flips all three).
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.api_data import NOW
from monitor.cases.sla import sweep
from monitor.core.db import make_session_factory
from monitor.models import Case, Mention, Promise

__all__ = ["due_marks", "time_sweeps"]


def due_marks(engine: sa.Engine, at: datetime) -> int:
    """How many clocks a sweep at `at` would flip (breaches, then risks of clocks not breached)."""
    total = 0
    with engine.connect() as conn:
        for clock in ("response", "resolution"):
            state, due, risk = (getattr(Case, f"{clock}_{x}") for x in ("sla", "due_at", "risk_at"))
            breach = sa.and_(state.in_(("running", "at_risk")), due <= at)
            risky = sa.and_(state == "running", risk <= at, sa.or_(due.is_(None), due > at))
            total += conn.scalar(sa.select(sa.func.count()).where(sa.or_(breach, risky))) or 0
        # Places and promises flip in the same sweep (monitor.cases.places, monitor.cases.promises).
        state, due, risk = Mention.place_sla, Mention.place_due_at, Mention.place_risk_at
        breach = sa.and_(state.in_(("running", "at_risk")), due <= at)
        risky = sa.and_(state == "running", risk <= at, due > at)
        total += conn.scalar(sa.select(sa.func.count()).where(sa.or_(breach, risky))) or 0
        breach = sa.and_(Promise.state.in_(("open", "at_risk")), Promise.due_at <= at)
        risky = sa.and_(Promise.state == "open", Promise.risk_at <= at, Promise.due_at > at)
        total += conn.scalar(sa.select(sa.func.count()).where(sa.or_(breach, risky))) or 0
    return total


def time_sweeps(engine: sa.Engine, cases: int) -> dict[str, Any]:
    sessions = make_session_factory(engine)
    target = max(1, cases // 100)
    low, high = timedelta(0), timedelta(days=20)
    for _ in range(30):  # bisect: the moment after NOW when about 1% of the cases have a clock to flip
        mid = (low + high) / 2
        if due_marks(engine, NOW + mid) < target:
            low = mid
        else:
            high = mid
    out: dict[str, Any] = {}
    # The sweep as it was before places and promises had clocks (case clocks only), at the same moment on the
    # same data: the baseline of this run. Rolled back, like the first two runs of the whole sweep.
    moments = (("none", NOW, False), ("one_percent_cases_only", NOW + high, True), ("one_percent", NOW + high, False))
    for name, at, cases_only in moments:
        runs = []
        for i in range(3):
            commit = name == "one_percent" and i == 2
            with sessions() as session:
                session.begin()
                started = time.perf_counter()
                counts = sweep(session=session, now=at, cases_only=cases_only)
                session.flush()
                if commit:
                    session.commit()
                seconds = time.perf_counter() - started
                if not commit:
                    session.rollback()
            flips = (counts.at_risk + counts.breached + counts.place_at_risk + counts.place_breached
                     + counts.promise_at_risk + counts.promise_broken)  # fmt: skip
            runs.append({"seconds": seconds, "flips": flips, "committed": commit, "cases": counts.at_risk + counts.breached,
                         "places": counts.place_at_risk + counts.place_breached,
                         "promises": counts.promise_at_risk + counts.promise_broken})  # fmt: skip
        out[name] = {"at": at.isoformat(), "expected": due_marks(engine, at) if name == "none" else target,
                     "cases_only": cases_only,
                     "runs": runs, "median_s": statistics.median(r["seconds"] for r in runs)}  # fmt: skip
    return out
