"""sources.text: HTML to text, cleaning and URLs from hostile pages."""

from __future__ import annotations

import random
import re
import unicodedata
from html import unescape

import pytest

from bench.feedserver import FeedSet
from sources import text as text_module
from sources.text import (
    absolute_url,
    clean_id,
    clean_text,
    html_to_text,
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


# Markup and scripts around a word: only the word is left.
MARKED = [
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
]
# Broken or hostile input: never an exception, never markup.
GARBAGE = [
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
]


@pytest.mark.parametrize(("html", "expected"), [(h, "ok") for h in MARKED] + [(g, None) for g in GARBAGE])
def test_no_markup_or_script_survives_and_garbage_never_raises(html: str, expected: str | None) -> None:
    text = html_to_text(html)
    assert isinstance(text, str)
    assert "onerror" not in text and "<script" not in text
    assert not any(c in text for c in "\x00\x01\ud800\ufdd0\ufdd1\ufdd2")
    if expected is not None:
        assert text == expected
        assert not MARKUP.search(text)


def test_escaped_markup_is_kept_as_the_text_it_is() -> None:
    # Entity-escaped "<b>" is a character sequence the author typed, not markup.
    assert html_to_text("Я ввёл &lt;b&gt; в форму") == "Я ввёл <b> в форму"


def test_cyrillic_and_armenian_stay_intact() -> None:
    text = "Ёжик — ўсё — ґанок — Հայերեն տեքստ՝ ուշացում։"
    assert html_to_text(f"<p>{text}</p>") == text


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


def _flow_reference(raw: str) -> str:
    """The rule `_flow_text` implements, written out plainly: whitespace collapsed, sentinels made line breaks,
    NFC, every line stripped of spaces, at most one blank line in a row, the ends stripped."""
    text = text_module._BREAK_RUN.sub(text_module._breaks, " ".join(raw.split()))
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.strip(" ") for line in text.split("\n"))
    return re.sub("\n{3,}", "\n\n", text).strip()


def test_multi_line_text_takes_the_short_way_only_where_it_gives_the_same_text() -> None:
    # Bodies and replies (spaces next to breaks, tabs, newlines in the source) in the languages the sites use,
    # some with a combining accent (not NFC: the long way); the short way must read them all as the rule does.
    words = ["Курьер", "опоздал", "Ввічливий", "Пасылку", "Պատվերը", "Köln", "refund.", "e\u0301", "«так»", "—"]
    pieces = [*words, " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\ufdd0", "\ufdd1", "\ufdd2", " \ufdd1 "]
    rng = random.Random(13)
    for _ in range(3_000):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 16)))
        expected = _flow_reference(raw)
        assert text_module._flow_text(raw, single_line=False, limit=None) == expected, raw
        cut = text_module._flow_text(raw, single_line=False, limit=7)
        assert cut == expected[:7].rstrip(), raw


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


@pytest.mark.parametrize(
    "base", ["https://otzovik.example/shop/reviews/", "http://x.example/a/b?c=d#e", "https://u:p@h.example:8443/x",
             "https://h.example", "HTTPS://Up.Example/A", "https://[::1]:80/r", "ftp://x/y", "http:///nohost"],
)  # fmt: skip
def test_a_link_taken_the_short_way_joins_as_urljoin_joins_it(base: str) -> None:
    # The short ways for "/review/1" and "https://h/review/1" must give what urljoin gives, and every link it cannot give so right
    # (dot segments, doubled slashes, an empty query or fragment, spaces, controls) takes the long way.
    from urllib.parse import urljoin, urlsplit

    hrefs = ["/shop/review/1000", "/a//b", "/a/./b", "/a/../b", "/p?q=1#f", "/p;x=1/q", "/%20x", "/ж/ы", "/a b",
             "/a\tb", "/", "/?", "/#", "/p?#f", "/p?q#", "/a?b=/../c", "/.hidden", "/x" * 3000,
             # absolute links: the short way gives them back as they are, only where urljoin does too
             "https://otzovik.example/shop/review/1001/", "http://h.example", "https://h.example?q=1",
             "https://h.example#f", "https://u:p@h.example:8443/x?y=1#z", "https://h.example/a/../b",
             "https://h.example//a", "https://h.example/p?", "https://h.example/p#", "https://h.example/p;",
             "https://h.example/p;x?y", "https://[::1]:80/r", "https://[::1/r", "https:///nohost", "https://",
             "https://h.example/ж", "https://h.example/a b", "HTTPS://H.example/x", "https://h.example:abc/",
             "http://h.example/p?#f", "https://h.example/" + "x" * 5000]  # fmt: skip
    for href in hrefs:
        cleaned = href.replace("\t", "").replace(" ", "%20")
        try:
            url = urljoin(base, cleaned)
            parts = urlsplit(url)
        except ValueError:  # "https://[::1/r"
            url, ok = "", False
        else:
            ok = parts.scheme in ("http", "https") and bool(parts.netloc) and len(url) <= 4096
        assert absolute_url(base, href) == (url if ok else None), (base, href)


def test_clean_id_accepts_ints_and_hashes_overlong_ids() -> None:
    assert clean_id(101) == "101"
    assert clean_id(" r-1\x00 ") == "r-1"
    assert clean_id(True) is None
    assert clean_id({"id": 1}) is None
    long_a, long_b = clean_id("a" * 600 + "1"), clean_id("a" * 600 + "2")
    assert long_a is not None and long_a.startswith("sha256:") and long_a != long_b


def test_simple_fragments_read_without_a_tree_give_the_tree_s_text() -> None:
    rng = random.Random(7)
    pieces = [
        "<p>", "</p>", "<P>", "<br>", "<br/>", "<BR />", "<b>", "</b>", "<i>", "</i>", "<strong>", "</em>",
        "<span>", "</span>", "<u>", " ", "  ", "\n", "\r\n", "\t", "\xa0", "\u2028", "\ufdd0", "\ufdd1",
        "Жалоба", "money back", "Ärger ß", "Պատվեր", "!", ">", "a", "😡", "\u202e", "\x85", "\x0c",
    ]  # fmt: skip
    feeds = FeedSet(sources=1, items=20)
    samples = [f"<p>{x}</p>" for x in ("", " ", "a  b", "x\ny")]
    samples += [unescape(d) for d in re.findall(r"<description>(.*?)</description>", feeds.bodies[0].decode())]
    samples += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    shortcut = 0
    for html in samples:
        for limit in (None, 5, 100_000):
            assert html_to_text(html, limit=limit) == text_module._tree_text(html, limit), (html, limit)
        shortcut += text_module._simple_text(html, None) is not None
    assert shortcut > 2000  # most of them took the shortcut


@pytest.mark.parametrize(
    "html",
    ["<p class=x>a</p>", "a &amp; b", "<div>a</div>", "a < b", "<!-- c -->a", "</br>", "<script>x</script>", "a\x00b"],
)
def test_anything_else_takes_the_tree(html: str) -> None:
    assert text_module._simple_text(html, None) is None
