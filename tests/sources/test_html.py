"""sources.html.parse on a recorded listing page and on hostile or changed pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bench.parsing import listing
from sources.base import PageWarning, ParsedPage
from sources.errors import ParseError
from sources.html import HtmlFields, HtmlSettings, parse
from tests.support.paths import FIXTURES

URL = "https://otzyvy.example/banks/primer/"

SETTINGS = HtmlSettings(
    item="div.review",
    fields={
        "body": "div.text",
        "id": "@data-id",
        "title": "h3.title",
        "author": ".author",
        "url": "a.permalink@href",
        "published": "time@datetime",
        "rating": ".rating",
        "reply": ".answer-text",
    },
    next_page="a.next@href",
)


def settings(**fields: Any) -> HtmlSettings:
    return HtmlSettings(item="div.review", fields={"body": "div.text", **fields})


def parse_page(html: str, s: HtmlSettings = SETTINGS, url: str = URL, content_type: str = "text/html") -> ParsedPage:
    return parse(body=html.encode(), text=html, url=url, content_type=content_type, settings=s)


def test_listing_page_items_and_fields() -> None:
    page = parse_page((FIXTURES / "html" / "reviews_page1.html").read_text(encoding="utf-8"))

    assert page.skipped == 1  # r-9003: its body is only a script
    assert [(w.kind, w.text) for w in page.warnings] == [("skipped", "1 item had an empty body (selector 'div.text')")]
    assert page.next_url == "https://otzyvy.example/banks/primer/?page=2"
    russian, armenian, ukrainian = page.items

    assert russian.external_id == "r-9001"
    assert russian.url == "https://otzyvy.example/banks/primer/reviews/9001"
    assert russian.title == "Списали комиссию за обслуживание"
    assert russian.author == "Марина С."
    assert russian.published_at == datetime(2026, 11, 22, 10, 40, tzinfo=UTC)
    assert russian.rating == 2.0
    assert (
        russian.body == "Обещали бесплатное обслуживание карты, а списали 1 200 ₽.\n\nОператор сказал «так положено»."
    )
    assert russian.replies == (
        "Марина, здравствуйте! Мы вернём комиссию в течение 3 дней.",
        "Комиссия возвращена.",
    )

    assert armenian.url == "https://otzyvy.example/banks/primer/reviews/9002?from=list"  # relative to the page
    assert armenian.title == "Վարկի տոկոսը փոխվել է առանց ծանուցման"
    assert armenian.body == "Բանկը բարձրացրել է տոկոսադրույքը առանց ինձ տեղեկացնելու։\nԽնդրում եմ պատասխանել։"
    assert armenian.rating == 1.0  # ★☆☆☆☆
    assert armenian.published_at == datetime(2026, 11, 21, 9, 15, tzinfo=UTC)  # <time> without datetime=
    assert armenian.replies == ()

    assert ukrainian.url is None  # javascript: link refused
    assert ukrainian.external_id is None  # neither id nor url: ingest falls back to a content hash
    assert ukrainian.rating == 4.5
    assert ukrainian.published_at == datetime(2026, 11, 20, tzinfo=UTC)
    assert ukrainian.body == "Прийшла о 14:00 — двері зачинені, табличка «технічна перерва»."


def test_script_style_and_event_handlers_never_reach_the_text() -> None:
    page = parse_page((FIXTURES / "html" / "reviews_page1.html").read_text(encoding="utf-8"))
    for item in page.items:
        for text in (item.body, item.title or "", item.author or "", *item.replies):
            assert "<" not in text and "alert" not in text and "fetch(" not in text
            assert "tracker" not in text and "color" not in text


def test_selector_that_matches_nothing_is_a_warning_not_an_error() -> None:
    page = parse_page("<html><body><article class='post'>Новый дизайн сайта</article></body></html>")
    assert page.items == []
    assert page.warnings == [PageWarning(PageWarning.NOTHING_MATCHED, "selector 'div.review' matched nothing")]


def test_non_html_content_type_is_named_in_the_warning() -> None:
    page = parse_page('{"reviews": []}', content_type="application/json")
    assert [str(w) for w in page.warnings] == ["selector 'div.review' matched nothing (content type application/json)"]


def test_base_href_and_absolute_next_page() -> None:
    html = (
        '<head><base href="https://mirror.example/otzyvy/"></head>'
        '<div class="review"><a class="p" href="r/1">#</a><div class="text">Текст</div></div>'
        '<a class="next" href="https://otzyvy.example/banks/primer/?page=3">›</a>'
    )
    s = HtmlSettings(item="div.review", fields={"body": "div.text", "url": "a.p"}, next_page="a.next")
    page = parse_page(html, s)
    assert page.items[0].url == "https://mirror.example/otzyvy/r/1"
    assert page.items[0].external_id == "https://mirror.example/otzyvy/r/1"  # no id field: the url
    assert page.next_url == "https://otzyvy.example/banks/primer/?page=3"


def test_next_page_missing_or_pointing_to_itself_is_none() -> None:
    item = '<div class="review"><div class="text">Текст</div></div>'
    assert parse_page(item).next_url is None
    assert parse_page(item + '<a class="next" href="">»</a>').next_url is None
    assert parse_page(item + '<a class="next" href="javascript:void(0)">»</a>').next_url is None


def test_attribute_of_the_item_itself_and_missing_fields() -> None:
    html = '<div class="review" data-id="42" data-score="4"><div class="text">Долго ждал</div></div>'
    page = parse_page(html, settings(id="@data-id", rating="@data-score", title="h3", author=".who"))
    (item,) = page.items
    assert (item.external_id, item.rating, item.title, item.author) == ("42", 4.0, None, None)


def test_hostile_strings_are_cleaned() -> None:
    html = (
        '<div class="review"><h3>Счёт\u202egnp.exe</h3>'
        '<div class="text">Текст\x00 с\x07 мусором\u2066 и <b onclick="x()">жирным</b></div></div>'
    )
    (item,) = parse_page(html, settings(title="h3")).items
    assert item.title == "Счётgnp.exe"
    assert item.body == "Текст с мусором и жирным"


def test_fields_are_capped() -> None:
    html = f'<div class="review"><h3>{"Я" * 5_000}</h3><div class="text">{"<p>жалоба</p>" * 30_000}</div></div>'
    (item,) = parse_page(html, settings(title="h3")).items
    assert len(item.title or "") == 1_000
    assert len(item.body) <= 100_000


def test_invalid_css_is_refused_when_the_settings_are_made() -> None:
    with pytest.raises(ValueError, match=r"'div\.\.x' is not a valid CSS selector"):
        HtmlSettings(item="div..x", fields={"body": "p"})
    # Settings that skipped validation still fail loudly at poll time, naming the selector.
    unchecked = HtmlSettings.model_construct(item="div..x", fields=HtmlFields(body="p"), next_page=None, max_pages=1)
    with pytest.raises(ParseError, match=r"'div\.\.x' cannot be parsed"):
        parse_page("<p>x</p>", unchecked)


def test_runaway_nesting_keeps_earlier_items_and_warns() -> None:
    html = '<div class="review"><div class="text">Первая жалоба</div></div>' + "<div>" * 100_000
    page = parse_page(html)
    assert [m.body for m in page.items] in ([], ["Первая жалоба"])
    assert (
        page.warnings and page.warnings[0].kind == PageWarning.TRUNCATED and "nested too deep" in str(page.warnings[0])
    )


def test_two_megabyte_page() -> None:
    item = (
        '<div class="review" data-id="r{i}"><h3 class="title">Жалоба №{i}</h3>'
        '<a class="permalink" href="/r/{i}">#</a><span class="author">Клиент {i}</span>'
        '<time datetime="2026-11-22T14:05:00Z"></time><span class="rating">★★☆☆☆</span>'
        '<div class="text"><p>Բանկը չի պատասխանում. Деньги не вернули, поддержка молчит.</p>'
        "<p>Второй абзац жалобы с подробностями.</p><script>var x = 1 < 2;</script></div></div>\n"
    )
    html = "<html><body>" + "".join(item.format(i=i) for i in range(5_000)) + "</body></html>"
    assert len(html.encode()) > 2_000_000

    page = parse_page(html)

    assert len(page.items) == 5_000 and page.warnings == []
    assert page.items[-1].url == "https://otzyvy.example/r/4999"


def test_every_item_of_a_page_behind_long_navigation_is_read() -> None:
    html = listing(50, navigation=200)  # the page bench/parsing.py times
    page = parse_page(html)
    assert len(page.items) == 50


def test_overlapping_selector_lists_give_each_element_once_in_document_order() -> None:
    # lexbor lists an element once per part of a list it matches; an item, a joined field's
    # element and a reply must each count once, where they stand in the page.
    html = (
        '<div class="review old" data-id="1"><p class="text">Курьер не приехал</p>'
        '<p class="answer pinned">Вибачте, розберемося</p></div>'
        '<div class="old" data-id="2"><p class="text">Kein Rückruf</p><p class="answer">Sorry</p></div>'
        '<div class="review" data-id="3"><p class="text pros">Ծառայությունը լավն է</p></div>'
    )
    s = HtmlSettings(
        item="div.review, div.old, div[data-id]",
        fields={
            "body": {"select": ["p.text", "p.pros"], "join": " | "},
            "id": "@data-id",
            "reply": ["p.answer, p.pinned"],
        },
    )
    page = parse_page(html, s)

    assert [(m.external_id, m.body, m.replies) for m in page.items] == [
        ("1", "Курьер не приехал", ("Вибачте, розберемося",)),
        ("2", "Kein Rückruf", ("Sorry",)),
        ("3", "Ծառայությունը լավն է", ()),  # p.text and p.pros: one element, joined once
    ]
    assert page.warnings == [] and page.skipped == 0
