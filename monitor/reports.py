"""The coverage report: was every source checked on its period, and did every case get a timely public answer.

For a period [from, to) (to is capped at now) and optionally one brand:

Sources. A source's successful polls (ok or not_modified) are read in order; each gap
between two of them, and from the period's start to the first and from the last to
its end, is compared with the source's interval. Time beyond the interval plus 10%
(the scheduler comes early, never late, and a poll takes a moment) is *uncovered*:
coverage = 1 - uncovered / period. Expected polls = period / interval. Failures are
counted by class; mentions and cases found are those first seen in the period. The
interval is the source's current one (sources.yaml), a source's period starts when it
was added.

Cases (opened in the period). A clock is *due* when it was answered (met, missed) or
is past its deadline (breached); "within deadline" = met / due, so cases still inside
their time count neither way. Time to first reply is wall-clock time from opening to
the first public reply; median and 90th percentile. Open breaches are listed oldest
first with their age. The same figures per brand, per source (a case counts for each
source it has a place on), by category, language and agent (assignee), and by the
ISO week the case opened.

The heavy parts run in SQL: each successful poll stores its gap to the previous one
when it finishes, so the sources need one aggregate pass over the poll index; the case
rows (one per case, a few columns) are grouped in Python.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from monitor.business_hours import BusinessCalendar
from monitor.desk_models import Reply
from monitor.models import Brand, Case, Mention, Poll, Source

__all__ = ["CoverageReport", "SlaFigures", "SourceCoverage", "coverage_report"]

SUCCESS = ("ok", "not_modified")
TOLERANCE = 1.1
# Time-to-first-reply histogram buckets, in hours.
BUCKETS = ((0, 1, "<1h"), (1, 4, "1-4h"), (4, 8, "4-8h"), (8, 24, "8-24h"), (24, 72, "1-3d"), (72, None, ">3d"))


@dataclass(slots=True)
class SourceCoverage:
    key: str
    brand: str | None
    interval_seconds: int
    active: bool
    health: str
    expected_polls: int
    successful_polls: int
    failed_polls: int
    coverage: float  # 0-1
    uncovered_seconds: float
    longest_gap_seconds: float
    failures: dict[str, int]
    mentions: int
    cases: int


@dataclass(slots=True)
class SlaFigures:
    cases: int = 0
    response_due: int = 0
    response_met: int = 0
    resolution_due: int = 0
    resolution_met: int = 0
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
            "resolution_due": self.resolution_due, "resolution_met": self.resolution_met,
            "resolution_within_deadline": self.resolution_share, "closing_replies": self.closing_replies,
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

    @property
    def coverage(self) -> float | None:
        """The mean coverage of the active sources."""
        active = [s.coverage for s in self.sources if s.active]
        return sum(active) / len(active) if active else None


def _epoch(column: Any, dialect: str) -> Any:
    """Seconds since 1970 as a plain number, computed by the database (no datetime objects to build)."""
    if dialect == "postgresql":
        return sa.func.extract("epoch", column)
    return (sa.func.julianday(column) - 2440587.5) * 86400.0


def _aware(value: datetime | str) -> datetime:
    """min()/max() of a UTC column come back raw: a naive datetime or, on SQLite, a string."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


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
        raise ValueError("the period needs time zones")
    end = min(period_to, now)
    if end <= period_from:
        raise ValueError("the period must end after it starts (and start before now)")
    brand_ids = dict(session.execute(sa.select(Brand.key, Brand.id)).all())
    brand_keys = {v: k for k, v in brand_ids.items()}
    if brand is not None and brand not in brand_ids:
        raise LookupError(f"no brand '{brand}'")
    sources = _sources(session, period_from, end, brand)
    brand_id = brand_ids.get(brand) if brand else None
    report = CoverageReport(
        period_from=period_from, period_to=end, generated_at=now, brand=brand, sources=sources,
        overall=SlaFigures(), by_brand={}, by_source={}, by_category={}, by_language={}, by_agent={}, by_week={},
        first_reply_histogram={label: 0 for *_, label in BUCKETS}, open_breaches=[], open_breach_count=0,
        unassigned_mentions=_unassigned(session, period_from, end) if brand is None else 0,
    )  # fmt: skip
    _case_figures(session, report, period_from, end, brand_id, brand_keys)
    report.open_breach_count, report.open_breaches = _open_breaches(session, brand_id, now, brand_keys, breach_list)
    for key, calendar in (calendars or {}).items():
        if brand is None or key == brand:
            days = [period_from.date() + timedelta(days=i) for i in range((end.date() - period_from.date()).days + 1)]
            report.holidays[key] = [(d, calendar.holiday_name(d) or "") for d in days if calendar.is_day_off(d)]
    return report


