"""JSON API endpoints: items and fields picked out with JMESPath expressions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Annotated, Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sources.base import PageWarning, ParsedPage, RawMention, SourceKind
from sources.dates import Dated
from sources.errors import ParseError
from sources.field_spec import FieldPlan, FieldSpec, Locator, SpecFields, check_timezone, plan_field, read_rating, zone
from sources.fill import skipped_warning
from sources.text import (
    AUTHOR_MAX,
    BODY_MAX,
    REPLIES_MAX,
    REPLY_MAX,
    TITLE_MAX,
    absolute_url,
    clean_id,
    clean_text,
    html_to_text,
)

__all__ = ["JsonFields", "JsonSettings", "parse"]


def _check_expression(value: str | None) -> str | None:
    if value is not None:
        try:
            jmespath.compile(value)
        except jmespath.exceptions.JMESPathError as exc:
            raise ValueError(f"{value!r} is not a JMESPath expression: {exc}") from None
    return value


Expression = Annotated[str, AfterValidator(_check_expression)]


# Each field a JMESPath expression run on one item, a list of them, or a spec (sources.field_spec).
class JsonFieldSpec(FieldSpec):
    select: Locator(Expression)  # type: ignore[valid-type]


JsonLocator = Locator(Expression, spec=JsonFieldSpec)


class JsonFields(SpecFields[JsonLocator]):
    HTML = False


class JsonSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    items: Expression = Field(description="JMESPath to the list of items, e.g. 'data.reviews'")
    fields: JsonFields
    next_page: Expression | None = Field(default=None, description="JMESPath to the next page URL")
    max_pages: int = Field(default=1, ge=1, le=50)
    body_is_html: bool = False
    timezone: Annotated[str, AfterValidator(check_timezone)] | None = Field(
        default=None, description="IANA zone of the API's times that carry no offset, e.g. Europe/Moscow"
    )


_KIND = {dict: "dict", list: "list", str: "string", int: "number", float: "number", bool: "boolean"}


@lru_cache(maxsize=1024)
def _compiled(expression: str) -> ParsedResult:
    # Compiling is most of the cost of a JMESPath search on small items; sources reuse
    # the same few expressions on every item of every poll.
    return jmespath.compile(expression)


def parse(
    *,
    body: bytes,
    text: str,
    url: str,
    content_type: str | None,
    settings: JsonSettings,
    fetched_at: datetime | None = None,
) -> ParsedPage:
    """Pick the items of one JSON page out with the source's JMESPath expressions.

    The items expression runs on the document; each field expression runs on one item;
    `next_page` runs on the document again. An items expression that finds nothing (null)
    gives a warning, as a changed API shape would otherwise lose complaints silently; one
    that finds something other than a list is a ParseError. Items that are not objects, or
    whose body is empty, are skipped. Relative dates are read against `fetched_at`.
    """
    plan = _plan(settings)
    doc = _load(text, url)
    found = _search(settings.items, doc)
    page = ParsedPage(items=[])
    if settings.next_page:
        next_url = absolute_url(url, _search(settings.next_page, doc))
        page.next_url = next_url if next_url != url else None
    if found is None:
        page.warnings.append(PageWarning(PageWarning.NOTHING_MATCHED, f"expression {settings.items!r} matched nothing"))
        return page
    if not isinstance(found, list):
        kind = _KIND.get(type(found), type(found).__name__)
        raise ParseError(f"items expression {settings.items!r} gave a {kind}, expected a list", url=url)
    not_objects = no_body = 0
    for item in found:
        mention = _mention(item, plan, url, fetched_at) if isinstance(item, dict) else None
        if mention is None:
            page.skipped += 1
            if isinstance(item, dict):
                no_body += 1
            else:
                not_objects += 1
        else:
            page.items.append(mention)
    # Say why items were dropped, or they vanish without a trace.
    if no_body:
        page.warnings.append(skipped_warning(no_body, f"had no text for body expression {plan.body.label}"))
    if not_objects:
        page.warnings.append(skipped_warning(not_objects, "skipped: not a JSON object"))
    return page


def _load(text: str, url: str) -> Any:
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ParseError("empty body, expected JSON", url=url)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", url=url) from None
    except RecursionError:
        raise ParseError("invalid JSON: nested too deeply to read", url=url) from None
    except ValueError as exc:  # e.g. an integer literal over Python's 4300-digit limit
        raise ParseError(f"invalid JSON: {exc}"[:200], url=url) from None


def _search(expression: str, data: Any) -> Any:
    try:
        return _compiled(expression).search(data)
    except (JMESPathError, RecursionError):
        # A type error inside one expression (e.g. a function on a null) loses that value only.
        return None


@dataclass(frozen=True, slots=True)
class _Plan:
    """The expressions of one JsonSettings, compiled once."""

    body: FieldPlan[str]
    fields: dict[str, FieldPlan[str]]
    html: bool
    tz: tzinfo | None


@lru_cache(maxsize=256)
def _plan(settings: JsonSettings) -> _Plan:
    f = settings.fields
    named = {name: getattr(f, name) for name in ("id", "title", "author", "url", "published", "rating", "reply")}
    return _Plan(
        body=plan_field(f.body, str),
        fields={name: plan_field(loc, str) for name, loc in named.items() if loc is not None},
        html=settings.body_is_html,
        tz=zone(settings.timezone) if settings.timezone else None,
    )


def _mention(item: dict[str, Any], plan: _Plan, base: str, now: datetime | None) -> RawMention | None:
    f = plan.fields
    body = _markup_or_text(_pick_text(plan.body, item, base), html=plan.html, limit=BODY_MAX)
    if not body:
        return None
    url = absolute_url(base, _field(f.get("url"), item, base))
    published = _published(f.get("published"), item, base, now, plan.tz)
    rating = f.get("rating")
    return RawMention(
        external_id=clean_id(_field(f.get("id"), item, base)) or url,
        url=url,
        title=clean_text(_pick_text(f.get("title"), item, base), single_line=True, limit=TITLE_MAX),
        body=body,
        author=clean_text(_pick_text(f.get("author"), item, base), single_line=True, limit=AUTHOR_MAX),
        published_at=published.at if published else None,
        published_precision=published.precision if published else None,
        rating=None if rating is None else _rating(rating, item, base),
        replies=_replies(_field(f["reply"], item, base), html=plan.html) if "reply" in f else None,
    )


def _values(field: FieldPlan[str], item: dict[str, Any], base: str) -> list[Any]:
    """The field's non-empty values: as found for the plain form, after the spec's steps (as text)
    otherwise; of the first expression that gives one, or of all with `join`."""
    found: list[Any] = []
    for expression in field.locators:
        value = _search(expression, item)
        if field.refines:
            value = field.refine(_text(value), base)
        if value is not None and value != "" and value != []:
            found.append(value)
            if field.first_only:
                break
    return found


def _field(field: FieldPlan[str] | None, item: dict[str, Any], base: str) -> Any:
    if field is None:
        return None
    values = _values(field, item, base)
    return values[0] if values else None


def _pick_text(field: FieldPlan[str] | None, item: dict[str, Any], base: str) -> str | None:
    if field is None:
        return None
    if field.join is None:
        return _text(_field(field, item, base))
    # Joined before cleaning: clean_text keeps the separator's line breaks where the field has them.
    return field.join.join(t for v in _values(field, item, base) if (t := _text(v))) or None


def _published(
    field: FieldPlan[str] | None, item: dict[str, Any], base: str, now: datetime | None, tz: tzinfo | None
) -> Dated | None:
    for value in _values(field, item, base) if field is not None else ():
        if found := field.date(value, now=now, tz=tz):
            return found
    return None


def _rating(field: FieldPlan[str], item: dict[str, Any], base: str) -> float | None:
    for value in _values(field, item, base):
        if (rating := read_rating(value, field)) is not None:
            return rating
    return None


def _text(value: Any) -> str | None:
    """A field as text: strings as they are, numbers as digits (ids are often ints), a list
    of those joined by lines (bodies split in paragraphs); objects, booleans and null none."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        parts = [t for v in value[:1_000] if not isinstance(v, list | dict) and (t := _text(v))]
        return "\n".join(parts) or None
    return None


def _replies(value: Any, *, html: bool) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    replies: list[str] = []
    for v in values:
        text = _markup_or_text(_text(v) if not isinstance(v, list) else None, html=html, limit=REPLY_MAX)
        if text:
            replies.append(text)
            if len(replies) >= REPLIES_MAX:
                break
    return tuple(replies)


def _markup_or_text(value: str | None, *, html: bool, limit: int) -> str | None:
    if not value:
        return None
    return (html_to_text(value, limit=limit) or None) if html else clean_text(value, limit=limit)


KIND = SourceKind("json", JsonSettings, parse, needs_settings=True)
