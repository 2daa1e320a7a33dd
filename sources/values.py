"""Values as sites write them: dates in many languages and formats, ratings in many scales.

Pure functions of one value, so each rule can be tested on its own; fast paths first,
a maintained library (dateparser) only as the last resort for human dates.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from functools import cache, lru_cache
from typing import Any, TypeVar

T = TypeVar("T")

__all__ = ["by_prefix", "month_number", "parse_datetime", "parse_rating"]


_EPOCH_STR = re.compile(r"\d{9,19}(?:\.\d+)?")
_YEAR = re.compile(r"(?<!\d)(?:19|20|21)\d\d(?!\d)")
# Only the strict shape: the stdlib parser is lenient enough to misread other English dates.
_RFC822 = re.compile(r"(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})[./-](\d{1,2})[./-](\d{1,2})(?!\d)")
_D_MONTH_Y = re.compile(r"(?<!\d)(\d{1,2})(?:-?(?:го|th|st|nd|rd))?\.?\s*([^\W\d_]{3,})\.?,?\s+(\d{4})(?!\d)")
_MONTH_D_Y = re.compile(r"([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")
_TIME = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)\s*([ap]\.?m\.?)?"
    r"(?:\s*(?:GMT|UTC)?\s*([+-])(\d{2}):?(\d{2}))?",
    re.IGNORECASE,
)
# Month-name prefixes in the languages of our sources (genitive and nominative forms,
# abbreviations): ru, uk, be, hy, de, en. Longest prefix wins.
_MONTH_PREFIXES = {
    1: "янв студз січ հունվ jan jän",
    2: "фев лют փետր feb",
    3: "мар сакав берез մարտ mär mrz mar",
    4: "апр красав квіт ապր apr",
    5: "мая май трав մայ mai may",
    6: "июн чэрв черв հունիս jun",
    7: "июл ліп лип հուլ jul",
    8: "авг жнів серп օգոստ aug",
    9: "сен верас верес սեպտ sep",
    10: "окт кастр жовт հոկտ okt oct",
    11: "ноя ліст лист նոյ nov",
    12: "дек снеж груд դեկտ dez dec",
}
_MONTHS = sorted(((p, m) for m, words in _MONTH_PREFIXES.items() for p in words.split()), key=lambda pm: -len(pm[0]))


def month_number(word: str) -> int | None:
    """The month (1-12) a month name or abbreviation stands for in ru, uk, be, hy, de or en."""
    return by_prefix(_MONTHS, word)


def by_prefix(table: Sequence[tuple[str, T]], word: str) -> T | None:
    """The value of the first (longest, as tables are sorted) prefix of `word` in `table`, case-folded."""
    word = word.casefold()
    for prefix, value in table:
        if word.startswith(prefix):
            return value
    return None


def parse_datetime(value: object, *, tz: tzinfo | None = None) -> datetime | None:
    """A point in time as timezone-aware UTC, or None.

    Rule order (cheap and exact first): datetime/date objects; epoch numbers (seconds,
    or ms/us/ns told apart by size); digit strings of 9+ digits as epoch; ISO 8601;
    RFC 822/1123; day.month.year; year-month-day inside other text; "22 ноября 2026" /
    "November 22, 2026" with the month table above; finally `dateparser`, restricted to
    our languages and to absolute dates. Relative dates ("вчера", "2 hours ago") are
    refused on purpose: reading them needs a `now` this function is not given.
    A time anywhere in the string ("14:05, 22.11.2026") is applied to the date found.
    Naive results are local times of `tz` (a source's `timezone`), UTC when it is None. Years outside 1970..2199 are treated as garbage.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, datetime):
        return _to_utc(value, tz)
    if isinstance(value, date):
        return _to_utc(datetime.combine(value, time()), tz)
    if isinstance(value, int | float):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s or len(s) > 200:
        return None
    if _EPOCH_STR.fullmatch(s):
        return _from_epoch(float(s))
    if s[0].isdigit():
        try:
            return _to_utc(datetime.fromisoformat(s), tz)
        except ValueError:
            pass
    if _RFC822.match(s):
        try:
            return _to_utc(parsedate_to_datetime(s))
        except (ValueError, TypeError, IndexError):
            pass
    return _from_text(s, tz)


def _from_text(s: str, tz: tzinfo | None) -> datetime | None:
    day = month = year = None
    if m := _DMY.search(s):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if month > 12 >= day:  # US order: 11/22/2026
            day, month = month, day
        if year < 100:
            year += 2000
    elif m := _YMD.search(s):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif (m := _D_MONTH_Y.search(s)) and (month := month_number(m[2])):
        day, year = int(m[1]), int(m[3])
    elif (m := _MONTH_D_Y.search(s)) and (month := month_number(m[1])):
        day, year = int(m[2]), int(m[3])
    else:
        return _dateparser(s)
    hour = minute = second = 0
    offset = None
    if t := _TIME.search(s):
        hour, minute, second = int(t[1]), int(t[2]), int(t[3] or 0)
        if t[4]:
            hour = hour % 12 + (12 if t[4][0] in "pP" else 0)
        if t[5]:
            offset = (int(t[6]) * 60 + int(t[7])) * (1 if t[5] == "+" else -1)
    try:
        local = datetime(year, month, day, hour, minute, second)
        if offset is None:
            return _to_utc(local, tz)
        return _to_utc(local - timedelta(minutes=offset))
    except (ValueError, OverflowError):
        return None


@cache
def _date_data_parser() -> Any:
    # Imported on first use: dateparser takes ~0.2 s to import and ~0.4 s to load its
    # language data, which only pages with unusual date formats should pay.
    try:
        from dateparser.date import DateDataParser
    except ImportError:
        return None
    settings = {"TIMEZONE": "UTC", "TO_TIMEZONE": "UTC", "RETURN_AS_TIMEZONE_AWARE": True, "DATE_ORDER": "DMY"}
    settings |= {"PARSERS": ["absolute-time"], "REQUIRE_PARTS": ["day", "month", "year"]}
    return DateDataParser(languages=["en", "ru", "uk", "be", "hy", "de"], settings=settings)


@lru_cache(maxsize=1_024)
def _dateparser(s: str) -> datetime | None:
    # The library takes ~5 ms a call; without a year in the string it cannot meet
    # REQUIRE_PARTS anyway, which spares that cost for "вчера в 14:05"-style dates.
    if len(s) > 100 or not _YEAR.search(s):
        return None
    parser = _date_data_parser()
    if parser is None:
        return None
    try:
        found = parser.get_date_data(s).date_obj
    except (ValueError, TypeError, OverflowError, LookupError, AttributeError):
        return None
    return _to_utc(found) if found else None


def _from_epoch(v: float) -> datetime | None:
    if not math.isfinite(v) or v <= 0:
        return None
    # Seconds until the year 5138; larger values are milli-, micro- or nanoseconds.
    for scale in (1, 1e3, 1e6, 1e9):
        if v < 1e11 * scale:
            v /= scale
            break
    try:
        return _to_utc(datetime.fromtimestamp(v, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _to_utc(dt: datetime, tz: tzinfo | None = None) -> datetime | None:
    try:
        dt = dt.replace(tzinfo=tz or UTC).astimezone(UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except (OverflowError, ValueError):  # a local time at the very ends of the calendar
        return None
    return dt if 1970 <= dt.year < 2200 else None


# A minus is a sign only where it starts a word: "-1" is negative, class "stars-3" is 3.
_NUMBER = r"((?:(?<!\w)-)?\d+(?:[.,]\d+)?)"
_OUT_OF = re.compile(_NUMBER + r"\s*(?:/|из|з|із|of|out\s+of|von|aus)\s*" + _NUMBER + r"(?!\d)", re.IGNORECASE)
_NUMBERS = re.compile(_NUMBER)
_FILLED_STARS = "★⭐🌟"
_EMPTY_STARS = "☆✩✰"


def parse_rating(value: object) -> float | None:
    """A rating on a 0-5 scale, or None.

    Accepts numbers, "4", "4,5", "4.5 / 5", "8/10" and "2 из 5" (scaled to 5), "80%",
    star strings ("★★☆☆☆" counts the filled stars, "½" adds a half) and short texts with
    exactly one number ("Оценка: 4", class "stars-4"). Zero is None: on the sites we
    read it means "not rated", and a false 0 would rank a complaint as the worst kind.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _in_range(float(value))
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s or len(s) > 80:
        return None
    if any(c in _FILLED_STARS or c in _EMPTY_STARS for c in s):
        filled = sum(c in _FILLED_STARS for c in s) + (0.5 if "½" in s else 0.0)
        return _in_range(filled)
    if m := _OUT_OF.search(s):
        scale = _number(m[2])
        return _in_range(_number(m[1]) * 5 / scale) if scale else None
    numbers = _NUMBERS.findall(s)
    if len(numbers) != 1:
        return None
    n = _number(numbers[0])
    return _in_range(n / 20 if s.endswith("%") else n)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _in_range(v: float) -> float | None:
    return round(v, 2) if math.isfinite(v) and 0 < v <= 5 else None
