"""Field specs in sources.yaml: a file using every key loads; each mistake names the source, the key and the line."""

from __future__ import annotations

import pytest

from monitor.config import ConfigError, parse_config
from sources.field_spec import FieldSpec

GOOD = """\
sources:
  - key: otzovik
    kind: html
    url: https://otzovik.example/shop/reviews/
    interval: 1h
    html:
      item: div.review
      timezone: Europe/Moscow
      fields:
        body: {select: [div.text, div.pros, div.cons], join: "\\n\\n"}
        title: [h3.title, h2]
        author: {select: p.by, own_text: true, strip_prefix: [от, by]}
        rating: {select: "span.stars@class", regex: 'rating-(\\d+)', scale: 50}
        published: {select: [time@datetime, span.date], formats: ["%B %Y", "%d.%m.%Y %H:%M"]}
        id: {select: "a.link@href", url_pattern: '/review/(\\d+)'}
        url: a.link
  - key: api
    kind: json
    url: https://api.example/reviews
    interval: 30m
    json:
      items: data.reviews
      timezone: Asia/Yerevan
      fields:
        body: [text, title]
        rating: {select: score, scale: 10}
        published: {select: created, formats: ["%d.%m.%Y"]}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path="watch.yaml")
    return info.value.problems


def test_a_file_with_every_spec_key_loads() -> None:
    config = parse_config(GOOD)
    html = config.source("otzovik").spec().settings
    assert html.timezone == "Europe/Moscow"
    assert isinstance(html.fields.body, FieldSpec) and html.fields.body.join == "\n\n"
    assert html.fields.title == ("h3.title", "h2")
    assert html.fields.rating.scale == 50
    json_settings = config.source("api").spec().settings
    assert json_settings.fields.body == ("text", "title")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "timezone: Europe/Moscow",
            "timezone: Europe/Moskva",
            "line 8: sources[0].html.timezone [source 'otzovik']: expected an IANA time zone such as Europe/Moscow",
        ),
        (
            "scale: 50",
            "scale: 0",
            "line 13: sources[0].html.fields.rating.scale [source 'otzovik']: Input should be greater than 0",
        ),
        (
            "regex: 'rating-(\\d+)'",
            "regex: '(rating)-(\\d+)'",
            "sources[0].html.fields.rating.regex [source 'otzovik']: '(rating)-(\\\\d+)' has 2 groups",
        ),
        (
            "title: [h3.title, h2]",
            "title: {select: h3.title, scale: 5}",
            "line 11: sources[0].html.fields.title [source 'otzovik']: scale applies only to the rating field(s)",
        ),
        (
            'formats: ["%B %Y", "%d.%m.%Y %H:%M"]',
            'formats: ["%B"]',
            "sources[0].html.fields.published.formats [source 'otzovik']: date format '%B' needs a year",
        ),
        (
            "title: [h3.title, h2]",
            "title: [h3.title, 'h2[']",
            "sources[0].html.fields.title[1] [source 'otzovik']: 'h2[' is not a valid CSS selector",
        ),
        (
            "own_text: true",
            "own_txt: true",
            "line 12: sources[0].html.fields.author.own_txt [source 'otzovik']: unknown key",
        ),
        (
            "body: [text, title]",
            "body: [text, 'title[?']",
            "sources[1].json.fields.body[1] [source 'api']: 'title[?' is not a JMESPath expression",
        ),
        (
            "timezone: Asia/Yerevan",
            "timezone: 42",
            "sources[1].json.timezone [source 'api']: Input should be a valid string",
        ),
    ],
)
def test_each_spec_mistake_names_the_source_and_the_key(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    assert any(expected in p for p in found), found
    # One mistake, one message: a spec is not also reported as "not a string" and "not a list".
    assert len(found) == 1, found
