"""Source coverage: was every source checked on its fixed period (the first half of the coverage report).

For a period [start, end) a source's successful polls (ok or not_modified) are read in
order; each gap between two of them, and from the period's start (or the source's
creation) to the first and from the last to the period's end, is compared with the
source's interval. Time beyond the interval plus 10% (the scheduler comes early, never
late, and a poll takes a moment) is *uncovered*: coverage = 1 - uncovered / period.
Expected polls = period / interval. Failures are counted by class; mentions and cases
found are those first seen in the period. The interval is the source's current one.

How it stays fast. Each successful poll stores its gap to the previous success when it
finishes (`Poll.gap_seconds`), so no poll has to be ordered at report time, and the gaps
of a stretch of time reduce to a `Span`: successes, first and last success, the first
gap (it began before the stretch, so the report replaces it by its own head gap), the
longest other gap, and the uncovered seconds. The first success of a stretch is the one
whose gap reaches back before the stretch began (`started_at - gap < stretch start`),
so one aggregate finds it without sorting. Spans of consecutive stretches add up
(`Span.then`).

A UTC day that has been over for `SETTLE` is summed up once into `PollDay` (one row per
source and day); a report reads those rows and goes to the poll table only for the
partial days at its edges, today, and days not summed up yet, whose rows it then
writes. `roll_up` makes yesterday's rows every night, so reports seldom pay for that.
A poll that finishes after its day was summed up deletes the day's row
(`forget_days`), and a row made with another interval than the source's current one is
made again.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from monitor.core.db import epoch_seconds
from monitor.models import Mention, Poll, PollDay, PollDayFailure, Source

__all__ = ["SETTLE", "SourceCoverage", "Span", "forget_days", "roll_up", "source_coverage"]

SUCCESS = ("ok", "not_modified")
FAILED = ("error", "abandoned")
TOLERANCE = 1.1
# A day is summed up only once it has been over this long: a poll that started before midnight
# finishes (or is reaped) within it.
SETTLE = timedelta(hours=1)
_DAY = 86400


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
class Span:
    """The polls of one source in one stretch of time, reduced to what coverage needs."""

    successes: int = 0
    first: datetime | None = None
    last: datetime | None = None
    first_gap: float | None = None  # the gap of the first success: it began before the stretch
    longest_after_first: float = 0.0
    uncovered: float = 0.0  # of all gaps that ended in the stretch, the first one's included
    failures: Counter[str] = field(default_factory=Counter)

    def then(self, later: Span) -> None:
        """Add the span of the stretch that follows this one."""
        if later.successes:
            if not self.successes:
                self.first, self.first_gap = later.first, later.first_gap
                self.longest_after_first = later.longest_after_first
            else:
                self.longest_after_first = max(self.longest_after_first, later.longest_after_first,
                                               later.first_gap or 0.0)  # fmt: skip
            self.last = later.last
            self.successes += later.successes
            self.uncovered += later.uncovered
        self.failures.update(later.failures)


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _aware(value: datetime | str) -> datetime:
    """min()/max() of a UTC column come back raw: a naive datetime or, on SQLite, a string."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _raw_spans(
    session: Session, source_ids: list[int], stretches: list[tuple[datetime, datetime]]
) -> dict[tuple[int, date], Span]:
    """Spans straight from the poll table, per source and UTC day, over the given stretches.

    A day cut by a stretch's edge gets the span of its part inside (the first success is then
    the first inside the stretch).
    """
    spans: dict[tuple[int, date], Span] = defaultdict(Span)
    if not source_ids or not stretches:
        return spans
    dialect = session.get_bind().dialect.name
    at = epoch_seconds(Poll.started_at, dialect)
    if dialect == "postgresql":
        day = sa.cast(sa.func.timezone("UTC", Poll.started_at), sa.Date)
        day_start = sa.cast(sa.func.extract("epoch", day), sa.Float)
    else:  # SQLite keeps naive UTC text: date() is exact, and so is julianday() of a midnight
        day = sa.func.date(Poll.started_at)
        day_start = (sa.func.julianday(day) - 2440587.5) * 86400.0
    allowed = Source.interval_seconds * TOLERANCE
    gap = Poll.gap_seconds
    for lo, hi in stretches:
        in_stretch = (Poll.source_id.in_(source_ids), Poll.started_at >= lo, Poll.started_at < hi)
        # The stretch's own start bounds the first day's part: the first success inside it is the
        # one whose gap reaches back before max(day start, stretch start). The millisecond absorbs
        # SQLite's julianday rounding (about 0.05 ms) for a previous success right at midnight.
        begins = (sa.func.greatest if dialect == "postgresql" else sa.func.max)(day_start, lo.timestamp())
        first = at - gap < begins - 0.001
        rows = session.execute(
            sa.select(
                Poll.source_id, day.label("day"), sa.func.count(), sa.func.min(Poll.started_at),
                sa.func.max(Poll.started_at), sa.func.max(sa.case((first, gap))),
                sa.func.max(sa.case((sa.and_(gap.is_not(None), ~first), gap))),
                sa.func.sum(sa.case((gap > allowed, gap - allowed), else_=0.0)),
            )
            .join(Source, Source.id == Poll.source_id)
            .where(*in_stretch, Poll.outcome.in_(SUCCESS))
            .group_by(Poll.source_id, day)
        )  # fmt: skip
        for source_id, d, n, first_at, last_at, first_gap, longest, uncovered in rows:
            spans[(source_id, _as_date(d))] = Span(
                successes=n, first=_aware(first_at), last=_aware(last_at),
                first_gap=float(first_gap) if first_gap is not None else None,
                longest_after_first=float(longest or 0.0), uncovered=float(uncovered or 0.0),
            )  # fmt: skip
        for source_id, d, error_class, outcome, n in session.execute(
            sa.select(Poll.source_id, day, Poll.error_class, Poll.outcome, sa.func.count())
            .where(*in_stretch, Poll.outcome.in_(FAILED))
            .group_by(Poll.source_id, day, Poll.error_class, Poll.outcome)
        ):
            spans[(source_id, _as_date(d))].failures[error_class or outcome] += n
    return spans


