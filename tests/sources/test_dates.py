"""sources.dates: relative dates in six languages, site formats with their precision, local times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sources.dates import Dated, compile_format, read_date, read_relative

# The fetch: Sunday 6 December 2026, 10:00 UTC (13:00 in Moscow, 14:00 in Yerevan).
FETCHED = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
MOSCOW = ZoneInfo("Europe/Moscow")
YEREVAN = ZoneInfo("Asia/Yerevan")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


TODAY_AT = utc(2026, 12, 6, 12, 2)
YESTERDAY_AT = utc(2026, 12, 5, 14, 5)
YESTERDAY = Dated(utc(2026, 12, 5), "day")
TWO_DAYS = Dated(utc(2026, 12, 4), "day")
FIVE_MIN = Dated(utc(2026, 12, 6, 9, 55))
HOUR = Dated(utc(2026, 12, 6, 9), "hour")
WEEK = Dated(utc(2026, 11, 29), "day")

RELATIVE = {
    "ru": [
        ("сегодня в 12:02", Dated(TODAY_AT)),
        ("Вчера", YESTERDAY),
        ("вчера в 14:05", Dated(YESTERDAY_AT)),
        ("позавчера", TWO_DAYS),
        ("2 дня назад", TWO_DAYS),
        ("5 минут назад", FIVE_MIN),
        ("5 мин. назад", FIVE_MIN),
        ("час назад", HOUR),
        ("неделю назад", WEEK),
        ("3 месяца назад", Dated(utc(2026, 9, 1), "month")),
        ("2 года назад", Dated(utc(2024, 1, 1), "year")),
    ],
    "uk": [
        ("сьогодні о 12:02", Dated(TODAY_AT)),
        ("вчора", YESTERDAY),
        ("учора о 14:05", Dated(YESTERDAY_AT)),
        ("позавчора", TWO_DAYS),
        ("2 дні тому", TWO_DAYS),
        ("5 хвилин тому", FIVE_MIN),
        ("5 хв тому", FIVE_MIN),
        ("годину тому", HOUR),
        ("тиждень тому", WEEK),
        ("3 місяці тому", Dated(utc(2026, 9, 1), "month")),
    ],
    "be": [
        ("сёння ў 12:02", Dated(TODAY_AT)),
        ("учора", YESTERDAY),
        ("учора ў 14:05", Dated(YESTERDAY_AT)),
        ("пазаўчора", TWO_DAYS),
        ("2 дні таму", TWO_DAYS),
        ("5 хвілін таму", FIVE_MIN),
        ("гадзіну таму", HOUR),
        ("тыдзень таму", WEEK),
        ("3 месяцы таму", Dated(utc(2026, 9, 1), "month")),
    ],
    "hy": [
        ("այսօր 12:02", Dated(TODAY_AT)),
        ("երեկ", YESTERDAY),
        ("երեկ, 14:05", Dated(YESTERDAY_AT)),
        ("2 օր առաջ", TWO_DAYS),
        ("5 րոպե առաջ", FIVE_MIN),
        ("մեկ ժամ առաջ", HOUR),
        ("ժամ առաջ", HOUR),
        ("շաբաթ առաջ", WEEK),
        ("3 ամիս առաջ", Dated(utc(2026, 9, 1), "month")),
    ],
    "de": [
        ("heute um 12:02", Dated(TODAY_AT)),
        ("gestern", YESTERDAY),
        ("gestern, 14:05", Dated(YESTERDAY_AT)),
        ("vorgestern", TWO_DAYS),
        ("vor 2 Tagen", TWO_DAYS),
        ("vor 5 Minuten", FIVE_MIN),
        ("vor einer Stunde", HOUR),
        ("vor einer Woche", WEEK),
        ("vor 3 Monaten", Dated(utc(2026, 9, 1), "month")),
    ],
    "en": [
        ("today at 12:02", Dated(TODAY_AT)),
        ("Yesterday", YESTERDAY),
        ("yesterday at 2:05 pm", Dated(YESTERDAY_AT)),
        ("2 days ago", TWO_DAYS),
        ("5 minutes ago", FIVE_MIN),
        ("an hour ago", HOUR),
        ("a week ago", WEEK),
        ("3 months ago", Dated(utc(2026, 9, 1), "month")),
        ("Posted 1 year ago", Dated(utc(2025, 1, 1), "year")),
    ],
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [case for cases in RELATIVE.values() for case in cases],
    ids=[f"{lang}:{text}" for lang, cases in RELATIVE.items() for text, _ in cases],
)
def test_relative_dates_in_six_languages(text: str, expected: Dated) -> None:
    assert read_relative(text, now=FETCHED) == expected
    # read_date finds them too, after the (absent) formats and before the absolute readers.
    assert read_date(text, now=FETCHED) == expected


@pytest.mark.parametrize(
    "text", ["два дня назад", "дві дні тому", "дзве дні таму", "երկու օր առաջ", "vor zwei Tagen", "two days ago"]
)
def test_numbers_written_as_words(text: str) -> None:
    assert read_relative(text, now=FETCHED) == TWO_DAYS


def test_relative_times_are_local_to_the_source_zone() -> None:
    # 12:02 in Moscow is 09:02 UTC; "yesterday" is the previous day in Moscow, from its midnight.
    assert read_relative("сегодня в 12:02", now=FETCHED, tz=MOSCOW) == Dated(utc(2026, 12, 6, 9, 2))
    assert read_relative("вчера", now=FETCHED, tz=MOSCOW) == Dated(utc(2026, 12, 4, 21), "day")
    # 22:30 UTC on the 5th is already the 6th in Yerevan (UTC+4): "today" is the 6th there.
    late = utc(2026, 12, 5, 22, 30)
    assert read_relative("այսօր 09:00", now=late, tz=YEREVAN) == Dated(utc(2026, 12, 6, 5))
    assert read_relative("today 09:00", now=late) == Dated(utc(2026, 12, 5, 9))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Ukrainian "год" abbreviates годин (hours): "тому" says the phrase is Ukrainian.
        ("2 год тому", Dated(utc(2026, 12, 6, 8), "hour")),
        ("2 год. тому", Dated(utc(2026, 12, 6, 8), "hour")),
        ("Відгук: 3 ГОД ТОМУ", Dated(utc(2026, 12, 6, 7), "hour")),
        ("2 години тому", Dated(utc(2026, 12, 6, 8), "hour")),
        # Russian "год" is a year: "назад".
        ("1 год назад", Dated(utc(2025, 1, 1), "year")),
        ("год назад", Dated(utc(2025, 1, 1), "year")),
        ("2 года назад", Dated(utc(2024, 1, 1), "year")),
        # Ukrainian years stay years.
        ("рік тому", Dated(utc(2025, 1, 1), "year")),
        ("2 роки тому", Dated(utc(2024, 1, 1), "year")),
    ],
)
def test_god_is_hours_in_ukrainian_and_a_year_in_russian(text: str, expected: Dated) -> None:
    assert read_relative(text, now=FETCHED) == expected


def test_relative_dates_need_a_fetch_time() -> None:
    # Parsed without a fetch time (a page read outside a poll), a relative date is not guessed.
    assert read_date("вчера в 14:05") is None
    assert read_date("2 days ago") is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "вчерашний день был трудным",  # a word that starts like "вчера"
        "2 чашки назад",  # no unit
        "ago",
        "vor",
        "Vorteile: schnell",  # "vor" inside a word
        "x" * 10_000,
        "сегодня" * 100,
        "99999 years ago",  # before the calendar starts
    ],
)
def test_not_relative_dates(text: str) -> None:
    assert read_relative(text, now=FETCHED) is None


def test_large_counts_stay_in_the_calendar() -> None:
    assert read_relative("9999 days ago", now=FETCHED) == Dated(utc(1999, 7, 22), "day")
    # Before 1970 is garbage, as for every date reader here; no overflow either way.
    assert read_relative("9999 weeks ago", now=FETCHED) is None
    assert read_relative("9999 years ago", now=FETCHED) is None


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("%B %Y", "Reviewed in June 2019", Dated(utc(2019, 6, 1), "month")),
        ("%B %Y", "Отзыв от июня 2019", Dated(utc(2019, 6, 1), "month")),
        ("%Y", "Member since 2015", Dated(utc(2015, 1, 1), "year")),
        ("%d.%m.%Y", "Дата: 05.06.2019", Dated(utc(2019, 6, 5), "day")),
        ("%d %B %Y", "5 червня 2019", Dated(utc(2019, 6, 5), "day")),
        ("%d. %B %Y, %H:%M", "3. März 2026, 14:05", Dated(utc(2026, 3, 3, 14, 5))),
        ("%m/%d/%y %I:%M %p", "06/05/19 02:05 PM", Dated(utc(2019, 6, 5, 14, 5))),
        ("%Y-%m-%d %H", "2019-06-05 14", Dated(utc(2019, 6, 5, 14), "hour")),
        ("%Y-%m-%dT%H:%M:%S%z", "2019-06-05T14:05:09+03:00", Dated(utc(2019, 6, 5, 11, 5, 9))),
        ("%d %b %Y", "5 հունիսի 2019", Dated(utc(2019, 6, 5), "day")),
    ],
)
def test_site_formats_with_their_precision(fmt: str, text: str, expected: Dated) -> None:
    assert compile_format(fmt).read(text, UTC) == expected


def test_formats_read_naive_times_in_the_source_zone() -> None:
    fmt = compile_format("%d.%m.%Y %H:%M")
    assert fmt.read("05.06.2019 14:05", MOSCOW) == Dated(utc(2019, 6, 5, 11, 5))
    # A month-precision date starts at the local start of the month.
    assert compile_format("%B %Y").read("June 2019", MOSCOW) == Dated(utc(2019, 5, 31, 21), "month")


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("%d.%m.%Y", "31.06.2019"),
        ("%d.%m.%Y", "00.00.0000"),
        ("%d.%m.%Y", "05.13.2019"),
        ("%d.%m.%Y %H:%M", "05.06.2019 25:00"),
        ("%B %Y", "Reviewed in Juni"),
        ("%B %Y", "Reviewed in Foo 2019"),
        ("%B %Y", ""),
        ("%Y", "1969"),
    ],
)
def test_formats_refuse_impossible_dates(fmt: str, text: str) -> None:
    assert compile_format(fmt).read(text, UTC) is None


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("", "1 to 100 characters"),
        ("%d.%m", "needs a year"),
        ("%d %Y", "a day but no month"),
        ("%d.%m.%Y %Q", "%Q is not supported"),
        ("%Y %Y", "uses %Y twice"),
        ("%" * 101, "1 to 100 characters"),
    ],
)
def test_bad_formats_are_refused_with_a_reason(fmt: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compile_format(fmt)


def test_read_date_rule_order() -> None:
    fmt = compile_format("%m/%d/%Y")
    # The site's format (US order) wins over the day-first reading of parse_datetime.
    assert read_date("05/06/2019", formats=(fmt,)) == Dated(utc(2019, 5, 6), "day")
    assert read_date("05/06/2019") == Dated(utc(2019, 6, 5), "day")
    # Absolute readers still work with a fetch time, and naive times are local to the zone.
    assert read_date("2026-11-22T10:40:00Z", now=FETCHED) == Dated(utc(2026, 11, 22, 10, 40))
    assert read_date("22 ноября 2026, 10:40", tz=MOSCOW) == Dated(utc(2026, 11, 22, 7, 40))
    assert read_date("22 ноября 2026", tz=MOSCOW) == Dated(utc(2026, 11, 21, 21), "day")
    assert read_date("2026-11-22") == Dated(utc(2026, 11, 22), "day")
    assert read_date("2026-11-22T00:00:00Z") == Dated(utc(2026, 11, 22))
    # A month and a year alone, without any format: month precision, never a false exact day.
    assert read_date("Reviewed in June 2019") == Dated(utc(2019, 6, 1), "month")
    assert read_date("Отзыв оставлен в июне 2019") == Dated(utc(2019, 6, 1), "month")
    # Non-strings go to parse_datetime (epoch numbers from JSON).
    assert read_date(1_700_000_000) == Dated(datetime.fromtimestamp(1_700_000_000, UTC))
    assert read_date(None) is None
    assert read_date("   ") is None
    assert read_date("x" * 201, now=FETCHED) is None


def test_relative_date_arithmetic_across_a_dst_change() -> None:
    # Berlin leaves summer time on 25 October 2026: "yesterday" from the 26th is the 25th from local midnight.
    berlin = ZoneInfo("Europe/Berlin")
    now = utc(2026, 10, 26, 12)
    assert read_relative("gestern", now=now, tz=berlin) == Dated(utc(2026, 10, 24, 22), "day")
    assert read_relative("vor 2 Stunden", now=now, tz=berlin) == Dated(now - timedelta(hours=2), "hour")
