from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from monitor.config.business_hours import BusinessCalendar, BusinessHoursConfig, parse_intervals

BERLIN, MOSCOW, YEREVAN = ZoneInfo("Europe/Berlin"), ZoneInfo("Europe/Moscow"), ZoneInfo("Asia/Yerevan")
LUNCH = {d: "09:00-13:00, 14:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")}


def cal(zone: str = "Europe/Berlin", country: str | None = "DE", **kw: object) -> BusinessCalendar:
    return BusinessCalendar(BusinessHoursConfig.model_validate(kw), zone=zone, country=country)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


def test_within_one_working_day() -> None:
    c = cal(hours=LUNCH)
    start = local(BERLIN, 2026, 11, 24, 10, 0)  # a Tuesday
    assert c.add(start, timedelta(hours=2)) == local(BERLIN, 2026, 11, 24, 12, 0)
    # the lunch hour does not count
    assert c.add(start, timedelta(hours=4)) == local(BERLIN, 2026, 11, 24, 15, 0)
    assert c.between(local(BERLIN, 2026, 11, 24, 12, 0), local(BERLIN, 2026, 11, 24, 15, 0)) == timedelta(hours=2)


def test_friday_evening_to_monday_morning() -> None:
    c = cal(hours=LUNCH)
    friday = local(BERLIN, 2026, 11, 27, 17, 0)
    assert c.add(friday, timedelta(hours=2)) == local(BERLIN, 2026, 11, 30, 10, 0)
    # a complaint in the night or at the weekend starts its clock at the next opening
    saturday = local(BERLIN, 2026, 11, 28, 23, 30)
    assert c.add(saturday, timedelta(hours=1)) == local(BERLIN, 2026, 11, 30, 10, 0)
    assert c.between(friday, local(BERLIN, 2026, 11, 30, 10, 0)) == timedelta(hours=2)


def test_holidays_public_subdivision_and_listed() -> None:
    c = cal(hours=LUNCH, holidays=["2026-12-23"])
    # 23 Dec listed, 24 Dec an ordinary Thursday, 25 and 26 Dec public holidays, then the weekend
    start = local(BERLIN, 2026, 12, 22, 17, 0)
    assert c.add(start, timedelta(hours=2)) == local(BERLIN, 2026, 12, 24, 10, 0)
    assert c.add(start, timedelta(hours=9)) == local(BERLIN, 2026, 12, 24, 18, 0)
    assert c.add(start, timedelta(hours=10)) == local(BERLIN, 2026, 12, 28, 10, 0)
    assert c.holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert c.holiday_name(date(2026, 12, 23)) == "company day off"
    # Epiphany is a holiday in Bavaria, not in Berlin
    epiphany = local(BERLIN, 2026, 1, 5, 17, 0)
    assert cal(hours=LUNCH).add(epiphany, timedelta(hours=2)) == local(BERLIN, 2026, 1, 6, 10, 0)
    assert cal(hours=LUNCH, subdivision="BY").add(epiphany, timedelta(hours=2)) == local(BERLIN, 2026, 1, 7, 10, 0)
    # public holidays off: only the listed dates
    assert cal(hours=LUNCH, holidays=["2026-12-23"], public_holidays=False).add(
        start, timedelta(hours=10)
    ).date() == date(2026, 12, 25)


def test_moscow_and_yerevan_holidays() -> None:
    moscow = cal("Europe/Moscow", "RU")
    # 31 December 2025 and 9 January 2026 were made days off, 1-8 January are public holidays:
    # the first working hours after a complaint on New Year's Eve are on Monday 12 January
    start = local(MOSCOW, 2025, 12, 31, 17, 0)
    assert moscow.add(start, timedelta(hours=2)) == local(MOSCOW, 2026, 1, 12, 11, 0)
    yerevan = cal("Asia/Yerevan", "AM")
    # 28 May is Republic Day in Armenia (a Thursday in 2026)
    assert yerevan.add(local(YEREVAN, 2026, 5, 27, 17, 0), timedelta(hours=2)) == local(YEREVAN, 2026, 5, 29, 10, 0)


def test_daylight_saving_changes_in_berlin() -> None:
    night = {d: "00:00-06:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    c = cal(hours=night, public_holidays=False)
    # 29 March 2026: clocks jump from 02:00 to 03:00; the night shift lasts five real hours
    spring = local(BERLIN, 2026, 3, 29, 0, 0)
    assert c.between(spring, local(BERLIN, 2026, 3, 29, 6, 0)) == timedelta(hours=5)
    assert c.add(spring, timedelta(hours=5)) == local(BERLIN, 2026, 3, 29, 6, 0)
    # 25 October 2026: 03:00 back to 02:00; the same shift lasts seven
    autumn = local(BERLIN, 2026, 10, 25, 0, 0)
    assert c.between(autumn, local(BERLIN, 2026, 10, 25, 6, 0)) == timedelta(hours=7)
    # office hours across the change: 8 business hours a day whatever the offset
    office = cal(public_holidays=False)
    friday = local(BERLIN, 2026, 3, 27, 18, 0)
    assert office.add(friday, timedelta(hours=9)) == local(BERLIN, 2026, 3, 30, 18, 0)
    assert office.add(friday, timedelta(hours=9)).astimezone(UTC).hour == 16  # CEST, UTC+2


def test_day_length_and_working_days() -> None:
    c = cal(hours=LUNCH)
    assert c.day_length == timedelta(hours=8)
    assert c.working_days(timedelta(hours=20)) == 2.5
    saturday_too = cal(hours={**LUNCH, "sat": "10:00-14:00"})
    assert saturday_too.day_length == timedelta(hours=44 / 6)


def test_between_is_zero_backwards_and_add_zero_is_identity() -> None:
    c = cal()
    t = local(BERLIN, 2026, 11, 24, 10, 0)
    assert c.between(t, t - timedelta(hours=3)) == timedelta(0)
    assert c.add(t, timedelta(0)) == t


def test_shift_to_midnight() -> None:
    c = cal(hours={"mon": "18:00-24:00", "tue": "00:00-02:00"}, public_holidays=False)
    monday = local(BERLIN, 2026, 11, 23, 23, 0)
    assert c.add(monday, timedelta(hours=2)) == local(BERLIN, 2026, 11, 24, 1, 0)


def test_unknown_country_uses_listed_dates_only() -> None:
    c = BusinessCalendar(BusinessHoursConfig(), zone="UTC", country="ZZ")
    assert not c.is_day_off(date(2026, 12, 25))


@pytest.mark.parametrize(
    "hours, message",
    [
        ({"mon": "9-17"}, "not an interval"),
        ({"mon": "09:00-25:00"}, "not a time of day"),
        ({"mon": "18:00-09:00"}, "ends before it starts"),
        ({"mon": "09:00-13:00, 12:00-18:00"}, "overlap"),
        ({"monday": "09:00-18:00"}, "unknown weekday"),
        ({"mon": ""}, "no working hours"),
    ],
)
def test_bad_hours_are_refused_with_the_reason(hours: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BusinessHoursConfig.model_validate({"hours": hours})


def test_parse_intervals_accepts_lists() -> None:
    assert len(parse_intervals(["09:00-13:00", "14:00-18:00"])) == 2
    assert parse_intervals(None) == ()
