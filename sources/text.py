"""Safe plain values from hostile pages: text, URLs, ids, dates, ratings.

Nothing here raises on garbage (it gives None or ""), so one bad field costs one field,
not the item or the page. HTML becomes text on the lexbor tree: never-visible elements
are detached, block boundaries get sentinel characters *inside* the tree, then source
whitespace collapses to spaces and only sentinels become line breaks. The sentinels are
Unicode noncharacters (U+FDD0..U+FDD2), reserved by the standard for internal use.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from functools import cache, lru_cache
from typing import Any
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
    "parse_datetime",
    "parse_html",
    "parse_rating",
    "prepare_node",
]

# Caps per field, so one hostile item cannot bloat storage; HTML is cut before parsing
# past _HTML_MAX, which still leaves far more than BODY_MAX of text.
TITLE_MAX, BODY_MAX, AUTHOR_MAX, REPLY_MAX, REPLIES_MAX = 1_000, 100_000, 300, 20_000, 50
_ID_MAX, _URL_MAX, _HTML_MAX = 500, 4_096, 8_000_000

# Never visible text. Raw-text and RCDATA elements (iframe ... textarea) keep their
# content as one text node, so markup inside them would come out verbatim.
_DROP_CSS = "script,style,template,noscript,iframe,noembed,noframes,xmp,plaintext,title,textarea"
_PARA, _LINE, _BR = "\ufdd0", "\ufdd1", "\ufdd2"
_SENTINELS = _PARA + _LINE + _BR
# What goes before and after each element that breaks the flow of text.
_PARAGRAPH_TAGS = "p h1 h2 h3 h4 h5 h6 blockquote pre table ul ol dl hr section article aside header footer figure"
_LINE_TAGS = "div li tr dt dd figcaption summary caption legend option main nav form fieldset details address"
_AROUND: dict[str, tuple[str | None, str | None]] = {
    **dict.fromkeys(_PARAGRAPH_TAGS.split(), (_PARA, _PARA)),
    **dict.fromkeys(_LINE_TAGS.split(), (_LINE, _LINE)),
    "td": (None, " "),
    "th": (None, " "),
    "br": (_BR, None),
}
_BREAK_CSS = ",".join(_AROUND)

_BREAK_RUN = re.compile(f" ?[{_SENTINELS}][ {_SENTINELS}]*")
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
    tree, _ = parse_html(html)
    root = None if tree is None else tree.body or tree.root
    if root is None:
        return ""
    prepare_node(root)
    return node_text(root, limit=limit)


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


def prepare_node(node: LexborNode) -> None:
    """Mutate the subtree so that `node_text` reads it as plain text with line breaks.

    Run once per subtree before reading texts from it or from nodes inside it. The
    page's own text cannot contain the sentinels when the tree came from `parse_html`.
    """
    for el in node.css(_DROP_CSS):
        # Detach only: a recursive delete frees nodes a caller may still hold a wrapper for.
        el.decompose(recursive=False)
    for el in node.css(_BREAK_CSS):
        before, after = _AROUND[el.tag or ""]
        if before:
            el.insert_before(before)
        if after:
            el.insert_after(after)


def node_text(node: LexborNode, *, single_line: bool = False, limit: int | None = None) -> str:
    """Text of a node of a subtree already passed through `prepare_node`."""
    raw = node.text(deep=True)
    if limit is not None:
        raw = raw[: limit * 4 + 1_000]  # bounds the work; clean_text makes the real cut
    # str.split() collapses all whitespace, source newlines included, at C speed.
    text = " ".join(raw.split())
    if single_line:
        text = text.replace(_PARA, " ").replace(_LINE, " ").replace(_BR, " ")
    elif any(c in text for c in _SENTINELS):
        text = _BREAK_RUN.sub(_breaks, text)
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
    # Fast path: most text has no character outside the printable set but newlines.
    if not s.replace("\n", " ").isprintable():
        s = _ODD_SPACE.sub(" ", _JUNK.sub("", _LINE_BREAKS.sub("\n", s)))
    if not unicodedata.is_normalized("NFC", s):
        s = unicodedata.normalize("NFC", s)
    if single_line:
        s = s.replace("\n", " ")
    if "  " in s:
        s = _SPACE_RUN.sub(" ", s)
    if "\n" in s:
        s = "\n".join(line.strip(" ") for line in s.split("\n"))
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


def absolute_url(base: str, href: object) -> str | None:
    """`href` resolved against `base`; None unless the result is an http(s) URL.

    Other schemes (javascript:, data:, file:) are refused because the URL is later shown
    to staff as a link.
    """
    if not isinstance(href, str) or not href:
        return None
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


_EPOCH_STR = re.compile(r"\d{9,19}(?:\.\d+)?")
_YEAR = re.compile(r"(?<!\d)(?:19|20|21)\d\d(?!\d)")
# Only the strict shape: the stdlib parser is lenient enough to misread other English dates.
_RFC822 = re.compile(r"(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}")
_DMY = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})[./-](\d{1,2})[./-](\d{1,2})(?!\d)")
_D_MONTH_Y = re.compile(r"(?<!\d)(\d{1,2})(?:-?(?:го|th|st|nd|rd))?\.?\s*([^\W\d_]{3,})\.?,?\s+(\d{4})(?!\d)")
_MONTH_D_Y = re.compile(r"([^\W\d_]{3,})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?!\d)")
_TIME = re.compile(
    r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)\s*([ap]\.?m\.?)?"
    r"(?:\s*(?:GMT|UTC)?\s*([+-])(\d{2}):?(\d{2}))?",
    re.IGNORECASE,
)
# Month-name prefixes in the languages of our sources (genitive and nominative forms,
# abbreviations): ru, uk, be, hy, de, en. Longest prefix wins.
_MONTH_PREFIXES = {
    1: "янв студз січ հունվ jan jän",
    2: "фев лют փետր feb",
    3: "мар сакав берез մարտ mär mrz mar",
    4: "апр красав квіт ապր apr",
    5: "мая май трав մայ mai may",
    6: "июн чэрв черв հունիս jun",
    7: "июл ліп лип հուլ jul",
    8: "авг жнів серп օգոստ aug",
    9: "сен верас верес սեպտ sep",
    10: "окт кастр жовт հոկտ okt oct",
    11: "ноя ліст лист նոյ nov",
    12: "дек снеж груд դեկտ dez dec",
}
_MONTHS = sorted(((p, m) for m, words in _MONTH_PREFIXES.items() for p in words.split()), key=lambda pm: -len(pm[0]))


def _month(word: str) -> int | None:
    word = word.casefold()
    for prefix, month in _MONTHS:
        if word.startswith(prefix):
            return month
    return None


def parse_datetime(value: object) -> datetime | None:
    """A point in time as timezone-aware UTC, or None.

    Rule order (cheap and exact first): datetime/date objects; epoch numbers (seconds,
    or ms/us/ns told apart by size); digit strings of 9+ digits as epoch; ISO 8601;
    RFC 822/1123; day.month.year; year-month-day inside other text; "22 ноября 2026" /
    "November 22, 2026" with the month table above; finally `dateparser`, restricted to
    our languages and to absolute dates. Relative dates ("вчера", "2 hours ago") are
    refused on purpose: reading them needs a `now` this function is not given.
    A time anywhere in the string ("14:05, 22.11.2026") is applied to the date found.
    Naive results are taken as UTC. Years outside 1970..2199 are treated as garbage.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, datetime):
        return _to_utc(value)
    if isinstance(value, date):
        return _to_utc(datetime.combine(value, time()))
    if isinstance(value, int | float):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s or len(s) > 200:
        return None
    if _EPOCH_STR.fullmatch(s):
        return _from_epoch(float(s))
    if s[0].isdigit():
        try:
            return _to_utc(datetime.fromisoformat(s))
        except ValueError:
            pass
    if _RFC822.match(s):
        try:
            return _to_utc(parsedate_to_datetime(s))
        except (ValueError, TypeError, IndexError):
            pass
    return _from_text(s)


