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
    cases = _case_rows(session, period_from, end, brand_ids.get(brand) if brand else None)
    report = CoverageReport(
        period_from=period_from, period_to=end, generated_at=now, brand=brand, sources=sources,
        overall=SlaFigures(), by_brand={}, by_source={}, by_category={}, by_language={}, by_agent={}, by_week={},
        first_reply_histogram={label: 0 for *_, label in BUCKETS}, open_breaches=[], open_breach_count=0,
        unassigned_mentions=_unassigned(session, period_from, end) if brand is None else 0,
    )  # fmt: skip
    places = _places(session, [c["id"] for c in cases])
    closing = _closing_replies(session, period_from, end)
    groups: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for case in cases:
        case["brand"] = brand_keys.get(case["brand_id"], "?")
        groups["by_brand"][case["brand"]].append(case)
        groups["by_category"][case["category"]].append(case)
        groups["by_language"][case["language"] or "?"].append(case)
        groups["by_agent"][case["assignee"] or "(unassigned)"].append(case)
        year, week, _ = case["opened_at"].isocalendar()
        groups["by_week"][f"{year}-W{week:02d}"].append(case)
        for source_key in places.get(case["id"], ()):
            groups["by_source"][source_key].append(case)
        if case["first_reply_at"] is not None:
            hours = (case["first_reply_at"] - case["opened_at"]).total_seconds() / 3600
            label = next(lab for lo, hi, lab in BUCKETS if hours >= lo and (hi is None or hours < hi))
            report.first_reply_histogram[label] += 1
    report.overall = _figures(cases, closing)
    for name, by_key in groups.items():
        setattr(report, name, {k: _figures(v, closing) for k, v in sorted(by_key.items())})
    breaches = _open_breaches(session, brand_ids.get(brand) if brand else None, now, brand_keys)
    report.open_breach_count = len(breaches)
    report.open_breaches = breaches[:breach_list]
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
    # one pass over the (source, started_at) index, no sorting. The first success of the period is
    # left out of the sums: its gap began before the period and is replaced by the head gap below.
    firsts = (
        sa.select(Poll.source_id.label("source_id"), sa.func.min(Poll.started_at).label("first"))
        .where(*in_period)
        .group_by(Poll.source_id)
        .subquery()
    )
    allowed = Source.interval_seconds * TOLERANCE
    later = Poll.started_at > firsts.c.first
    gap = Poll.gap_seconds
    stats = {
        r.source_id: r
        for r in session.execute(
            sa.select(
                Poll.source_id,
                sa.func.count().label("n"),
                sa.func.min(firsts.c.first).label("first"),
                sa.func.max(Poll.started_at).label("last"),
                sa.func.max(sa.case((later, gap), else_=None)).label("longest"),
                sa.func.sum(sa.case((sa.and_(later, gap > allowed), gap - allowed), else_=0.0)).label("uncovered"),
            )
            .join(firsts, firsts.c.source_id == Poll.source_id)
            .join(Source, Source.id == Poll.source_id)
            .where(*in_period)
            .group_by(Poll.source_id)
        )
    }
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
            uncovered = float(st.uncovered or 0) + max(head - allowed_gap, 0) + max(tail - allowed_gap, 0)
            longest = max(float(st.longest or 0), head, tail)
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


_CASE_COLUMNS = (Case.id, Case.brand_id, Case.status, Case.category, Case.language, Case.assignee, Case.priority,
                 Case.opened_at, Case.first_reply_at, Case.response_sla, Case.resolution_sla)  # fmt: skip


def _case_rows(session: Session, start: datetime, end: datetime, brand_id: int | None) -> list[dict[str, Any]]:
    query = sa.select(*_CASE_COLUMNS).where(Case.opened_at >= start, Case.opened_at < end, Case.status != "merged")
    if brand_id is not None:
        query = query.where(Case.brand_id == brand_id)
    names = [c.key for c in _CASE_COLUMNS]
    rows = []
    for values in session.execute(query):
        row = dict(zip(names, values, strict=True))
        for key in ("opened_at", "first_reply_at"):
            if row[key] is not None and row[key].tzinfo is None:
                row[key] = row[key].replace(tzinfo=UTC)
        rows.append(row)
    return rows


def _places(session: Session, case_ids: list[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = defaultdict(set)
    for chunk in range(0, len(case_ids), 20_000):  # bound the IN list
        part = case_ids[chunk : chunk + 20_000]
        for case_id, key in session.execute(
            sa.select(Mention.case_id, Source.key).join(Source, Source.id == Mention.source_id)
            .where(Mention.case_id.in_(part)).distinct()
        ):  # fmt: skip
            out[case_id].add(key)
    return out


def _closing_replies(session: Session, start: datetime, end: datetime) -> set[int]:
    return set(session.scalars(
        sa.select(Reply.case_id).where(Reply.kind == "closing", Reply.posted_at >= start, Reply.posted_at < end)
    ))  # fmt: skip


def _figures(cases: list[dict[str, Any]], closing: set[int]) -> SlaFigures:
    f = SlaFigures(cases=len(cases))
    waits = []
    for c in cases:
        if c["response_sla"] in ("met", "missed", "breached"):
            f.response_due += 1
            f.response_met += c["response_sla"] == "met"
        if c["resolution_sla"] in ("met", "missed", "breached"):
            f.resolution_due += 1
            f.resolution_met += c["resolution_sla"] == "met"
        if c["first_reply_at"] is not None:
            f.replied += 1
            waits.append((c["first_reply_at"] - c["opened_at"]).total_seconds())
        f.closing_replies += c["id"] in closing
    if waits:
        f.median_first_reply_seconds = statistics.median(waits)
        f.p90_first_reply_seconds = (
            statistics.quantiles(waits, n=10, method="inclusive")[-1] if len(waits) > 1 else waits[0]
        )
    return f


def _open_breaches(session: Session, brand_id: int | None, now: datetime, brands: dict[int, str]) -> list[Breach]:
    query = sa.select(Case.id, Case.brand_id, Case.priority, Case.title, Case.response_sla, Case.response_due_at,
                      Case.resolution_sla, Case.resolution_due_at).where(
        Case.status.in_(("new", "acknowledged", "in_progress")),
        sa.or_(Case.response_sla == "breached", Case.resolution_sla == "breached"),
    )  # fmt: skip
    if brand_id is not None:
        query = query.where(Case.brand_id == brand_id)
    out = []
    for cid, bid, priority, title, r_sla, r_due, _, s_due in session.execute(query):
        clock, due = ("first_response", r_due) if r_sla == "breached" else ("resolution", s_due)
        out.append(Breach(case_id=cid, brand=brands.get(bid, "?"), clock=clock, priority=priority, due_at=due,
                          age_seconds=(now - due).total_seconds(), title=title))  # fmt: skip
    out.sort(key=lambda b: b.due_at)
    return out


def _unassigned(session: Session, start: datetime, end: datetime) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(Mention)
        .where(Mention.brand_id.is_(None), Mention.first_seen_at >= start, Mention.first_seen_at < end)
    ) or 0  # fmt: skip
