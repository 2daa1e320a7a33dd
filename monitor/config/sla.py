"""The `sla:` section of sources.yaml: deadlines per priority, in business time of the brand's calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, Field

from monitor.config.business_hours import BusinessCalendar
from monitor.config.types import Duration, Strict

__all__ = ["PRIORITIES", "BusinessSpan", "ClockTargets", "SlaConfig", "parse_span"]

PRIORITIES = ("low", "normal", "high", "urgent")


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

    def targets(self, priority: str) -> ClockTargets:
        return getattr(self, priority)