def _from_text(s: str) -> datetime | None:
    day = month = year = None
    if m := _DMY.search(s):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        if month > 12 >= day:  # US order: 11/22/2026
            day, month = month, day
        if year < 100:
            year += 2000
    elif m := _YMD.search(s):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif (m := _D_MONTH_Y.search(s)) and (month := _month(m[2])):
        day, year = int(m[1]), int(m[3])
    elif (m := _MONTH_D_Y.search(s)) and (month := _month(m[1])):
        day, year = int(m[2]), int(m[3])
    else:
        return _dateparser(s)
    hour = minute = second = 0
    offset = 0
    if t := _TIME.search(s):
        hour, minute, second = int(t[1]), int(t[2]), int(t[3] or 0)
        if t[4]:
            hour = hour % 12 + (12 if t[4][0] in "pP" else 0)
        if t[5]:
            offset = (int(t[6]) * 60 + int(t[7])) * (1 if t[5] == "+" else -1)
    try:
        return _to_utc(datetime(year, month, day, hour, minute, second) - timedelta(minutes=offset))
    except (ValueError, OverflowError):
        return None


@cache
def _date_data_parser() -> Any:
    # Imported on first use: dateparser takes ~0.2 s to import and ~0.4 s to load its
    # language data, which only pages with unusual date formats should pay.
    try:
        from dateparser.date import DateDataParser
    except ImportError:
        return None
    settings = {"TIMEZONE": "UTC", "TO_TIMEZONE": "UTC", "RETURN_AS_TIMEZONE_AWARE": True, "DATE_ORDER": "DMY"}
    settings |= {"PARSERS": ["absolute-time"], "REQUIRE_PARTS": ["day", "month", "year"]}
    return DateDataParser(languages=["en", "ru", "uk", "be", "hy", "de"], settings=settings)


