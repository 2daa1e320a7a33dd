from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.config import ConfigError, find_config_path, load_config, parse_config, parse_duration, parse_size

GOOD = """\
contact_url: https://care.acme.example/replywatch
brands:
  - key: acme
    name: Acme
    names: [Акме, Acme, Ակմե]
    timezone: Europe/Moscow
sources:
  - key: board-rss
    kind: feed
    url: https://board.example/acme.rss
    interval: 15m
    brand: acme
    headers:
      Authorization: Bearer ${BOARD_TOKEN}
  - key: reviews-html
    kind: html
    url: https://reviews.example/acme
    interval: 1h30m
    language: ru
    politeness: {obey_robots: false, min_delay: 2s, max_bytes: 1MiB}
    html:
      item: article.review
      fields: {body: div.text, id: "@data-id", url: "a.permalink@href"}
      next_page: a.next@href
      max_pages: 3
  - key: api-json
    kind: json
    url: https://api.example/reviews?brand=acme
    interval: 30s
    json:
      items: data.reviews
      fields: {body: text, id: id, author: user.name}
"""


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path="watch.yaml", env=env or {})
    assert str(info.value).startswith("watch.yaml: invalid config")
    return info.value.problems


def test_a_good_file_loads_with_secrets_from_the_environment() -> None:
    config = parse_config(GOOD, path="watch.yaml", env={"BOARD_TOKEN": "s3cr3t"})
    assert [s.key for s in config.sources] == ["board-rss", "reviews-html", "api-json"]
    assert config.sources[0].headers == {"Authorization": "Bearer s3cr3t"}
    assert config.sources[1].interval == timedelta(hours=1, minutes=30)
    spec = config.sources[1].spec()
    assert (spec.obey_robots, spec.min_delay, spec.max_bytes, spec.max_pages) == (False, 2.0, 2**20, 3)
    assert config.fetcher_settings().user_agent == "replywatch/0.1 (+https://care.acme.example/replywatch)"
    assert config.brands[0].names == ["Акме", "Acme", "Ակմե"]


def test_an_unset_variable_names_the_key_path_and_line() -> None:
    found = problems(GOOD)
    assert found == ["line 14: sources[0].headers.Authorization: environment variable BOARD_TOKEN is not set"]


def test_a_default_in_the_reference_is_used_when_the_variable_is_unset() -> None:
    config = parse_config(GOOD.replace("${BOARD_TOKEN}", "${BOARD_TOKEN:-none}"), env={})
    assert config.sources[0].headers["Authorization"] == "Bearer none"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "interval: 15m",
            "interval: 15 minutes",
            "line 11: sources[0].interval [source 'board-rss']: expected a duration such as 30s, 15m, 1h or 1d (got '15 minutes')",
        ),
        (
            "kind: feed",
            "kind: rss",
            "line 9: sources[0].kind [source 'board-rss']: Input should be 'embedded_json', 'feed', 'html', 'json' or 'structured' (got 'rss')",
        ),
        (
            "url: https://board.example/acme.rss",
            "url: board.example/acme.rss",
            "line 10: sources[0].url [source 'board-rss']: expected an absolute http:// or https:// URL (got 'board.example/acme.rss')",
        ),
        ("brand: acme\n", "brand: acne\n", "sources[0].brand: 'acne' is not a brand in this file (brands: acme)"),
        ("key: api-json", "key: board-rss", "sources[2].key: 'board-rss' is already used by sources[0]"),
        (
            "max_pages: 3",
            "max_pages: 500",
            "line 25: sources[1].html.max_pages [source 'reviews-html']: Input should be less than or equal to 50 (got 500)",
        ),
        (
            "next_page: a.next@href",
            "next_page: a.next@",
            "sources[1].html.next_page [source 'reviews-html']: 'a.next@': after '@' expected an attribute name",
        ),
        (
            "items: data.reviews",
            "items: data.[reviews",
            "sources[2].json.items [source 'api-json']: 'data.[reviews' is not a JMESPath expression",
        ),
        (
            "timezone: Europe/Moscow",
            "timezone: Mars/Olympus",
            "line 6: brands[0].timezone: expected an IANA time zone such as Europe/Moscow (got 'Mars/Olympus')",
        ),
        (
            "    language: ru\n",
            "    langauge: ru\n",
            "line 19: sources[1].langauge [source 'reviews-html']: unknown key (check its spelling and indentation)",
        ),
        (
            "      fields: {body: text, id: id, author: user.name}",
            "      fields: {id: id}",
            "sources[2].json.fields.body [source 'api-json']: required key is missing",
        ),
        ("interval: 30s", "interval: 0s", "interval: 0.0s is too short; expected at least 1s"),
    ],
)
def test_each_mistake_is_named_with_its_path_value_and_expectation(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1), env={"BOARD_TOKEN": "x"})
    assert any(expected in p for p in found), found