def _as_date(value: date | str) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _runs(days: Iterable[date]) -> list[tuple[datetime, datetime]]:
    """Consecutive days as [start, end) stretches."""
    out: list[tuple[datetime, datetime]] = []
    for d in sorted(days):
        start = _day_start(d)
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], start + timedelta(days=1))
        else:
            out.append((start, start + timedelta(days=1)))
    return out


def _settled_days(start: datetime, end: datetime, now: datetime) -> list[date]:
    """The whole UTC days inside [start, end) that have been over for SETTLE."""
    first = start.astimezone(UTC).date()
    if _day_start(first) < start:
        first += timedelta(days=1)
    last = (min(end, now - SETTLE).astimezone(UTC) - timedelta(days=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _missing_days(session: Session, sources: list[Source], days: list[date]) -> list[date]:
    """The days on which some source that existed then has no row made with its current interval."""
    if not days:
        return []
    made = dict(session.execute(
        sa.select(PollDay.day, sa.func.count())
        .join(Source, sa.and_(Source.id == PollDay.source_id, Source.interval_seconds == PollDay.interval_seconds))
        .where(PollDay.source_id.in_([s.id for s in sources]), PollDay.day >= days[0], PollDay.day <= days[-1])
        .group_by(PollDay.day)
    ).all())  # fmt: skip
    created = sorted(s.created_at.date() for s in sources)
    return [d for d in days if made.get(d, 0) < bisect.bisect_right(created, d)]


def _save(session: Session, sources: list[Source], days: list[date], spans: dict[tuple[int, date], Span],
          now: datetime) -> None:  # fmt: skip
    """(Re)make the day rows of `days`: one per source that existed, with no polls too (it says the day is done)."""
    ids = [s.id for s in sources]
    # Their failure rows go with them (ON DELETE CASCADE).
    session.execute(sa.delete(PollDay).where(PollDay.source_id.in_(ids), PollDay.day.in_(days)))
    rows, failures = [], []
    for s in sources:
        for d in days:
            if d < s.created_at.date():
                continue
            span = spans.get((s.id, d)) or Span()
            rows.append({
                "source_id": s.id, "day": d, "interval_seconds": s.interval_seconds, "successes": span.successes,
                "first_success_at": span.first, "last_success_at": span.last, "first_gap_seconds": span.first_gap,
                "longest_gap_after_first": span.longest_after_first, "uncovered_seconds": span.uncovered,
                "made_at": now,
            })  # fmt: skip
            failures += [{"source_id": s.id, "day": d, "error_class": c, "polls": n} for c, n in span.failures.items()]
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    # Another report making the same days at the same moment writes the same rows: keep either.
    for model, batch in ((PollDay, rows), (PollDayFailure, failures)):
        stmt = insert(model.__table__).on_conflict_do_nothing()
        for lo in range(0, len(batch), 5000):
            session.execute(stmt, batch[lo : lo + 5000])


def _stored_spans(session: Session, ids: list[int], first: date, last: date) -> dict[int, Span]:
    """Each source's span over the day rows first..last, summed up by the database."""
    in_range = (PollDay.source_id.in_(ids), PollDay.day >= first, PollDay.day <= last)
    first_day = (
        sa.select(PollDay.source_id, sa.func.min(PollDay.day).label("day"))
        .where(*in_range, PollDay.successes > 0)
        .group_by(PollDay.source_id)
        .subquery()
    )
    after_first = PollDay.day > first_day.c.day
    out = {}
    for source_id, n, first_at, last_at, uncovered, longest, later_first_gaps, first_gap in session.execute(
        sa.select(
            PollDay.source_id, sa.func.sum(PollDay.successes), sa.func.min(PollDay.first_success_at),
            sa.func.max(PollDay.last_success_at), sa.func.sum(PollDay.uncovered_seconds),
            sa.func.max(PollDay.longest_gap_after_first), sa.func.max(sa.case((after_first, PollDay.first_gap_seconds))),
            sa.func.max(sa.case((PollDay.day == first_day.c.day, PollDay.first_gap_seconds))),
        )
        .join(first_day, first_day.c.source_id == PollDay.source_id)
        .where(*in_range)
        .group_by(PollDay.source_id)
    ):  # fmt: skip
        out[source_id] = Span(
            successes=int(n), first=_aware(first_at), last=_aware(last_at), first_gap=first_gap,
            longest_after_first=max(longest or 0.0, later_first_gaps or 0.0), uncovered=float(uncovered or 0.0),
        )  # fmt: skip
    for source_id, error_class, n in session.execute(
        sa.select(PollDayFailure.source_id, PollDayFailure.error_class, sa.func.sum(PollDayFailure.polls))
        .where(PollDayFailure.source_id.in_(ids), PollDayFailure.day >= first, PollDayFailure.day <= last)
        .group_by(PollDayFailure.source_id, PollDayFailure.error_class)
    ):
        out.setdefault(source_id, Span()).failures[error_class] = int(n)
    return out


def spans_of(session: Session, sources: list[Source], start: datetime, end: datetime,
             now: datetime) -> dict[int, Span]:  # fmt: skip
    """Each source's span over [start, end): day rows for the settled days, polls for the rest."""
    ids = [s.id for s in sources]
    days = _settled_days(start, end, now)
    if not days:
        edges = _raw_spans(session, ids, [(start, end)])
        stored: dict[int, Span] = {}
    else:
        missing = _missing_days(session, sources, days)
        if missing:
            _save(session, sources, missing, _raw_spans(session, ids, _runs(missing)), now)
        stored = _stored_spans(session, ids, days[0], days[-1])
        stretches = [(start, _day_start(days[0])), (_day_start(days[-1]) + timedelta(days=1), end)]
        edges = _raw_spans(session, ids, [(lo, hi) for lo, hi in stretches if lo < hi])
    parts: dict[int, list[tuple[date, Span]]] = defaultdict(list)
    for source_id, span in stored.items():
        parts[source_id].append((days[0], span))
    for (source_id, d), span in edges.items():
        parts[source_id].append((d, span))  # an edge day is never a settled day: no two parts share a day
    out = {}
    for source_id, spans in parts.items():
        total = Span()
        for _, span in sorted(spans, key=lambda p: p[0]):
            total.then(span)
        out[source_id] = total
    return out


def source_coverage(session: Session, start: datetime, end: datetime, now: datetime,
                    brand: str | None) -> list[SourceCoverage]:  # fmt: skip
    """The per-source half of the coverage report (see the module docstring)."""
    query = sa.select(Source).order_by(Source.key)
    if brand is not None:
        query = query.where(Source.brand_key == brand)
    sources = list(session.scalars(query))
    if not sources:
        return []
    spans = spans_of(session, sources, start, end, now)
    found = {
        r[0]: (r[1], r[2])
        for r in session.execute(
            sa.select(Mention.source_id, sa.func.count(), sa.func.count(sa.distinct(Mention.case_id)))
            .where(Mention.source_id.in_([s.id for s in sources]), Mention.first_seen_at >= start,
                   Mention.first_seen_at < end)
            .group_by(Mention.source_id)
        )
    }  # fmt: skip
    out = []
    for s in sources:
        since = max(start, s.created_at)
        period = max((end - since).total_seconds(), 0.0)
        allowed = s.interval_seconds * TOLERANCE
        span = spans.get(s.id) or Span()
        if not span.successes or span.first is None or span.last is None:
            uncovered = max(period - allowed, 0.0) if period else 0.0
            longest = period
        else:
            head = (span.first - since).total_seconds()
            tail = (end - span.last).total_seconds()
            # The first success's gap began before the period: the head gap stands in for it.
            uncovered = span.uncovered - max((span.first_gap or 0.0) - allowed, 0.0)
            uncovered += max(head - allowed, 0.0) + max(tail - allowed, 0.0)
            longest = max(span.longest_after_first, head, tail)
        mentions, cases = found.get(s.id, (0, 0))
        out.append(SourceCoverage(
            key=s.key, brand=s.brand_key, interval_seconds=s.interval_seconds, active=s.active, health=s.health,
            expected_polls=int(period // s.interval_seconds) if s.interval_seconds else 0,
            successful_polls=span.successes, failed_polls=sum(span.failures.values()),
            coverage=max(0.0, 1 - uncovered / period) if period else 1.0, uncovered_seconds=uncovered,
            longest_gap_seconds=longest, failures=dict(span.failures), mentions=mentions, cases=cases,
        ))  # fmt: skip
    return out


def roll_up(*, session: Session, now: datetime, days: int = 2) -> int:
    """Sum up the last `days` settled days of every source (the hourly job); returns the days made."""
    sources = list(session.scalars(sa.select(Source)))
    end = _day_start(now.astimezone(UTC).date())
    missing = _missing_days(session, sources, _settled_days(end - timedelta(days=days), end, now))
    if sources and missing:
        _save(session, sources, missing, _raw_spans(session, [s.id for s in sources], _runs(missing)), now)
    return len(missing)


def forget_days(session: Session, polls: Iterable[tuple[int, datetime]], now: datetime) -> None:
    """A poll of an earlier day finished (or was reaped) late: its day's row no longer holds."""
    today = now.astimezone(UTC).date()
    stale = {(source_id, started.astimezone(UTC).date()) for source_id, started in polls}
    stale = {key for key in stale if key[1] < today}
    if stale:
        session.execute(sa.delete(PollDay).where(sa.tuple_(PollDay.source_id, PollDay.day).in_(sorted(stale))))
