"""Language of a complaint: what letters settle without the model, and what the model decides."""

from __future__ import annotations

import pytest

from monitor.ingest.language import detect_language, detect_languages, settle_without_model

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
def test_a_text_that_does_not_fit_the_declared_language_is_not_given_it(text: str, hint: str, expected: str) -> None:
    # Settled by the stricter rules for undeclared text, or by the model; never by the hint.
    assert settle_without_model(text, hint=hint) in ((True, expected), (False, None))
    assert detect_language(text, hint=hint) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [(RU, "ru"), (UK, "uk"), (BE, "be"), (DE, "de"), (EN, "en"), (PL, "pl")],
)
def test_without_a_hint_letters_settle_a_text_only_one_language_fits(text: str, expected: str) -> None:
    assert settle_without_model(text) == (True, expected)


@pytest.mark.parametrize(
    "text",
    [
        "Привет, как дела у вас сегодня",  # Cyrillic without ы э ъ ё: Russian, or Bulgarian, or ...
        "Die Rechnung kam zweimal",  # German without an umlaut
        "Refund pending since Monday",  # English without two of its common words
        "Заказ Acme order refund pending, shop Бета",  # no script has 80 % of the letters
        "Le client a été remboursé hier soir",  # a language with no rule
        "Η παραγγελία δεν ήρθε ποτέ, the shop is silent",  # another script among the letters
    ],
)
def test_what_the_rules_cannot_settle_goes_to_the_model(text: str) -> None:
    assert settle_without_model(text) == (False, None)


def test_english_words_in_a_german_looking_text_go_to_the_model() -> None:
    mixed = "The parcel from Müller never arrived, and the shop does not answer my emails at all."
    assert settle_without_model(mixed, hint="de") == (False, None)
    assert detect_language(mixed, hint="de") == "en"


def test_a_word_two_languages_share_does_not_unsettle_a_text() -> None:
    # "nie" is Polish for "not" and German for "never".
    text = "Ich bin seit Jahren Stammkunde bei Acme, aber so einen Umgang habe ich noch nie erlebt. Schade für mich."
    assert settle_without_model(text) == (True, "de")


def test_what_letters_settle_without_a_hint() -> None:
    assert settle_without_model("😡😡😡 !!!", hint="ru") == (True, "ru")  # too few letters: the hint
    assert settle_without_model("Պատվերը ուշանում է արդեն երկու շաբաթ", hint=None) == (True, "hy")
    assert settle_without_model(RU, hint="xx") == (True, "ru")  # no rule for that hint: the text decides


def test_detect_languages_is_detect_language_of_each() -> None:
    texts = [RU, UK, BE, DE, EN, "👍"]
    assert detect_languages(texts, "ru") == [detect_language(t, hint="ru") for t in texts]
    assert detect_languages([], None) == []
