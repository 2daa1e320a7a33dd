"""sources.fill: each configured field's fill, and a reason for every skipped item."""

from __future__ import annotations

from datetime import UTC, datetime

from sources.base import PageWarning, ParsedPage, RawMention
from sources.feed import FeedSettings
from sources.fill import FEED_FIELDS, configured_fields, explain_skips, field_fill, skipped_warning
from sources.html import HtmlSettings, parse
from sources.json import JsonSettings

TITLE_ONLY = """<div class="review" data-id="1"><h3 class="title">Great</h3><div class="text">Kept my money</div></div>
<div class="review" data-id="2"><h3 class="title">Five stars</h3></div>
<div class="review" data-id="3"><h3 class="title">Fine</h3><div class="text">  </div></div>"""


def test_configured_fields_are_the_named_locators_and_the_feed_defaults() -> None:
    html = HtmlSettings(item="div", fields={"body": "p", "published": "time@datetime", "reply": ".answer"})
    assert configured_fields(html) == ("body", "published")  # replies are often absent: not tracked
    assert configured_fields(JsonSettings(items="data", fields={"body": "text", "rating": "stars"})) == (
        "body",
        "rating",
    )
    assert configured_fields(FeedSettings()) == FEED_FIELDS
    assert configured_fields(None) == FEED_FIELDS


def test_field_fill_counts_items_that_have_each_field() -> None:
    items = [
        RawMention(external_id="1", url=None, title="t", body="b", published_at=datetime(2026, 1, 1, tzinfo=UTC)),
        RawMention(external_id="2", url=None, title="", body="b", rating=0.0),
    ]
    assert field_fill(items, ("title", "body", "published", "rating", "author")) == {
        "title": 1, "body": 2, "published": 1, "rating": 1, "author": 0}  # fmt: skip


def test_a_title_only_review_is_skipped_with_a_warning_naming_the_reason() -> None:
    page = parse(
        body=TITLE_ONLY.encode(),
        text=TITLE_ONLY,
        url="https://reviews.example/c/acme",
        content_type="text/html",
        settings=HtmlSettings(item="div.review", fields={"body": "div.text", "title": "h3.title"}),
    )
    assert [m.body for m in page.items] == ["Kept my money"]
    assert page.skipped == 2
    assert [(w.kind, w.text) for w in page.warnings] == [
        (PageWarning.SKIPPED, "1 item had no element for body selector 'div.text'"),
        (PageWarning.SKIPPED, "1 item had an empty body (selector 'div.text')"),
    ]


def test_skips_a_parser_did_not_explain_get_a_generic_warning() -> None:
    page = ParsedPage(items=[], skipped=5, warnings=[skipped_warning(3, "had no body")])
    explain_skips(page)
    assert [w.text for w in page.warnings] == ["3 items had no body", "2 items skipped: the parser could not read them"]
    explained = ParsedPage(items=[], skipped=1, warnings=[skipped_warning(1, "had no body")])
    explain_skips(explained)
    assert len(explained.warnings) == 1
