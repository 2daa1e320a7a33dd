"""Business time: the working hours of a brand, in its time zone, without its holidays.

A calendar is a weekly pattern of working intervals per weekday (several a day, so
a lunch break is a gap), a time zone, and the days off: the public holidays of the
brand's country (the `holidays` library, optionally one subdivision such as a German
state) plus the dates listed in sources.yaml.

Arithmetic is done on real instants: each working interval of a local date is turned
into two aware datetimes and measured in UTC, so a day on which the clocks change
counts the hours that really passed (a night shift 00:00-06:00 on the spring-forward
Sunday in Berlin lasts five hours). A wall time that does not exist that day (02:30
when clocks jump from 02:00 to 03:00) is read as the instant the clocks show it
after the jump (zoneinfo's fold=0 rule); a time that happens twice is its first pass.

"1d" of business time is the length of an average working day of the weekly pattern
(its hours divided by its working weekdays: 8h for Monday-Friday 09:00-18:00 with a
one-hour lunch), so "first reply within 1d" means "within one working day".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import holidays as holiday_lib
from pydantic import BeforeValidator, Field, field_validator

from monitor.config.types import Strict

__all__ = ["BusinessCalendar", "BusinessHoursConfig", "parse_intervals"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# Far enough for any deadline; a calendar with no working time at all is refused earlier.
_SEARCH_DAYS = 3 * 366


def parse_intervals(value: object) -> tuple[tuple[time, time], ...]:
    """'09:00-13:00, 14:00-18:00' (or a list of such strings) → sorted, non-overlapping intervals."""
    if value is None or value == "" or value == []:
        return ()
    parts: list[Any] = value if isinstance(value, list) else str(value).split(",")
    intervals: list[tuple[time, time]] = []
    for part in parts:
        match = _INTERVAL.match(str(part))
        if not match:
            raise ValueError(f"'{part}' is not an interval such as 09:00-13:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"'{part}' is not a time of day")
        start = time(h1, m1)
        end = time.max if h2 == 24 else time(h2, m2)
        if end <= start:
            raise ValueError(f"'{part}' ends before it starts (a shift past midnight is two intervals)")
        intervals.append((start, end))
    intervals.sort()
    for (_, end), (start, _) in pairwise(intervals):
        if start < end:
            raise ValueError(f"intervals overlap at {start:%H:%M}")
    return tuple(intervals)


Intervals = Annotated[tuple[tuple[time, time], ...], BeforeValidator(parse_intervals)]
_WEEKDAY = "09:00-18:00"


class BusinessHoursConfig(Strict):
    """Working hours per weekday in the brand's zone; days off are public holidays and listed dates."""

    hours: dict[str, Intervals] = Field(default_factory=lambda: {d: _WEEKDAY for d in DAYS[:5]}, validate_default=True)
    # Dates off besides public holidays (a company day off, 31 December).
    holidays: list[date] = Field(default_factory=list)
    # Public holidays of the brand's country (brands[].country) from the holidays library.
    public_holidays: bool = True
    # A region of that country with holidays of its own, e.g. BY for Bavaria.
    subdivision: str | None = None

    @field_validator("hours")
    @classmethod
    def _weekdays(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(DAYS))
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r}; use {', '.join(DAYS)}")
        if not any(value.values()):
            raise ValueError("no working hours on any day; deadlines could never be reached")
        return value


class BusinessCalendar:
    """Adds business time to an instant and measures business time between two instants."""

    def __init__(self, config: BusinessHoursConfig, *, zone: str, country: str | None = None) -> None:
        self.zone = ZoneInfo(zone)
        self.weekly = tuple(config.hours.get(day, ()) for day in DAYS)
        self.extra_days_off = frozenset(config.holidays)
        self._public: holiday_lib.HolidayBase | None = None
        if config.public_holidays and country:
            try:
                self._public = holiday_lib.country_holidays(country, subdiv=config.subdivision)
            except NotImplementedError:
                self._public = None  # a country the library does not know: only the listed dates
        working = [sum(_seconds(s, e) for s, e in day) for day in self.weekly if day]
        self.day_length = timedelta(seconds=sum(working) / len(working))
        self._day = lru_cache(maxsize=4096)(self._intervals_of)

    def is_day_off(self, day: date) -> bool:
        return day in self.extra_days_off or (self._public is not None and day in self._public)

    def holiday_name(self, day: date) -> str | None:
        if day in self.extra_days_off:
            return "company day off"
        return self._public.get(day) if self._public is not None else None

    def _intervals_of(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        if self.is_day_off(day):
            return ()
        out = []
        for start, end in self.weekly[day.weekday()]:
            a = datetime.combine(day, start, self.zone).astimezone(UTC)
            b = (
                datetime.combine(day + timedelta(days=1), time(0), self.zone)
                if end == time.max
                else datetime.combine(day, end, self.zone)
            ).astimezone(UTC)
            if b > a:
                out.append((a, b))
        return tuple(out)

    def _from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals from `start` on (the first one clipped), in order."""
        day = start.astimezone(self.zone).date() - timedelta(days=1)  # an interval of the evening before may run on
        for offset in range(_SEARCH_DAYS):
            for a, b in self._day(day + timedelta(days=offset)):
                if b > start:
                    yield max(a, start), b
        raise ValueError(f"no working time within {_SEARCH_DAYS} days of {start:%Y-%m-%d}")

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant at which `amount` of business time has passed since `start` (UTC in, UTC out)."""
        start = start.astimezone(UTC)
        left = amount
        if left <= timedelta(0):
            return start
        for a, b in self._from(start):
            if b - a >= left:
                return a + left
            left -= b - a
        raise AssertionError("unreachable: _from raises when it runs out")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from `start` to `end` (zero when end is not after start)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        if end <= start:
            return total
        for a, b in self._from(start):
            if a >= end:
                break
            total += min(b, end) - a
        return total

    def working_days(self, amount: timedelta) -> float:
        """Business time in working days (`day_length` each)."""
        return amount / self.day_length


def _seconds(start: time, end: time) -> float:
    end_s = 86400 if end == time.max else end.hour * 3600 + end.minute * 60
    return end_s - (start.hour * 3600 + start.minute * 60)
