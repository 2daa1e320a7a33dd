"""Expected time in words a customer understands: "within two working days", "в течение двух рабочих дней".

Which unit:
  - at least one whole working day left: working days ("within two working days");
  - less than that: hours, rounded up, at least one ("within four hours", "within an hour").
A deadline already passed still needs a promise in the reply, so negative inputs count as zero
and give the shortest one.

Numbers 1–10 are written in words, larger ones in digits, as style guides in all six languages advise.

Every phrase puts the number after a preposition that governs a case: the genitive in ru "в течение",
uk "протягом", be "на працягу", hy "… ընթացքում", the dative in de "innerhalb von". So the numeral is
declined too ("двух", "трьох", "чатырох"), and the noun takes the form of the language's plural
category (CLDR: one / few / many in East Slavic), which for digits decides between "21 рабочего дня"
and "22 рабочих дней". In the genitive the few and many forms coincide; the categories are still kept
apart so a phrase in another case ("за два дня" / "за пять дней") needs only new words, not new rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["TIME_LANGUAGES", "expected_time_phrase", "plural_category"]


def _east_slavic(n: int) -> str:
    # CLDR rule for ru, uk, be on whole numbers: 1, 21, 101 → one; 2–4, 22–24 → few; 0, 5–20, 25 → many.
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def _one_other(n: int) -> str:
    return "one" if n == 1 else "other"


@dataclass(frozen=True, kw_only=True)
class _Unit:
    words: tuple[str, ...]  # 1..10, declined as the phrase needs
    nouns: dict[str, str]  # plural category → noun form
    one: str | None = None  # the whole phrase for exactly one, where a language says it differently


@dataclass(frozen=True, kw_only=True)
class _Language:
    pattern: str  # "{count}" and "{noun}" are filled in
    plural: Callable[[int], str]
    days: _Unit
    hours: _Unit


_RU_GENITIVE = ("одного", "двух", "трёх", "четырёх", "пяти", "шести", "семи", "восьми", "девяти", "десяти")
_UK_GENITIVE = ("одного", "двох", "трьох", "чотирьох", "п’яти", "шести", "семи", "восьми", "дев’яти", "десяти")
_BE_GENITIVE = ("аднаго", "двух", "трох", "чатырох", "пяці", "шасці", "сямі", "васьмі", "дзевяці", "дзесяці")
_HY = ("մեկ", "երկու", "երեք", "չորս", "հինգ", "վեց", "յոթ", "ութ", "ինը", "տասը")
_DE = ("ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn")
_EN = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")

_LANGUAGES: dict[str, _Language] = {
    "ru": _Language(
        pattern="в течение {count} {noun}",
        plural=_east_slavic,
        days=_Unit(words=_RU_GENITIVE, nouns={"one": "рабочего дня", "few": "рабочих дней", "many": "рабочих дней"}),
        hours=_Unit(words=_RU_GENITIVE, nouns={"one": "часа", "few": "часов", "many": "часов"}),
    ),
    "uk": _Language(
        pattern="протягом {count} {noun}",
        plural=_east_slavic,
        days=_Unit(words=_UK_GENITIVE, nouns={"one": "робочого дня", "few": "робочих днів", "many": "робочих днів"}),
        # "година" is feminine: однієї години
        hours=_Unit(words=("однієї", *_UK_GENITIVE[1:]), nouns={"one": "години", "few": "годин", "many": "годин"}),
    ),
    "be": _Language(
        pattern="на працягу {count} {noun}",
        plural=_east_slavic,
        days=_Unit(
            words=_BE_GENITIVE, nouns={"one": "працоўнага дня", "few": "працоўных дзён", "many": "працоўных дзён"}
        ),
        # "гадзіна" is feminine: адной гадзіны
        hours=_Unit(words=("адной", *_BE_GENITIVE[1:]), nouns={"one": "гадзіны", "few": "гадзін", "many": "гадзін"}),
    ),
    "hy": _Language(
        # Armenian keeps the noun singular after a number: "երկու աշխատանքային օրվա ընթացքում".
        pattern="{count} {noun} ընթացքում",
        plural=_one_other,
        days=_Unit(words=_HY, nouns={"one": "աշխատանքային օրվա", "other": "աշխատանքային օրվա"}),
        hours=_Unit(words=_HY, nouns={"one": "ժամվա", "other": "ժամվա"}),
    ),
    "de": _Language(
        pattern="innerhalb von {count} {noun}",
        plural=_one_other,
        days=_Unit(words=_DE, nouns={"one": "Werktag", "other": "Werktagen"}, one="innerhalb eines Werktages"),
        hours=_Unit(words=_DE, nouns={"one": "Stunde", "other": "Stunden"}, one="innerhalb einer Stunde"),
    ),
    "en": _Language(
        pattern="within {count} {noun}",
        plural=_one_other,
        days=_Unit(words=_EN, nouns={"one": "working day", "other": "working days"}),
        hours=_Unit(words=_EN, nouns={"one": "hour", "other": "hours"}, one="within an hour"),
    ),
}
TIME_LANGUAGES = frozenset(_LANGUAGES)


def plural_category(language: str, n: int) -> str:
    """CLDR plural category of the whole number `n`: one / few / many (ru, uk, be) or one / other."""
    return _spec(language).plural(abs(n))


def expected_time_phrase(language: str, *, business_hours: float, working_days: int) -> str:
    """'within two working days' in `language`, from the business time left until the deadline.

    `working_days` is the number of whole working days left, `business_hours` the business hours
    left; hours are used only when less than one working day is left.
    """
    spec = _spec(language)
    if math.isnan(business_hours):
        raise ValueError("business_hours is not a number")
    if working_days >= 1:
        unit, count = spec.days, working_days
    else:
        # round() first: 4.0000001 hours from float arithmetic on a clock is still "four hours".
        unit, count = spec.hours, max(1, math.ceil(round(business_hours, 6)))
    if count == 1 and unit.one:
        return unit.one
    words = unit.words[count - 1] if count <= len(unit.words) else str(count)
    return spec.pattern.format(count=words, noun=unit.nouns[spec.plural(count)])


def _spec(language: str) -> _Language:
    try:
        return _LANGUAGES[language]
    except KeyError:
        known = ", ".join(sorted(_LANGUAGES))
        raise ValueError(f"no time phrases for language '{language}' (known: {known})") from None
