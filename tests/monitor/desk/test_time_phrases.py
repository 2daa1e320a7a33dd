from __future__ import annotations

import pytest

from monitor.desk.time_phrases import TIME_LANGUAGES, expected_time_phrase, plural_category

COUNTS = (1, 2, 3, 5, 11, 21, 22, 25)

DAYS = {
    "ru": (
        "в течение одного рабочего дня",
        "в течение двух рабочих дней",
        "в течение трёх рабочих дней",
        "в течение пяти рабочих дней",
        "в течение 11 рабочих дней",
        "в течение 21 рабочего дня",
        "в течение 22 рабочих дней",
        "в течение 25 рабочих дней",
    ),
    "uk": (
        "протягом одного робочого дня",
        "протягом двох робочих днів",
        "протягом трьох робочих днів",
        "протягом п’яти робочих днів",
        "протягом 11 робочих днів",
        "протягом 21 робочого дня",
        "протягом 22 робочих днів",
        "протягом 25 робочих днів",
    ),
    "be": (
        "на працягу аднаго працоўнага дня",
        "на працягу двух працоўных дзён",
        "на працягу трох працоўных дзён",
        "на працягу пяці працоўных дзён",
        "на працягу 11 працоўных дзён",
        "на працягу 21 працоўнага дня",
        "на працягу 22 працоўных дзён",
        "на працягу 25 працоўных дзён",
    ),
}

HOURS = {
    "ru": (
        "в течение одного часа",
        "в течение двух часов",
        "в течение трёх часов",
        "в течение пяти часов",
        "в течение 11 часов",
        "в течение 21 часа",
        "в течение 22 часов",
        "в течение 25 часов",
    ),
    "uk": (
        "протягом однієї години",
        "протягом двох годин",
        "протягом трьох годин",
        "протягом п’яти годин",
        "протягом 11 годин",
        "протягом 21 години",
        "протягом 22 годин",
        "протягом 25 годин",
    ),
    "be": (
        "на працягу адной гадзіны",
        "на працягу двух гадзін",
        "на працягу трох гадзін",
        "на працягу пяці гадзін",
        "на працягу 11 гадзін",
        "на працягу 21 гадзіны",
        "на працягу 22 гадзін",
        "на працягу 25 гадзін",
    ),
}


@pytest.mark.parametrize("language", ["ru", "uk", "be"])
def test_east_slavic_days_take_the_case_and_plural_form_of_their_number(language: str) -> None:
    got = tuple(expected_time_phrase(language, business_hours=n * 8, working_days=n) for n in COUNTS)
    assert got == DAYS[language]


@pytest.mark.parametrize("language", ["ru", "uk", "be"])
def test_east_slavic_hours_take_the_feminine_or_masculine_numeral_their_noun_needs(language: str) -> None:
    got = tuple(expected_time_phrase(language, business_hours=n, working_days=0) for n in COUNTS)
    assert got == HOURS[language]


@pytest.mark.parametrize("language", ["ru", "uk", "be"])
def test_east_slavic_plural_categories_follow_cldr(language: str) -> None:
    got = {n: plural_category(language, n) for n in (0, 1, 2, 3, 4, 5, 11, 12, 14, 21, 22, 25, 101, 111, 112, 122)}
    assert got == {
        0: "many",
        1: "one",
        2: "few",
        3: "few",
        4: "few",
        5: "many",
        11: "many",
        12: "many",
        14: "many",
        21: "one",
        22: "few",
        25: "many",
        101: "one",
        111: "many",
        112: "many",
        122: "few",
    }


@pytest.mark.parametrize(
    ("language", "one_day", "two_days", "twenty_one_days", "one_hour", "four_hours"),
    [
        (
            "en",
            "within one working day",
            "within two working days",
            "within 21 working days",
            "within an hour",
            "within four hours",
        ),
        (
            "de",
            "innerhalb eines Werktages",
            "innerhalb von zwei Werktagen",
            "innerhalb von 21 Werktagen",
            "innerhalb einer Stunde",
            "innerhalb von vier Stunden",
        ),
        (
            "hy",
            "մեկ աշխատանքային օրվա ընթացքում",
            "երկու աշխատանքային օրվա ընթացքում",
            "21 աշխատանքային օրվա ընթացքում",
            "մեկ ժամվա ընթացքում",
            "չորս ժամվա ընթացքում",
        ),
    ],
)
def test_phrases_in_english_german_and_armenian(
    language: str, one_day: str, two_days: str, twenty_one_days: str, one_hour: str, four_hours: str
) -> None:
    def phrase(hours: float, days: int) -> str:
        return expected_time_phrase(language, business_hours=hours, working_days=days)

    assert phrase(8, 1) == one_day
    assert phrase(16, 2) == two_days
    assert phrase(168, 21) == twenty_one_days
    assert phrase(1, 0) == one_hour
    assert phrase(4, 0) == four_hours


def test_numbers_one_to_ten_are_words_and_above_ten_digits() -> None:
    got = [expected_time_phrase("en", business_hours=0, working_days=n) for n in range(1, 12)]
    assert got[9] == "within ten working days"
    assert got[10] == "within 11 working days"
    assert not any(ch.isdigit() for phrase in got[:10] for ch in phrase)


def test_less_than_a_working_day_counts_hours_rounded_up() -> None:
    def hours(value: float) -> str:
        return expected_time_phrase("en", business_hours=value, working_days=0)

    assert hours(3.2) == "within four hours"
    assert hours(4.0000001) == "within four hours"  # float noise from clock arithmetic is not an extra hour
    assert hours(0.25) == "within an hour"
    assert hours(0) == "within an hour"
    assert hours(-5) == "within an hour"  # a deadline already passed still promises the shortest time


def test_every_supported_language_has_phrases_and_an_unknown_one_is_refused() -> None:
    assert {"ru", "uk", "be", "hy", "de", "en"} <= TIME_LANGUAGES
    with pytest.raises(ValueError, match="no time phrases for language 'pl'"):
        expected_time_phrase("pl", business_hours=1, working_days=1)
    with pytest.raises(ValueError, match="not a number"):
        expected_time_phrase("en", business_hours=float("nan"), working_days=0)
