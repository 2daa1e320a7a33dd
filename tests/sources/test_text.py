"""sources.text: HTML to text, cleaning, dates, ratings and URLs from hostile pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from sources.text import (
    absolute_url,
    clean_id,
    clean_text,
    html_to_text,
    parse_datetime,
    parse_rating,
)

MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!]")


# ---- html_to_text ----------------------------------------------------------------------


def test_blocks_and_breaks_become_lines_and_entities_are_unescaped() -> None:
    html = (
        "<div><h2>Жалоба</h2><p>Банк &laquo;Пример&raquo; не&nbsp;вернул\n   деньги.<br>Второй раз!"
        "<br><br>Третий</p><ul><li>раз</li><li>два</li></ul>Итог</div>"
    )
    assert html_to_text(html) == (
        "Жалоба\n\nБанк «Пример» не вернул деньги.\nВторой раз!\n\nТретий\n\nраз\nдва\n\nИтог"
    )


def test_inline_elements_do_not_split_words_and_table_cells_are_spaced() -> None:
    assert html_to_text("Ива<b>нов</b> <i>И.</i>") == "Иванов И."
    assert html_to_text("<table><tr><td>Сумма</td><td>1 200 ₽</td></tr></table>") == "Сумма 1 200 ₽"


@pytest.mark.parametrize(
    "html",
    [
        "<p>ok</p><script>alert('x')</script>",
        "<p>ok</p><style>p{color:red}</style>",
        "<p>ok</p><template><b>hidden</b></template>",
        "<p>ok</p><noscript><img src=x onerror=alert(1)></noscript>",
        "<p>ok</p><iframe><script>alert(1)</script></iframe>",
        "<p>ok</p><textarea><img src=x onerror=alert(1)></textarea>",
        "<p>ok</p><xmp><b>raw</b></xmp>",
        "<p>ok</p><noembed><b>raw</b></noembed>",
        "<p>ok</p><svg><script>alert(1)</script><title>tip</title></svg>",
        "<p>ok<img src=x onerror=alert(1)></p>",
        "<p onclick='alert(1)'>ok</p>",
        "<p>ok</p><!-- <script>alert(1)</script> -->",
        "<p>ok</p><plaintext><b>raw</b>",
    ],
)
def test_no_markup_or_script_survives(html: str) -> None:
    text = html_to_text(html)
    assert text == "ok"
    assert not MARKUP.search(text)


def test_escaped_markup_is_kept_as_the_text_it_is() -> None:
    # Entity-escaped "<b>" is a character sequence the author typed, not markup.
    assert html_to_text("Я ввёл &lt;b&gt; в форму") == "Я ввёл <b> в форму"


def test_cyrillic_and_armenian_stay_intact() -> None:
    text = "Ёжик — ўсё — ґанок — Հայերեն տեքստ՝ ուշացում։"
    assert html_to_text(f"<p>{text}</p>") == text


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "<",
        "<<<>>>&&&;;",
        "</p></div></body>",
        "<div",
        "<a href='",
        "\x00\x01\x02<p>\x00</p>",
        "\ud800<p>lone surrogate</p>",
        "<!-- never closed",
        "<![CDATA[<script>x</script>]]>",
        "&#0;&#xD800;&#x110000;&#99999999999;",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "\ufdd0\ufdd1\ufdd2 sentinels",
    ],
)
def test_garbage_never_raises_and_yields_no_markup(garbage: str) -> None:
    text = html_to_text(garbage)
    assert isinstance(text, str)
    assert "onerror" not in text and "<script" not in text
    assert not any(c in text for c in "\x00\x01\ud800\ufdd0\ufdd1\ufdd2")


def test_runaway_nesting_is_cut_instead_of_stalling_the_parser() -> None:
    # lexbor needs a minute for 100,000 nested <div>; the depth guard keeps it instant.
    assert html_to_text("<p>до</p>" + "<div>" * 100_000 + "после") in ("", "до")


def test_plain_text_with_angle_brackets_is_not_mistaken_for_nesting() -> None:
    text = "цена a < b " * 20_000
    assert html_to_text(text).startswith("цена a < b цена")


# ---- clean_text ------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "   ", "\n\t\x00 \u202e"])
def test_clean_text_blank_is_none(value: str | None) -> None:
    assert clean_text(value) is None


def test_clean_text_removes_controls_and_bidi_overrides_keeps_newlines() -> None:
    hostile = "  Счёт\x00 на\x07 оплату\u202egnp.exe\r\nвторая\u2066 строка\n\n\n\nтретья\t\tстрока  "
    assert clean_text(hostile) == "Счёт на оплатуgnp.exe\nвторая строка\n\nтретья строка"


def test_clean_text_normalises_to_nfc_and_drops_lone_surrogates() -> None:
    assert clean_text("e\u0301 \ud800x") == "\u00e9 x"


def test_clean_text_single_line_and_limit() -> None:
    assert clean_text(" a\n b  \n\n c ", single_line=True) == "a b c"
    assert clean_text("абв " * 1_000, limit=10) == "абв абв аб"


# ---- parse_datetime --------------------------------------------------------------------

T = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-22T14:05:00Z", T),
        ("2026-11-22T17:05:00+03:00", T),
        ("2026-11-22 14:05", T),
        ("2026-11-22T14:05:00.123456789Z", T + timedelta(microseconds=123456)),
        ("Sun, 22 Nov 2026 17:05:00 +0300", T),
        ("Sun, 22 Nov 2026 14:05:00 GMT", T),
        (int(T.timestamp()), T),
        (int(T.timestamp()) * 1000, T),
        (str(int(T.timestamp())), T),
        (str(int(T.timestamp() * 1000)), T),
        ("22.11.2026 14:05", T),
        ("22/11/2026 14:05", T),
        ("14:05, 22.11.2026", T),
        ("Опубликовано 22.11.2026 в 14:05", T),
        ("22 ноября 2026 в 14:05", T),
        ("22 нояб. 2026 г., 14:05", T),
        ("22 листопада 2026 о 14:05", T),
        ("22 лістапада 2026 14:05", T),
        ("22. November 2026, 14:05 Uhr", T),
        ("22 նոյեմբերի 2026, 14:05", T),
        ("November 22, 2026 2:05 pm", T),
        ("22 Nov 2026", datetime(2026, 11, 22, tzinfo=UTC)),
        ("3 листопада 2026", datetime(2026, 11, 3, tzinfo=UTC)),
        ("22 ноября 2026", datetime(2026, 11, 22, tzinfo=UTC)),
        ("1 марта 2026", datetime(2026, 3, 1, tzinfo=UTC)),
        ("5 мая 2026", datetime(2026, 5, 5, tzinfo=UTC)),
        ("9 März 2026", datetime(2026, 3, 9, tzinfo=UTC)),
        (datetime(2026, 11, 22, 14, 5), T),  # naive is UTC
        (datetime(2026, 11, 22, 17, 5, tzinfo=timezone(timedelta(hours=3))), T),
        (date(2026, 11, 22), datetime(2026, 11, 22, tzinfo=UTC)),
    ],
)
def test_parse_datetime_formats(value: object, expected: datetime) -> None:
    found = parse_datetime(value)
    assert found == expected
    assert found is not None and found.tzinfo is UTC


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        "",
        "garbage",
        "12",
        "вчера",  # relative: needs a `now` parse_datetime is not given
        "2 hours ago",
        0,
        -5,
        float("nan"),
        "9999-01-01T00:00:00",
        "31.02.2026",
        "x" * 10_000,
        ["2026-11-22"],
    ],
)
def test_parse_datetime_garbage_is_none(value: object) -> None:
    assert parse_datetime(value) is None


def test_parse_datetime_library_fallback_for_unusual_formats() -> None:
    pytest.importorskip("dateparser")
    assert parse_datetime("Sunday, 22nd of November 2026") == datetime(2026, 11, 22, tzinfo=UTC)


# ---- parse_rating ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4", 4.0),
        ("4,5", 4.5),
        ("4.5", 4.5),
        ("4/5", 4.0),
        ("4.5 / 5", 4.5),
        ("8/10", 4.0),
        ("2 из 5", 2.0),
        ("3 з 5", 3.0),
        ("4 von 5", 4.0),
        ("4 out of 5", 4.0),
        ("80%", 4.0),
        ("★★☆☆☆", 2.0),
        ("⭐⭐⭐⭐", 4.0),
        ("★★★★½", 4.5),
        ("Оценка: 4", 4.0),
        ("stars stars-3", 3.0),
        (5, 5.0),
        (3.5, 3.5),
    ],
)
def test_parse_rating(value: object, expected: float) -> None:
    assert parse_rating(value) == expected


@pytest.mark.parametrize(
    "value", [None, True, "", "abc", "0", 0, 6, "7/5", "-1", "1 2", float("nan"), float("inf"), "☆☆☆☆☆", [4]]
)
def test_parse_rating_out_of_range_or_garbage_is_none(value: object) -> None:
    assert parse_rating(value) is None


# ---- absolute_url and clean_id ---------------------------------------------------------

BASE = "https://otzyvy.example/banks/list?page=1"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/r/1", "https://otzyvy.example/r/1"),
        ("r/1", "https://otzyvy.example/banks/r/1"),
        ("?page=2", "https://otzyvy.example/banks/list?page=2"),
        ("//cdn.example/x", "https://cdn.example/x"),
        (" \n/r/1 2\t", "https://otzyvy.example/r/1%202"),
        ("https://other.example/жалоба", "https://other.example/жалоба"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("file:///etc/passwd", None),
        ("http://[::1", None),
        ("/a\x00b", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_absolute_url(href: object, expected: str | None) -> None:
    assert absolute_url(BASE, href) == expected


def test_clean_id_accepts_ints_and_hashes_overlong_ids() -> None:
    assert clean_id(101) == "101"
    assert clean_id(" r-1\x00 ") == "r-1"
    assert clean_id(True) is None
    assert clean_id({"id": 1}) is None
    long_a, long_b = clean_id("a" * 600 + "1"), clean_id("a" * 600 + "2")
    assert long_a is not None and long_a.startswith("sha256:") and long_a != long_b
