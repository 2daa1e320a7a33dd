"""HTML listing pages: items picked out with CSS selectors (`css@attr` syntax)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from sources.base import PageWarning, ParsedPage, RawMention, SourceKind
from sources.dates import Dated
from sources.errors import ParseError
from sources.field_spec import FieldPlan, FieldSpec, Locator, SpecFields, check_timezone, plan_field, read_rating, zone
from sources.fill import skipped_warning
from sources.quick_select import ItemIndex, Matcher, Simple, simple
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
    select_all,
)
from sources.values import parse_rating

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


# Each field one selector ("css" or "css@attribute"), a list of them, or a spec (sources.field_spec).
class HtmlFieldSpec(FieldSpec):
    select: Locator(SelectorStr)  # type: ignore[valid-type]


HtmlLocator = Locator(SelectorStr, spec=HtmlFieldSpec)


class HtmlFields(SpecFields[HtmlLocator]):
    HTML = True


class HtmlSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item: SelectorStr = Field(description="CSS selector matching one complaint on the page")
    fields: HtmlFields
    next_page: SelectorStr | None = Field(default=None, description="e.g. 'a.next@href'")
    max_pages: int = Field(default=1, ge=1, le=50)
    timezone: Annotated[str, AfterValidator(check_timezone)] | None = Field(
        default=None, description="IANA zone of the site's times that carry no offset, e.g. Europe/Moscow"
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    """Selectors of one HtmlSettings, split and checked once."""

    item: str
    body: FieldPlan[Selector]
    id: FieldPlan[Selector] | None
    title: FieldPlan[Selector] | None
    author: FieldPlan[Selector] | None
    url: FieldPlan[Selector] | None
    published: FieldPlan[Selector] | None
    rating: FieldPlan[Selector] | None
    reply: FieldPlan[Selector] | None
    next_page: Selector | None
    tz: tzinfo | None
    # The fields' selectors that sources.quick_select matches on one walk of each item, by CSS.
    quick: dict[str, Simple]
    matcher: Matcher


_PROBE = LexborHTMLParser("<p></p>")
_MEMO_MAX = 200  # longer values (texts, not ratings or dates) are not remembered
_UNSET = object()


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

    def opt(value: object) -> FieldPlan[Selector] | None:
        return None if value is None else plan_field(value, sel)

    item = sel(settings.item)
    if item.css is None:
        raise ParseError(f"item selector {settings.item!r} needs a CSS part")
    f = settings.fields
    fields = {
        "body": plan_field(f.body, sel),
        "id": opt(f.id),
        "title": opt(f.title),
        "author": opt(f.author),
        "url": opt(f.url),
        "published": opt(f.published),
        "rating": opt(f.rating),
        "reply": opt(f.reply),
    }
    quick = {
        s.css: q
        for field in fields.values()
        if field is not None
        for s in field.locators
        if s.css and (q := simple(s.css)) is not None
    }
    return _Plan(
        item=item.css,
        **fields,  # type: ignore[arg-type]
        next_page=None if settings.next_page is None else sel(settings.next_page),
        tz=zone(settings.timezone) if settings.timezone else None,
        quick=quick,
        matcher=Matcher(quick.values()),
    )


def parse(
    *,
    body: bytes,
    text: str,
    url: str,
    content_type: str | None,
    settings: HtmlSettings,
    fetched_at: datetime | None = None,
) -> ParsedPage:
    """Pick the items of one listing page out with the source's selectors.

    Zero items is not an error but a warning: a page whose layout changed parses fine and
    finds nothing, and the complaints it now holds would be missed without a trace.
    An item whose body is empty is skipped. Links resolve against <base href> when the
    page has one, else against the page URL. Relative dates ("вчера") are read against
    `fetched_at`; without it they are not read.
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
    nodes = select_all(tree, plan.item)
    if not nodes:
        mime = (content_type or "").split(";")[0].strip().lower()
        note = f" (content type {mime})" if mime and "html" not in mime else ""
        page.warnings.append(
            PageWarning(PageWarning.NOTHING_MATCHED, f"selector {settings.item!r} matched nothing{note}")
        )
    reader = _Reader(plan, base, fetched_at)
    missing = empty = 0
    for node in nodes:
        mention = reader.mention(node)
        if mention is None:
            page.skipped += 1
            # The reader prepared the node: the body element is looked up as the parser saw it.
            if all(_find(node, s) is None for s in plan.body.locators):
                missing += 1
            else:
                empty += 1
        else:
            page.items.append(mention)
    # Say why items were dropped, or a site's title-only reviews vanish without a trace.
    label = plan.body.label
    if missing:
        page.warnings.append(skipped_warning(missing, f"had no element for body selector {label}"))
    if empty:
        page.warnings.append(skipped_warning(empty, f"had an empty body (selector {label})"))
    return page


