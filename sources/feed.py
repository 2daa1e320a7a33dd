"""RSS 2.0, RSS 1.0 and Atom feeds, read with feedparser from bytes our own client fetched.

Plain, well-formed RSS 2.0 and Atom are read by `sources.rss` with lxml instead, with the
same result at a fraction of the cost; everything else, and anything it is unsure of, goes
to feedparser. Both read the encoding the fetcher settled on (`sources.feed_encoding`).
"""

from __future__ import annotations

import functools
import io
import re
from datetime import UTC, datetime
from typing import Any, Literal
from xml.sax import SAXParseException

import feedparser
from pydantic import BaseModel, ConfigDict

from sources import rss
from sources.base import PageWarning, ParsedPage, RawMention, SourceKind
from sources.errors import ParseError
from sources.feed_encoding import feed_bytes, garbled
from sources.fill import skipped_warning
from sources.text import (
    AUTHOR_MAX,
    BODY_MAX,
    TITLE_MAX,
    absolute_url,
    clean_id,
    clean_text,
    html_to_text,
)
from sources.values import parse_datetime

__all__ = ["FeedSettings", "parse", "parse_with_feedparser"]


class FeedSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Some boards put the complaint in <description>, others in <content:encoded>;
    # by default the longer of the two is taken.
    prefer: Literal["longest", "content", "summary"] = "longest"


_DEFAULTS = FeedSettings()
# A bozo reason about the HTTP header rather than the document: feedparser recovers from it
# completely, and many healthy feeds are served as text/html or text/plain.
_HEADER_ONLY_PROBLEMS = ("NonXMLContentType",)
# feedparser had to guess the encoding: it is handed a charset that fits, so these mean the text is garbled.
_ENCODING_PROBLEMS = ("CharacterEncodingOverride", "CharacterEncodingUnknown")


def parse(
    *,
    body: bytes,
    text: str,
    url: str,
    content_type: str | None,
    settings: FeedSettings | None,
    fetched_at: datetime | None = None,  # unused: feed dates are absolute (RFC 822, ISO 8601)
) -> ParsedPage:
    """Read one feed document.

    Both readers get the fetcher's decode of the body (`text`; `content_type` is the full
    header, with its charset) as UTF-8 bytes that say so (`sources.feed_encoding.feed_bytes`),
    so a charset given only in the HTTP header, or detected because nothing declared one,
    is honoured as for HTML pages. feedparser gets those bytes wrapped in a stream: given
    bare bytes it would first try them as a *file name*, so a body like b"/etc/passwd" would
    read a local file. A document feedparser cannot read as a feed at all raises ParseError;
    a bozo one that still yields entries keeps them and says what was wrong in a warning, as
    does text that looks wrongly decoded (`garbled`). Entries with neither title nor body
    are skipped.
    """
    page = _parse(body, text, url, content_type, settings or _DEFAULTS, fast=True)
    if page.skipped:  # the one reason _mention drops an entry
        page.warnings.append(skipped_warning(page.skipped, "had neither a title nor a text"))
    return page


def parse_with_feedparser(body: bytes, url: str, content_type: str | None, settings: FeedSettings) -> ParsedPage:
    """The document as `parse` reads it when the fast path declines it."""
    return _parse(body, "", url, content_type, settings, fast=False)


def _parse(
    body: bytes, text: str, url: str, content_type: str | None, settings: FeedSettings, *, fast: bool
) -> ParsedPage:
    if not body.strip():
        raise ParseError(f"empty body, expected RSS or Atom ({content_type or 'no content type'})", url=url)
    document = feed_bytes(body, text, content_type)
    mime = (content_type or "").split(";")[0].strip().lower() or None
    # The bytes are now in `charset` whatever the header said; without a charset (raw bytes) the
    # header's charset is left out, as feedparser then sniffs best from the document alone.
    read_as = f"{mime or 'application/xml'}; charset={document.charset}" if document.charset else mime
    mention = functools.partial(_mention, base=url, prefer=settings.prefer)
    page = rss.read(body=document.data, url=url, content_type=read_as, mention=mention) if fast else None
    if page is None:
        page = _read(document.data, url, read_as, content_type, settings)
    doubt = document.warning or garbled([value for item in page.items for value in (item.title or "", item.body)])
    if doubt and not any(w.kind == PageWarning.ENCODING for w in page.warnings):
        page.warnings.append(PageWarning(PageWarning.ENCODING, f"text looks wrongly decoded: {doubt}"))
    return page


