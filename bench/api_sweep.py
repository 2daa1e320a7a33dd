"""The SLA sweep of bench/api.py timed: when no clock is due, and when about 1% of the cases' clocks flip."""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.api_data import NOW
from monitor.cases.sla import sweep
from monitor.core.db import make_session_factory
from monitor.models import Case

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
    for name, at in (("none", NOW), ("one_percent", NOW + high)):
        runs = []
        for i in range(3):
            commit = name == "one_percent" and i == 2
            with sessions() as session:
                session.begin()
                started = time.perf_counter()
                counts = sweep(session=session, now=at)
                session.flush()
                if commit:
                    session.commit()
                seconds = time.perf_counter() - started
                if not commit:
                    session.rollback()
            runs.append({"seconds": seconds, "flips": counts.at_risk + counts.breached, "committed": commit})
        out[name] = {"at": at.isoformat(), "expected": due_marks(engine, at) if name == "none" else target,
                     "runs": runs, "median_s": statistics.median(r["seconds"] for r in runs)}  # fmt: skip
    return out
