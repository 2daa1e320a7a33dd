"""Field specs (sources.field_spec) on HTML and JSON pages: each key, the plain forms, hostile input."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime
from typing import Any

import pytest
import regex
from pydantic import ValidationError

from sources.base import PageWarning, ParsedPage, SourceSpec, Validators, collect
from sources.field_spec import FieldSpec, plan_field, read_rating
from sources.fill import configured_fields, field_fill
from sources.html import HtmlSettings
from sources.html import parse as parse_html_page
from sources.json import JsonSettings
from sources.json import parse as parse_json_page
from tests.support.fetcher import make_fetcher
from tests.support.loopback import LoopbackServer, static

URL = "https://otzovik.example/shop/reviews/"
FETCHED = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)

# Six reviews as review sites write them: the fields sit in classes, own text, prefixes,
# relative and month-precision dates, absolute and relative links.
PAGE = """<!doctype html><html><body>
<div class="review">
  <a class="link" href="https://otzovik.example/shop/review/1001/">Читать</a>
  <h3>Курьер опоздал на три дня</h3>
  <p class="by">от Марина <span class="city">из Казани</span></p>
  <div class="text">Заказ привезли на три дня позже обещанного.</div>
  <span class="stars star-rating rating-20"></span>
  <span class="date">сегодня в 12:02</span>
</div>
<div class="review">
  <a class="link" href="/shop/review/1002">Читати</a>
  <h3>Повернення коштів затримали</h3>
  <p class="by">від Олена <span class="city">з Києва</span></p>
  <div class="pros">Ввічливий оператор.</div><div class="cons">Гроші повертали місяць.</div>
  <span class="stars rating-10"></span>
  <span class="date">вчора о 14:05</span>
</div>
<div class="review">
  <a class="link" href="review/1003?utm=x">Чытаць</a>
  <h3>Пасылку страцілі</h3>
  <p class="by">ад Андрэй</p>
  <div class="text"></div>
  <span class="stars rating-0"></span>
  <span class="date">2 дні таму</span>
</div>
<div class="review">
  <a class="link" href="//otzovik.example/shop/review/1004#top">Կարդալ</a>
  <h3>Առաքումը ուշացավ</h3>
  <p class="by">Արամ</p>
  <div class="text">Պատվերը ուշացավ մեկ շաբաթ։</div>
  <span class="stars rating-50"></span>
  <span class="date">3 օր առաջ</span>
</div>
<div class="review">
  <a class="link" href="https://otzovik.example/shop/review/1005">Lesen</a>
  <h3>Paket kam nie an</h3>
  <p class="by">von Jürgen <span class="city">aus Köln</span></p>
  <div class="text">Seit zwei Wochen warte ich auf mein Paket.</div>
  <span class="stars rating-45"></span>
  <span class="date">vor 3 Tagen</span>
</div>
<div class="review">
  <a class="link" href="/shop/review/1006/">Read</a>
  <h3>Refund never arrived</h3>
  <p class="by">by Tina <span class="city">from Nottingham, MD</span></p>
  <div class="text">Still waiting for my refund.</div>
  <span class="stars"></span>
  <span class="date">Reviewed in June 2019</span>
