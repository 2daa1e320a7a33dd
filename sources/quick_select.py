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

__all__ = ["ItemIndex", "Simple", "simple"]

_SIMPLE = re.compile(r"([A-Za-z][A-Za-z0-9-]*)?((?:\.[A-Za-z_][A-Za-z0-9_-]*)*)")
_CLASS_SPACE = re.compile("[ \t\n\f\r]+")


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


class ItemIndex:
    """The elements of one item that each simple selector matches, in document order."""

    __slots__ = ("exact", "found")

    def __init__(self, item: LexborNode, selectors: Iterable[Simple]) -> None:
        wanted = tuple(selectors)
        self.found: dict[str, list[LexborNode]] = {s.css: [] for s in wanted}
        self.exact = True
        if not wanted:
            return
        # Selectors by tag, so an element is checked against those that can match it only.
        by_tag: dict[str | None, list[Simple]] = {}
        for s in wanted:
            by_tag.setdefault(s.tag, []).append(s)
        tagless = by_tag.pop(None, [])
        found = self.found
        for el in item.traverse():
            tag = el.tag
            if not tag or tag[0] == "_":  # comments and other non-elements
                continue
            lower = tag if tag.islower() or not tag.isascii() else tag.lower()
            candidates = by_tag.get(lower)
            if candidates is not None and lower != tag:
                self.exact = False  # a foreign element's tag ("linearGradient"): lexbor decides
                return
            if candidates is None:
                if not tagless:
                    continue
                candidates = tagless
            elif tagless:
                candidates = candidates + tagless
            value = el.attributes.get("class")
            classes = frozenset(_CLASS_SPACE.split(value)) if value else frozenset()
            # Whether case could matter: a class of the element or of a selector not all lower case.
            cased = bool(value) and not value.islower()
            folded: frozenset[str] | None = None
            for s in candidates:
                if s.classes <= classes:
                    found[s.css].append(el)
                elif classes and (cased or s.classes != s.folded):
                    if folded is None:
                        folded = frozenset(_ascii_lower(c) for c in classes)
                    if s.folded <= folded:
                        self.exact = False  # matches in quirks mode only: lexbor decides
                        return

    def first(self, s: Simple) -> LexborNode | None:
        nodes = self.found[s.css]
        return nodes[0] if nodes else None

    def all(self, s: Simple) -> list[LexborNode]:
        return self.found[s.css]
