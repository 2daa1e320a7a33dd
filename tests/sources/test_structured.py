"""sources.structured: schema.org Reviews from JSON-LD and microdata, on well-formed, odd and hostile pages."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from sources.base import PageWarning, ParsedPage, SourceSpec, Validators, collect
from sources.structured import KIND, StructuredSettings, parse
from tests.support.fetcher import RU, make_fetcher
from tests.support.loopback import LoopbackServer, static

URL = "https://shop.example/catalog/kettle-9/"


def page(html: str, **settings: Any) -> ParsedPage:
    return parse(
        body=html.encode("utf-8", "surrogatepass"), text=html, url=URL, content_type="text/html; charset=utf-8",
        settings=StructuredSettings(**settings) if settings else None,
    )  # fmt: skip


def ld(*blocks: Any, body: str = "") -> str:
    scripts = "".join(
        f'<script type="application/ld+json">{json.dumps(b, ensure_ascii=False)}</script>' for b in blocks
    )
    return f"<!doctype html><html><head>{scripts}</head><body>{body}</body></html>"


PRODUCT = {
    "@context": "https://schema.org",
    "@type": "Product",
    "name": "Чайник Vitek VT-7009",
    "aggregateRating": {"@type": "AggregateRating", "ratingValue": "2.5", "reviewCount": "4"},
    "review": [
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": "Ирина К."},
            "datePublished": "2026-11-20T09:15:00+03:00",
            "name": "Потёк через неделю",
            "reviewBody": "Через неделю чайник потёк по шву.\nВ сервисе сказали ждать месяц.",
            "reviewRating": {"@type": "Rating", "ratingValue": "1", "bestRating": "5"},
            "url": "/reviews/501",
        },
        {
            "@type": "Review",
            "author": "Олена",
            "datePublished": "2026-11-21",
            "reviewBody": "Кришка не закривається, повернули гроші лише через тиждень.",
            "reviewRating": {"@type": "Rating", "ratingValue": "4", "bestRating": "10"},
        },
        {
            "@type": ["Review", "UserReview"],
            "author": [{"@type": "Person", "name": "Аляксей"}],
            "reviewBody": "Чайнік шуміць, але кіпяціць хутка.",
            "reviewRating": {"ratingValue": "4,5"},
            "identifier": {"@type": "PropertyValue", "value": "be-77"},
        },
        {
            "@type": "Review",
            "author": {"@type": "Person", "name": "Անի"},
            "reviewBody": "Թեյնիկը արագ փչացավ, խանութը չի պատասխանում։",
            "reviewRating": {"@type": "Rating", "ratingValue": "91", "bestRating": "100"},
            "datePublished": "2026-11-22T10:00:00Z",
        },
    ],
}


def test_reviews_nested_in_a_product_every_field_in_four_languages() -> None:
    result = page(ld(PRODUCT))

    assert result.warnings == [] and result.skipped == 0
    ru, uk, be, hy = result.items
    assert ru.body == "Через неделю чайник потёк по шву.\nВ сервисе сказали ждать месяц."  # its line break kept
    assert (ru.title, ru.author, ru.rating) == ("Потёк через неделю", "Ирина К.", 1.0)
    assert ru.published_at == datetime(2026, 11, 20, 6, 15, tzinfo=UTC)
    assert ru.url == ru.external_id == "https://shop.example/reviews/501"  # relative url resolved
    assert (uk.author, uk.rating, uk.title, uk.url, uk.external_id) == ("Олена", 2.0, None, None, None)  # 4 of 10
    assert uk.published_at == datetime(2026, 11, 21, tzinfo=UTC)
    assert (be.author, be.rating, be.external_id) == ("Аляксей", 4.5, "be-77")  # "4,5"; PropertyValue id
    assert (hy.author, hy.rating) == ("Անի", 4.55)  # 91 of 100
    assert hy.body == "Թեյնիկը արագ փչացավ, խանութը չի պատասխանում։"
    assert all(m.replies is None for m in result.items)


def test_a_graph_with_references_and_cycles_gives_each_review_once() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "LocalBusiness", "@id": "#biz", "name": "Кафе «Сова»",
             "review": [{"@id": "#r1"}, {"@id": "#r2"}], "aggregateRating": {"@type": "AggregateRating", "ratingValue": "3"}},
            {"@type": "Review", "@id": "#r1", "itemReviewed": {"@id": "#biz"}, "author": {"@id": "#p1"},
             "reviewBody": "Официант нагрубил.", "datePublished": "2026-10-01"},
            {"@type": "Review", "@id": "#r2", "itemReviewed": {"@id": "#biz"}, "author": {"@id": "#missing"},
             "reviewBody": "Кофе холодный."},
            {"@type": "Person", "@id": "#p1", "name": "Дмитрий", "knows": {"@id": "#p1"}},
        ],
    }  # fmt: skip
    result = page(ld(graph))

    assert [(m.external_id, m.author, m.body) for m in result.items] == [
        ("#r1", "Дмитрий", "Официант нагрубил."),
        ("#r2", None, "Кофе холодный."),  # a reference to nothing: no author, not an error
    ]


def test_organizations_item_lists_and_a_bare_review_are_all_found() -> None:
    org = {
        "@type": "Organization",
        "name": "Bank",
        "review": {"@type": "Review", "reviewBody": "Karte gesperrt, niemand ruft zurück."},
    }
    item_list = {
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "item": {"@type": "Review", "reviewBody": "Refund took 9 weeks."}},
            {"@type": "ListItem", "position": 2, "item": {"@type": "CriticReview", "reviewBody": "Не рекомендую."}},
        ],
    }
    bare = {"@type": "EmployerReview", "reviewBody": "Зарплату затримують."}
    result = page(ld(org, [item_list, bare]))
    assert [m.body for m in result.items] == [
        "Karte gesperrt, niemand ruft zurück.", "Refund took 9 weeks.", "Не рекомендую.", "Зарплату затримують."
    ]  # fmt: skip


MICRODATA = """
<div itemscope itemtype="http://schema.org/Product"><h1 itemprop="name">Пылесос</h1>
  <div itemprop="review" itemscope itemtype="https://schema.org/Review" itemid="urn:review:17">
    <span itemprop="name">Сломался</span>
    <span itemprop="author" itemscope itemtype="http://schema.org/Person"><span itemprop="name">Ольга</span></span>
    <time itemprop="datePublished" datetime="2026-09-30T08:00:00Z">вчера</time>
    <div itemprop="reviewRating" itemscope itemtype="http://schema.org/Rating">
      <meta itemprop="ratingValue" content="2"><meta itemprop="bestRating" content="5"></div>
    <div itemprop="reviewBody"><p>Через месяц <b>перестал</b> включаться.</p><p>Гарантию не признали.</p></div>
    <a itemprop="url" href="/r/17">ссылка</a>
  </div>