def test_a_section_of_another_kind_and_a_missing_section_are_errors() -> None:
    found = problems(GOOD.replace("    json:\n      items", "    html:\n      items"), env={"BOARD_TOKEN": "x"})
    assert any("sources[2].html.items [source 'api-json']: unknown key" in p for p in found), found
    found = problems(
        GOOD.replace("    json:\n      items: data.reviews\n", "    feed: {}\n    x:\n      items: data.reviews\n"),
        env={"BOARD_TOKEN": "x"},
    )
    assert any("sources[2].x [source 'api-json']: unknown key" in p for p in found), found
    text = "sources:\n  - {key: a, kind: json, url: 'https://x.example', interval: 1m}\n"
    assert problems(text) == ["line 2: sources[0] [source 'a']: a source of kind 'json' needs a 'json:' section"]
    text = "sources:\n  - {key: a, kind: feed, url: 'https://x.example', interval: 1m, html: {item: x, fields: {body: y}}}\n"
    assert problems(text) == [
        "line 2: sources[0] [source 'a']: section 'html:' does not belong to a source of kind 'feed'"
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"sources: [\n", "not valid YAML"),
        (b"- just\n- a list\n", "expected a mapping at the top"),
        ("brands: []\nsources: []\n# \u0410\u043a\u043c\u0435".encode("cp1251"), "not UTF-8; save the file as UTF-8"),
        (b"sources: 12\n", "sources: Input should be a valid list"),
        (b"sources:\n  - !!python/object/apply:os.system [echo pwned]\n", "not valid YAML"),
    ],
)
def test_malformed_hostile_and_wrongly_encoded_files_are_refused(raw: bytes, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, path="bad.yaml", env={})
    assert any(expected in p for p in info.value.problems), info.value.problems


def test_an_empty_file_is_a_valid_empty_watch_list() -> None:
    config = parse_config(b"", env={})
    assert config.sources == [] and config.brands == []


def test_a_huge_watch_list_loads() -> None:
    entries = "".join(
        f"  - {{key: s{i}, kind: feed, url: 'https://b{i % 97}.example/{i}.rss', interval: {5 + i % 50}m}}\n"
        for i in range(3000)
    )
    config = parse_config("sources:\n" + entries, env={})
    assert len(config.sources) == 3000


def test_the_file_is_found_by_flag_then_environment_then_working_directory(tmp_path: Path) -> None:
    assert find_config_path("x.yaml", env={"REPLYWATCH_CONFIG": "y.yaml"}) == Path("x.yaml")
    assert find_config_path(None, env={"REPLYWATCH_CONFIG": "y.yaml"}) == Path("y.yaml")
    assert find_config_path(None, env={}) == Path("sources.yaml")
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "missing.yaml", env={})
    path = tmp_path / "w.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert load_config(path, env={"BOARD_TOKEN": "t"}).path == str(path)


@pytest.mark.parametrize(
    ("value", "seconds"), [("30s", 30), ("15m", 900), ("1h30m", 5400), ("2d", 172800), (45, 45), ("1.5h", 5400)]
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value).total_seconds() == seconds


@pytest.mark.parametrize("value", ["", "15", "m15", "15 mins", "-5m", True, None, [1]])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


