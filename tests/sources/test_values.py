"""sources.values: dates and ratings as sites write them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from sources.values import parse_datetime, parse_rating

# ---- parse_datetime --------------------------------------------------------------------

T = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-22T14:05:00Z", T),
        ("2026-11-22T17:05:00+03:00", T),
        ("2026-11-22 14:05", T),
        ("2026-11-22T14:05:00.123456789Z", T + timedelta(microseconds=123456)),
        ("Sun, 22 Nov 2026 17:05:00 +0300", T),
        ("Sun, 22 Nov 2026 14:05:00 GMT", T),
        (int(T.timestamp()), T),
        (int(T.timestamp()) * 1000, T),
        (str(int(T.timestamp())), T),
        (str(int(T.timestamp() * 1000)), T),
        ("22.11.2026 14:05", T),
        ("22/11/2026 14:05", T),
        ("14:05, 22.11.2026", T),
        ("Опубликовано 22.11.2026 в 14:05", T),
        ("22 ноября 2026 в 14:05", T),
        ("22 нояб. 2026 г., 14:05", T),
        ("22 листопада 2026 о 14:05", T),
        ("22 лістапада 2026 14:05", T),
        ("22. November 2026, 14:05 Uhr", T),
        ("22 նոյեմբերի 2026, 14:05", T),
        ("November 22, 2026 2:05 pm", T),
        ("22 Nov 2026", datetime(2026, 11, 22, tzinfo=UTC)),
        ("3 листопада 2026", datetime(2026, 11, 3, tzinfo=UTC)),
        ("22 ноября 2026", datetime(2026, 11, 22, tzinfo=UTC)),
        ("1 марта 2026", datetime(2026, 3, 1, tzinfo=UTC)),
        ("5 мая 2026", datetime(2026, 5, 5, tzinfo=UTC)),
        ("9 März 2026", datetime(2026, 3, 9, tzinfo=UTC)),
        (datetime(2026, 11, 22, 14, 5), T),  # naive is UTC
        (datetime(2026, 11, 22, 17, 5, tzinfo=timezone(timedelta(hours=3))), T),
        (date(2026, 11, 22), datetime(2026, 11, 22, tzinfo=UTC)),
    ],
)
def test_parse_datetime_formats(value: object, expected: datetime) -> None:
    found = parse_datetime(value)
    assert found == expected
    assert found is not None and found.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        "",
        "garbage",
        "12",
        "вчера",  # relative: needs a `now` parse_datetime is not given
        "2 hours ago",
        0,
        -5,
        float("nan"),
        "9999-01-01T00:00:00",
        "31.02.2026",
        "x" * 10_000,
        ["2026-11-22"],
    ],
)
def test_parse_datetime_garbage_is_none(value: object) -> None:
    assert parse_datetime(value) is None


def test_parse_datetime_library_fallback_for_unusual_formats() -> None:
    pytest.importorskip("dateparser")
    assert parse_datetime("Sunday, 22nd of November 2026") == datetime(2026, 11, 22, tzinfo=UTC)


# ---- parse_rating ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4", 4.0),
        ("4,5", 4.5),
        ("4.5", 4.5),
        ("4/5", 4.0),
        ("4.5 / 5", 4.5),
        ("8/10", 4.0),
        ("2 из 5", 2.0),
        ("3 з 5", 3.0),
        ("4 von 5", 4.0),
        ("4 out of 5", 4.0),
        ("80%", 4.0),
        ("★★☆☆☆", 2.0),
        ("⭐⭐⭐⭐", 4.0),
        ("★★★★½", 4.5),
        ("Оценка: 4", 4.0),
        ("stars stars-3", 3.0),
        (5, 5.0),
        (3.5, 3.5),
    ],
)
def test_parse_rating(value: object, expected: float) -> None:
    assert parse_rating(value) == expected


@pytest.mark.parametrize(
    "value", [None, True, "", "abc", "0", 0, 6, "7/5", "-1", "1 2", float("nan"), float("inf"), "☆☆☆☆☆", [4]]
)
def test_parse_rating_out_of_range_or_garbage_is_none(value: object) -> None:
    assert parse_rating(value) is None
