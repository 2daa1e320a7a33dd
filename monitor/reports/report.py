"""The coverage report: was every source checked on its period, and did every case get a timely public answer.

For a period [from, to) (to is capped at now) and optionally one brand:

Sources: see monitor.reports.coverage (coverage per source, from daily roll-ups of the polls).

Cases (opened in the period). A clock is *due* when it was answered (met, missed) or
is past its deadline (breached); "within deadline" = met / due, so cases still inside
their time count neither way: they are *not yet due* (running, at risk) and are counted
apart, so a share is always read with how many it is of and how many are still to come
("97% of 120 due; 38 not yet due"). A stopped clock (a dismissed case) is neither. Time to first reply is wall-clock time from opening to
the first public reply; median and 90th percentile. Open breaches are listed oldest
first with their age. The same figures per brand, per source (a case counts for each
source it has a place on), by category, language and agent (assignee), and by the
ISO week the case opened.

Places and promises (monitor.reports.places): each place of those cases by its own reply clock,
and the promises made in the period, kept and broken.

The case figures are built from one query of plain columns (numbers and short strings):
each grouping becomes an array of group numbers, and the counts, medians and percentiles
are numpy reductions over those arrays, not a Python loop over 200,000 cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlmodel import Session

from monitor.config.business_hours import BusinessCalendar
from monitor.core.db import epoch_seconds
from monitor.core.errors import Invalid, NotFound
from monitor.models import Brand, Case, Mention, Reply, Source
from monitor.reports.coverage import SourceCoverage, source_coverage
from monitor.reports.places import PlaceFigures, PromiseFigures, place_figures, promise_figures

__all__ = ["CoverageReport", "SlaFigures", "SourceCoverage", "coverage_report"]

# Time-to-first-reply histogram buckets, in hours.
BUCKETS = ((0, 1, "<1h"), (1, 4, "1-4h"), (4, 8, "4-8h"), (8, 24, "8-24h"), (24, 72, "1-3d"), (72, None, ">3d"))
# A clock counts as due once answered (met, missed) or past its deadline (breached); a running one is not yet.
_DUE = frozenset(("met", "missed", "breached"))
_NOT_YET_DUE = ("running", "at_risk")


@dataclass(slots=True)
class SlaFigures:
    cases: int = 0
    response_due: int = 0
    response_met: int = 0
    response_not_yet_due: int = 0
    resolution_due: int = 0
    resolution_met: int = 0
    resolution_not_yet_due: int = 0
    replied: int = 0
    closing_replies: int = 0
    median_first_reply_seconds: float | None = None
    p90_first_reply_seconds: float | None = None

    @property
    def response_share(self) -> float | None:
        return self.response_met / self.response_due if self.response_due else None

    @property
    def resolution_share(self) -> float | None:
        return self.resolution_met / self.resolution_due if self.resolution_due else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases, "replied": self.replied, "response_due": self.response_due,
            "response_met": self.response_met, "response_within_deadline": self.response_share,
            "response_not_yet_due": self.response_not_yet_due,
            "resolution_due": self.resolution_due, "resolution_met": self.resolution_met,
            "resolution_within_deadline": self.resolution_share,
            "resolution_not_yet_due": self.resolution_not_yet_due, "closing_replies": self.closing_replies,
            "median_first_reply_seconds": self.median_first_reply_seconds,
            "p90_first_reply_seconds": self.p90_first_reply_seconds,
        }  # fmt: skip


@dataclass(slots=True)
class Breach:
    case_id: int
    brand: str
    clock: str
    priority: str
    due_at: datetime
    age_seconds: float
    title: str | None


@dataclass(slots=True)
class CoverageReport:
    period_from: datetime
    period_to: datetime
    generated_at: datetime
    brand: str | None
    sources: list[SourceCoverage]
    overall: SlaFigures
    by_brand: dict[str, SlaFigures]
    by_source: dict[str, SlaFigures]
    by_category: dict[str, SlaFigures]
    by_language: dict[str, SlaFigures]
    by_agent: dict[str, SlaFigures]
    by_week: dict[str, SlaFigures]
    first_reply_histogram: dict[str, int]
    open_breaches: list[Breach]
    open_breach_count: int
    unassigned_mentions: int
    holidays: dict[str, list[tuple[date, str]]] = field(default_factory=dict)
    places: PlaceFigures = field(default_factory=PlaceFigures)
    promises: PromiseFigures = field(default_factory=PromiseFigures)

    @property
    def coverage(self) -> float | None:
        """The mean coverage of the active sources."""
        active = [s.coverage for s in self.sources if s.active]
        return sum(active) / len(active) if active else None


def coverage_report(
    *,
    session: Session,
    period_from: datetime,
    period_to: datetime,
    now: datetime,
    brand: str | None = None,
    calendars: dict[str, BusinessCalendar] | None = None,
    breach_list: int = 50,
) -> CoverageReport:
    """Compute the report (see the module docstring for every definition)."""
    if period_from.tzinfo is None or period_to.tzinfo is None:
        raise Invalid("the period needs time zones")
    end = min(period_to, now)
    if end <= period_from:
        raise Invalid("the period must end after it starts (and start before now)")
    brand_ids = dict(session.execute(sa.select(Brand.key, Brand.id)).all())
    brand_keys = {v: k for k, v in brand_ids.items()}
    if brand is not None and brand not in brand_ids:
        raise NotFound(f"no brand '{brand}'")
    sources = source_coverage(session, period_from, end, now, brand)
    brand_id = brand_ids.get(brand) if brand else None
    report = CoverageReport(
        period_from=period_from, period_to=end, generated_at=now, brand=brand, sources=sources,
        overall=SlaFigures(), by_brand={}, by_source={}, by_category={}, by_language={}, by_agent={}, by_week={},
        first_reply_histogram={label: 0 for *_, label in BUCKETS}, open_breaches=[], open_breach_count=0,
        unassigned_mentions=_unassigned(session, period_from, end) if brand is None else 0,
    )  # fmt: skip
    _case_figures(session, report, period_from, end, brand_id, brand_keys)
    report.places = place_figures(session, period_from, end, brand_id)
    report.promises = promise_figures(session, period_from, end, brand_id)
    report.open_breach_count, report.open_breaches = _open_breaches(session, brand_id, now, brand_keys, breach_list)
    for key, calendar in (calendars or {}).items():
        if brand is None or key == brand:
            days = [period_from.date() + timedelta(days=i) for i in range((end.date() - period_from.date()).days + 1)]
            report.holidays[key] = [(d, calendar.holiday_name(d) or "") for d in days if calendar.is_day_off(d)]
    return report


def _codes(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """Group numbers for a column of keys (strings or ints, no None), and the keys in number order."""
    keys, codes = np.unique(np.asarray(values), return_inverse=True)
    return codes.astype(np.int64), keys.tolist()


def _figures(
    codes: np.ndarray, keys: list[Any], flags: dict[str, np.ndarray], waits: np.ndarray
) -> dict[Any, SlaFigures]:
    """SlaFigures per group: counts by bincount, percentiles over each group's sorted waits."""
    size = len(keys)
    sums = {name: np.bincount(codes, weights=flag, minlength=size) for name, flag in flags.items()}
    cases = np.bincount(codes, minlength=size)
    replied = ~np.isnan(waits)
    order = np.lexsort((waits[replied], codes[replied]))
    sorted_waits, sorted_codes = waits[replied][order], codes[replied][order]
    bounds = np.searchsorted(sorted_codes, np.arange(size + 1))
    out = {}
    for k, key in enumerate(keys):
        f = SlaFigures(cases=int(cases[k]), **{name: int(total[k]) for name, total in sums.items()})
        group = sorted_waits[bounds[k] : bounds[k + 1]]
        if len(group):
            # method="linear" is statistics' "inclusive" (and percentile_cont): the report's definition.
            f.median_first_reply_seconds = float(np.median(group))
            f.p90_first_reply_seconds = float(np.quantile(group, 0.9))
        out[key] = f
    return out


