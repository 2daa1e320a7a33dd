"""sources.json.parse on a recorded API page and on invalid or oddly shaped JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from sources.base import PageWarning, ParsedPage
from sources.errors import ParseError
from sources.json import JsonSettings, parse
from tests.support.paths import FIXTURES

URL = "https://shop.example/api/v2/reviews?page=1"

SETTINGS = JsonSettings(
    items="data.reviews",
    fields={
        "body": "text",
        "id": "id",
        "title": "title",
        "author": "user.name",
        "url": "links.self",
        "published": "created_at",
        "rating": "score",
        "reply": "answers[].text",
    },
    next_page="meta.next",
)


def parse_json(text: str, s: JsonSettings = SETTINGS) -> ParsedPage:
    return parse(body=text.encode(), text=text, url=URL, content_type="application/json", settings=s)


def reviews(*items: Any, **settings: Any) -> ParsedPage:
    s = JsonSettings(items="data.reviews", fields={"body": "text", "id": "id", "title": "title"}, **settings)
    return parse_json(json.dumps({"data": {"reviews": list(items)}}), s)


def test_api_page_items_fields_and_next_page() -> None:
    page = parse_json((FIXTURES / "json" / "api_reviews_page1.json").read_text(encoding="utf-8"))

    assert [w.text for w in page.warnings] == [
        "2 items had no text for body expression 'text'", "1 item skipped: not a JSON object"]  # fmt: skip
    assert page.next_url == "https://shop.example/api/v2/reviews?page=2"
    # 5503 has an empty text, a string is not an object, 5505's text is an object.
    assert page.skipped == 3
    russian, german, ukrainian = page.items

    assert russian.external_id == "5501"  # int id
    assert russian.url == "https://shop.example/reviews/5501"
    assert russian.title == "Заказ потерян на складе"
    assert russian.body == "Посылка третью неделю «в обработке», поддержка отвечает ботом."
    assert russian.author == "Сергей В."
    assert russian.published_at == datetime(2026, 11, 22, 11, 5, tzinfo=UTC)  # epoch seconds
    assert russian.rating == 1.0
    assert russian.replies == ("Сергей, приносим извинения. Номер обращения 5501-А.",)

    assert german.external_id == "5502"
    assert german.body == "Seit zehn Tagen keine Antwort.\nDie Ware ist beschädigt angekommen."  # list of lines
    assert german.published_at == datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
    assert german.rating == 2.0

    # Missing fields are None, not errors.
    assert (ukrainian.title, ukrainian.author, ukrainian.url, ukrainian.rating) == (None, None, None, None)
    assert ukrainian.replies == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"data": {"reviews": [1, 2,', r"invalid JSON at line 1, column 28"),
        ('{\n  "data": {\n    "reviews": [}\n}', r"invalid JSON at line 3, column 17"),
        ("<html><body>Service unavailable</body></html>", r"invalid JSON at line 1, column 1"),
        ('{"a": ' + "1" * 5_000 + "}", r"invalid JSON"),
        ("", r"empty body"),
    ],
)
def test_invalid_json_is_a_parse_error_with_position(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_json(text)


def test_deeply_nested_json_is_a_parse_error_not_a_recursion_error() -> None:
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_json("[" * 200_000 + "]" * 200_000)


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        ({"data": {"reviews": {"id": 1}}}, "dict"),
        ({"data": {"reviews": "none"}}, "string"),
        ({"data": {"reviews": 3}}, "number"),
    ],
)
def test_items_that_are_not_a_list_are_a_parse_error(document: Any, kind: str) -> None:
    with pytest.raises(ParseError, match=rf"'data\.reviews' gave a {kind}, expected a list"):
        parse_json(json.dumps(document))


def test_items_expression_matching_nothing_is_a_warning() -> None:
    page = parse_json('{"data": {"items": []}}')
    assert page.items == [] and page.warnings == [
        PageWarning(PageWarning.NOTHING_MATCHED, "expression 'data.reviews' matched nothing")
    ]


def test_empty_list_is_no_items_and_no_warning() -> None:
    page = parse_json('{"data": {"reviews": []}}')
    assert page.items == [] and page.warnings == []


def test_items_with_missing_or_odd_fields() -> None:
    page = reviews(
        {"id": 1, "text": "Нормальна скарга"},
        {"id": 2},  # no body: skipped
        {"id": 3, "text": None},
        {"id": 4, "text": "   "},
        {"id": 5, "text": True},
        None,
        ["a list"],
        {"id": True, "text": "bool id is no id", "title": {"nested": "object"}},
        {"id": 12345678901234567890, "text": "big int id"},
        {"id": 1.5, "text": 42},
    )
    assert [(m.external_id, m.body, m.title) for m in page.items] == [
        ("1", "Нормальна скарга", None),
        (None, "bool id is no id", None),
        ("12345678901234567890", "big int id", None),
        ("1.5", "42", None),
    ]
    assert page.skipped == 6


def test_body_is_html_is_stripped() -> None:
    page = reviews(
        {"id": 1, "text": "<p>Скарга</p><script>alert(1)</script><p>друга <b onclick=x()>частина</b></p>"},
        body_is_html=True,
    )
    assert page.items[0].body == "Скарга\n\nдруга частина"


def test_body_not_declared_html_keeps_angle_brackets_as_text() -> None:
    page = reviews({"id": 1, "text": "Сумма < 100 ₽, а списали > 1000 ₽"})
    assert page.items[0].body == "Сумма < 100 ₽, а списали > 1000 ₽"


def test_hostile_strings_are_cleaned() -> None:
    page = reviews({"id": "a\u0000b", "title": "Счёт\u202egnp.exe", "text": "Текст\u0000\u0007 с\ud800 мусором\u2066"})
    (item,) = page.items
    assert (item.external_id, item.title, item.body) == ("ab", "Счётgnp.exe", "Текст с мусором")
    item.body.encode("utf-8")  # no lone surrogate left to break storage


def test_fields_are_capped() -> None:
    page = reviews({"id": 1, "title": "Я" * 5_000, "text": "жалоба " * 50_000})
    (item,) = page.items
    assert len(item.title or "") == 1_000 and len(item.body) <= 100_000


def test_field_expression_type_errors_lose_only_that_field() -> None:
    s = JsonSettings(items="items", fields={"body": "text", "title": "length(title)"})
    page = parse_json('{"items": [{"text": "ok", "title": 5}]}', s)
    assert page.items[0].body == "ok" and page.items[0].title is None


def test_next_page_that_is_not_a_url_is_ignored() -> None:
    s = JsonSettings(items="items", fields={"body": "text"}, next_page="next")
    assert parse_json('{"items": [], "next": 2}', s).next_url is None
    assert parse_json('{"items": [], "next": "javascript:alert(1)"}', s).next_url is None
    assert parse_json('{"items": [], "next": "?page=2"}', s).next_url == "https://shop.example/api/v2/reviews?page=2"
