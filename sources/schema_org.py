"""schema.org items out of a page's JSON-LD and microdata, as plain dicts.

Both syntaxes come out in one shape, so the kind that maps them to mentions (sources.structured)
reads one thing: a dict per item with `@type` (a tuple of bare type names such as ("Review",)),
an optional `@id`, and each property as a string, a nested item dict, or a list of those.

JSON-LD: every `<script type="application/ld+json">` is read (CDATA and HTML-comment wrappers
and a trailing `;` tolerated). Items are found wherever they nest: at the top, in `@graph`, in
any property (a Product's `review`, an ItemList's `itemListElement[].item`). `{"@id": ...}`
references are resolved against the nodes that carry the same `@id` in that page (how
Trustpilot's `@graph` names a review's author). A block that is not JSON costs that block only
and is reported.

Microdata: an element with `itemscope` is an item, typed by `itemtype`; its properties are the
`[itemprop]` elements whose nearest enclosing scope it is. Review sites often omit `itemscope`
on the review element itself (`<div itemprop="review">` with `itemprop`s inside), so an element
whose `itemprop` is `review`, or whose `itemtype` is a Review, is taken as a Review scope even
without it. A property's value follows the microdata rules: `content` on any element, then
`datetime`, `href`/`src`, `value`, then the element's text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from sources.text import clean_text, node_text, prepare_node, select_all

__all__ = ["MAX_LIST", "Found", "Item", "json_ld_items", "microdata_items", "types_of", "walk"]

Item = dict[str, Any]

# Wrappers CMSs put around JSON-LD: `<!-- ... -->`, `/* <![CDATA[ */ ... /* ]]> */`, `//<![CDATA[`.
# Matched at the ends of the text only (see _unwrap), never scanned through a block's body.
_OPENERS = re.compile(r"(?:<!--|/\*\s*<!\[CDATA\[\s*\*/|//\s*<!\[CDATA\[|<!\[CDATA\[)\s*")
_CLOSERS = re.compile(r"\s*(?:-->|/\*\s*\]\]>\s*\*/|//\s*\]\]>|\]\]>)$")
_MAX_DEPTH = 40  # JSON-LD nests a handful of levels; deeper is hostile or broken
_MAX_NODES = 20_000
MAX_LIST = 1_000  # entries read of one JSON-LD list (a Product's reviews): a bound against hostile pages
_TEXT_LIMIT = 100_000


@dataclass(slots=True)
class Found:
    """Items found on a page, and what went wrong reading it (block by block)."""

    items: list[Item] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    blocks: int = 0
    # Lists longer than MAX_LIST were read to that length: how long the longest was.
    cut_list: int = 0


def _unwrap(text: str) -> str:
    text = text.strip()
    if text[:1] not in ("{", "["):
        text = _OPENERS.sub("", text[:40], count=1) + text[40:] if text.startswith(("<", "/")) else text
    if text[-1:] not in ("}", "]"):
        tail = text[-40:]
        text = text[: len(text) - len(tail)] + _CLOSERS.sub("", tail.rstrip())
    return text.strip().rstrip(";").strip()


def types_of(node: Item) -> tuple[str, ...]:
    return node.get("@type", ())


@lru_cache(maxsize=4096)
def _bare(value: str) -> str | None:
    return re.split(r"[/#:]", value.strip())[-1] or None


def _bare_type(value: object) -> str | None:
    # "http://schema.org/Review", "https://schema.org/Review", "schema:Review" → "Review"
    if not isinstance(value, str) or not value.strip():
        return None
    if value.isalnum():  # the usual case: a bare name, as most keys and types are
        return value
    return _bare(value) if len(value) < 300 else None


def _types(value: object) -> tuple[str, ...]:
    values = value if isinstance(value, list) else value.split() if isinstance(value, str) else []
    return tuple(t for v in values if (t := _bare_type(v)))


# ---------------------------------------------------------------- JSON-LD


def json_ld_items(tree: LexborHTMLParser) -> Found:
    found = Found()
    raw_nodes: list[dict[str, Any]] = []
    tops: list[dict[str, Any]] = []
    for number, script in enumerate(_json_ld_scripts(tree), start=1):
        found.blocks += 1
        text = _unwrap(script.text(deep=True) or "")
        if not text:
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            found.problems.append(
                f"JSON-LD block {number} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
            )
            continue
        except (RecursionError, ValueError):
            found.problems.append(f"JSON-LD block {number} cannot be read: nested too deeply or too large")
            continue
        _collect(data, raw_nodes, depth=0)
        tops.extend(_tops(data))
    resolver = _Resolver({n["@id"]: n for n in raw_nodes if isinstance(n.get("@id"), str) and len(n) > 1})
    found.items = [resolver.node(node, depth=0) for node in tops if _types(node.get("@type"))]
    found.cut_list = resolver.cut_list
    return found


def _tops(data: Any) -> list[dict[str, Any]]:
    """The outermost nodes of one document: the root, the members of a root list, of `@graph`."""
    roots = data if isinstance(data, list) else [data]
    tops: list[dict[str, Any]] = []
    for root in roots[:1_000]:
        if not isinstance(root, dict):
            continue
        tops.append(root)
        graph = root.get("@graph")
        tops.extend(n for n in (graph if isinstance(graph, list) else [graph])[:_MAX_NODES] if isinstance(n, dict))
    return tops


def _json_ld_scripts(tree: LexborHTMLParser) -> list[LexborNode]:
    # The type attribute is case-insensitive and may carry parameters ("application/ld+json; charset=utf-8").
    return [
        s
        for s in tree.css("script[type]")
        if (s.attributes.get("type") or "").split(";")[0].strip().lower() == "application/ld+json"
    ]


def _collect(value: Any, out: list[dict[str, Any]], *, depth: int) -> None:
    """Every JSON object of a JSON-LD document that is a node (has @type or @id), outermost first."""
    if depth > _MAX_DEPTH or len(out) >= _MAX_NODES:
        return
    if isinstance(value, list):
        for v in value:
            _collect(v, out, depth=depth + 1)
    elif isinstance(value, dict):
        if "@type" in value or "@id" in value:
            out.append(value)
        for key, v in value.items():
            if key != "@context" and isinstance(v, dict | list):
                _collect(v, out, depth=depth + 1)


class _Resolver:
    """Normalises JSON-LD nodes, resolving `{"@id": ...}` references to the node with that @id.

    Each node with an @id becomes one dict, shared by every place that refers to it, and is put
    in the cache before its properties are read: pages link their nodes both ways (a business's
    `review` list, each review's `itemReviewed` back to it), and a shared, possibly cyclic,
    structure costs one dict per node where expanding copies would grow exponentially.
    """

    def __init__(self, by_id: dict[str, dict[str, Any]]) -> None:
        self.by_id = by_id
        self.cache: dict[str, Item] = {}
        self.cut_list = 0

    def node(self, node: dict[str, Any], *, depth: int) -> Item:
        ident = node.get("@id") if isinstance(node.get("@id"), str) else None
        if ident is not None and ident in self.cache:
            return self.cache[ident]
        item: Item = {"@type": _types(node.get("@type"))}
        if ident is not None:
            item["@id"] = ident
            self.cache[ident] = item
        for key, value in node.items():
            if not key.startswith("@") and (v := self.value(value, depth=depth + 1)) is not None:
                item[_bare_type(key) or key] = v
        return item

    def value(self, value: Any, *, depth: int) -> Any:
        if depth > _MAX_DEPTH or isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, str):
            return value
        if isinstance(value, list):
            if len(value) > MAX_LIST:
                self.cut_list = max(self.cut_list, len(value))
            values = [v for x in value[:MAX_LIST] if (v := self.value(x, depth=depth + 1)) is not None]
            return values or None
        if isinstance(value, dict):
            if "@value" in value:  # {"@value": "...", "@language": "ru"}
                return self.value(value["@value"], depth=depth + 1)
            ref = value.get("@id")
            if isinstance(ref, str) and len(value) == 1 and ref in self.by_id:
                return self.node(self.by_id[ref], depth=depth + 1)
            return self.node(value, depth=depth + 1)
        return None


# ---------------------------------------------------------------- microdata


_MICRODATA_CSS = "[itemscope], [itemprop], [itemtype]"


def microdata_items(tree: LexborHTMLParser) -> Found:
    """The outermost microdata items of the page, and review elements marked without itemscope.

    One pass over the page's microdata elements finds each property's owner (its nearest
    enclosing scope), so building the items costs one visit per property, however deep they nest.
    """
    found = Found()
    roots = _roots(_microdata_nodes(tree))
    if not roots:
        return found
    for root in roots:
        # Block boundaries become line breaks in property texts, as in an HTML source's fields.
        prepare_node(root)
    nodes = _microdata_nodes(tree)  # again: preparing dropped invisible elements
    attrs = {n.mem_id: n.attributes for n in nodes}
    scopes = {n.mem_id for n in nodes if _is_scope(attrs[n.mem_id])}
    props: dict[int, list[LexborNode]] = {}
    for node in nodes:
        if "itemprop" in attrs[node.mem_id] and (owner := _owner(node, scopes)) is not None:
            props.setdefault(owner, []).append(node)
    for root in roots:
        found.blocks += 1
        found.items.append(_microdata_item(root, attrs, scopes, props, depth=0))
    return found


def _microdata_nodes(tree: LexborHTMLParser) -> list[LexborNode]:
    return select_all(tree, _MICRODATA_CSS)


def _roots(nodes: list[LexborNode]) -> list[LexborNode]:
    """Scopes that are no other scope's property: the page's top-level items."""
    scopes = {n.mem_id for n in nodes if _is_scope(n.attributes)}
    return [n for n in nodes if n.mem_id in scopes and ("itemprop" not in n.attributes or _owner(n, scopes) is None)]


def _is_scope(attrs: dict[str, str | None]) -> bool:
    if "itemscope" in attrs:
        return True
    # Review markup without itemscope, as review sites often write it.
    return "review" in (attrs.get("itemprop") or "").split() or "Review" in _types(attrs.get("itemtype"))


def _owner(node: LexborNode, scopes: set[int]) -> int | None:
    """The nearest enclosing scope of `node` (None when there is none below the document)."""
    parent = node.parent
    while parent is not None:
        if parent.mem_id in scopes:
            return parent.mem_id
        parent = parent.parent
    return None


def _microdata_item(
    scope: LexborNode,
    attrs: dict[int, dict[str, str | None]],
    scopes: set[int],
    props: dict[int, list[LexborNode]],
    *,
    depth: int,
) -> Item:
    own = attrs.get(scope.mem_id) or scope.attributes
    types = _types(own.get("itemtype"))
    if not types and "review" in (own.get("itemprop") or "").split():
        types = ("Review",)
    item: Item = {"@type": types}
    if ident := own.get("itemid"):
        item["@id"] = ident
    if depth > _MAX_DEPTH:
        return item
    for prop in props.get(scope.mem_id, ()):
        names = (attrs[prop.mem_id].get("itemprop") or "").split()
        value: Any = (
            _microdata_item(prop, attrs, scopes, props, depth=depth + 1)
            if prop.mem_id in scopes
            else _property_value(prop, attrs[prop.mem_id], names)
        )
        if value is None:
            continue
        for name in names:
            name = _bare_type(name) or name
            if name not in item:
                item[name] = value
            elif isinstance(item[name], list):
                item[name].append(value)
            else:
                item[name] = [item[name], value]
    return item


_URL_ATTR = {"a": "href", "area": "href", "link": "href", "img": "src", "audio": "src", "video": "src",
             "source": "src", "iframe": "src", "embed": "src", "object": "data"}  # fmt: skip


# Properties whose value is a link. On review sites `<a itemprop="name" href="/review_1">Title</a>` is
# common; the microdata rules would make that name the URL, which is never what the page means.
_URL_PROPS = frozenset({"url", "sameAs", "image", "logo", "photo", "mainEntityOfPage", "contentUrl", "thumbnailUrl"})


def _property_value(node: LexborNode, attrs: dict[str, str | None], names: list[str]) -> str | None:
    tag = node.tag or ""
    if "content" in attrs:
        return clean_text(attrs.get("content"), limit=_TEXT_LIMIT)
    if tag == "time" and attrs.get("datetime"):
        return clean_text(attrs.get("datetime"), single_line=True)
    if (attr := _URL_ATTR.get(tag)) is not None:
        link = clean_text(attrs.get(attr), single_line=True)
        if any((_bare_type(n) or n) in _URL_PROPS for n in names):
            return link
        return node_text(node, single_line=True, limit=_TEXT_LIMIT) or link
    if tag in ("data", "meter") and "value" in attrs:
        return clean_text(attrs.get("value"), single_line=True)
    return node_text(node, limit=_TEXT_LIMIT) or None


def walk(items: list[Item]) -> Iterator[Item]:
    """Every item and every item nested in one, each once, depth first (a Product's reviews, a list's entries)."""
    stack = list(reversed(items))
    seen: set[int] = set()
    while stack and len(seen) < _MAX_NODES:
        item = stack.pop()
        if id(item) in seen:
            continue  # JSON-LD nodes are shared (and may form cycles) where they refer to each other
        seen.add(id(item))
        yield item
        children: list[Item] = []
        for key, value in item.items():
            if key.startswith("@"):
                continue
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, dict):
                    children.append(v)
        stack.extend(reversed(children))
