"""Finding the promise in a reply's text: the time phrase a draft wrote ("within two working days",
"в течение двух рабочих дней") or staff typed, read back as an amount of business time.

The phrases are exactly the ones monitor.desk.time_phrases writes, in every language it knows,
for 1–60 working days and 1–72 hours (numbers in words up to ten, digits above, declined as
there), so a draft's promise is always found and an agent who changes "two" to "three" changes
the promise with it. Matching is on casefolded text with the whole phrase between non-letters
("within 2 hours" is not read out of "within 24 hours"); the earliest phrase in the text wins,
the longest at one position. A reply with no phrase makes no promise: staff may give the date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from monitor.config.business_hours import BusinessCalendar
from monitor.desk.time_phrases import TIME_LANGUAGES, expected_time_phrase

__all__ = ["PromisedTime", "find_promise", "promised_date"]

MAX_DAYS = 60
MAX_HOURS = 72
# A reply is at most 20,000 characters (api/schemas.py); the phrase is looked for in that much only.
MAX_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class PromisedTime:
    phrase: str  # as found (casefolded, spaces collapsed)
    language: str
    days: int = 0  # working days
    hours: int = 0  # business hours


@lru_cache(maxsize=1)
def _matcher() -> tuple[re.Pattern[str], dict[str, tuple[str, int, int]]]:
    known: dict[str, tuple[str, int, int]] = {}
    for language in sorted(TIME_LANGUAGES):
        for days in range(1, MAX_DAYS + 1):
            known.setdefault(expected_time_phrase(language, business_hours=8.0 * days, working_days=days).casefold(),
                             (language, days, 0))  # fmt: skip
        for hours in range(1, MAX_HOURS + 1):
            known.setdefault(expected_time_phrase(language, business_hours=float(hours), working_days=0).casefold(),
                             (language, 0, hours))  # fmt: skip
    alternatives = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(known, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)"), known


def find_promise(text: str) -> PromisedTime | None:
    """The first time phrase in `text` (see the module docstring), or None."""
    if not text:
        return None
    folded = text[:MAX_TEXT].casefold()
    pattern, known = _matcher()
    found = pattern.search(folded)
    if found is None:
        return None
    key = " ".join(found.group(0).split())
    language, days, hours = known[key]
    return PromisedTime(phrase=key, language=language, days=days, hours=hours)


def promised_date(promised: PromisedTime, *, posted_at: datetime, calendar: BusinessCalendar) -> datetime:
    """The moment the phrase promises, counted from the reply's posting on the business calendar."""
    amount = calendar.day_length * promised.days + timedelta(hours=promised.hours)
    return calendar.add(posted_at, amount)