@dataclass(slots=True)
class _Reader:
    """Reads the fields of the items of one page by a source's plan."""

    plan: _Plan
    base: str
    now: datetime | None
    # Short values read before on this page, by (field, raw value): ratings and dates repeat from
    # item to item ("rating-40", "вчера"), and their pattern searches are most of a spec's cost.
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    index: ItemIndex | None = None  # the item being read's simple-selector matches

    def find(self, item: LexborNode, selector: Selector) -> LexborNode | None:
        if selector.css is None:
            return item
        # The index holds a list for each of the plan's simple selectors, and for nothing else.
        if (index := self.index) is not None and index.exact and (nodes := index.found.get(selector.css)) is not None:
            return nodes[0] if nodes else None
        return item.css_first(selector.css)

    def find_all(self, item: LexborNode, selector: Selector) -> list[LexborNode]:
        if selector.css is None:
            return [item]
        if (index := self.index) is not None and index.exact and (q := self.plan.quick.get(selector.css)):
            return index.all(q)
        return select_all(item, selector.css)

    def value(
        self, item: LexborNode, selector: Selector, *, single_line: bool = True, limit: int | None = None
    ) -> str | None:
        if (node := self.find(item, selector)) is None:
            return None
        return _read(node, selector.attr, single_line=single_line, limit=limit)

    def mention(self, item: LexborNode) -> RawMention | None:
        # Sentinels and dropped elements first, selectors after: a field can then never
        # select into a <script> or <noscript>, and text nodes added between elements
        # change no element selector.
        walked = prepare_node(item)
        plan = self.plan
        self.index = plan.matcher.index(item, walked) if plan.quick else None
        body = self.text(item, plan.body, single_line=False, limit=BODY_MAX)
        if not body:
            return None
        url = self.url(item, plan.url) if plan.url else None
        published = self.published(item, plan.published) if plan.published else None
        return RawMention(
            external_id=clean_id(self.text(item, plan.id)) or url,
            url=url,
            title=self.text(item, plan.title, limit=TITLE_MAX),
            body=body,
            author=self.text(item, plan.author, limit=AUTHOR_MAX),
            published_at=published.at if published else None,
            published_precision=published.precision if published else None,
            rating=self.rating(item, plan.rating) if plan.rating else None,
            replies=self.replies(item, plan.reply) if plan.reply is not None else None,
        )

    def first(
        self, item: LexborNode, field: FieldPlan[Selector], *, single_line: bool = True, limit: int | None = None
    ) -> str | None:
        """`values` of a field without join: the first non-empty value after the spec's steps, or None."""
        own, refines = field.own_text, field.refines
        for selector in field.locators:
            if (node := self.find(item, selector)) is None:
                continue
            value = _read(node, selector.attr, single_line=single_line, limit=limit, own=own)
            if refines:
                value = self._refine(field, value)
            if value:
                return value
        return None

    def values(
        self, item: LexborNode, field: FieldPlan[Selector], *, single_line: bool = True, limit: int | None = None
    ) -> list[str]:
        """The field's non-empty values after its spec's steps: of the first locator that gives
        one, or (with join) of every locator and every element each matches."""
        if field.first_only:
            value = self.first(item, field, single_line=single_line, limit=limit)
            return [value] if value else []
        found: list[str] = []
        seen: set[tuple[int, str | None]] = set()  # an element two locators both match joins once
        for selector in field.locators:
            for node in self.find_all(item, selector):
                if (node.mem_id, selector.attr) in seen:
                    continue
                seen.add((node.mem_id, selector.attr))
                value = _read(node, selector.attr, single_line=single_line, limit=limit, own=field.own_text)
                if field.refines:
                    value = self._refine(field, value)
                if value:
                    found.append(value)
        return found

    def text(
        self, item: LexborNode, field: FieldPlan[Selector] | None, *, single_line: bool = True, limit: int | None = None
    ) -> str | None:
        if field is None:
            return None
        if field.plain:
            return self.value(item, field.locators[0], single_line=single_line, limit=limit)
        if field.first_only:
            return self.first(item, field, single_line=single_line, limit=limit)  # what pick() would take
        values = self.values(item, field, single_line=single_line, limit=limit)
        return field.pick(values, limit=limit, single_line=single_line)

    def url(self, item: LexborNode, field: FieldPlan[Selector]) -> str | None:
        for selector in field.locators:
            link = _link_of(self.find(item, selector), selector)
            if field.refines:
                link = field.refine(link, self.base)
            if found := absolute_url(self.base, link):
                return found
        return None

    def published(self, item: LexborNode, field: FieldPlan[Selector]) -> Dated | None:
        # "time@datetime" is the usual selector, but some items' <time> carry only text:
        # each locator's attribute is tried, then its element's text; the first date read wins.
        for selector in field.locators:
            if (node := self.find(item, selector)) is None:
                continue
            if selector.attr and (found := self._date(field, node.attributes.get(selector.attr))):
                return found
            if found := self._date(field, node_text(node, single_line=True, own=field.own_text)):
                return found
        return None

    def _refine(self, field: FieldPlan[Selector], value: str | None) -> str | None:
        if value is not None and len(value) > _MEMO_MAX:
            return field.refine(value, self.base)
        key = (id(field), value)
        if (found := self.memo.get(key, _UNSET)) is _UNSET:
            found = self.memo[key] = field.refine(value, self.base)
        return found

    def _date(self, field: FieldPlan[Selector], value: str | None) -> Dated | None:
        if field.refines:
            value = self._refine(field, value)
        if not value:
            return None
        if len(value) > _MEMO_MAX:
            return field.date(value, now=self.now, tz=self.plan.tz)
        key = (-id(field), value)  # negated: not the key of the same value's refined text
        if (found := self.memo.get(key, _UNSET)) is _UNSET:
            found = self.memo[key] = field.date(value, now=self.now, tz=self.plan.tz)
        return found

    def rating(self, item: LexborNode, field: FieldPlan[Selector]) -> float | None:
        if field.plain:
            return parse_rating(self.value(item, field.locators[0]))
        if (value := self.first(item, field)) is None:  # a rating takes no join: one value at most
            return None
        if len(value) > _MEMO_MAX:
            return read_rating(value, field)
        key = (id(field), value, "rating")  # three long: never the key of a refined text or a date
        if (found := self.memo.get(key, _UNSET)) is _UNSET:
            found = self.memo[key] = read_rating(value, field)
        return found

    def replies(self, item: LexborNode, field: FieldPlan[Selector]) -> tuple[str, ...]:
        # Every element every locator matches is one reply.
        replies: list[str] = []
        for selector in field.locators:
            for node in self.find_all(item, selector):
                reply = _read(node, selector.attr, single_line=False, limit=REPLY_MAX, own=field.own_text)
                if field.refines:
                    reply = self._refine(field, reply)
                if reply:
                    replies.append(reply)
                if len(replies) >= REPLIES_MAX:
                    return tuple(replies)
        return tuple(replies)


def _find(item: LexborNode, selector: Selector) -> LexborNode | None:
    return item.css_first(selector.css) if selector.css else item


def _read(
    node: LexborNode, attr: str | None, *, single_line: bool, limit: int | None = None, own: bool = False
) -> str | None:
    if attr:
        # Attribute values are text already (the parser decoded entities); no markup to strip.
        return clean_text(node.attrs.get(attr), single_line=single_line, limit=limit)
    return node_text(node, single_line=single_line, limit=limit, own=own) or None


def _link(root: LexborNode | None, selector: Selector) -> str | None:
    return _link_of(_find(root, selector) if root is not None else None, selector)


def _link_of(node: LexborNode | None, selector: Selector) -> str | None:
    # A link selector without @attr ("a.next") means the element's href; its text only
    # when that is itself a URL ("Читать" would resolve to a nonsense relative link).
    if node is None:
        return None
    if selector.attr:
        return node.attributes.get(selector.attr)
    text = node.text().strip()
    return node.attributes.get("href") or (text if text.startswith(("http://", "https://")) else None)


KIND = SourceKind("html", HtmlSettings, parse, needs_settings=True)
