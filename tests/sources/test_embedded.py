"""sources.embedded: JSON in a page's script tag read with the same field mapping as a `json` source."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from sources.base import PageWarning, ParsedPage
from sources.embedded import EmbeddedJsonSettings, parse, script_json
from sources.errors import ParseError

URL = "https://reviews.example/company/acme"

NEXT_DATA = {
    "props": {
        "pageProps": {
            "reviews": [
                {"id": "r-1", "title": "Возврат денег", "text": "<p>Деньги не вернули <b>третий</b> месяц.</p>",
                 "consumer": {"displayName": "Марина"}, "dates": {"publishedDate": "2026-11-02T10:00:00.000Z"},
                 "rating": 1, "reply": {"message": "Марина, напишите нам в чат."}, "links": {"self": "/reviews/r-1"}},
                {"id": 42, "title": "Schnell", "text": "Lieferung nach zwei Tagen, alles heil.",
                 "consumer": {"displayName": "Jörg"}, "dates": {"publishedDate": "2026-11-03"}, "rating": 5, "reply": None},
                {"id": "r-3", "text": ""},
            ],
            "pagination": {"next": "/company/acme?page=2"},
        }
    },
    "page": "/company/[domain]",
}  # fmt: skip

SETTINGS: dict[str, Any] = {
    "items": "props.pageProps.reviews",
    "fields": {
        "body": "text", "id": "id", "title": "title", "author": "consumer.displayName",
        "published": "dates.publishedDate", "rating": "rating", "reply": "reply.message", "url": "links.self",
    },
    "next_page": "props.pageProps.pagination.next",
    "body_is_html": True,
}  # fmt: skip


def html_with(script: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body><div id=__next></div>{script}</body></html>"


def page(html: str, **overrides: Any) -> ParsedPage:
    settings = EmbeddedJsonSettings(**{**SETTINGS, **overrides})
    return parse(body=html.encode(), text=html, url=URL, content_type="text/html", settings=settings)


def next_data(doc: Any = NEXT_DATA) -> str:
    return html_with(
        f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(doc, ensure_ascii=False)}</script>'
    )


def test_next_data_items_and_every_field_as_a_json_source_reads_them() -> None:
    result = page(next_data())

    ru, de = result.items
    assert (ru.external_id, ru.title, ru.author, ru.rating) == ("r-1", "Возврат денег", "Марина", 1.0)
    assert ru.body == "Деньги не вернули третий месяц."  # body_is_html strips the markup
    assert ru.url == "https://reviews.example/reviews/r-1"
    assert ru.published_at == datetime(2026, 11, 2, 10, tzinfo=UTC)
    assert ru.replies == ("Марина, напишите нам в чат.",)
    assert (de.external_id, de.author, de.rating, de.replies) == ("42", "Jörg", 5.0, ())
    assert result.next_url == "https://reviews.example/company/acme?page=2"
    assert result.skipped == 1
    assert [w.text for w in result.warnings] == ["1 item had no text for body expression 'text'"]


def test_a_javascript_assignment_is_found_by_its_variable_among_many_scripts() -> None:
    state = {"reviews": {"items": [{"body": "Курьер опоздал на 3 часа", "stars": "2/5"}]}}
    scripts = (
        "<script src=/app.js></script><script>window.dataLayer = [];</script>"
        f"<script>var x = 1; window.__INITIAL_STATE__ = {json.dumps(state, ensure_ascii=False)};\nwindow.y = {{}};</script>"
    )
    result = page(
        html_with(scripts), script="script", variable="window.__INITIAL_STATE__", items="reviews.items",
        fields={"body": "body", "rating": "stars"}, next_page=None, body_is_html=False,
    )  # fmt: skip
    assert [(m.body, m.rating) for m in result.items] == [("Курьер опоздал на 3 часа", 2.0)]
    # Without `variable`, an assignment alone in its script is found by its first "=".
    alone = html_with(f'<script id="state">window.__STATE__={json.dumps(state)}</script>')
    assert len(page(alone, script="script#state", items="reviews.items", fields={"body": "body"}).items) == 1


def test_a_page_without_the_script_says_which_selector_found_nothing() -> None:
    result = page(html_with("<script>var a = 1</script>"))
    assert result.items == []
    assert [(w.kind, w.text) for w in result.warnings] == [
        (PageWarning.NOTHING_MATCHED, "no element matches script selector 'script#__NEXT_DATA__'")
    ]
    result = page(html_with("<script>var a = 1</script>"), script="script", variable="window.__STATE__")
    assert result.warnings[0].text == "no element matches script selector 'script' assigning window.__STATE__"
    # The JSON is there but the items moved: the json reader's own warning.
    moved = page(next_data({"props": {"pageProps": {"reviewList": []}}}))
    assert [w.text for w in moved.warnings] == ["expression 'props.pageProps.reviews' matched nothing"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "script 'script#__NEXT_DATA__': empty body, expected JSON"),
        ('{"props": ', "script 'script#__NEXT_DATA__': invalid JSON at line 1, column 10: Expecting value"),
        (
            "{'props': 1}",
            "script 'script#__NEXT_DATA__': invalid JSON at line 1, column 2: Expecting property name enclosed in double quotes",
        ),
        ("[" * 100_000 + "]" * 100_000, "script 'script#__NEXT_DATA__': invalid JSON: nested too deeply to read"),
    ],
)
def test_a_script_that_is_not_json_is_an_error_naming_it(content: str, message: str) -> None:
    with pytest.raises(ParseError) as info:
        page(html_with(f'<script id="__NEXT_DATA__">{content}</script>'))
    assert info.value.message == message
    assert info.value.url == URL


def test_the_items_expression_must_give_a_list() -> None:
    with pytest.raises(ParseError, match="items expression 'page' gave a string, expected a list"):
        page(next_data(), items="page")


def test_a_large_embedded_document_is_read_whole() -> None:
    doc = {"props": {"pageProps": {"reviews": [{"id": i, "text": f"Отзыв номер {i}"} for i in range(20_000)]}}}
    result = page(next_data(doc), fields={"body": "text", "id": "id"}, body_is_html=False)
    assert len(result.items) == 20_000
    assert result.items[-1].body == "Отзыв номер 19999"


def test_script_json_takes_the_value_of_an_assignment() -> None:
    assert script_json('  {"a": 1}  ') == '{"a": 1}'
    assert script_json('window.s = {"a": "x=y"}; window.t = 2;') == '{"a": "x=y"}'
    assert script_json('window.s = {"a": ') == '{"a":'  # left for the JSON reader to report
    assert script_json("no json here") == "no json here"


@pytest.mark.parametrize("bad", [{"script": "script[["}, {"variable": "window.__X__; alert(1)"}, {"variable": ""},
                                 {"items": "a[?"}, {"fields": {"title": "t"}}])  # fmt: skip
def test_settings_are_checked_when_the_config_loads(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        EmbeddedJsonSettings(**{**SETTINGS, **bad})
