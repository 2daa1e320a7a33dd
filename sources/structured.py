"""Pages whose reviews are marked up as schema.org data: read with no selectors.

A review site that wants search engines to show its stars marks each review up as a
schema.org `Review`, in JSON-LD or in microdata (sources.schema_org reads both). This kind
takes every Review on the page, wherever it nests (alone, in `@graph`, in a Product's or an
Organization's `review`, in an ItemList), and maps its properties to a mention:

    body       reviewBody, else description, else text; else the title (a title-only review
               is kept, not lost)
    title      headline, else name
    author     author.name (author may be a Person, a reference by @id, or a plain string)
    published  datePublished, else dateCreated
    rating     reviewRating.ratingValue on the 1-5 scale, using bestRating/worstRating
               when the site rates on another scale (0-10, 0-100)
    url        url
    id         identifier, else @id, else url

`format: auto` (the default) reads JSON-LD, and microdata only when JSON-LD has no Review (many
sites publish the same reviews in both, which would double every item); `json-ld` or
`microdata` reads that one only. A page with no Review says why: no structured data at all, or
an AggregateRating that counts reviews none of which is on the page (NOTHING_MATCHED, as a
changed layout would for selectors). A JSON-LD block that is not JSON is a MALFORMED warning.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sources.base import PageWarning, ParsedPage, RawMention, SourceKind
from sources.errors import ParseError
from sources.fill import skipped_warning
from sources.html import SelectorStr
from sources.schema_org import MAX_LIST, Found, Item, json_ld_items, microdata_items, types_of, walk
from sources.selectors import parse_selector
from sources.text import (
    AUTHOR_MAX,
    BODY_MAX,
    TITLE_MAX,
    absolute_url,
    clean_id,
    clean_text,
    html_to_text,
    parse_html,
)
from sources.values import parse_datetime, parse_rating

__all__ = ["REVIEW_TYPES", "StructuredSettings", "parse", "review_mention"]

# schema.org Review and its subtypes.
REVIEW_TYPES = frozenset({"Review", "UserReview", "CriticReview", "EmployerReview", "Recommendation"})
_MARKUP = re.compile(r"<[a-zA-Z/!]|&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")


class StructuredSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["auto", "json-ld", "microdata"] = Field(
        default="auto", description="which markup to read; auto: JSON-LD, else microdata"
    )
    next_page: SelectorStr | None = Field(default=None, description="e.g. 'a[rel=next]@href'")
    max_pages: int = Field(default=1, ge=1, le=50)


def parse(
    *,
    body: bytes,
    text: str,
    url: str,
    content_type: str | None,
    settings: StructuredSettings | None,
    fetched_at: datetime | None = None,
) -> ParsedPage:
    """Every schema.org Review on one page, as mentions (see the module docstring for the mapping).

    `fetched_at` is accepted as by every parser and not needed: schema.org dates are absolute.
    """
    settings = settings or StructuredSettings()
    tree, cut = parse_html(text)
    if tree is None:
        raise ParseError("HTML could not be parsed", url=url)
    page = ParsedPage(items=[])
    if cut is not None:
        page.warnings.append(
            PageWarning(
                PageWarning.TRUNCATED, f"page too large or nested too deep: read its first {cut:,} characters only"
            )
        )
    base = url
    if (base_el := tree.css_first("base[href]")) is not None:
        base = absolute_url(url, base_el.attributes.get("href")) or url
    if settings.next_page:
        selector = parse_selector(settings.next_page)
        node = tree.css_first(selector.css) if selector.css else None
        href = node.attributes.get(selector.attr or "href") if node is not None else None
        next_url = absolute_url(base, href)
        page.next_url = next_url if next_url != url else None

    found, reviews = _read(tree, settings.format)
    page.warnings.extend(PageWarning(PageWarning.MALFORMED, p) for p in found.problems)
    if found.cut_list:
        page.warnings.append(
            PageWarning(
                PageWarning.TRUNCATED,
                f"a JSON-LD list of {found.cut_list:,} entries: read its first {MAX_LIST:,} only",
            )
        )
    seen: set[tuple[Any, ...]] = set()
    no_text = 0
    for review in reviews:
        mention = review_mention(review, base)
        if mention is None:
            no_text += 1
            continue
        key = (mention.external_id,) if mention.external_id else (mention.body, mention.author, mention.published_at)
        if key not in seen:
            seen.add(key)
            page.items.append(mention)
    if no_text:
        page.skipped += no_text
        page.warnings.append(skipped_warning(no_text, "marked up as Review had no reviewBody, description or name"))
    if not reviews:
        page.warnings.append(PageWarning(PageWarning.NOTHING_MATCHED, _why_none(found, settings.format)))
    return page


def _read(tree: Any, fmt: str) -> tuple[Found, list[Item]]:
    """What the page's structured data holds, and the Reviews in it."""
    found = microdata_items(tree) if fmt == "microdata" else json_ld_items(tree)
    reviews = _reviews(found.items)
    if fmt == "auto" and not reviews:
        micro = microdata_items(tree)
        reviews = _reviews(micro.items)
        items = micro.items if reviews else found.items + micro.items
        return Found(items, found.problems + micro.problems, found.blocks + micro.blocks, found.cut_list), reviews
    return found, reviews


