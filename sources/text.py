"""Safe plain values from hostile pages: text, URLs, ids, dates, ratings.

Nothing here raises on garbage (it gives None or ""), so one bad field costs one field,
not the item or the page. HTML becomes text on the lexbor tree: never-visible elements
are detached, block boundaries get sentinel characters *inside* the tree, then source
whitespace collapses to spaces and only sentinels become line breaks. The sentinels are
Unicode noncharacters (U+FDD0..U+FDD2), reserved by the standard for internal use.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

__all__ = [
    "AUTHOR_MAX",
    "BODY_MAX",
    "REPLIES_MAX",
    "REPLY_MAX",
    "TITLE_MAX",
    "absolute_url",
    "clean_id",
    "clean_text",
    "html_to_text",
    "node_text",
    "parse_html",
    "prepare_node",
]

# Caps per field, so one hostile item cannot bloat storage; HTML is cut before parsing
# past _HTML_MAX, which still leaves far more than BODY_MAX of text.
TITLE_MAX, BODY_MAX, AUTHOR_MAX, REPLY_MAX, REPLIES_MAX = 1_000, 100_000, 300, 20_000, 50
_ID_MAX, _URL_MAX, _HTML_MAX = 500, 4_096, 8_000_000

# Never visible text. Raw-text and RCDATA elements (iframe ... textarea) keep their
# content as one text node, so markup inside them would come out verbatim.
_DROP_TAGS = frozenset(
    [
        "script",
        "style",
        "template",
        "noscript",
        "iframe",
        "noembed",
        "noframes",
        "xmp",
        "plaintext",
        "title",
        "textarea",
    ]
)
_PARA, _LINE, _BR = "\ufdd0", "\ufdd1", "\ufdd2"
_SENTINELS = _PARA + _LINE + _BR
# What goes before and after each element that breaks the flow of text. As UTF-8 bytes: selectolax inserts
# bytes as they are, where a str is encoded again on every insertion (hundreds a page).
_PARAGRAPH_TAGS = "p h1 h2 h3 h4 h5 h6 blockquote pre table ul ol dl hr section article aside header footer figure"
_LINE_TAGS = "div li tr dt dd figcaption summary caption legend option main nav form fieldset details address"
_PARA_B, _LINE_B, _BR_B = _PARA.encode(), _LINE.encode(), _BR.encode()
_AROUND: dict[str, tuple[bytes | None, bytes | None]] = {
    **dict.fromkeys(_PARAGRAPH_TAGS.split(), (_PARA_B, _PARA_B)),
    **dict.fromkeys(_LINE_TAGS.split(), (_LINE_B, _LINE_B)),
    "td": (None, b" "),
    "th": (None, b" "),
    "br": (_BR_B, None),
}

# No optional space in front: with one, the regex stops at every space of the text. A space
# left before a break is stripped with the line's ends by clean_text.
_BREAK_RUN = re.compile(f"[{_SENTINELS}][ {_SENTINELS}]*")
# Removed from every string: C0/C1 controls (keeping \n and \t, which the whitespace pass
# handles), bidi embeddings/overrides/isolates (spoof the order text is shown in), BOM,
# lone surrogates (cannot be stored as UTF-8) and noncharacters (our sentinels among them).
_JUNK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_ODD_SPACE = re.compile(r"[^\S\n ]")
_SPACE_RUN = re.compile(" {2,}")
_MANY_NL = re.compile(r"\n{3,}")

# lexbor's tree builder scans the stack of open elements for each block start tag, so its
# time grows with elements x depth: 20,000 nested <div> take 1.3 s, 100,000 a minute. Real
# pages nest a few dozen levels and close most tags; a document whose tags are nearly all
# openings is checked chunk by chunk, and cut where its estimated depth passes _MAX_DEPTH.
# This stops runaway nesting (broken generators, naive bombs) for the price of two
# str.count on ordinary pages; a page crafted against the count is still bounded by the
# fetcher's size cap (a 2 MB "sawtooth" of 1,000-deep divs parses in about a second).
_MAX_DEPTH = 1_000
_DEPTH_CHUNK = 8_192
# Tags that never nest. Disjoint prefixes, so no "<" is subtracted twice (that would hide
# real nesting).
_NEUTRAL_OPEN = ("<br", "<img", "<input", "<meta", "<link", "<hr", "<!", "<?", "<p>", "<p ", "<li>", "<li ")
_NEUTRAL_OPEN += ("<td", "<tr>", "<tr ", "<option", "<source", "<wbr", "<col", "<area", "<base", "<embed")
_NEUTRAL_CLOSE = ("</p>", "</li>", "</td>", "</tr>", "</option>")
_START_TAG = re.compile("<[a-z!?]")  # "a < b" in text is no tag


def html_to_text(html: str, *, limit: int | None = None) -> str:
    """Plain text of an HTML fragment or document, cut to `limit` characters; "" for
    empty or unreadable input."""
    if not html:
        return ""
    if "<" not in html and "&" not in html:
        # No markup: only HTML's whitespace rule applies (source newlines are spaces).
        return clean_text(html[:_HTML_MAX], single_line=True, limit=limit) or ""
    if (simple := _simple_text(html, limit)) is not None:
        return simple
    return _tree_text(html, limit)


def _tree_text(html: str, limit: int | None) -> str:
    tree, _ = parse_html(html)
    root = None if tree is None else tree.body or tree.root
    if root is None:
        return ""
    prepare_node(root)
    return node_text(root, limit=limit)


# Text with only bare <p>, <br> and inline tags, no entity and no odd character: what most
# feeds put in a description. Its tree would add nothing but the sentinels around the
# paragraphs and before the line breaks, so they are put in by replacement instead, five
# times faster; tests/sources/test_text.py checks that both ways give the same text.
_SIMPLE_TAG = re.compile("</?(p|b|i|u|em|strong|span)>|<br ?/?>", re.IGNORECASE)
# What is left to read once those tags are replaced means the tree is needed after all.
_NOT_SIMPLE = re.compile("[<&\x00-\x08\x0b\x0e-\x1f\ud800-\udfff]")


def _simple_text(html: str, limit: int | None) -> str | None:
    """`html_to_text` of a simple fragment without a tree, or None when it is not that simple."""
    if len(html) > _HTML_MAX or _too_deep_at(html) is not None:
        return None
    if any(c in html for c in _SENTINELS):
        html = html.translate(_STRIP_SENTINELS)
    raw = _SIMPLE_TAG.sub(_sentinel, html)
    if _NOT_SIMPLE.search(raw):
        return None
    if limit is not None:
        raw = raw[: limit * 4 + 1_000]  # as node_text does
    return _flow_text(raw, single_line=False, limit=limit)


def _sentinel(match: re.Match[str]) -> str:
    name = (match.group(1) or "br").lower()
    return _PARA if name == "p" else _BR if name == "br" else ""


def parse_html(html: str) -> tuple[LexborHTMLParser | None, int | None]:
    """The lexbor tree of `html` (None if lexbor refuses it), and the offset where the
    HTML was cut for size or nesting (None if read whole). Our sentinels are removed."""
    cut = _HTML_MAX if len(html) > _HTML_MAX else None
    html = html[:_HTML_MAX]
    if (deep := _too_deep_at(html)) is not None:
        cut, html = deep, html[:deep]
    if any(c in html for c in _SENTINELS):
        html = html.translate(_STRIP_SENTINELS)
    try:
        return LexborHTMLParser(html), cut
    except (SelectolaxError, ValueError, TypeError):
        return None, cut


def _too_deep_at(html: str) -> int | None:
    tags = html.count("<")
    if tags <= _MAX_DEPTH or html.count("</") * 5 > tags:
        return None
    depth = 0
    for start in range(0, len(html), _DEPTH_CHUNK):
        chunk = html[start : start + _DEPTH_CHUNK].lower()
        closes = chunk.count("</") - sum(map(chunk.count, _NEUTRAL_CLOSE))
        opens = len(_START_TAG.findall(chunk)) - sum(map(chunk.count, _NEUTRAL_OPEN))
        depth = max(0, depth + opens - closes)
        if depth > _MAX_DEPTH:
            return start
    return None


_STRIP_SENTINELS = dict.fromkeys(map(ord, _SENTINELS))


def select_all(node: LexborNode | LexborHTMLParser, css: str) -> list[LexborNode]:
    """Every element `css` matches under `node`, once each, in document order.

    lexbor lists an element once for each part of a selector list it matches (`div.a, div.b`
    gives `<div class="a b">` twice, next to each other): an item selector written with
    overlapping parts would double the item, a join field its text."""
    seen: set[int] = set()
    return [n for n in node.css(css) if not (n.mem_id in seen or seen.add(n.mem_id))]


def prepare_node(node: LexborNode) -> list[tuple[LexborNode, str]] | None:
    """Mutate the subtree so that `node_text` reads it as plain text with line breaks.

    Run once per subtree before reading texts from it or from nodes inside it. The
    page's own text cannot contain the sentinels when the tree came from `parse_html`.
    The node itself counts as part of its subtree (as a CSS search from it would).
    Returns the subtree's elements with their tags in document order, the node first (what a
    caller would walk again: sources/quick_select.py), or None when elements were dropped.
    """
    # One walk in Python instead of two CSS searches: lexbor parses a selector on every call,
    # and parsing the 40-part break list for each item of a page cost more than the walk.
    walked: list[tuple[LexborNode, str]] = []
    drops: list[LexborNode] = []
    breaks: list[tuple[LexborNode, tuple[bytes | None, bytes | None]]] = []
    for el in node.traverse():
        tag = el.tag or ""
        walked.append((el, tag))
        if (around := _AROUND.get(tag)) is not None:
            breaks.append((el, around))
        elif tag in _DROP_TAGS:
            drops.append(el)
    # Sentinels first, then the drops: a sentinel put inside a dropped element leaves with it,
    # and one put beside it stays, as when the drops came first.
    for el, (before, after) in breaks:
        if before:
            el.insert_before(before)
        if after:
            el.insert_after(after)
    for el in drops:
        # Detach only: a recursive delete frees nodes a caller may still hold a wrapper for.
        el.decompose(recursive=False)
    return None if drops else walked


def node_text(node: LexborNode, *, single_line: bool = False, limit: int | None = None, own: bool = False) -> str:
    """Text of a node of a subtree already passed through `prepare_node`; with `own`, only the
    node's own text nodes ("Tina" of `Tina <span>from Nottingham</span>`)."""
    raw = node.text(deep=not own)
    if limit is not None:
        raw = raw[: limit * 4 + 1_000]  # bounds the work; clean_text makes the real cut
    return _flow_text(raw, single_line=single_line, limit=limit)


