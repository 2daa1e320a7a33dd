"""Simple selectors matched on one walk of an item give exactly what lexbor's search gives, or defer to it."""

from __future__ import annotations

import pytest
from selectolax.lexbor import LexborHTMLParser

from sources.quick_select import Matcher, simple
from sources.text import select_all

ITEM = """<div class="review r-1">
  <!-- a comment -->
  <h3 class="title">Заголовок</h3><h2>Überschrift</h2>
  <p class="by">от Марина <span class="city">из Казани</span></p>
  <span class="stars\trating-40  star-rating"></span>
  <div class="text"><p>Курьер опоздал.</p><div class="text inner">Вложенный текст</div></div>
  <div class="pros">Быстро</div><div class="cons">Дорого</div>
  <my-widget class="answer-text">Ответ</my-widget>
  <div class="answer"><div class="answer-text">Ответ компании</div></div>
</div>"""
SELECTORS = ["div", "div.text", ".text", "div.text.inner", ".inner.text", "p", "p.by", "span.stars", ".rating-40",
             ".star-rating.stars", "h3.title", "h2", "h4", ".answer-text", "my-widget", "DIV.text", "div.review",
             ".r-1", ".missing", "span.city", "a.link"]  # fmt: skip


@pytest.mark.parametrize("doctype", ["", "<!DOCTYPE html>"])
def test_each_simple_selector_finds_what_lexbor_finds_in_the_same_order(doctype: str) -> None:
    item = LexborHTMLParser(doctype + ITEM).css_first("div.review")
    quick = [q for css in SELECTORS if (q := simple(css)) is not None]
    assert len(quick) == len(SELECTORS)
    index = Matcher(quick).index(item)
    assert index.exact
    for q in quick:
        expected = select_all(item, q.css)
        assert [n.mem_id for n in index.all(q)] == [n.mem_id for n in expected], q.css
        first = item.css_first(q.css)
        assert (index.first(q).mem_id if index.first(q) else None) == (first.mem_id if first else None), q.css


@pytest.mark.parametrize(
    "css", ["div > p", "div p", "a[href]", "li:first-child", "div.a, div.b", "#main", "*", ".-x", r".a\:b", "", None]
)
def test_anything_but_a_tag_and_classes_is_left_to_lexbor(css: str | None) -> None:
    assert simple(css) is None


@pytest.mark.parametrize(
    ("html", "css"),
    [
        # Quirks mode (no doctype) matches classes regardless of case, standards mode exactly: the walk cannot
        # tell which, so it defers.
        ('<div class="item"><p class="Text">x</p></div>', "p.text"),
        ('<div class="item"><p class="text">x</p></div>', "p.Text"),
        # A foreign element's tag keeps its case ("linearGradient"): lexbor decides how a type selector meets it.
        ('<div class="item"><svg><linearGradient class="g"></linearGradient></svg></div>', "lineargradient"),
    ],
)
def test_an_item_where_case_could_matter_is_left_to_lexbor(html: str, css: str) -> None:
    item = LexborHTMLParser(html).css_first("div.item")
    q = simple(css)
    assert q is not None
    assert not Matcher([q]).index(item).exact


def test_the_item_itself_is_a_candidate_as_in_a_lexbor_search_from_it() -> None:
    item = LexborHTMLParser('<article class="review"><div class="review">x</div></article>').css_first("article")
    q = simple(".review")
    assert q is not None
    index = Matcher([q]).index(item)
    assert [n.tag for n in index.all(q)] == ["article", "div"] == [n.tag for n in item.css(".review")]


def test_elements_of_dropped_parts_of_an_item_are_never_selected() -> None:
    # prepare_node drops <noscript> (never visible): the walk it made before the drop is not reused, so the
    # simple selector finds the visible element, as lexbor's search after the drop does.
    from datetime import UTC, datetime

    from sources.html import HtmlSettings, parse

    html = (
        '<div class="review"><noscript><div class="text">скрытый</div></noscript>'
        '<div class="text">видимый</div><script>var x = "<div class=text>";</script></div>'
    )
    settings = HtmlSettings.model_validate({"item": "div.review", "fields": {"body": "div.text"}})
    page = parse(body=html.encode(), text=html, url="https://x.example/", content_type="text/html",
                 settings=settings, fetched_at=datetime(2026, 12, 6, tzinfo=UTC))  # fmt: skip
    assert [m.body for m in page.items] == ["видимый"]


@pytest.mark.parametrize("doctype", ["", "<!DOCTYPE html>"])
def test_one_matcher_over_many_items_gives_each_what_lexbor_gives(doctype: str) -> None:
    # The matcher remembers each (tag, class attribute) it has matched: the same attribute on another tag, or
    # another case of it on a later item, must still be matched afresh.
    html = doctype + (
        '<div class="item"><p class="text">a</p><span class="text">b</span><!-- c --></div>'
        '<div class="item"><p class="text">d</p><p class="by">e</p></div>'
        '<div class="item"><p class="Text">f</p></div>'
        '<div class="item"><p class="text by">g</p></div>'
    )
    items = LexborHTMLParser(html).css("div.item")
    quick = [q for css in ("p.text", ".text", "span", ".by", "p") if (q := simple(css)) is not None]
    matcher = Matcher(quick)
    exact = []
    for item in items:
        index = matcher.index(item)
        exact.append(index.exact)
        if index.exact:
            for q in quick:
                assert [n.mem_id for n in index.all(q)] == [n.mem_id for n in select_all(item, q.css)], q.css
    assert exact == [True, True, False, True]