def _case_figures(
    session: Session, report: CoverageReport, start: datetime, end: datetime, brand_id: int | None,
    brands: dict[int, str],
) -> None:  # fmt: skip
    """Every grouping from one query of plain columns (see the module docstring)."""
    dialect = session.get_bind().dialect.name
    opened = epoch_seconds(Case.opened_at, dialect)
    wait = epoch_seconds(Case.first_reply_at, dialect) - opened
    in_period = [Case.opened_at >= start, Case.opened_at < end, Case.status != "merged"]
    if brand_id is not None:
        in_period.append(Case.brand_id == brand_id)
    conn = session.connection()
    rows = conn.execute(
        sa.select(Case.id, Case.brand_id, Case.category, sa.func.coalesce(Case.language, "?"),
                  sa.func.coalesce(Case.assignee, "(unassigned)"), opened, wait, Case.response_sla,
                  Case.resolution_sla).where(*in_period)
    ).all()  # fmt: skip
    if not rows:
        report.overall = SlaFigures()
        return
    ids, brand_ids, categories, languages, assignees, opened_s, wait_s, r_sla, s_sla = zip(*rows, strict=True)
    case_ids = np.asarray(ids, dtype=np.int64)
    closing = list(conn.scalars(
        sa.select(Reply.case_id).where(Reply.kind == "closing", Reply.posted_at >= start, Reply.posted_at < end)
    ))  # fmt: skip
    # None (no reply yet) becomes NaN; julianday arithmetic is not exact: waits are rounded to the ms.
    waits = np.round(np.asarray(wait_s, dtype=np.float64), 3)
    response, resolution = np.asarray(r_sla), np.asarray(s_sla)
    due = list(_DUE)
    flags = {
        "response_due": np.isin(response, due).astype(np.float64),
        "response_met": (response == "met").astype(np.float64),
        "resolution_due": np.isin(resolution, due).astype(np.float64),
        "resolution_met": (resolution == "met").astype(np.float64),
        "response_not_yet_due": np.isin(response, _NOT_YET_DUE).astype(np.float64),
        "resolution_not_yet_due": np.isin(resolution, _NOT_YET_DUE).astype(np.float64),
        "replied": (~np.isnan(waits)).astype(np.float64),
        "closing_replies": np.isin(case_ids, closing).astype(np.float64),
    }
    day_codes, days = _codes((np.asarray(opened_s, dtype=np.float64) // 86400).astype(np.int64))
    week_of_day = [datetime.fromtimestamp(day * 86400, UTC).isocalendar() for day in days]
    week_codes, weeks = _codes([f"{year}-W{number:02d}" for year, number, _ in week_of_day])
    brand_codes, brand_keys = _codes(brand_ids)
    groupings = {
        "by_brand": (brand_codes, [brands.get(b, "?") for b in brand_keys]),
        "by_category": _codes(categories),
        "by_language": _codes(languages),
        "by_agent": _codes(assignees),
        "by_week": (week_codes[day_codes], weeks),
    }
    report.overall = _figures(np.zeros(len(ids), dtype=np.int64), [None], flags, waits)[None]
    for name, (codes, keys) in groupings.items():
        figures = _figures(codes, keys, flags, waits)
        setattr(report, name, {k: figures[k] for k in sorted(keys)})
    # A case counts for each source it has a place on: (case, source) pairs made unique here, not
    # by a DISTINCT in the database.
    pairs = conn.execute(
        sa.select(Mention.case_id, Mention.source_id).join(Case, Case.id == Mention.case_id).where(*in_period)
    ).all()
    if pairs:
        case_col, source_col = (np.asarray(c, dtype=np.int64) for c in zip(*pairs, strict=True))
        width = int(source_col.max()) + 1
        pair_keys = np.unique(case_col * width + source_col)  # one int a pair: a fast unique
        place_cases, place_sources = pair_keys // width, pair_keys % width
        order = np.argsort(case_ids)
        at = order[np.searchsorted(case_ids, place_cases, sorter=order)]
        source_keys = dict(conn.execute(sa.select(Source.id, Source.key)).all())
        codes, ids_ = _codes(place_sources)
        figures = _figures(codes, ids_, {n: f[at] for n, f in flags.items()}, waits[at])
        report.by_source = {source_keys[i]: figures[i] for i in sorted(ids_, key=source_keys.__getitem__)}
    hours = waits[~np.isnan(waits)] / 3600
    edges = [lo for lo, _, _ in BUCKETS[1:]]
    counts = np.bincount(np.searchsorted(edges, hours, side="right"), minlength=len(BUCKETS))
    report.first_reply_histogram = {label: int(n) for (_, _, label), n in zip(BUCKETS, counts, strict=True)}


def _open_breaches(
    session: Session, brand_id: int | None, now: datetime, brands: dict[int, str], keep: int
) -> tuple[int, list[Breach]]:
    """How many open cases have a breached clock, and the `keep` oldest breaches (by deadline)."""
    open_case = [Case.status.in_(("new", "acknowledged", "in_progress"))]
    if brand_id is not None:
        open_case.append(Case.brand_id == brand_id)
    count = session.scalar(
        sa.select(sa.func.count()).select_from(Case)
        .where(*open_case, sa.or_(Case.response_sla == "breached", Case.resolution_sla == "breached"))
    ) or 0  # fmt: skip
    out = []
    for clock, state, due in (("first_response", Case.response_sla, Case.response_due_at),
                              ("resolution", Case.resolution_sla, Case.resolution_due_at)):  # fmt: skip
        query = sa.select(Case.id, Case.brand_id, Case.priority, Case.title, due).where(*open_case, state == "breached")
        if clock == "resolution":  # a case breached on both clocks is listed once, by its first-response breach
            query = query.where(Case.response_sla != "breached")
        for cid, bid, priority, title, due_at in session.execute(query.order_by(due).limit(keep)):
            out.append(Breach(case_id=cid, brand=brands.get(bid, "?"), clock=clock, priority=priority, due_at=due_at,
                              age_seconds=(now - due_at).total_seconds(), title=title))  # fmt: skip
    out.sort(key=lambda b: b.due_at)
    return count, out[:keep]


def _unassigned(session: Session, start: datetime, end: datetime) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(Mention)
        .where(Mention.brand_id.is_(None), Mention.first_seen_at >= start, Mention.first_seen_at < end)
    ) or 0  # fmt: skip