def _flow_text(raw: str, *, single_line: bool, limit: int | None) -> str:
    """Text with sentinels made plain: spaces collapsed, sentinels turned into line breaks."""
    # str.split() collapses all whitespace, source newlines included, at C speed.
    text = " ".join(raw.split())
    if text.isprintable() and unicodedata.is_normalized("NFC", text):
        # Most values: no sentinel (a noncharacter, so not printable), no newline, no control, no space run
        # and nothing at the ends to strip: all that clean_text would still do is the cut.
        if limit is not None and len(text) > limit:
            text = text[:limit].rstrip()
        return text
    if single_line:
        text = text.replace(_PARA, " ").replace(_LINE, " ").replace(_BR, " ")
    elif _PARA in text or _LINE in text or _BR in text:
        text = _BREAK_RUN.sub(_breaks, text)
        if (
            (limit is None or len(text) <= limit * 4 + 1_000)
            and text.replace("\n", " ").isprintable()
            and unicodedata.is_normalized("NFC", text)
        ):
            # A multi-line value with nothing else to clean (the usual body or reply): single spaces only, none
            # after a break (the run took it), no more than two newlines in a row (one run gives at most two).
            # What clean_text would still do: drop the space before each break, strip the ends, cut.
            text = text.replace(" \n", "\n").strip()
            if limit is not None and len(text) > limit:
                text = text[:limit].rstrip()
            return text
    return clean_text(text, single_line=single_line, limit=limit) or ""