</div>
</body></html>"""

SPEC_FIELDS: dict[str, Any] = {
    "id": {"select": "a.link@href", "url_pattern": r"/review/(\d+)"},
    "url": "a.link",
    "title": "h3",
    # The text, or pros and cons joined where the site splits them.
    "body": {"select": ["div.text", "div.pros", "div.cons"], "join": "\n\n"},
    "author": {"select": "p.by", "own_text": True, "strip_prefix": ["от", "від", "ад", "von", "by"]},
    "rating": {"select": "span.stars@class", "regex": r"rating-(\d+)", "scale": 50},
    "published": {"select": "span.date", "formats": ["%B %Y"]},
}


def html_settings(**fields: Any) -> HtmlSettings:
    return HtmlSettings.model_validate({"item": "div.review", "fields": fields, "timezone": "Europe/Moscow"})


def parse_html(html: str, settings: HtmlSettings, fetched_at: datetime | None = FETCHED) -> ParsedPage:
    return parse_html_page(
        body=html.encode(), text=html, url=URL, content_type="text/html", settings=settings, fetched_at=fetched_at
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_every_spec_on_a_multilingual_page() -> None:
    page = parse_html(PAGE, html_settings(**SPEC_FIELDS))

    # The Belarusian review has an empty text and no pros or cons: skipped, and said so.
    assert page.skipped == 1
    assert [w.text for w in page.warnings] == [
        "1 item had an empty body (selector 'div.text' or 'div.pros' or 'div.cons')"
    ]
    got = [(m.external_id, m.author, m.rating, m.published_at, m.published_precision) for m in page.items]
    assert got == [
        ("1001", "Марина", 2.0, utc(2026, 12, 6, 9, 2), None),  # 12:02 Moscow time today
        ("1002", "Олена", 1.0, utc(2026, 12, 5, 11, 5), None),
        ("1004", "Արամ", 5.0, utc(2026, 12, 2, 21), "day"),
        ("1005", "Jürgen", 4.5, utc(2026, 12, 2, 21), "day"),
        ("1006", "Tina", None, utc(2019, 5, 31, 21), "month"),
    ]
    assert page.items[1].body == "Ввічливий оператор.\n\nГроші повертали місяць."
    assert page.items[0].url == "https://otzovik.example/shop/review/1001/"
    assert page.items[2].url == "https://otzovik.example/shop/review/1004#top"  # the URL as linked


def test_title_only_reviews_are_kept_with_a_fallback() -> None:
    page = parse_html(PAGE, html_settings(body=["div.text", "h3"], id=SPEC_FIELDS["id"], url="a.link"))
    assert page.skipped == 0 and page.warnings == []
    assert page.items[1].body == "Повернення коштів затримали"  # no div.text: its title
    assert page.items[2].body == "Пасылку страцілі"  # an empty div.text: its title
    assert page.items[2].external_id == "1003"  # a relative href without a leading slash
    assert page.items[2].url == "https://otzovik.example/shop/reviews/review/1003?utm=x"


def test_absolute_and_relative_links_give_the_same_id() -> None:
    # One site's old layout had absolute hrefs, the new one relative hrefs: the id must not change.
    spec = {"select": "a@href", "url_pattern": r"/review/(?P<value>[^/?#]+)"}
    hrefs = [
        "https://otzovik.example/shop/review/77/",
        "/shop/review/77",
        "//otzovik.example/shop/review/77?from=list",
        "../shop/review/77#reply",
    ]
    html = "".join(f'<div class="review"><a href="{h}">x</a><div class="text">t</div></div>' for h in hrefs)
    page = parse_html(html, html_settings(body="div.text", id=spec))
    assert [m.external_id for m in page.items] == ["77"] * 4


def test_last_path_segment_as_the_id() -> None:
    spec = {"select": "a@href", "url_pattern": r"([^/]+)/?$"}
    html = (
        '<div class="review"><a href="https://site.example/r/abc-12">x</a><div class="text">t</div></div>'
        '<div class="review"><a href="/r/abc-12/">x</a><div class="text">t</div></div>'
    )
    assert [m.external_id for m in parse_html(html, html_settings(body="div.text", id=spec)).items] == ["abc-12"] * 2


def test_first_non_empty_selector_wins_per_item() -> None:
    html = (
        '<div class="review"><h3>Заголовок</h3><div class="text">Текст отзыва</div></div>'
        '<div class="review"><h3>Только заголовок</h3></div>'
        '<div class="review"><h3>Пустой текст</h3><div class="text">  </div></div>'
    )
    page = parse_html(html, html_settings(body=["div.text", "h3"]))
    assert [m.body for m in page.items] == ["Текст отзыва", "Только заголовок", "Пустой текст"]
    assert page.warnings == []


def test_items_without_any_body_selector_are_explained() -> None:
    html = '<div class="review"><h3>x</h3></div><div class="review"><div class="text"></div></div>'
    page = parse_html(html, html_settings(body=["div.text", "div.pros"]))
    assert page.skipped == 2
    assert [w.text for w in page.warnings] == [
        "1 item had no element for body selector 'div.text' or 'div.pros'",
        "1 item had an empty body (selector 'div.text' or 'div.pros')",
    ]


def test_join_takes_every_match_of_every_selector() -> None:
    html = (
        '<div class="review"><ul class="pros"><li>Быстро</li><li>Дёшево</li></ul>'
        '<ul class="cons"><li>Грубо</li></ul><div class="text">Итог</div></div>'
    )
    settings = html_settings(
        body="div.text",
        title={"select": [".pros li", ".cons li"], "join": " · "},
        author={"select": "nav", "join": ","},
    )
    item = parse_html(html, settings).items[0]
    assert item.title == "Быстро · Дёшево · Грубо"
    assert item.author is None  # nothing to join is no value


def test_own_text_leaves_out_children() -> None:
    html = '<div class="review"><p class="by">Tina <span>from Nottingham, MD</span></p><div class="text">t</div></div>'
    assert (
        parse_html(html, html_settings(body="div.text", author={"select": "p.by", "own_text": True})).items[0].author
        == "Tina"
    )
    # Without own_text the children's text stays, as the plain form always had it.
    assert parse_html(html, html_settings(body="div.text", author="p.by")).items[0].author == (
        "Tina from Nottingham, MD"
    )


@pytest.mark.parametrize(
    ("spec", "text", "expected"),
    [
        ({"strip_prefix": "by"}, "by Rita Shar", "Rita Shar"),
        ({"strip_prefix": ["Автор:", "Author:"]}, "АВТОР:   Іван", "Іван"),
        ({"regex": r"by\s+(.+)"}, "Review by Rita Shar", "Rita Shar"),
        ({"regex": r"(?P<value>\w+)\s+\w+$"}, "Posted by Rita Shar", "Rita"),
        ({"regex": r"\d+"}, "Отзыв №123", "123"),
        ({"regex": r"nothing-(\d+)"}, "Rita", None),
        ({"strip_prefix": "by"}, "by", None),
        ({"strip_prefix": ["от", "by"]}, "Отличный магазин", "Отличный магазин"),  # a word, not a prefix
        ({"strip_prefix": "by"}, "Bybit support", "Bybit support"),
        ({"strip_prefix": "Автор:"}, "Автор:Іван", "Іван"),  # ends in a sign: no word boundary needed
    ],
)
def test_prefix_and_regex(spec: dict[str, Any], text: str, expected: str | None) -> None:
    html = f'<div class="review"><p class="by">{text}</p><div class="text">t</div></div>'
    item = parse_html(html, html_settings(body="div.text", author={"select": "p.by", **spec})).items[0]
    assert item.author == expected


@pytest.mark.parametrize(
    ("scale", "value", "expected"),
    [
        (50, "rating-45", 4.5),
        (10, "8", 4.0),
        (10, "Оценка: 7,5", 3.75),
        (100, "92", 4.6),
        (5, "5", 5.0),
        (10, "11", None),  # above the site's own best: not a rating
        (10, "0", None),
        (10, "", None),
        (10, "нет оценки", None),
    ],
)
def test_rating_scale(scale: float, value: str, expected: float | None) -> None:
    plan = plan_field(FieldSpec(select="x", scale=scale), str)
    assert read_rating(value, plan) == expected


def test_class_name_rating_among_other_classes() -> None:
    html = '<div class="review" data-rating="40"><i class="icon star-rating rating-40 big"></i><div class="text">t</div></div>'
    class_spec = {"select": "i@class", "regex": r"(?<!\w)rating-(\d+)", "scale": 50}
    attr_spec = {"select": "@data-rating", "scale": 50}
    page = parse_html(html, html_settings(body="div.text", rating=class_spec))
    assert page.items[0].rating == 4.0
    assert parse_html(html, html_settings(body="div.text", rating=attr_spec)).items[0].rating == 4.0


def test_date_fallbacks_between_selectors_and_attribute() -> None:
    html = (
        '<div class="review"><time datetime="garbage">5 июня 2019</time><div class="text">t</div></div>'
        '<div class="review"><span class="ago">вчера</span><div class="text">t</div></div>'
    )
    spec = {"select": ["time@datetime", "span.ago"]}
    got = [
        (m.published_at, m.published_precision)
        for m in parse_html(html, html_settings(body="div.text", published=spec)).items
    ]
    assert got == [(utc(2019, 6, 4, 21), "day"), (utc(2026, 12, 4, 21), "day")]


def test_relative_dates_are_not_guessed_without_a_fetch_time() -> None:
    page = parse_html(PAGE, html_settings(**SPEC_FIELDS), fetched_at=None)
    assert [m.published_at is None for m in page.items] == [True] * 4 + [False]


def test_plain_fields_get_the_timezone_and_relative_dates_too() -> None:
    html = '<div class="review"><time>22.11.2026 10:40</time><span>вчера</span><div class="text">t</div></div>'
    items = parse_html(
        html + html.replace("<time>22.11.2026 10:40</time>", ""), html_settings(body="div.text", published="time")
    ).items
    assert items[0].published_at == utc(2026, 11, 22, 7, 40)
    plain_relative = html_settings(body="div.text", published="span")
    assert parse_html(html, plain_relative).items[0].published_at == utc(2026, 12, 4, 21)


def test_reply_spec_keeps_every_match() -> None:
    html = (
        '<div class="review"><div class="text">t</div>'
        '<div class="answer">Ответ компании: Вернём деньги</div><div class="answer">Ответ компании: Уже вернули</div></div>'
    )
    settings = html_settings(body="div.text", reply={"select": "div.answer", "strip_prefix": "Ответ компании:"})
    assert parse_html(html, settings).items[0].replies == ("Вернём деньги", "Уже вернули")


def test_fill_counts_spec_fields() -> None:
    settings = html_settings(**SPEC_FIELDS)
    page = parse_html(PAGE, settings)
    fields = configured_fields(settings)
    assert fields == ("id", "title", "body", "author", "url", "published", "rating")
    assert field_fill(page.items, fields) == {
        "id": 5, "title": 5, "body": 5, "author": 5, "url": 5, "published": 5, "rating": 4,
    }  # fmt: skip


# --- hostile input --------------------------------------------------------------------------------


def test_catastrophic_regex_is_bounded() -> None:
    # (a|aa)+$ backtracks exponentially on "aaaa…!" (2^100 ways to split the a's): the match is
    # stopped by the time limit and the value is empty, the items and the other fields kept.
    evil = "a" * 200 + "!"
    with pytest.raises(TimeoutError):
        regex.compile(r"(a|aa)+$").search(evil, timeout=0.05)
    html = f'<div class="review"><p class="by">{evil}</p><div class="text">t</div></div>' * 3
    page = parse_html(html, html_settings(body="div.text", author={"select": "p.by", "regex": r"(a|aa)+$"}))
    assert [m.author for m in page.items] == [None, None, None]
    assert [m.body for m in page.items] == ["t", "t", "t"]


@pytest.mark.parametrize(
    ("pattern", "plain"),
    [
        (r"rating-(\d+)", True),
        (r"/(?:review|otzyv)/([^/?#]+)", True),
        (r"id=(?P<value>\d{1,8})", True),
        (r"(a|aa)+$", False),  # a repeat of more than one character: exponential
        (r"(\w+)\s(\w+)", False),  # two unbounded repeats: cubic
        (r"(a|b)\1", False),  # a backreference
        (r"[[a-z]--[aeiou]]+", False),  # a VERSION1 set operation
        (r"Отзыв (\d+)", False),  # not ASCII
    ],
)
def test_a_simple_pattern_runs_without_the_time_limit_and_finds_what_regex_finds(pattern: str, plain: bool) -> None:
    from sources.field_spec import _plain_twin, _search

    assert (_plain_twin(pattern) is not None) is plain
    compiled = regex.compile(pattern, regex.IGNORECASE | regex.VERSION1)
    values = ["stars RATING-45", "/shop/review/1001/?x=1", "/OTZYV/abc-12#top", "id=123456789", "x", "",
              "aaaa!", "tea time", "abab", "Отзыв 12", "rating-", "id=7 id=8"]  # fmt: skip
    for value in values:
        m = compiled.search(value)
        group = "value" if "value" in compiled.groupindex else 1 if compiled.groups else 0
        expected = (m.group(group) or "").strip() or None if m else None
        assert _search(compiled, value) == expected, (pattern, value)


@pytest.mark.parametrize(
    "href",
    ["https://otzovik.example/shop/review/1001/", "HTTP://X.example/Review/5?x=1#f", "https://a.b/../c/./d",
     "https://a.b", "https://a.b?", "https://a.b/p;x=1?q", "https://[::1]:80/r/1", "https://u:p@h/r/2?#",
     "http:/relative", "https:///x", "https://a.b/r/ж", "http://a.b/r/1\t2", "https://a.b/r/1 2", "../r/3?y#z"],
)  # fmt: skip
def test_a_links_path_and_query_are_those_of_the_link_resolved_against_the_page(href: str) -> None:
    # Absolute links skip the resolving (it changes neither path nor query): checked against resolving.
    from urllib.parse import urlsplit

    from sources.field_spec import _path_and_query
    from sources.text import absolute_url

    base = "https://otzovik.example/shop/reviews/"
    link = absolute_url(base, href.strip())
    parts = urlsplit(link) if link else None
    expected = parts.path + (f"?{parts.query}" if parts.query else "") if parts else href
    assert _path_and_query(base, href) == expected


def test_a_catastrophic_pattern_on_a_short_value_keeps_the_time_limit() -> None:
    # 60 a's: short enough for the plain path, which this pattern must never take.
    html = f'<div class="review"><p class="by">{"a" * 60}!</p><div class="text">t</div></div>'
    page = parse_html(html, html_settings(body="div.text", author={"select": "p.by", "regex": r"(a|aa)+$"}))
    assert [m.author for m in page.items] == [None]


def test_huge_values_and_pages() -> None:
    huge = "Ж" * 2_000_000
    html = (
        f'<div class="review"><p class="by">by {huge}</p><span class="d">{huge} 2019</span>'
        f'<a href="/review/{"9" * 5_000}">x</a><div class="text">{huge}</div></div>'
    )
    spec = {
        "body": ["div.text"],
        "author": {"select": "p.by", "strip_prefix": "by", "regex": r"Ж+"},
        "published": {"select": "span.d", "formats": ["%Y"]},
        "id": {"select": "a@href", "url_pattern": r"/review/(\d+)"},
    }
    item = parse_html(html, html_settings(**spec)).items[0]
    assert len(item.body) == 100_000
    assert item.author is not None and len(item.author) == 297  # the 300 characters kept, less "by "
    assert item.published_at is None  # a 2 MB date is not a date
    assert item.external_id is not None and item.external_id.startswith("sha256:")


def test_a_page_of_many_items() -> None:
    one = '<div class="review"><a href="/review/{n}">x</a><p class="by">by Ann <b>B</b></p><div class="text">t{n}</div></div>'
    html = "".join(one.format(n=n) for n in range(10_000))
    settings = html_settings(body=["div.text"], id={"select": "a@href", "url_pattern": r"(\d+)$"})
    page = parse_html(html, settings)
    assert len(page.items) == 10_000
    assert page.items[-1].external_id == "9999"


@pytest.mark.parametrize(
    "value",
    [
        "\x00\x01by\u202e Марина\ufeff",  # controls, a bidi override and a BOM around the name
        "by Ð\x9cÐ°Ñ\x80Ð¸Ð½Ð°",  # mojibake stays text, never an exception
        "<script>alert(1)</script>",
        "&lt;b&gt;&amp;&#0;&#xD800;",
    ],
)
def test_wrongly_encoded_and_hostile_values(value: str) -> None:
    html = f'<div class="review"><p class="by" data-x="{value}">{value}</p><div class="text">t</div></div>'
    settings = html_settings(
        body="div.text",
        author={"select": "p.by", "strip_prefix": "by", "regex": r"(.+)"},
        title={"select": "p.by@data-x", "strip_prefix": "by"},
    )
    item = parse_html(html, settings).items[0]
    for text in (item.author, item.title):
        assert text is None or ("\x00" not in text and "\u202e" not in text and "\ufeff" not in text)


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"body": {"select": "div", "scale": 0}}, "scale"),
        ({"body": "div", "rating": {"select": "span", "scale": 0}}, "greater than 0"),
        ({"body": "div", "rating": {"select": "span", "scale": -5}}, "greater than 0"),
        ({"body": "div", "title": {"select": "h3", "formats": ["%Y"]}}, "formats applies only to the published"),
        ({"body": "div", "author": {"select": "p", "regex": "(a)(b)"}}, "has 2 groups"),
        ({"body": "div", "author": {"select": "p", "regex": "[unclosed"}}, "not a regular expression"),
        ({"body": "div", "author": {"select": "p", "regex": "x" * 501}}, "at most 500"),
        ({"body": "div", "author": {"select": "p", "strip_prefix": ""}}, "cannot be empty"),
        ({"body": "div", "id": {"select": "a@href", "join": ","}}, "join makes no sense for id"),
        ({"body": "div", "reply": {"select": ".answer", "join": ","}}, "every element found is a reply"),
        ({"body": []}, "at least 1 item"),
        ({"body": ["div"] * 21}, "at most 20 items"),
        ({"body": ["div", "p[["]}, "not a valid CSS selector"),
        ({"body": {"select": "div", "joins": " "}}, "Extra inputs"),
        ({"body": {"join": " "}}, "select"),
    ],
)
def test_bad_specs_are_refused(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        HtmlSettings.model_validate({"item": "div", "fields": fields})


@pytest.mark.parametrize("tz", ["Mars/Base", "", "../../etc/passwd", "Europe/Moscow\x00"])
def test_unknown_timezone_is_refused(tz: str) -> None:
    with pytest.raises(ValidationError, match="expected an IANA time zone"):
        HtmlSettings.model_validate({"item": "div", "fields": {"body": "div"}, "timezone": tz})


def test_specs_are_hashable_and_pickle() -> None:
    # Settings are cached per source (lru_cache on the frozen model), so lists become tuples; and
    # they travel to the parse worker processes by pickle.
    settings = html_settings(**SPEC_FIELDS)
    assert hash(settings) == hash(html_settings(**SPEC_FIELDS))
    assert pickle.loads(pickle.dumps(settings)) == settings
    json_settings = JsonSettings.model_validate({"items": "x", "fields": {"body": {"select": ["a", "b"], "join": " "}}})
    assert pickle.loads(pickle.dumps(json_settings)) == json_settings


# --- JSON sources ---------------------------------------------------------------------------------

DOC = {
    "reviews": [
        {
            "link": "https://api.example/r/501",
            "text": None,
            "pros": "Быстро",
            "cons": "Дорого",
            "user": {"name": "Автор: Марина"},
            "score": 40,
            "when": "вчера в 14:05",
        },
        {"link": "/r/502", "text": "Пакет не прийшов", "user": {"name": "Олена"}, "score": 9, "when": "June 2019"},
        {"link": "r/503", "title": "Title only", "score": "45 of 50", "when": 1_700_000_000},
    ]
}


def parse_json(doc: Any, fields: dict[str, Any], fetched_at: datetime | None = FETCHED) -> ParsedPage:
    settings = JsonSettings.model_validate({"items": "reviews", "fields": fields, "timezone": "Europe/Kyiv"})
    text = json.dumps(doc, ensure_ascii=False)
    return parse_json_page(
        body=text.encode(), text=text, url="https://api.example/v1/", content_type="application/json",
        settings=settings, fetched_at=fetched_at,
    )  # fmt: skip


def test_json_specs() -> None:
    fields = {
        "id": {"select": "link", "url_pattern": r"/r/(\d+)"},
        "body": {"select": ["text", "pros", "cons", "title"], "join": " / "},
        "author": {"select": "user.name", "strip_prefix": "Автор:"},
        "rating": {"select": "score", "scale": 50},
        "published": "when",
    }
    page = parse_json(DOC, fields)
    got = [(m.external_id, m.body, m.author, m.rating, m.published_at, m.published_precision) for m in page.items]
    assert got == [
        ("501", "Быстро / Дорого", "Марина", 4.0, utc(2026, 12, 5, 12, 5), None),  # Kyiv is UTC+2
        ("502", "Пакет не прийшов", "Олена", 0.9, utc(2019, 5, 31, 21), "month"),
        ("503", "Title only", None, 4.5, datetime.fromtimestamp(1_700_000_000, UTC), None),
    ]


def test_json_plain_fields_unchanged() -> None:
    # As before field specs: the id as written, a score of 9 is no 0-5 rating, bodiless items skipped.
    page = parse_json(DOC, {"id": "link", "body": "text", "rating": "score"})
    assert [(m.external_id, m.rating) for m in page.items] == [("/r/502", None)]
    assert page.skipped == 2


def test_json_refuses_own_text() -> None:
    with pytest.raises(ValidationError, match="own_text applies to HTML sources only"):
        JsonSettings.model_validate({"items": "x", "fields": {"body": {"select": "a", "own_text": True}}})


def test_json_bad_expression_in_a_list() -> None:
    with pytest.raises(ValidationError, match="not a JMESPath expression"):
        JsonSettings.model_validate({"items": "x", "fields": {"body": ["a", "b[?"]}})


# --- through a poll -------------------------------------------------------------------------------


async def test_collect_reads_relative_dates_against_the_fetch_clock(server: LoopbackServer) -> None:
    server.routes["/reviews"] = static(PAGE, content_type="text/html; charset=utf-8")
    settings = HtmlSettings.model_validate(
        {"item": "div.review", "fields": {"body": ["div.text", "h3"], "published": "span.date"}}
    )
    spec = SourceSpec(key="shop", kind="html", url=server.url("/reviews"), settings=settings)
    async with make_fetcher() as fetcher:
        got = await collect(
            spec, fetcher=fetcher, parser=parse_html_page, validators=Validators(), clock=lambda: FETCHED
        )
    assert [m.published_at for m in got.items] == [
        utc(2026, 12, 6, 12, 2), utc(2026, 12, 5, 14, 5), utc(2026, 12, 4), utc(2026, 12, 3), utc(2026, 12, 3), utc(2019, 6, 1),
    ]  # fmt: skip
    assert got.items[2].body == "Пасылку страцілі"
    assert got.facts.fill == {"body": 6, "published": 6}
    assert not [w for w in got.facts.warnings if w.kind == PageWarning.SKIPPED]