@lru_cache(maxsize=1_024)
def _dateparser(s: str) -> datetime | None:
    # The library takes ~5 ms a call; without a year in the string it cannot meet
    # REQUIRE_PARTS anyway, which spares that cost for "вчера в 14:05"-style dates.
    if len(s) > 100 or not _YEAR.search(s):
        return None
    parser = _date_data_parser()
    if parser is None:
        return None
    try:
        found = parser.get_date_data(s).date_obj
    except (ValueError, TypeError, OverflowError, LookupError, AttributeError):
        return None
    return _to_utc(found) if found else None


def _from_epoch(v: float) -> datetime | None:
    if not math.isfinite(v) or v <= 0:
        return None
    # Seconds until the year 5138; larger values are milli-, micro- or nanoseconds.
    for scale in (1, 1e3, 1e6, 1e9):
        if v < 1e11 * scale:
            v /= scale
            break
    try:
        return _to_utc(datetime.fromtimestamp(v, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _to_utc(dt: datetime) -> datetime | None:
    dt = dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    return dt if 1970 <= dt.year < 2200 else None


# A minus is a sign only where it starts a word: "-1" is negative, class "stars-3" is 3.
_NUMBER = r"((?:(?<!\w)-)?\d+(?:[.,]\d+)?)"
_OUT_OF = re.compile(_NUMBER + r"\s*(?:/|из|з|із|of|out\s+of|von|aus)\s*" + _NUMBER + r"(?!\d)", re.IGNORECASE)
_NUMBERS = re.compile(_NUMBER)
_FILLED_STARS = "★⭐🌟"
_EMPTY_STARS = "☆✩✰"


def parse_rating(value: object) -> float | None:
    """A rating on a 0-5 scale, or None.

    Accepts numbers, "4", "4,5", "4.5 / 5", "8/10" and "2 из 5" (scaled to 5), "80%",
    star strings ("★★☆☆☆" counts the filled stars, "½" adds a half) and short texts with
    exactly one number ("Оценка: 4", class "stars-4"). Zero is None: on the sites we
    read it means "not rated", and a false 0 would rank a complaint as the worst kind.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return _in_range(float(value))
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s or len(s) > 80:
        return None
    if any(c in _FILLED_STARS or c in _EMPTY_STARS for c in s):
        filled = sum(c in _FILLED_STARS for c in s) + (0.5 if "½" in s else 0.0)
        return _in_range(filled)
    if m := _OUT_OF.search(s):
        scale = _number(m[2])
        return _in_range(_number(m[1]) * 5 / scale) if scale else None
    numbers = _NUMBERS.findall(s)
    if len(numbers) != 1:
        return None
    n = _number(numbers[0])
    return _in_range(n / 20 if s.endswith("%") else n)


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _in_range(v: float) -> float | None:
    return round(v, 2) if math.isfinite(v) and 0 < v <= 5 else None