def _breaks(match: re.Match[str]) -> str:
    run = match.group()
    if _PARA in run:
        return "\n\n"
    return "\n" * min(2, max(run.count(_BR), 1))


def clean_text(s: str | None, *, single_line: bool = False, limit: int | None = None) -> str | None:
    """Normalise one text value: NFC, no control or bidi-override characters,
    spaces collapsed, at most one blank line in a row; newlines too become spaces
    when `single_line`. Cut to `limit` characters. None or blank gives None.
    """
    if not s:
        return None
    if limit is not None and len(s) > limit * 4 + 1_000:
        s = s[: limit * 4 + 1_000]  # bounds the work; the cut below is the one that counts
    # Most values (an href, a class, a name) have no newline, no control and are already NFC: only space
    # runs, the ends and the cut are left to do for them.
    if not (s.isprintable() and unicodedata.is_normalized("NFC", s)):
        # Most other text has no character outside the printable set but newlines.
        if not s.replace("\n", " ").isprintable():
            s = _ODD_SPACE.sub(" ", _JUNK.sub("", _LINE_BREAKS.sub("\n", s)))
        if not unicodedata.is_normalized("NFC", s):
            s = unicodedata.normalize("NFC", s)
        if single_line:
            s = s.replace("\n", " ")
    if "  " in s:
        s = _SPACE_RUN.sub(" ", s)
    if "\n" in s:
        # What stripping each line of spaces did, as two C passes: no run of spaces is left here, so a line
        # has at most one space at either end (the text's own two ends go with the strip below).
        s = s.replace(" \n", "\n").replace("\n ", "\n")
        if "\n\n\n" in s:
            s = _MANY_NL.sub("\n\n", s)
    s = s.strip()
    if limit is not None and len(s) > limit:
        s = s[:limit].rstrip()
    return s or None


