"""Language of a complaint: what letters settle without the model, and what the model decides."""

from __future__ import annotations

import pytest

from monitor.language import detect_language, detect_languages, settle_without_model

RU = "Заказал в Acme ноутбук, прошло уже двенадцать дней, а посылка так и висит на складе в Казани."
UK = "Замовлення привезли через три тижні, телевізор був розбитий, гроші не повертають."
BE = "Заказ прывезлі праз тры тыдні, тэлевізар быў разбіты, грошы не вяртаюць."
DE = "Die Lieferung kam nach drei Wochen, der Fernseher war kaputt und niemand hat sich gemeldet. Völlig unmöglich."
EN = "The order arrived three weeks late and the TV was broken, and nobody has answered my emails since."
PL = "Zamówienie przyszło po trzech tygodniach, telewizor był zepsuty i nikt nie odpowiada na maile."


@pytest.mark.parametrize(
    ("text", "hint"),
    [(RU, "ru"), (UK, "uk"), (BE, "be"), (DE, "de"), (EN, "en"), (PL, "pl")],
)
def test_a_text_that_fits_the_declared_language_needs_no_model(text: str, hint: str) -> None:
    assert settle_without_model(text, hint=hint) == (True, hint)
    assert detect_language(text, hint=hint) == hint == detect_language(text)  # the model agrees


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        (UK, "ru", "uk"),  # Cyrillic, but with і and є, which Russian never uses
        (BE, "ru", "be"),  # ў
        (RU, "uk", "ru"),  # no і ї є ґ
        (DE, "en", "de"),  # letters outside ASCII
        (EN, "de", "en"),  # no umlaut, and English words
        (DE, "ru", "de"),  # another script
        (PL, "de", "pl"),
    ],
)
def test_a_text_that_does_not_fit_goes_to_the_model(text: str, hint: str, expected: str) -> None:
    assert settle_without_model(text, hint=hint) == (False, None)
    assert detect_language(text, hint=hint) == expected


def test_english_words_in_a_german_looking_text_go_to_the_model() -> None:
    mixed = "The parcel from Müller never arrived, and the shop does not answer my emails at all."
    assert settle_without_model(mixed, hint="de") == (False, None)
    assert detect_language(mixed, hint="de") == "en"


def test_what_letters_settle_without_a_hint() -> None:
    assert settle_without_model("😡😡😡 !!!", hint="ru") == (True, "ru")  # too few letters: the hint
    assert settle_without_model("Պատվերը ուշանում է արդեն երկու շաբաթ", hint=None) == (True, "hy")
    assert settle_without_model(RU, hint=None) == (False, None)
    assert settle_without_model(RU, hint="xx") == (False, None)  # no rule for that language


def test_detect_languages_is_detect_language_of_each() -> None:
    texts = [RU, UK, BE, DE, EN, "👍"]
    assert detect_languages(texts, "ru") == [detect_language(t, hint="ru") for t in texts]
    assert detect_languages([], None) == []
