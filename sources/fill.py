"""How much of each configured field a poll's items carried, and why items were skipped.

A page whose layout changed rarely fails outright: more often one field's selector stops
matching (the dates move to another element) and every item arrives without it, or an
item kind the parser cannot read (a title-only review) is dropped. Both parse "fine", so
the poll has to say so itself: `field_fill` counts, per configured field, the items that
had it (monitor compares it with the previous poll's), and `explain_skips` makes sure
every skipped item is accounted for by a SKIPPED warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sources.base import ItemFields, PageWarning, ParsedPage, RawMention

__all__ = ["FEED_FIELDS", "configured_fields", "explain_skips", "field_fill", "skipped_warning"]

# A field of the configuration (ItemFields) → the RawMention attribute it fills. `reply` is left
# out on purpose: a page showing no replies under any item is the normal case, not a lost field.
_ATTRS = {
    "id": "external_id",
    "title": "title",
    "body": "body",
    "author": "author",
    "url": "url",
    "published": "published_at",
    "rating": "rating",
}
# Feeds have no selectors: these are what a feed entry normally carries.
FEED_FIELDS = ("title", "body", "author", "published", "rating")
_COUNT = re.compile(r"^(\d+) ")


def configured_fields(settings: Any) -> tuple[str, ...]:
    """The fields a source names a locator for (HTML/JSON), or the feed fields for a feed."""
    fields = getattr(settings, "fields", None)
    if isinstance(fields, ItemFields):
        return tuple(name for name in _ATTRS if getattr(fields, name) is not None)
    return FEED_FIELDS


def field_fill(items: Sequence[RawMention], fields: Sequence[str]) -> dict[str, int]:
    """For each field, how many of `items` had a value for it."""
    fill = dict.fromkeys(fields, 0)
    attrs = [(name, _ATTRS[name]) for name in fields if name in _ATTRS]
    for item in items:
        for name, attr in attrs:
            value = getattr(item, attr)
            if value is not None and value != "":
                fill[name] += 1
    return fill


def skipped_warning(count: int, reason: str) -> PageWarning:
    """One SKIPPED warning: "<count> item(s) <reason>"; the count leads so `explain_skips` can sum them."""
    return PageWarning(PageWarning.SKIPPED, f"{count} item{'s' if count != 1 else ''} {reason}")


def explain_skips(page: ParsedPage) -> None:
    """Add a SKIPPED warning for skipped items a parser gave no reason for, so none is lost in silence."""
    explained = sum(
        int(m.group(1)) for w in page.warnings if w.kind == PageWarning.SKIPPED and (m := _COUNT.match(w.text))
    )
    if page.skipped > explained:
        page.warnings.append(skipped_warning(page.skipped - explained, "skipped: the parser could not read them"))
