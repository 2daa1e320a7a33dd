"""The `sla:` section of sources.yaml: deadlines per priority, each priority on a calendar of its own.

A priority's deadlines count the time of its `calendar`: `business` (the brand's business hours,
the default), `always` (round the clock: every hour of every day, no days off, so an urgent safety
complaint on Friday night is due that night), or the name of a calendar under `sla.calendars`
(working hours like `business_hours`, e.g. a weekend shift), in the brand's zone and country.
"d" is a working day of that calendar: 24 hours on `always`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from monitor.config.business_hours import DAYS, BusinessCalendar, BusinessHoursConfig
from monitor.config.types import Duration, Strict

__all__ = ["ALWAYS", "BUSINESS", "PRIORITIES", "ROUND_THE_CLOCK", "BusinessSpan", "ClockTargets", "SlaConfig",
           "parse_span"]  # fmt: skip

PRIORITIES = ("low", "normal", "high", "urgent")
BUSINESS, ALWAYS = "business", "always"
# The hours of `always`: public holidays off too, since a fire does not wait for Monday.
ROUND_THE_CLOCK = BusinessHoursConfig(hours={day: "00:00-24:00" for day in DAYS}, public_holidays=False)


_SPAN = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m)")


@dataclass(frozen=True, slots=True)
class BusinessSpan:
    """An amount of business time: working days (of the calendar's average length) plus hours and minutes."""

    days: float = 0.0
    time: timedelta = timedelta(0)

    def on(self, calendar: BusinessCalendar) -> timedelta:
        return self.time + calendar.day_length * self.days

    def __mul__(self, share: float) -> BusinessSpan:
        return BusinessSpan(self.days * share, self.time * share)

    def __str__(self) -> str:
        parts = [f"{self.days:g}d"] if self.days else []
        hours, rest = divmod(int(self.time.total_seconds()), 3600)
        parts += [f"{hours}h"] if hours else []
        parts += [f"{rest // 60}m"] if rest // 60 else []
        return "".join(parts) or "0m"


def parse_span(value: object) -> BusinessSpan:
    """'4h', '1d', '1d4h', '90m': d is a working day, h and m are business hours and minutes."""
    if isinstance(value, BusinessSpan):
        return value
    text = str(value).strip().lower().replace(" ", "") if isinstance(value, str) else ""
    parts = _SPAN.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError("expected business time such as 1h, 4h, 1d or 2d4h (d = working day)")
    days = sum(float(n) for n, u in parts if u == "d")
    minutes = sum(float(n) * (60 if u == "h" else 1) for n, u in parts if u != "d")
    span = BusinessSpan(days, timedelta(minutes=minutes))
    if not span.days and not span.time:
        raise ValueError("a deadline of zero business time can never be met")
    return span


Span = Annotated[BusinessSpan, BeforeValidator(parse_span)]


class ClockTargets(Strict):
    first_response: Span
    resolution: Span
    # Whose time the two deadlines count (see the module docstring).
    calendar: str = Field(default=BUSINESS, min_length=1, max_length=64)


def _targets(first: str, resolution: str) -> ClockTargets:
    return ClockTargets(first_response=parse_span(first), resolution=parse_span(resolution))


class SlaConfig(Strict):
    """Deadlines per priority, in business time of the brand's calendar."""

    # Share of the business time after which a running clock is at risk.
    at_risk: float = Field(default=0.75, gt=0, lt=1)
    # A reply on a source that shows replies must be seen there within this time, or it is "unverified".
    verify_within: Duration = timedelta(hours=2)
    urgent: ClockTargets = _targets("1h", "1d")
    high: ClockTargets = _targets("2h", "2d")
    normal: ClockTargets = _targets("4h", "3d")
    low: ClockTargets = _targets("1d", "5d")

    # Calendars a priority may name besides `business` and `always`.
    calendars: dict[str, BusinessHoursConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_calendars(self) -> SlaConfig:
        for name in self.calendars:
            if name in (BUSINESS, ALWAYS):
                raise ValueError(f"sla.calendars.{name}: '{name}' is built in; give this calendar another name")
        known = ", ".join([BUSINESS, ALWAYS, *self.calendars])
        for priority in PRIORITIES:
            name = self.targets(priority).calendar
            if name not in (BUSINESS, ALWAYS) and name not in self.calendars:
                raise ValueError(f"sla.{priority}.calendar: '{name}' is not a calendar (known: {known}; "
                                 "declare others under sla.calendars)")  # fmt: skip
        return self

    def targets(self, priority: str) -> ClockTargets:
        return getattr(self, priority)

    def calendar_of(self, priority: str) -> str:
        """The name of the calendar the priority's deadlines count (an unknown priority: business)."""
        return self.targets(priority).calendar if priority in PRIORITIES else BUSINESS
