"""Dates as review pages write them, with how precise they are: site formats, relative dates, local times.

`read_date` is what a field spec's `published` runs on each value. Rule order, first hit wins:

1. the source's own `formats` (strftime-like, see `compile_format`), in the order given;
2. a relative date anchored on the fetch time ("вчера в 14:05", "2 days ago", "vor 3 Tagen"),
   in ru, uk, be, hy, de and en;
3. `sources.values.parse_datetime`, the reader every source kind uses (ISO 8601, RFC 822,
   "22 ноября 2026", epoch numbers...); naive results are local times of the source's zone,
   and a date written without a time has day precision;
4. a month and a year alone ("Reviewed in June 2019", "июнь 2019") with month precision.

A date the page gives only to the day, month or year is kept with that precision ("day",
"month", "year"; None means as exact as a clock time) and stands at the start of that period
in the source's zone, so a month-precision review is never taken for one written on the 1st.

Relative dates use a table of our own rather than dateparser: measured on the phrases of
tests/sources/test_dates.py, dateparser 1.5 took ~8 ms a phrase (50-item page: 400 ms), missed
"тиждень тому", "тыдзень таму" and Armenian hours and weeks, and gave "вчера" the fetch's clock
time, a false precision. The table below reads them all in microseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from sources.values import by_prefix, month_number, parse_datetime

__all__ = ["DateFormat", "Dated", "compile_format", "read_date", "read_relative"]


@dataclass(frozen=True, slots=True)
class Dated:
    """A point in time (aware, UTC) and its precision: None (a clock time), "hour", "day", "month", "year"."""

    at: datetime
    precision: str | None = None


# --- relative dates ------------------------------------------------------------------------------

_DAY_WORDS = {
    0: "сегодня сьогодні сёння сення այսօր heute today",
    1: "вчера вчора учора ўчора երեկ gestern yesterday",
    2: "позавчера позавчора пазаўчора vorgestern",
}
_DAY_OFFSET = {w: n for n, words in _DAY_WORDS.items() for w in words.split()}
# Numbers written as words, 1 to 10 ("vor zwei Tagen", "три дня назад", "երեք օր առաջ").
_NUMBER_WORDS = {
    1: "a an one один одна одну одного адзін адна адну ein eine einer einem einen մեկ",
    2: "two два две дві дзве zwei երկու",
    3: "three три тры drei երեք",
    4: "four четыре чотири чатыры vier չորս",
    5: "five пять п'ять пʼять пяць fünf հինգ",
    6: "six шесть шість шэсць sechs վեց",
    7: "seven семь сім сем sieben յոթ",
    8: "eight восемь вісім восем acht ութ",
    9: "nine девять дев'ять девʼять дзевяць neun ինը",
    10: "ten десять дзесяць zehn տաս տասը",
}
_NUMBER_OF = {w: n for n, words in _NUMBER_WORDS.items() for w in words.split()}
# Unit stems: each word of the text is matched by prefix, so "дня", "дней", "днів" all hit "дн".
_UNIT_STEMS = {
    "second": "sec сек секунд վայրկյան sekunde",
    "minute": "min мин хв хвілін րոպե minute",
    "hour": "hour час годин гадзін ժամ stunde",
    "day": "day день дня дней дн дзень дзён дні днів օր tag",
    "week": "week недел неделю тиж тижд тыдз тыдн շաբաթ woche",
    "month": "month месяц місяц ամիս monat",
    "year": "year год лет рік рок гад տարի jahr",
}
_UNIT_OF = sorted(
    ((stem, unit) for unit, stems in _UNIT_STEMS.items() for stem in stems.split()), key=lambda su: -len(su[0])
)
_AGO_AFTER = "ago назад тому таму առաջ"
_NUM = rf"(?P<{{}}>\d+|{'|'.join(sorted(_NUMBER_OF, key=len, reverse=True))})"
_WORD = r"(?P<{}>[^\W\d_]+)"
# "2 дня назад", "час назад", "2 օր առաջ" | "vor 3 Tagen", "vor einer Stunde"
_AGO = re.compile(
    rf"(?<!\w)(?:{_NUM.format('n')}\s+)?{_WORD.format('unit')}\.?\s+(?P<ago>{'|'.join(_AGO_AFTER.split())})(?!\w)"
    rf"|(?<!\w)vor\s+(?:{_NUM.format('n2')}\s+)?{_WORD.format('unit2')}",
    re.IGNORECASE,
)
_DAY_WORD = re.compile(rf"(?<!\w)({'|'.join(sorted(_DAY_OFFSET, key=len, reverse=True))})(?!\w)", re.IGNORECASE)
_CLOCK = re.compile(r"(?<![\d:])([01]?\d|2[0-3])[:.]([0-5]\d)(?!\d)\s*([ap]\.?m\.?)?", re.IGNORECASE)
_PRECISION = {"second": None, "minute": None, "hour": "hour", "day": "day", "week": "day", "month": "month"}
_PRECISION["year"] = "year"


def read_relative(text: str, *, now: datetime, tz: tzinfo = UTC) -> Dated | None:
    """A relative date anchored on `now` (the fetch time), read in the source's zone `tz`.

    "сегодня в 12:02" is 12:02 local time on the fetch's local day; "вчера" alone is the
    previous local day with day precision; "N units ago" subtracts from `now`, with the
    precision of the unit (minutes exact, hours "hour", days and weeks "day", months "month").
    """
    if len(text) > 200:
        return None
    local_now = now.astimezone(tz)
    if m := _DAY_WORD.search(text):
        day = local_now.date() - timedelta(days=_DAY_OFFSET[m[1].casefold()])
        if clock := _CLOCK.search(text, m.end()) or _CLOCK.search(text, 0, m.start()):
            hour = int(clock[1])
            if clock[3]:
                hour = hour % 12 + (12 if clock[3][0] in "pP" else 0)
            local = datetime.combine(day, time(hour, int(clock[2])), tz)
            return Dated(local.astimezone(UTC))
        return Dated(datetime.combine(day, time(), tz).astimezone(UTC), "day")
    for m in _AGO.finditer(text):
        number, word = (m["n"], m["unit"]) if m["unit"] is not None else (m["n2"], m["unit2"])
        if (unit := by_prefix(_UNIT_OF, word)) is None:
            continue
        if unit == "year" and word.casefold() == "год" and (m["ago"] or "").casefold() == "тому":
            # Ukrainian abbreviates годин (hours) to "год" ("2 год тому"), the Russian word
            # for a year ("год назад"); "тому" says the phrase is Ukrainian.
            unit = "hour"
        n = int(number[:7]) if number and number.isdigit() else _NUMBER_OF.get((number or "a").casefold(), 1)
        return _ago(local_now, n, unit, tz) if n < 1_000_000 else None
    return None


def _ago(local_now: datetime, n: int, unit: str, tz: tzinfo) -> Dated | None:
    precision = _PRECISION[unit]
    try:
        if unit in ("month", "year"):
            months = local_now.year * 12 + local_now.month - 1 - n * (12 if unit == "year" else 1)
            year, month = divmod(months, 12)
            start = datetime(year, month + 1 if unit == "month" else 1, 1, tzinfo=tz)
            return Dated(start.astimezone(UTC), precision) if year >= 1970 else None
        seconds = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}[unit]
        at = local_now - timedelta(seconds=n * seconds)
    except (ValueError, OverflowError):
        return None
    if precision == "day":
        at = datetime.combine(at.date(), time(), tz)
    elif precision == "hour":
        at = at.replace(minute=0, second=0, microsecond=0)
    else:
        at = at.replace(microsecond=0)
    return Dated(at.astimezone(UTC), precision) if at.year >= 1970 else None


# --- the source's own formats ---------------------------------------------------------------------

# strftime directives a format may use, as regular expressions. Month names are read with the
# multilingual month table of sources.values, not the C locale, so "%d %B %Y" reads "5 июня 2019"
# as well as "5 June 2019".
_DIRECTIVES = {
    "d": r"(?P<d>[0-3]?\d)",
    "m": r"(?P<m>[01]?\d)",
    "B": r"(?P<B>[^\W\d_]{3,}\.?)",
    "b": r"(?P<B>[^\W\d_]{3,}\.?)",
    "Y": r"(?P<Y>\d{4})",
    "y": r"(?P<y>\d{2})",
    "H": r"(?P<H>[0-2]?\d)",
    "I": r"(?P<H>[01]?\d)",
    "M": r"(?P<M>[0-5]\d)",
    "S": r"(?P<S>[0-5]\d)",
    "p": r"(?P<p>[AaPp]\.?[Mm]\.?)",
    "z": r"(?P<z>Z|[+-]\d\d:?\d\d)",
}


@dataclass(frozen=True, slots=True)
class DateFormat:
    """One compiled `formats` entry: the pattern and the precision its directives give."""

    source: str
    pattern: re.Pattern[str]
    precision: str | None

    def read(self, text: str, tz: tzinfo) -> Dated | None:
        m = self.pattern.search(text)
        if m is None:
            return None
        g = m.groupdict()
        year = int(g["Y"]) if g.get("Y") else 2000 + int(g["y"])
        month = int(g["m"]) if g.get("m") else month_number(g["B"].rstrip(".")) if g.get("B") else 1
        if month is None:
            return None
        hour = int(g["H"]) if g.get("H") else 0
        if g.get("p"):
            hour = hour % 12 + (12 if g["p"][0] in "pP" else 0)
        try:
            local = datetime(year, month, int(g.get("d") or 1), hour, int(g.get("M") or 0), int(g.get("S") or 0))
        except ValueError:  # 31 June, hour 25
            return None
        if z := g.get("z"):
            offset = timedelta(hours=int(z[1:3]), minutes=int(z[-2:])) * (-1 if z[0] == "-" else 1) if z != "Z" else 0
            at = local.replace(tzinfo=UTC) - (offset or timedelta())
        else:
            at = local.replace(tzinfo=tz).astimezone(UTC)
        return Dated(at, self.precision) if 1970 <= at.year < 2200 else None


def compile_format(fmt: str) -> DateFormat:
    """Compile a `formats` entry; ValueError names what is wrong with it.

    Literal text must match as written (case-insensitive; any run of spaces matches any
    whitespace), and the format may match anywhere inside the value ("%B %Y" reads
    "Reviewed in June 2019"). A format needs a year (%Y or %y); its precision is that of its
    smallest unit: "%B %Y" is month precision, "%d.%m.%Y" day, "%d.%m.%Y %H:%M" a clock time.
    """
    if not fmt.strip() or len(fmt) > 100:
        raise ValueError(f"date format {fmt!r} must be 1 to 100 characters")
    out: list[str] = []
    used: set[str] = set()
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%":
            d = fmt[i + 1 : i + 2]
            if d == "%":
                out.append("%")
            elif d in _DIRECTIVES:
                group = _DIRECTIVES[d][4]
                if group in used:
                    raise ValueError(f"date format {fmt!r} uses %{d} twice")
                used.add(group)
                out.append(_DIRECTIVES[d])
            else:
                known = " ".join(f"%{k}" for k in _DIRECTIVES)
                raise ValueError(f"date format {fmt!r}: %{d} is not supported (use {known})")
            i += 2
            continue
        out.append(r"\s+" if ch.isspace() else re.escape(ch))
        i += 1
    if not used & {"Y", "y"}:
        raise ValueError(f"date format {fmt!r} needs a year (%Y or %y)")
    if "d" in used and not used & {"m", "B"}:
        raise ValueError(f"date format {fmt!r} has a day but no month (%m or %B)")
    precision = "year"
    if used & {"m", "B"}:
        precision = "month"
    if "d" in used:
        precision = "day"
    if "H" in used:
        precision = "hour" if "M" not in used else None
    pattern = re.sub(r"(\\s\+)+", r"\\s+", "".join(out))
    return DateFormat(fmt, re.compile(pattern, re.IGNORECASE), precision)


# --- all together ---------------------------------------------------------------------------------

_HAS_TIME = re.compile(r"\d:\d\d|\dT\d")
_MONTH_YEAR = re.compile(r"(?<!\w)([^\W\d_]{3,})\.?,?\s+((?:19|20|21)\d\d)(?!\d)")


def read_date(
    value: object,
    *,
    formats: tuple[DateFormat, ...] = (),
    now: datetime | None = None,
    tz: tzinfo | None = None,
) -> Dated | None:
    """The date of one field value, by the rule order of this module's docstring."""
    zone = tz or UTC
    if not isinstance(value, str):
        at = parse_datetime(value, tz=tz)
        return Dated(at) if at else None
    text = value.strip()
    if not text or len(text) > 200:
        return None
    for fmt in formats:
        if found := fmt.read(text, zone):
            return found
    if now is not None and (found := read_relative(text, now=now, tz=zone)):
        return found
    if at := parse_datetime(text, tz=tz):
        # "22 ноября 2026" or "2026-11-22" names a day, not its midnight.
        local = at.astimezone(zone)
        day_only = local.time() == time() and not _HAS_TIME.search(text) and not text.isdigit()
        return Dated(at, "day" if day_only else None)
    if (m := _MONTH_YEAR.search(text)) and (month := month_number(m[1])):
        at = datetime(int(m[2]), month, 1, tzinfo=zone).astimezone(UTC)
        return Dated(at, "month")
    return None