def test_sizes() -> None:
    assert parse_size("5MiB") == 5 * 2**20
    assert parse_size("500kb") == 500_000
    assert parse_size(1024) == 1024
    with pytest.raises(ValueError, match="size"):
        parse_size("lots")


def test_css_selectors_are_checked_when_the_file_is_loaded() -> None:
    found = problems(GOOD.replace("item: article.review", "item: article..review"), env={"BOARD_TOKEN": "x"})
    assert any(
        "sources[1].html.item [source 'reviews-html']: 'article..review' is not a valid CSS selector" in p
        for p in found
    ), found
    text = GOOD.replace('url: "a.permalink@href"', "url: 'a[href^=\"mailto:x@y\"]@href'")
    assert "mailto" in text
    fields = parse_config(text, env={"BOARD_TOKEN": "x"}).sources[1].settings.fields
    assert fields.url == 'a[href^="mailto:x@y"]@href'
    from sources.selectors import parse_selector

    assert parse_selector(fields.url).css == 'a[href^="mailto:x@y"]' and parse_selector(fields.url).attr == "href"


def test_relative_report_folders_sit_next_to_the_file_or_under_reports_dir(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "sources.yaml"
    path.parent.mkdir()
    path.write_text("reports:\n  - {key: weekly, cron: '0 9 * * mon', folder: out}\n", encoding="utf-8")
    assert load_config(path, env={}).reports[0].folder == path.parent / "out"
    # A container mounts the watch list read-only and gives reports a volume of their own.
    moved = load_config(path, env={"REPLYWATCH_REPORTS_DIR": "/data/reports"})
    assert moved.reports[0].folder == Path("/data/reports/out")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("90", "cases.customers.link_at: is a probability now (0-1), not a score 0-100: write 0.9 for 90 (got 90)"),
        ("0", "cases.customers.link_at: Input should be greater than 0"),
        ("1.5", "is a probability now (0-1), not a score 0-100: write 0.015 for 1.5"),
        ("'high'", "cases.customers.link_at: Input should be a valid number"),
    ],
)
def test_link_at_is_a_probability(value: str, expected: str) -> None:
    found = problems(GOOD + f"\ncases:\n  customers:\n    link_at: {value}\n", env={"BOARD_TOKEN": "x"})
    assert any(expected in p for p in found), found


def test_suggest_at_above_link_at_is_refused() -> None:
    found = problems(
        GOOD + "\ncases:\n  customers:\n    link_at: 0.9\n    suggest_at: 0.95\n", env={"BOARD_TOKEN": "x"}
    )
    assert any("suggest_at (0.95) must not be above link_at (0.9)" in p for p in found), found


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("X-Token: токен", "header 'X-Token': 'т' at character 1 is not ASCII"),
        ("Authorization: Bearer ${BOARD_TOKEN}", "header 'Authorization': '’' at character 12 is not ASCII"),
        ('"X Token": abc', "header name 'X Token' is not a valid HTTP header name"),
        ('X-Two: "a\\r\\nHost: evil.example"', "header 'X-Two': a line break or NUL at character 2"),
    ],
)
def test_a_header_the_fetcher_could_not_send_is_refused_naming_the_source_and_header(
    header: str, expected: str
) -> None:
    # httpx encodes header values as ASCII: such a value used to pass the config and raise
    # UnicodeEncodeError at every poll of the source. The environment's value is checked too.
    text = GOOD.replace("Authorization: Bearer ${BOARD_TOKEN}", header)
    found = problems(text, env={"BOARD_TOKEN": "s3cr’t"})
    assert any(p.startswith("line 13: sources[0].headers [source 'board-rss']") and expected in p for p in found), found


def test_an_ascii_header_with_punctuation_loads() -> None:
    text = GOOD.replace("Authorization: Bearer ${BOARD_TOKEN}", 'X-Api-Key: "a-b_c.d~e+f/g=;q=0.5, *"')
    config = parse_config(text, path="watch.yaml", env={})
    assert config.sources[0].headers == {"X-Api-Key": "a-b_c.d~e+f/g=;q=0.5, *"}
