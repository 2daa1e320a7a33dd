"""A fast reader for plain, well-formed RSS 2.0 and Atom 1.0, giving exactly what feedparser gives.

feedparser costs ~35 ms for a 50-item, 100 KB feed, a third of all polling CPU
(docs/PERFORMANCE.md). Most feeds are plain RSS 2.0 or Atom in UTF-8, and for those lxml
builds the tree in a fraction of that. `read` returns None, and `sources.feed` asks
feedparser, for anything it is not sure to read exactly as feedparser does:

- a charset or XML encoding other than UTF-8, a DOCTYPE or entity declaration, xml:base;
- XML lxml refuses (feedparser then recovers what it can and says so in a warning);
- a root other than <rss version="2.x"> with one <channel>, or an Atom 1.0 <feed>; items
  or entries anywhere else, or with attributes;
- RSS: an item child outside a short list (title, link, guid, description, pubDate,
  author, dc:creator, dc:date, content:encoded, and the ignored category, comments,
  enclosure, wfw:commentRss, slash:comments), a repeated one, an attribute feedparser
  would read (only guid's isPermaLink is allowed), or child elements inside one;
- Atom: an entry child other than id, title, summary, content (type text or html, no src),
  link (with href), author (with a name only), published, updated, category; a repeat.

What it reads goes into a dict with feedparser's entry keys, built by feedparser's own
rules (whitespace, permalink guids and ids, the UTF-8-read-as-Latin-1 repair, cp1252 code
points, "looks like HTML" RSS titles, author e-mails, alternate links, its date parser),
and then through the same `_mention` as feedparser's entries. tests/sources/test_rss.py
parses every feed fixture, the demo's feeds and the benchmark's both ways and compares.

Hostile XML stays harmless: entities are never resolved (a DOCTYPE sends the document to
feedparser, which refuses to expand them), nothing is fetched, and huge_tree stays off.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from sources.base import ParsedPage, RawMention

try:  # feedparser's own helpers, so that the two readers agree by construction
    from feedparser.datetimes import _parse_date
    from feedparser.mixin import _FeedParserMixin

    _looks_like_html: Callable[[str], bool] | None = _FeedParserMixin.looks_like_html
except ImportError:  # a feedparser without them: every feed goes to feedparser
    _looks_like_html = None

__all__ = ["read"]

_ATOM = "{http://www.w3.org/2005/Atom}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
# Item children read, by tag: the feedparser entry key each one fills.
_READ = {
    "title": "title",
    "link": "link",
    "guid": "id",
    "description": "summary",
    "pubDate": "published",
    "author": "author",
    f"{_DC}creator": "author",
    f"{_DC}date": "updated",
    f"{_CONTENT}encoded": "content",
}
# Item children feedparser keeps under keys of their own that nothing here reads.
_IGNORED = frozenset(
    {
        "category",
        "comments",
        "enclosure",
        "{http://wellformedweb.org/CommentAPI/}commentRss",
        "{http://purl.org/rss/1.0/modules/slash/}comments",
    }
)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_UTF8 = ("utf-8", "utf8")
_BOM = b"\xef\xbb\xbf"
# feedparser.urls._urifixer: extra slashes after "scheme://" are dropped.
_URI_FIXER = re.compile("^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
# feedparser's link fix for query strings read as character references.
_LINK_REFERENCE = re.compile("&([A-Za-z0-9_]+);")
# feedparser's pattern for an e-mail address inside an author string.
_EMAIL = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)
# Windows-1252 characters for the C1 code points, as feedparser maps them.
_CP1252 = {c: bytes([c]).decode("cp1252") for c in range(0x80, 0xA0) if c not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
# str.translate with a dict costs ~60 µs on a 2 KB text; a search for what it would change, 1 µs.
_C1 = re.compile("[\x80-\x9f]")


def read(
    *, body: bytes, url: str, content_type: str | None, mention: Callable[[Any], RawMention | None]
) -> ParsedPage | None:
    """The page feedparser would give for this RSS 2.0 document, or None when unsure.

    `mention` turns one feedparser-style entry into a RawMention (sources.feed's `_mention`).
    """
    if _looks_like_html is None or not _utf8(body, content_type):
        return None
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body or b"xml:base" in body:
        return None
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        return None
    entries = _rss_items(root) if root.tag == "rss" else _atom_entries(root) if root.tag == f"{_ATOM}feed" else None
    if entries is None or len(entries) != sum(1 for _ in root.iter("{*}item", "{*}entry")):
        return None  # not a plain feed, or items where feedparser would still find them
    read_entry = _entry if root.tag == "rss" else _atom_entry
    page = ParsedPage(items=[])
    for element in entries:
        entry = read_entry(element) if not element.attrib else None  # feedparser reads some attributes
        if entry is None:
            return None
        found = mention(entry)
        if found is None:
            page.skipped += 1
        else:
            page.items.append(found)
    return page


def _rss_items(root: Any) -> list[Any] | None:
    channels = [child for child in root if isinstance(child.tag, str)]
    if not root.get("version", "").startswith("2.") or len(channels) != 1 or channels[0].tag != "channel":
        return None
    return channels[0].findall("item")


def _atom_entries(root: Any) -> list[Any]:
    return root.findall(f"{_ATOM}entry")


def _utf8(body: bytes, content_type: str | None) -> bool:
    charset = (content_type or "").lower().partition("charset=")[2].strip().strip("\"'")
    if charset and charset not in _UTF8:
        return False
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    declared = _XML_DECLARATION.match(body.removeprefix(_BOM))
    return declared is None or declared.group(1).decode("ascii").lower() in _UTF8


def _entry(item: Any) -> dict[str, Any] | None:
    """feedparser's entry dict for one <item>, or None when the item is not plain enough."""
    entry: dict[str, Any] = {}
    seen: set[str] = set()
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag in _IGNORED:
            continue
        key = _READ.get(tag)
        if key is None or key in seen or len(child):
            return None
        attributes = dict(child.attrib)
        permalink = attributes.pop("isPermaLink", "true") if tag == "guid" else "true"
        if attributes:
            return None
        seen.add(key)
        text = (child.text or "").strip()
        if key == "link":
            entry["link"] = _link(_repaired(_uri(text)))
        elif key == "id":
            guidislink = permalink == "true"  # feedparser compares the value exactly
            value = _repaired(_uri(text) if guidislink and text else text)
            entry["id"] = value
            entry["guidislink"] = guidislink and "link" not in entry  # a later <link> leaves it as it is
            if guidislink:
                entry.setdefault("link", value)
        elif key == "title":
            # feedparser guesses at markup before its repairs, so the guess goes first here too.
            kind = "text/html" if _looks_like_html is not None and _looks_like_html(text) else "text/plain"
            entry["title"], entry["title_detail"] = _repaired(text), {"type": kind}
        elif key == "summary":
            entry["summary"], entry["summary_detail"] = _repaired(text), {"type": "text/html"}
        elif key == "content":
            value = _repaired(text)
            entry["content"] = [{"type": "text/html", "value": value}]
            entry.setdefault("summary", value)
        elif key == "author":
            _author(entry, _repaired(text))
        else:  # published, updated
            value = _repaired(text)
            entry[key], entry[f"{key}_parsed"] = value, _parse_date(value)
    return entry


# Atom text constructs: the type attribute as feedparser maps it; xhtml (markup as elements) is not read here.
_ATOM_TYPES = {"text": "text/plain", "text/plain": "text/plain", "html": "text/html", "text/html": "text/html"}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _atom_entry(element: Any) -> dict[str, Any] | None:
    """feedparser's entry dict for one Atom <entry>, or None when the entry is not plain enough."""
    entry: dict[str, Any] = {}
    seen: set[str] = set()
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag == f"{_ATOM}category":
            continue
        name = tag.removeprefix(_ATOM)
        if name == tag or (name in seen and name != "link"):
            return None
        seen.add(name)
        if name == "link":
            if not _atom_link(entry, child):
                return None
            continue
        if name == "author":
            if not _atom_author(entry, child):
                return None
            continue
        attributes = dict(child.attrib)
        kind = _ATOM_TYPES.get(attributes.pop("type", "text").lower()) if name in _ATOM_TEXTS else "text/plain"
        if attributes or kind is None or len(child):
            return None
        text = (child.text or "").strip()
        if name == "id":
            # An Atom id is read as an RSS guid that is a permalink (feedparser's _start_id).
            value = _repaired(_uri(text) if text else text)
            entry["id"], entry["guidislink"] = value, "link" not in entry
            entry.setdefault("link", value)
        elif name == "title":
            entry["title"], entry["title_detail"] = _repaired(text), {"type": kind}
        elif name == "summary":
            entry["summary"], entry["summary_detail"] = _repaired(text), {"type": kind}
        elif name == "content":
            value = _repaired(text)
            entry["content"] = [{"type": kind, "value": value}]
            entry.setdefault("summary", value)
        elif name in ("published", "updated"):
            value = _repaired(text)
            entry[name], entry[f"{name}_parsed"] = value, _parse_date(value)
        else:
            return None
    return entry


_ATOM_TEXTS = ("title", "summary", "content")


def _atom_link(entry: dict[str, Any], link: Any) -> bool:
    """feedparser's _start_link: the last alternate link of an HTML type becomes the entry's link."""
    href = link.get("href")
    if href is None or len(link) or (link.text or "").strip():
        return False
    rel = (link.get("rel") or "alternate").lower()
    kind = (link.get("type") or ("application/atom+xml" if rel == "self" else "text/html")).lower()
    if rel == "alternate" and _ATOM_TYPES.get(kind, kind) in _HTML_TYPES:
        entry["link"] = _uri(href)
    return True


def _atom_author(entry: dict[str, Any], author: Any) -> bool:
    """<author><name>…</name></author> only: feedparser keeps the name as it is (no repairs)."""
    names = [child for child in author if isinstance(child.tag, str)]
    if author.attrib or (author.text or "").strip() or len(names) != 1 or names[0].tag != f"{_ATOM}name":
        return False
    (name,) = names
    value = (name.text or "").strip()
    if name.attrib or len(name) or (name.tail or "").strip() or not value:
        return False
    entry["author"], entry["author_detail"] = value, {"name": value}
    return True


def _uri(value: str) -> str:
    # feedparser resolves against the document's base, which is empty for a document read from bytes.
    return _URI_FIXER.sub(r"\1\3", value)


def _link(value: str) -> str:
    return _LINK_REFERENCE.sub(r"&\g<1>", value.replace("&amp;", "&"))


def _repaired(value: str) -> str:
    """feedparser's last steps on every text: UTF-8 that was read as Latin-1 is read again, and C1
    code points become the Windows-1252 characters they usually meant."""
    if value.isascii():
        return value  # neither step changes ASCII
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    return value.translate(_CP1252) if _C1.search(value) else value


def _author(entry: dict[str, Any], author: str) -> None:
    """feedparser's author and author_detail for an author string (`_sync_author_detail`)."""
    entry["author"] = author
    name, email = author, None
    if not name:
        return
    found = _EMAIL.search(name)
    if found:
        email = found.group(0)
        name = name.replace(email, "").replace("()", "").replace("<>", "").replace("&lt;&gt;", "").strip()
        if name and name[0] == "(":
            name = name[1:]
        if name and name[-1] == ")":
            name = name[:-1]
        name = name.strip()
    detail: dict[str, str] = {}
    if name:
        detail["name"] = name
    if email:
        detail["email"] = email
    if detail:
        entry["author_detail"] = detail
