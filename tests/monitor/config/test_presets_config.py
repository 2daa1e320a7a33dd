"""`preset:` in sources.yaml: a known site's settings under the source's own keys, errors naming the key."""

from __future__ import annotations

import pytest

from monitor.config import ConfigError, parse_config
from sources.html import HtmlSettings
from sources.structured import StructuredSettings

WATCH = """\
sources:
  - key: taxi-tp
    preset: trustpilot
    url: https://www.trustpilot.com/review/free-now.com
    interval: 1h
  - key: pg
    preset: pravogolosa
    url: http://pravogolosa.net/otzyvcategory?page=show_all
    interval: 30m
    language: uk
    html:
      max_pages: 2
      fields: {rating: "span.rate", body: "div.ads_text_main > div > span"}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path="watch.yaml", env={})
    return info.value.problems


def test_a_preset_fills_kind_and_settings_and_own_keys_win() -> None:
    tp, pg = parse_config(WATCH, path="watch.yaml", env={}).sources

    assert (tp.kind, tp.preset, tp.language) == ("structured", "trustpilot", None)
    assert tp.settings == StructuredSettings(format="json-ld")
    assert (pg.kind, pg.preset, pg.language) == ("html", "pravogolosa", "uk")  # the source's language, not ru
    assert isinstance(pg.settings, HtmlSettings)
    assert pg.settings.item == "div.ads_row, div.ad_card_info_data"
    assert pg.settings.max_pages == pg.spec().max_pages == 2
    f = pg.settings.fields
    assert (f.body, f.rating, f.author) == ("div.ads_text_main > div > span", "span.rate", "div.ads_authorname")
    # The preset's own field specs come through as specs.
    assert (f.title.select, f.title.own_text) == (("h3.adsmanager_cat a", "a.hasTip"), True)
    assert f.id.url_pattern == r"[?&]adid=(\d+)"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("preset: trustpilot", "preset: trustpiIot",
         "line 2: sources[0] [source 'taxi-tp']: preset: unknown preset 'trustpiIot' (known: irecommend, pissedconsumer, "
         "pravogolosa, reviewcentre, trustpilot)"),
        ("preset: trustpilot", "preset: trustpilot\n    kind: json",
         "line 2: sources[0] [source 'taxi-tp']: preset: 'trustpilot' is for kind 'structured', the source says kind "
         "'json' (drop `kind:` or the preset)"),
        ('rating: "span.rate"', 'rating: "span[["',
         "line 13: sources[1].html.fields.rating [source 'pg']: 'span[[' is not a valid CSS selector (got 'span[[')"),
        ("max_pages: 2", "max_pagez: 2", "line 12: sources[1].html.max_pagez [source 'pg']: unknown key (check its "
         "spelling and indentation)"),
        ("preset: trustpilot", "preset: trustpilot\n    structured: {format: rdfa}",
         "line 4: sources[0].structured.format [source 'taxi-tp']: Input should be 'auto', 'json-ld' or 'microdata' (got 'rdfa')"),
        ("preset: trustpilot", "preset: trustpilot\n    html: {item: div, fields: {body: p}}",
         "line 2: sources[0] [source 'taxi-tp']: section 'html:' does not belong to a source of kind 'structured'"),
    ],
)  # fmt: skip
def test_errors_in_a_preset_source_name_the_source_and_the_key(old: str, new: str, expected: str) -> None:
    assert problems(WATCH.replace(old, new)) == [expected]


def test_kind_structured_and_embedded_json_without_a_preset() -> None:
    text = """\
sources:
  - {key: s, kind: structured, url: "https://shop.example/p/1", interval: 1h}
  - key: e
    kind: embedded_json
    url: https://shop.example/p/2
    interval: 1h
    embedded_json: {items: props.pageProps.reviews, fields: {body: text}}
"""
    s, e = parse_config(text, env={}).sources
    assert s.settings is None and s.spec().kind == "structured"
    assert e.settings.script == "script#__NEXT_DATA__" and e.settings.fields.body == "text"
    assert problems(
        text.replace("    embedded_json: {items: props.pageProps.reviews, fields: {body: text}}\n", "")
    ) == ["line 3: sources[1] [source 'e']: a source of kind 'embedded_json' needs a 'embedded_json:' section"]