def clean_id(value: object) -> str | None:
    """An external id as text; ints allowed. Overlong ids are hashed, not cut, so two
    different ids never collide on a shared prefix."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    s = clean_text(value, single_line=True) if isinstance(value, str) else None
    return "sha256:" + hashlib.sha256(s.encode()).hexdigest() if s and len(s) > _ID_MAX else s


_URL_STRIP = "".join(map(chr, range(0x21)))
_URL_TABS = re.compile(r"[\t\n\r]")
_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _plain_path(href: str) -> bool:
    # urljoin removes dot segments, doubled slashes and an empty query or fragment ("/p?", "/p#"): such
    # links take the long way.
    return (
        "/." not in href
        and "//" not in href
        and " " not in href
        and "?#" not in href
        and not href.endswith(("?", "#"))
        and href.isprintable()
    )


def _plain_absolute(href: str) -> bool:
    """An http(s) link, scheme in lower case, that urljoin returns unchanged: printable ASCII without spaces,
    a host (no IPv6 brackets, which urlsplit checks), and none of what _plain_path sends the long way, nor
    `;` (urljoin drops an empty `;params`)."""
    rest = href[href.index("//") + 2 :]
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return (
        len(href) <= _URL_MAX
        and href.isascii()
        and _plain_path(rest)
        and bool(host)
        and "[" not in host
        and "]" not in host
        and ";" not in rest
    )


@lru_cache(maxsize=256)
def _origin(base: str) -> str | None:
    """`scheme://netloc` of an http(s) page URL, or None."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or len(base) > _URL_MAX:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def absolute_url(base: str, href: object) -> str | None:
    """`href` resolved against `base`; None unless the result is an http(s) URL.

    Other schemes (javascript:, data:, file:) are refused because the URL is later shown
    to staff as a link.
    """
    if not isinstance(href, str) or not href:
        return None
    # The common root-relative link ("/review/123"): the page's origin and the link, as urljoin would give
    # them when the path has no dot segment and no doubled slash, at a tenth of its cost.
    if (
        href[0] == "/"
        and href[1:2] != "/"
        and _plain_path(href)
        and (origin := _origin(base)) is not None
        and len(origin) + len(href) <= _URL_MAX
    ):
        return origin + href
    if href.startswith(("https://", "http://")) and _plain_absolute(href):
        # urljoin gives such a link back as it is (taken apart and put together again unchanged), at a tenth
        # of the cost: half the links of a listing page are absolute.
        return href
    # As browsers do: trim controls and spaces at the ends, drop tabs and newlines inside,
    # refuse other controls, and encode inner spaces.
    href = _URL_TABS.sub("", href.strip(_URL_STRIP))
    if not href or len(href) > _URL_MAX or _URL_CONTROL.search(href):
        return None
    href = href.replace(" ", "%20")
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > _URL_MAX:
        return None
    return url