</div>
<div class="item" itemprop="review">
  <a class="review-title" itemprop="name" href="/review_6966870.html">ДВФУ - хороший университет</a>
  <div itemprop="description">Общежитие <br>в ужасном состоянии.</div>
  <meta itemprop="ratingValue" content="3">
</div>
"""


def test_microdata_reviews_with_and_without_itemscope() -> None:
    result = page(f"<html><body>{MICRODATA}</body></html>")

    full, bare = result.items
    assert full.external_id == "urn:review:17"
    assert (full.title, full.author, full.rating) == ("Сломался", "Ольга", 2.0)
    assert full.body == "Через месяц перестал включаться.\n\nГарантию не признали."
    assert full.published_at == datetime(2026, 9, 30, 8, tzinfo=UTC)
    assert full.url == "https://shop.example/r/17"
    # otzovik-style markup: itemprop="review" with no itemscope, a rating written straight in.
    assert (bare.title, bare.body, bare.author) == (
        "ДВФУ - хороший университет",
        "Общежитие\nв ужасном состоянии.",
        None,
    )


def test_auto_reads_json_ld_once_even_when_microdata_repeats_it() -> None:
    html = ld(PRODUCT, body=MICRODATA)
    assert len(page(html).items) == 4
    assert len(page(html, format="json-ld").items) == 4
    assert [m.author for m in page(html, format="microdata").items] == ["Ольга", None]
    # A page with microdata only: auto falls back to it.
    assert len(page(f"<html><body>{MICRODATA}</body></html>", format="auto").items) == 2
    assert page(ld(PRODUCT), format="microdata").items == []


def test_a_broken_json_ld_block_is_reported_and_the_others_read() -> None:
    html = (
        '<html><head><script type="application/ld+json">{"@type": "Review", "reviewBody": "ok" </script>'
        '<script type="Application/LD+JSON; charset=utf-8">//<![CDATA[\n'
        '{"@type":"Review","reviewBody":"Доставка сорвана."};\n//]]></script>'
        '<script type=\'application/ld+json\'><!-- {"@type":"Review","reviewBody":"Без ответа."} --></script>'
        "</head></html>"
    )
    result = page(html)
    assert [m.body for m in result.items] == ["Доставка сорвана.", "Без ответа."]
    assert [(w.kind, w.text) for w in result.warnings] == [
        (PageWarning.MALFORMED, "JSON-LD block 1 is not JSON (line 1, column 39: Expecting ',' delimiter)")
    ]


def test_a_page_without_reviews_says_why() -> None:
    only_aggregate = ld(
        {"@type": "Product", "aggregateRating": {"@type": "AggregateRating", "ratingValue": "4", "reviewCount": "263"}}
    )
    assert [w.text for w in page(only_aggregate).warnings] == [
        "no schema.org Review in the page's JSON-LD or microdata: its AggregateRating counts 263 reviews but no review is marked up"
    ]
    assert [w.text for w in page(ld({"@type": "BreadcrumbList"}, {"@type": "Organization"})).warnings] == [
        "no schema.org Review in the page's JSON-LD or microdata (found: BreadcrumbList, Organization)"
    ]
    for empty in ("", "<html></html>", "   ", "\x00\x00"):
        result = page(empty)
        assert result.items == []
        assert [w.text for w in result.warnings] == ["no schema.org Review: the page has no JSON-LD or microdata"]


def test_reviews_without_any_text_are_skipped_with_a_reason_and_title_only_reviews_kept() -> None:
    result = page(ld([
        {"@type": "Review", "reviewBody": {"nested": "object"}, "reviewRating": {"ratingValue": "1"}},
        {"@type": "Review", "reviewBody": True},
        {"@type": "Review", "name": "Товар не пришёл"},
        {"@type": "Review", "reviewBody": "   "},
    ]))  # fmt: skip
    assert [(m.title, m.body) for m in result.items] == [(None, "Товар не пришёл")]
    assert result.skipped == 3
    assert [w.text for w in result.warnings] == ["3 items marked up as Review had no reviewBody, description or name"]


@pytest.mark.parametrize(
    ("rating", "expected"),
    [({"ratingValue": "0"}, None), ({"ratingValue": "5", "bestRating": "5"}, 5.0), ({"ratingValue": "8", "bestRating": "10"}, 4.0),
     ({"ratingValue": "abc"}, None), ({"ratingValue": "1e308", "bestRating": "1e-308"}, None), ("4/5", 4.0),
     ({"ratingValue": "3", "bestRating": "0"}, None), ({"ratingValue": ["2", "5"]}, 2.0), (None, None)],
)  # fmt: skip
def test_ratings_on_other_scales_and_nonsense(rating: Any, expected: float | None) -> None:
    review = {"@type": "Review", "reviewBody": "x", **({"reviewRating": rating} if rating is not None else {})}
    assert page(ld(review)).items[0].rating == expected


def test_hostile_structured_data_costs_little_and_loses_nothing_else() -> None:
    deep = '{"@type": "Thing", "about": ' * 5_000 + '{"@type": "Review", "reviewBody": "deep"}' + "}" * 5_000
    shallow_deep: Any = {"@type": "Review", "reviewBody": "too deep to reach"}
    for _ in range(60):
        shallow_deep = {"@type": "Thing", "about": shallow_deep}
    controls = {"@type": "Review", "reviewBody": "bad\u0000 chars\u202e here\ud800", "author": "x" * 5_000}
    many = {"@type": "Product", "review": [{"@type": "Review", "reviewBody": f"отзыв {i}"} for i in range(3_000)]}
    # Every node refers to every other: shared, not copied.
    web = {"@graph": [{"@type": "Review", "@id": f"#{i}", "reviewBody": f"r{i}", "about": [{"@id": f"#{j}"} for j in range(60)]}
                      for i in range(60)]}  # fmt: skip
    started = time.process_time()
    html = ld(controls, many, web, shallow_deep).replace(
        "<head>", f'<head><script type="application/ld+json">{deep}</script>'
    )
    result = page(html)
    elapsed = time.process_time() - started

    bodies = [m.body for m in result.items]
    assert "deep" not in bodies and "too deep to reach" not in bodies  # past the depth bounds, not a crash
    assert [w.text for w in result.warnings] == [
        "JSON-LD block 1 cannot be read: nested too deeply or too large",
        "a JSON-LD list of 3,000 entries: read its first 1,000 only",  # said, not lost in silence
    ]
    assert bodies[0] == "bad chars here"
    assert len(result.items[0].author or "") == 300
    assert bodies[1:1001] == [f"отзыв {i}" for i in range(1_000)]  # one list is read to 1,000 entries
    assert bodies[1001:] == [f"r{i}" for i in range(60)]
    assert elapsed < 30  # a generous bound against exponential blow-up, not a timing target


def test_next_page_and_base_href() -> None:
    html = ld(PRODUCT, body='<base href="https://cdn.example/"><a rel="next" href="/catalog/kettle-9/?page=2">→</a>')
    result = page(html, next_page="a[rel=next]@href")
    assert result.next_url == "https://cdn.example/catalog/kettle-9/?page=2"
    assert result.items[0].url == "https://cdn.example/reviews/501"
    assert page(html, next_page="a.missing@href").next_url is None


def test_a_truncated_page_says_so() -> None:
    huge = ld(PRODUCT, body="<p>x</p>" * 1_100_000)
    result = page(huge)
    assert len(result.items) == 4
    assert [w.kind for w in result.warnings] == [PageWarning.TRUNCATED]


@pytest.mark.parametrize(
    ("encoding", "content_type"),
    [("windows-1251", "text/html; charset=windows-1251"), ("koi8-r", "text/html; charset=koi8-r"),
     ("windows-1251", "text/html")],  # the last: no charset anywhere, the fetcher detects it
)  # fmt: skip
async def test_a_legacy_encoded_page_through_the_real_fetcher(
    server: LoopbackServer, encoding: str, content_type: str
) -> None:
    review = {"@type": "Review", "reviewBody": RU, "author": {"@type": "Person", "name": "Пётр Щукин"}}
    html = ld({"@type": "Organization", "name": "Банк Восход", "review": [review]}, body=f"<p>{RU}</p>" * 20)
    server.routes["/bank"] = static(html.encode(encoding), content_type=content_type)
    spec = SourceSpec(key="bank", kind="structured", url=server.url("/bank"), settings=StructuredSettings())
    async with make_fetcher() as fetcher:
        got = await collect(spec, fetcher=fetcher, parser=KIND.parse, validators=Validators())
    assert [(m.body, m.author) for m in got.items] == [(RU, "Пётр Щукин")]
    assert got.facts.warnings == []


def test_hostile_microdata_nesting_and_overlapping_attributes() -> None:
    # 900 nested scopes (under the tree builder's depth cut) and a review at the bottom of them.
    deep = '<div itemscope itemtype="http://schema.org/Thing" itemprop="about">' * 900
    bottom = (
        '<div itemprop="review" itemscope itemtype="http://schema.org/Review"><p itemprop="reviewBody">дно</p></div>'
    )
    # One element that is a scope, a property and a Review at once, listed once (lexbor lists it per selector).
    triple = (
        '<div itemscope itemtype="https://schema.org/Review https://schema.org/UserReview" itemprop="review mention">'
        '<span itemprop="reviewBody">Ответа нет две недели.</span></div>'
    )
    result = page(f"<html><body>{triple}{deep}{bottom}{'</div>' * 900}</body></html>", format="microdata")
    assert [m.body for m in result.items] == ["Ответа нет две недели."]  # the deep one is past the depth bound
    assert result.warnings == []
