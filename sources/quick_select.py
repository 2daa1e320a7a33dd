"""Simple CSS selectors (`div.text`, `.answer`, `h3`) matched in Python on one walk of an item.

lexbor parses a selector again on every search, and a listing page's fields make about ten
searches per item, each a few microseconds: more than reading the values. The selectors most
sources use are a tag and/or classes; those are matched here, for all fields of an item at once,
on one walk of the item's elements (the item itself first, as a lexbor search from it also
matches it). Anything else (combinators, attributes, pseudo-classes, escapes) is left to lexbor.

Matching follows lexbor's: tag names case-insensitive; classes split on ASCII whitespace, compared
exactly in standards mode and ASCII case-insensitively in quirks mode. The walk cannot tell the
modes apart, so an item where the two would differ (a class equal to one sought but for case, or
a foreign element such as SVG's `linearGradient` whose tag is not lower case) is not indexed:
`ItemIndex.exact` is False and every search of that item goes to lexbor.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from selectolax.lexbor import LexborNode

__all__ = ["ItemIndex", "Matcher", "Simple", "simple"]

_SIMPLE = re.compile(r"([A-Za-z][A-Za-z0-9-]*)?((?:\.[A-Za-z_][A-Za-z0-9_-]*)*)")
_CLASS_SPACE = re.compile("[ \t\n\f\r]+")
_HITS_MAX = 5_000


@dataclass(frozen=True, slots=True)
class Simple:
    """A compound selector of an optional tag and any number of classes (at least one of the two)."""

    css: str
    tag: str | None  # lower case
    classes: frozenset[str]
    folded: frozenset[str]  # the classes ASCII-lower-cased, for the quirks-mode check


def simple(css: str | None) -> Simple | None:
    """`css` as a Simple selector, or None when lexbor must match it."""
    if not css or not (m := _SIMPLE.fullmatch(css)) or not (m[1] or m[2]):
        return None
    classes = frozenset(m[2].split(".")[1:])
    return Simple(css, m[1].lower() if m[1] else None, classes, frozenset(_ascii_lower(c) for c in classes))


def _ascii_lower(text: str) -> str:
    return text.lower() if text.isascii() else "".join(c.lower() if c.isascii() else c for c in text)


class Matcher:
    """A plan's simple selectors, grouped by the tags they can match (worked out once per tag)."""

    __slots__ = ("_by_tag", "_hits", "_tagless", "_tags", "selectors")

    def __init__(self, selectors: Iterable[Simple]) -> None:
        self.selectors = tuple(dict.fromkeys(selectors))
        self._by_tag: dict[str | None, tuple[Simple, ...]] = {}
        for s in self.selectors:
            self._by_tag[s.tag] = (*self._by_tag.get(s.tag, ()), s)
        self._tagless = self._by_tag.pop(None, ())
        # tag -> (the selectors that can match an element of it, whether any names a class); None where lexbor
        # must decide. Tags come from pages, so the table is bounded.
        self._tags: dict[str, tuple[tuple[Simple, ...], bool] | None] = {}
        # (tag, class attribute) -> the selectors' css that match it, None where lexbor must decide. Bounded:
        # class attributes come from pages.
        self._hits: dict[tuple[str, str | None], tuple[str, ...] | None] = {}

    def _learn(self, tag: str) -> tuple[tuple[Simple, ...], bool] | None:
        if tag[0] in "_-#":  # comments ("-comment") and other non-elements: no attributes, no match
            entry: tuple[tuple[Simple, ...], bool] | None = ((), False)
        else:
            lower = tag if tag.islower() or not tag.isascii() else tag.lower()
            own = self._by_tag.get(lower, ())
            if own and lower != tag:
                entry = None  # a foreign element's tag ("linearGradient"): lexbor decides
            else:
                candidates = own + self._tagless
                entry = (candidates, any(s.classes for s in candidates))
        if len(self._tags) < 1_000:
            self._tags[tag] = entry
        return entry

    def index(self, item: LexborNode, walked: Iterable[tuple[LexborNode, str]] | None = None) -> ItemIndex:
        """Every selector against `item` and its elements: `walked` (each element with its tag, in document
        order, the item first) when the caller has just walked them, else one walk here."""
        found: dict[str, list[LexborNode]] = {s.css: [] for s in self.selectors}
        tags, learn, hits, classify = self._tags, self._learn, self._hits, self._classify
        for el, tag in walked if walked is not None else ((el, el.tag) for el in item.traverse()):
            if not tag:
                continue
            entry = tags[tag] if tag in tags else learn(tag)
            if entry is None:
                return ItemIndex(found, exact=False)
            candidates, with_classes = entry
            if not candidates:
                continue
            if not with_classes:
                for s in candidates:
                    found[s.css].append(el)
                continue
            # The same tag and class attribute recur on every item of a page: matched once, then looked up
            # (`attrs.get` reads one attribute; `attributes` would build a dict of them all).
            key = (tag, el.attrs.get("class"))
            matched = hits[key] if key in hits else classify(key, candidates)
            if matched is None:
                return ItemIndex(found, exact=False)
            for css in matched:
                found[css].append(el)
        return ItemIndex(found, exact=True)

    def _classify(self, key: tuple[str, str | None], candidates: tuple[Simple, ...]) -> tuple[str, ...] | None:
        """The selectors among `candidates` that an element of this tag and class attribute matches; None when
        one would match in quirks mode only (lexbor decides)."""
        value = key[1]
        if not value:
            classes: frozenset[str] = frozenset()
        elif value.isascii() and value.isprintable():
            classes = frozenset(value.split())  # only spaces separate them here: str.split is exact
        else:
            classes = frozenset(_CLASS_SPACE.split(value))
        # Whether case could matter: a class of the element or of a selector not all lower case.
        cased = bool(value) and not value.islower()
        folded: frozenset[str] | None = None
        matched: list[str] = []
        result: tuple[str, ...] | None = None
        for s in candidates:
            if s.classes <= classes:
                matched.append(s.css)
            elif classes and (cased or s.classes != s.folded):
                if folded is None:
                    folded = frozenset(_ascii_lower(c) for c in classes)
                if s.folded <= folded:
                    break  # matches in quirks mode only
        else:
            result = tuple(matched)
        if len(self._hits) < _HITS_MAX:
            self._hits[key] = result
        return result


class ItemIndex:
    """The elements of one item that each simple selector matches, in document order; `exact` False when
    lexbor must decide instead (see the module docstring)."""

    __slots__ = ("exact", "found")

    def __init__(self, found: dict[str, list[LexborNode]], *, exact: bool) -> None:
        self.found = found
        self.exact = exact

    def first(self, s: Simple) -> LexborNode | None:
        nodes = self.found[s.css]
        return nodes[0] if nodes else None

    def all(self, s: Simple) -> list[LexborNode]:
        return self.found[s.css]
