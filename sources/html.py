"""HTML listing pages: items picked out with CSS selectors (`css@attr` syntax)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from sources.base import ItemFields, PageWarning, ParsedPage, RawMention, SourceKind
from sources.errors import ParseError
from sources.fill import skipped_warning
from sources.selectors import Selector, parse_selector
from sources.text import (
    AUTHOR_MAX,
    BODY_MAX,
    REPLIES_MAX,
    REPLY_MAX,
    TITLE_MAX,
    absolute_url,
    clean_id,
    clean_text,
    node_text,
    parse_html,
    prepare_node,
)
from sources.values import parse_datetime, parse_rating

__all__ = ["HtmlFields", "HtmlSettings", "parse"]


def _check_selector(value: str | None) -> str | None:
    """Refuse a selector at config time that would fail, or silently match nothing, at poll time."""
    if value is not None:
        selector = parse_selector(value)
        if selector.css:
            try:
                LexborHTMLParser("<p></p>").css(selector.css)
            except SelectolaxError:
                raise ValueError(f"{selector.css!r} is not a valid CSS selector") from None
    return value


SelectorStr = Annotated[str, AfterValidator(_check_selector)]


HtmlFields = ItemFields[SelectorStr]  # each field a selector, "css" or "css@attribute"


class HtmlSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item: SelectorStr = Field(description="CSS selector matching one complaint on the page")
    fields: HtmlFields
    next_page: SelectorStr | None = Field(default=None, description="e.g. 'a.next@href'")
    max_pages: int = Field(default=1, ge=1, le=50)


@dataclass(frozen=True, slots=True)
class _Plan:
    """Selectors of one HtmlSettings, split and checked once."""

    item: str
    body: Selector
    id: Selector | None
    title: Selector | None
    author: Selector | None
    url: Selector | None
    published: Selector | None
    rating: Selector | None
    reply: Selector | None
    next_page: Selector | None


_PROBE = LexborHTMLParser("<p></p>")


@lru_cache(maxsize=256)
def _plan(settings: HtmlSettings) -> _Plan:
    # Settings are frozen (hashable) models, so each source's selectors are split and
    # checked once per process, not once per page.
    def sel(value: str) -> Selector:
        selector = parse_selector(value)
        if selector.css:
            try:
                _PROBE.css(selector.css)
            except SelectolaxError:
                raise ParseError(f"CSS selector {selector.css!r} cannot be parsed") from None
        return selector

    def opt(value: str | None) -> Selector | None:
        return None if value is None else sel(value)

    item = sel(settings.item)
    if item.css is None:
        raise ParseError(f"item selector {settings.item!r} needs a CSS part")
    f = settings.fields
    return _Plan(
        item=item.css,
        body=sel(f.body),
        id=opt(f.id),
        title=opt(f.title),
        author=opt(f.author),
        url=opt(f.url),
        published=opt(f.published),
        rating=opt(f.rating),
        reply=opt(f.reply),
        next_page=opt(settings.next_page),
    )


def parse(*, body: bytes, text: str, url: str, content_type: str | None, settings: HtmlSettings) -> ParsedPage:
    """Pick the items of one listing page out with the source's selectors.

    Zero items is not an error but a warning: a page whose layout changed parses fine and
    finds nothing, and the complaints it now holds would be missed without a trace.
    An item whose body is empty is skipped. Links resolve against <base href> when the
    page has one, else against the page URL.
    """
    try:
        plan = _plan(settings)
    except ParseError as exc:
        raise ParseError(exc.message, url=url) from None
    tree, cut = parse_html(text)
    if tree is None:
        raise ParseError("HTML could not be parsed", url=url)
    base = url
    if (base_el := tree.css_first("base[href]")) is not None:
        base = absolute_url(url, base_el.attributes.get("href")) or url
    page = ParsedPage(items=[])
    if cut is not None:
        page.warnings.append(
            PageWarning(
                PageWarning.TRUNCATED, f"page too large or nested too deep: read its first {cut:,} characters only"
            )
        )
    if plan.next_page is not None:
        next_url = absolute_url(base, _link(tree.root, plan.next_page))
        page.next_url = next_url if next_url != url else None
    nodes = tree.css(plan.item)
    if not nodes:
        mime = (content_type or "").split(";")[0].strip().lower()
        note = f" (content type {mime})" if mime and "html" not in mime else ""
        page.warnings.append(
            PageWarning(PageWarning.NOTHING_MATCHED, f"selector {settings.item!r} matched nothing{note}")
        )
    missing = empty = 0
    for node in nodes:
        mention = _mention(node, plan, base)
        if mention is None:
            page.skipped += 1
            # _mention prepared the node: the body element is looked up as the parser saw it.
            if _find(node, plan.body) is None:
                missing += 1
            else:
                empty += 1
        else:
            page.items.append(mention)
    # Say why items were dropped, or a site's title-only reviews vanish without a trace.
    if missing:
        page.warnings.append(skipped_warning(missing, f"had no element for body selector {settings.fields.body!r}"))
    if empty:
        page.warnings.append(skipped_warning(empty, f"had an empty body (selector {settings.fields.body!r})"))
    return page


def _mention(item: LexborNode, plan: _Plan, base: str) -> RawMention | None:
    # Sentinels and dropped elements first, selectors after: a field can then never
    # select into a <script> or <noscript>, and text nodes added between elements
    # change no element selector.
    prepare_node(item)
    body = _value(item, plan.body, single_line=False, limit=BODY_MAX)
    if not body:
        return None
    url = absolute_url(base, _link(item, plan.url)) if plan.url else None
    replies: list[str] = []
    if plan.reply is not None:
        for node in item.css(plan.reply.css) if plan.reply.css else [item]:
            if (reply := _read(node, plan.reply.attr, single_line=False, limit=REPLY_MAX)) is not None:
                replies.append(reply)
            if len(replies) >= REPLIES_MAX:
                break
    return RawMention(
        external_id=clean_id(_value(item, plan.id)) or url,
        url=url,
        title=_value(item, plan.title, limit=TITLE_MAX),
        body=body,
        author=_value(item, plan.author, limit=AUTHOR_MAX),
        published_at=_published(item, plan.published),
        rating=parse_rating(_value(item, plan.rating)),
        replies=tuple(replies) if plan.reply is not None else None,
    )


def _published(item: LexborNode, selector: Selector | None) -> datetime | None:
    # "time@datetime" is the usual selector, but some items' <time> carry only text.
    if selector is None or (node := _find(item, selector)) is None:
        return None
    value = node.attributes.get(selector.attr) if selector.attr else None
    return parse_datetime(value) or parse_datetime(node_text(node, single_line=True))


def _find(item: LexborNode, selector: Selector) -> LexborNode | None:
    return item.css_first(selector.css) if selector.css else item


def _value(
    item: LexborNode, selector: Selector | None, *, single_line: bool = True, limit: int | None = None
) -> str | None:
    if selector is None or (node := _find(item, selector)) is None:
        return None
    return _read(node, selector.attr, single_line=single_line, limit=limit)


def _read(node: LexborNode, attr: str | None, *, single_line: bool, limit: int | None = None) -> str | None:
    if attr:
        # Attribute values are text already (the parser decoded entities); no markup to strip.
        return clean_text(node.attributes.get(attr), single_line=single_line, limit=limit)
    return node_text(node, single_line=single_line, limit=limit) or None


def _link(root: LexborNode | None, selector: Selector) -> str | None:
    # A link selector without @attr ("a.next") means the element's href; its text only
    # when that is itself a URL ("Читать" would resolve to a nonsense relative link).
    node = _find(root, selector) if root is not None else None
    if node is None:
        return None
    if selector.attr:
        return node.attributes.get(selector.attr)
    text = node.text().strip()
    return node.attributes.get("href") or (text if text.startswith(("http://", "https://")) else None)


KIND = SourceKind("html", HtmlSettings, parse, needs_settings=True)