def _sources(session: Session, start: datetime, end: datetime, brand: str | None) -> list[SourceCoverage]:
    query = sa.select(Source).order_by(Source.key)
    if brand is not None:
        query = query.where(Source.brand_key == brand)
    rows = list(session.scalars(query))
    if not rows:
        return []
    ids = [s.id for s in rows]
    in_period = (Poll.source_id.in_(ids), Poll.outcome.in_(SUCCESS), Poll.started_at >= start, Poll.started_at < end)
    # Each successful poll carries its gap to the previous success (set when it finished), so this is
    # one aggregate pass, no sorting. The first success of the period is corrected below: its gap began
    # before the period, and the head gap (period start to first success) replaces it.
    allowed = Source.interval_seconds * TOLERANCE
    gap = Poll.gap_seconds
    stats = {
        r.source_id: r
        for r in session.execute(
            sa.select(
                Poll.source_id,
                sa.func.count().label("n"),
                sa.func.min(Poll.started_at).label("first"),
                sa.func.max(Poll.started_at).label("last"),
                sa.func.max(gap).label("longest"),
                sa.func.sum(sa.case((gap > allowed, gap - allowed), else_=0.0)).label("uncovered"),
            )
            .join(Source, Source.id == Poll.source_id)
            .where(*in_period)
            .group_by(Poll.source_id)
        )
    }
    first_gaps = {
        source_id: first_gap
        for source_id, first_gap in session.execute(
            sa.select(Poll.source_id, Poll.gap_seconds).where(
                Poll.source_id.in_(list(stats)), Poll.outcome.in_(SUCCESS),
                sa.tuple_(Poll.source_id, Poll.started_at).in_([(k, _aware(r.first)) for k, r in stats.items()]),
            )
        )
    } if stats else {}  # fmt: skip
    failures: dict[int, Counter[str]] = defaultdict(Counter)
    for source_id, error_class, outcome, n in session.execute(
        sa.select(Poll.source_id, Poll.error_class, Poll.outcome, sa.func.count())
        .where(Poll.source_id.in_(ids), Poll.outcome.in_(("error", "abandoned")))
        .where(Poll.started_at >= start, Poll.started_at < end)
        .group_by(Poll.source_id, Poll.error_class, Poll.outcome)
    ):
        failures[source_id][error_class or outcome] += n
    found = {
        r[0]: (r[1], r[2])
        for r in session.execute(
            sa.select(Mention.source_id, sa.func.count(), sa.func.count(sa.distinct(Mention.case_id)))
            .where(Mention.source_id.in_(ids), Mention.first_seen_at >= start, Mention.first_seen_at < end)
            .group_by(Mention.source_id)
        )
    }
    out = []
    for s in rows:
        since = max(start, s.created_at)
        span = max((end - since).total_seconds(), 0.0)
        allowed_gap = s.interval_seconds * TOLERANCE
        st = stats.get(s.id)
        if st is None:
            uncovered = max(span - allowed_gap, 0.0) if span else 0.0
            longest = span
            successes = 0
        else:
            head = (_aware(st.first) - since).total_seconds()
            tail = (end - _aware(st.last)).total_seconds()
            first_gap = float(first_gaps.get(s.id) or 0.0)
            uncovered = float(st.uncovered or 0) - max(first_gap - allowed_gap, 0.0)
            uncovered += max(head - allowed_gap, 0.0) + max(tail - allowed_gap, 0.0)
            longest = max(float(st.longest or 0), head, tail)
            if first_gap and first_gap >= float(st.longest or 0):
                # The longest stored gap is the one that began before the period: measure the rest.
                longest = max(_longest_after(session, s.id, _aware(st.first), end), head, tail)
            successes = st.n
        mentions, cases = found.get(s.id, (0, 0))
        out.append(SourceCoverage(
            key=s.key, brand=s.brand_key, interval_seconds=s.interval_seconds, active=s.active, health=s.health,
            expected_polls=int(span // s.interval_seconds) if s.interval_seconds else 0,
            successful_polls=successes, failed_polls=sum(failures[s.id].values()),
            coverage=max(0.0, 1 - uncovered / span) if span else 1.0, uncovered_seconds=uncovered,
            longest_gap_seconds=longest, failures=dict(failures[s.id]), mentions=mentions, cases=cases,
        ))  # fmt: skip
    return out


class _Acc:
    """Running figures of one group of cases; the waits are kept for the percentiles."""

    __slots__ = ("cases", "closing", "replied", "resolution_due", "resolution_met", "response_due", "response_met",
                 "waits")  # fmt: skip

    def __init__(self) -> None:
        self.cases = self.closing = self.replied = 0
        self.response_due = self.response_met = self.resolution_due = self.resolution_met = 0
        self.waits: list[float] = []

    def figures(self) -> SlaFigures:
        f = SlaFigures(cases=self.cases, response_due=self.response_due, response_met=self.response_met,
                       resolution_due=self.resolution_due, resolution_met=self.resolution_met, replied=self.replied,
                       closing_replies=self.closing)  # fmt: skip
        waits = self.waits
        if waits:
            f.median_first_reply_seconds = statistics.median(waits)
            f.p90_first_reply_seconds = (
                statistics.quantiles(waits, n=10, method="inclusive")[-1] if len(waits) > 1 else waits[0]
            )
        return f


_DUE = frozenset(("met", "missed", "breached"))


def _longest_after(session: Session, source_id: int, first: datetime, end: datetime) -> float:
    value = session.scalar(
        sa.select(sa.func.max(Poll.gap_seconds)).where(
            Poll.source_id == source_id, Poll.outcome.in_(SUCCESS), Poll.started_at > first, Poll.started_at < end
        )
    )
    return float(value or 0.0)


def _case_figures(
    session: Session, report: CoverageReport, start: datetime, end: datetime, brand_id: int | None,
    brands: dict[int, str],
) -> None:  # fmt: skip
    """Every grouping in one pass over plain rows (numbers and short strings, no datetimes built)."""
    dialect = session.get_bind().dialect.name
    opened = _epoch(Case.opened_at, dialect)
    wait = _epoch(Case.first_reply_at, dialect) - opened
    in_period = [Case.opened_at >= start, Case.opened_at < end, Case.status != "merged"]
    if brand_id is not None:
        in_period.append(Case.brand_id == brand_id)
    conn = session.connection()
    places: dict[int, list[str]] = defaultdict(list)
    for case_id, key in conn.execute(
        sa.select(Mention.case_id, Source.key).distinct()
        .join(Source, Source.id == Mention.source_id).join(Case, Case.id == Mention.case_id).where(*in_period)
    ):  # fmt: skip
        places[case_id].append(key)
    closing = set(conn.scalars(
        sa.select(Reply.case_id).where(Reply.kind == "closing", Reply.posted_at >= start, Reply.posted_at < end)
    ))  # fmt: skip
    groups: dict[str, dict[str, _Acc]] = {n: defaultdict(_Acc) for n in
                                          ("by_brand", "by_category", "by_language", "by_agent", "by_week", "by_source")}  # fmt: skip
    overall = _Acc()
    weeks: dict[int, str] = {}
    histogram = report.first_reply_histogram
    rows = conn.execute(
        sa.select(Case.id, Case.brand_id, Case.category, Case.language, Case.assignee, opened, wait,
                  Case.response_sla, Case.resolution_sla).where(*in_period)
    )  # fmt: skip
    for case_id, bid, category, language, assignee, opened_s, wait_s, r_sla, s_sla in rows:
        day = int(float(opened_s) // 86400)
        week = weeks.get(day)
        if week is None:
            year, number, _ = datetime.fromtimestamp(day * 86400, UTC).isocalendar()
            week = weeks[day] = f"{year}-W{number:02d}"
        accs = [overall, groups["by_brand"][brands.get(bid, "?")], groups["by_category"][category],
                groups["by_language"][language or "?"], groups["by_agent"][assignee or "(unassigned)"],
                groups["by_week"][week]]  # fmt: skip
        accs += [groups["by_source"][key] for key in places.get(case_id, ())]
        r_due, s_due, closed = r_sla in _DUE, s_sla in _DUE, case_id in closing
        w = round(float(wait_s), 3) if wait_s is not None else None  # julianday arithmetic is not exact
        if w is not None:
            hours = w / 3600
            histogram[next(lab for lo, hi, lab in BUCKETS if hours >= lo and (hi is None or hours < hi))] += 1
        for acc in accs:
            acc.cases += 1
            if r_due:
                acc.response_due += 1
                acc.response_met += r_sla == "met"
            if s_due:
                acc.resolution_due += 1
                acc.resolution_met += s_sla == "met"
            if w is not None:
                acc.replied += 1
                acc.waits.append(w)
            acc.closing += closed
    report.overall = overall.figures()
    for name, by_key in groups.items():
        setattr(report, name, {k: v.figures() for k, v in sorted(by_key.items())})


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