def _read(body: bytes, url: str, read_as: str | None, content_type: str | None, settings: FeedSettings) -> ParsedPage:
    # No Content-Location on purpose: with it feedparser rewrites relative guids into URLs
    # (guid "42" becomes ".../42"), which would change external ids when a feed moves.
    headers = {"content-type": read_as} if read_as else {}
    try:
        doc = feedparser.parse(
            io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    except Exception as exc:
        # feedparser catches parser errors itself; anything escaping it is a bug triggered
        # by this document, and must count as this source's parse failure, not crash the poll.
        raise ParseError(f"feedparser failed on this document: {type(exc).__name__}: {exc}"[:300], url=url) from exc
    entries = doc.get("entries") or []
    # feedparser re-encodes to UTF-8 and, when the document had no XML declaration,
    # prepends one on its own line: line numbers it reports are then one too high.
    problem = _problem(doc, line_shift=0 if body.lstrip()[:5] == b"<?xml" else 1)
    if not entries and not doc.get("version"):
        raise ParseError(_not_a_feed(problem, content_type), url=url)
    page = ParsedPage(items=[])
    exc = doc.get("bozo_exception") if doc.get("bozo") else None
    if type(exc).__name__ in _ENCODING_PROBLEMS:
        page.warnings.append(PageWarning(PageWarning.ENCODING, f"text looks wrongly decoded: feedparser: {exc}"))
    elif problem:
        page.warnings.append(
            PageWarning(
                PageWarning.MALFORMED, f"feed is not well-formed ({problem}); kept the {len(entries)} entries read"
            )
        )
    for entry in entries:
        mention = _mention(entry, base=url, prefer=settings.prefer)
        if mention is None:
            page.skipped += 1
        else:
            page.items.append(mention)
    return page


def _problem(doc: Any, *, line_shift: int) -> str | None:
    exc = doc.get("bozo_exception") if doc.get("bozo") else None
    if exc is None or type(exc).__name__ in _HEADER_ONLY_PROBLEMS + _ENCODING_PROBLEMS:
        return None
    if isinstance(exc, SAXParseException):
        line = max(1, exc.getLineNumber() - line_shift)
        return f"malformed XML at line {line}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return f"{type(exc).__name__}: {exc}"[:200]


def _not_a_feed(problem: str | None, content_type: str | None) -> str:
    mime = (content_type or "").split(";")[0].strip().lower()
    if mime and not any(word in mime for word in ("xml", "rss", "atom", "rdf")):
        return f"expected RSS or Atom, got {mime}"
    return f"expected RSS or Atom, got {problem or 'XML without a feed element'} ({mime or 'no content type'})"


def _mention(entry: Any, *, base: str, prefer: str) -> RawMention | None:
    link = entry.get("link")
    # An RSS <guid> is a permalink by default, so feedparser copies it into `link` even when
    # it is a bare number; only a real URL is worth keeping as one.
    if link and entry.get("guidislink") and link == entry.get("id") and not link.startswith(_SCHEMES):
        link = None
    url = absolute_url(base, link)
    title = clean_text(_text(entry.get("title_detail"), entry.get("title"), limit=TITLE_MAX), single_line=True)
    body = _body(entry, prefer)
    if not title and not body:
        return None
    return RawMention(
        external_id=clean_id(entry.get("id")) or url,
        url=url,
        title=title,
        body=body or "",
        author=clean_text(_author(entry), single_line=True, limit=AUTHOR_MAX),
        published_at=_published(entry),
    )


_SCHEMES = ("http://", "https://")
_TLD_TAIL = re.compile(r"[A-Za-z]{1,20}")


def _author(entry: Any) -> str | None:
    """The author's name, repairing feedparser's split of RSS `email (Name)`.

    feedparser's e-mail pattern knows only 2-4 letter top-level domains, so
    "noreply@shop.example (Jürgen Becker)" comes back as name "ple (Jürgen Becker" and
    "care@shop.online" as name "ne". The name is recovered, or the whole address when
    that is all the feed gave (it can identify the customer later).
    """
    detail = entry.get("author_detail") or {}
    name = detail.get("name") or entry.get("author")
    if not name or not detail.get("email"):
        return name
    head, paren, inner = name.partition("(")
    if paren and _TLD_TAIL.fullmatch(head.strip()):
        return inner.rstrip(")").strip() or None
    if _TLD_TAIL.fullmatch(name.strip()) and detail["email"].rsplit(".", 1)[-1].isalpha():
        return detail["email"] + name.strip()  # only an address was given: keep it whole
    return name


def _body(entry: Any, prefer: str) -> str | None:
    """Text of the entry's content/summary by `prefer`: the longest (default), or the
    named one with the other as fallback. Length is compared on the raw values:
    <content:encoded> is typically the full text with markup, <description> a teaser."""
    contents = [(c, c.get("value")) for c in entry.get("content") or () if c.get("value")]
    summary = entry.get("summary")
    summaries = [(entry.get("summary_detail") or {}, summary)] if summary else []
    if prefer == "content":
        candidates = contents or summaries
    elif prefer in ("summary", "description"):
        candidates = summaries or contents
    else:
        candidates = contents + summaries
    if not candidates:
        return None
    detail, value = max(candidates, key=lambda c: len(c[1]))
    return _text(detail, value, limit=BODY_MAX)


def _text(detail: Any, value: Any, *, limit: int) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    # Atom type="text" is plain text where "<" is a character, not a tag; everything else
    # (RSS descriptions, html, xhtml) is markup to strip.
    if detail and detail.get("type") == "text/plain":
        return clean_text(value, limit=limit)
    return html_to_text(value, limit=limit) or None


def _published(entry: Any) -> datetime | None:
    for key in ("published", "updated", "created"):
        parsed = entry.get(f"{key}_parsed")
        if parsed:
            try:
                # feedparser has already converted the time to UTC.
                return datetime(*parsed[:6], tzinfo=UTC)
            except (TypeError, ValueError):
                pass
        # Dates feedparser could not read ("22 ноября 2026") are left as text.
        if (found := parse_datetime(entry.get(key))) is not None:
            return found
    return None


KIND = SourceKind("feed", FeedSettings, parse, needs_settings=False)  # RSS, Atom, RDF: the defaults read them