def _reviews(items: list[Item]) -> list[Item]:
    return [item for item in walk(items) if REVIEW_TYPES.intersection(types_of(item))]


def _why_none(found: Found, fmt: str) -> str:
    what = {"auto": "JSON-LD or microdata", "json-ld": "JSON-LD", "microdata": "microdata"}[fmt]
    for item in walk(found.items):
        if "AggregateRating" in types_of(item):
            count = _first_text(item, "reviewCount", "ratingCount")
            counted = f" counts {count} reviews but" if count else " is there but"
            return f"no schema.org Review in the page's {what}: its AggregateRating{counted} no review is marked up"
    if not found.blocks:
        return f"no schema.org Review: the page has no {what}"
    kinds = sorted({t for item in found.items for t in types_of(item)})[:8]
    return f"no schema.org Review in the page's {what} (found: {', '.join(kinds) or 'untyped items'})"


def review_mention(review: Item, base: str) -> RawMention | None:
    """A mention from one Review item; None when it has no text at all."""
    title = _single(_first_text(review, "headline", "name"), TITLE_MAX)
    body = _body(_first_text(review, "reviewBody", "description", "text")) or (title and _body(title))
    if not body:
        return None
    url = absolute_url(base, _first_text(review, "url"))
    ident = _first_text(review, "identifier") or review.get("@id")
    return RawMention(
        external_id=clean_id(ident) or url,
        url=url,
        title=title if title != body else None,
        body=body,
        author=_single(_name(review.get("author")), AUTHOR_MAX),
        published_at=parse_datetime(_first_text(review, "datePublished", "dateCreated")),
        rating=_rating(review.get("reviewRating")),
        replies=None,
    )


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _first_text(item: Item, *keys: str) -> str | None:
    for key in keys:
        value = _first(item.get(key))
        if isinstance(value, dict):  # e.g. identifier as a PropertyValue
            value = _first(value.get("value")) or _first(value.get("name"))
        if isinstance(value, str) and value.strip():
            return value
    return None


def _name(author: Any) -> str | None:
    author = _first(author)
    if isinstance(author, str):
        return author
    if isinstance(author, dict):
        return _first_text(author, "name", "alternateName") or _first_text(author, "givenName")
    return None


def _single(value: str | None, limit: int) -> str | None:
    return clean_text(value, single_line=True, limit=limit) if value else None


def _body(value: str | None) -> str | None:
    if not value:
        return None
    # JSON-LD bodies are mostly plain text with meaningful newlines; some sites put markup or entities in.
    if _MARKUP.search(value):
        return html_to_text(value, limit=BODY_MAX) or None
    return clean_text(value, limit=BODY_MAX)


def _number(value: Any) -> float | None:
    value = _first(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


def _rating(rating: Any) -> float | None:
    rating = _first(rating)
    if not isinstance(rating, dict):
        return parse_rating(rating)  # "4", "4/5" written straight in
    value = _number(rating.get("ratingValue"))
    if value is None:
        return parse_rating(_first_text(rating, "ratingValue"))
    best = _number(rating.get("bestRating"))
    best = 5.0 if best is None else best
    # Another scale (0-10, 0-100) is brought to 5 as parse_rating does for "8/10"; a best of 0 is nonsense.
    return parse_rating(value * 5.0 / best) if best > 0 else None


KIND = SourceKind("structured", StructuredSettings, parse, needs_settings=False)
