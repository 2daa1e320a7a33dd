"""Field specs: how one field of an item is read when a single selector is not enough.

A field of an `html` or `json` source is written in one of three forms:

    body: "div.text"                          one locator (a CSS selector or a JMESPath expression)
    body: ["div.text", "h3.title"]            several: the first that gives a non-empty value wins
    body: {select: [...], join: "\\n\\n", ...}  a spec with the keys of `FieldSpec`

Each value a locator finds goes through the spec's steps in this order, per value:
own text (HTML) → `strip_prefix` → `regex` → `url_pattern`; what is left empty does not
count, so the next locator is tried (or, with `join`, it is left out). Then the field's
own reading: `scale` for a rating, `formats` for a date (sources.dates), a URL resolved
against the page, an id kept as text.

Patterns run in the `regex` module with a time limit per match and on at most
`_REGEX_INPUT_MAX` characters, so a pattern that backtracks catastrophically on some
hostile text costs that value, not the poll. The time limit itself costs about twice the
search on a short value, so where no backtracking can be long (`_plain_twin`: at most one
unbounded repeat, none nested, no backreference, on an ASCII value of at most
`_PLAIN_INPUT_MAX` characters) the same pattern runs in the standard `re` module instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from functools import cache
from typing import Annotated, Any, ClassVar, Generic, TypeVar, Union
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import regex
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationInfo, field_validator

from sources.base import ItemFields
from sources.dates import Dated, DateFormat, compile_format, read_date
from sources.text import absolute_url, clean_text
from sources.values import parse_rating

__all__ = [
    "FieldPlan",
    "FieldSpec",
    "Locator",
    "SpecFields",
    "check_spec_field",
    "check_timezone",
    "describe",
    "plan_field",
    "read_rating",
    "zone",
]

L = TypeVar("L")
T = TypeVar("T")

_REGEX_TIMEOUT = 0.05  # seconds a single match may take
_REGEX_INPUT_MAX = 10_000
_PATTERN_MAX = 500
_PLAIN_INPUT_MAX = 200  # one unbounded repeat on this much text: at most ~20,000 steps
# regex's VERSION1 syntax that `re` reads otherwise or not at all: nested sets and set operations,
# Unicode properties, word boundaries \m \M, \X \G \K, branch reset, inline V0/V1 flags.
_V1_ONLY = ("[[", "--", "&&", "||", "~~", "\\p", "\\P", "\\m", "\\M", "\\X", "\\G", "\\K", "\\L", "(?|", "(?V", "(?r")


class FieldSpec(BaseModel):
    """The long form of a field in sources.yaml (see README "Field specs").

    Each kind subclasses it with its own `select` type (a plain, module-level class, so that
    settings pickle into the parse worker processes: a parametrized generic would not)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    select: Any = Field(description="one locator, or a list: the first non-empty value wins")
    join: str | None = Field(default=None, description="join the values of every locator (and every match)")
    own_text: bool = Field(default=False, description="HTML: the element's own text, without its children's")
    strip_prefix: str | tuple[str, ...] = Field(
        default=(), description="prefixes removed (case-insensitive, as whole words when they end in a letter)"
    )
    regex: str | None = Field(default=None, description="keep the group `value`, else group 1, else the match")
    url_pattern: str | None = Field(default=None, description="regex on the path?query of the value as a URL")
    scale: float | None = Field(default=None, gt=0, le=10_000, description="rating: the site's best score")
    formats: tuple[str, ...] = Field(default=(), description="date: the site's formats, e.g. '%B %Y'")

    @field_validator("regex", "url_pattern")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            _compile(value)
        return value

    @field_validator("strip_prefix")
    @classmethod
    def _prefixes(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        if any(not p.strip() for p in ((value,) if isinstance(value, str) else value)):
            raise ValueError("a prefix to strip cannot be empty")
        return value

    @field_validator("formats")
    @classmethod
    def _formats(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for fmt in value:
            compile_format(fmt)
        return value


def _shape(value: Any) -> str:
    if isinstance(value, dict | FieldSpec):
        return "Spec"
    return "List" if isinstance(value, list | tuple) else "One"


def Locator(one: Any, *, spec: type[FieldSpec] | None = None) -> Any:
    """The type of a field in sources.yaml: `one` locator, a list of 1 to 20, or (given `spec`) that FieldSpec.

    Told apart by the YAML value's shape (string, list, mapping), so an error names the one
    form the user wrote rather than every form it failed to be. The tags are capitalised
    because config error messages leave such names out of the key path.
    """
    some = Annotated[tuple[one, ...], Field(min_length=1, max_length=20)]
    forms: list[Any] = [Annotated[one, Tag("One")], Annotated[some, Tag("List")]]
    if spec is not None:
        forms.append(Annotated[spec, Tag("Spec")])
    return Annotated[Union[tuple(forms)], Discriminator(_shape)]  # noqa: UP007 (built at run time)


def _compile(pattern: str) -> regex.Pattern[str]:
    if len(pattern) > _PATTERN_MAX:
        raise ValueError(f"pattern is {len(pattern)} characters long, at most {_PATTERN_MAX} allowed")
    try:
        compiled = _compiled(pattern)
    except regex.error as exc:
        raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
    if compiled.groups > 1 and "value" not in compiled.groupindex:
        raise ValueError(f"{pattern!r} has {compiled.groups} groups: keep one, or name the one to keep (?P<value>...)")
    return compiled


@cache
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern, regex.IGNORECASE | regex.VERSION1)


# Which field may use which key: a key that means nothing for a field is refused, not ignored.
_ONLY_FOR = {"scale": ("rating",), "formats": ("published",), "url_pattern": ("id", "url")}


class SpecFields(ItemFields[L], Generic[L]):
    """The fields of a source kind whose fields may be specs; `HTML` says whether `own_text` applies."""

    HTML: ClassVar[bool] = False

    @field_validator("*")
    @classmethod
    def _spec_keys(cls, value: Any, info: ValidationInfo) -> Any:
        return check_spec_field(value, info, html=cls.HTML)


def check_spec_field(value: Any, info: ValidationInfo, *, html: bool) -> Any:
    """Per-field checks of a spec: a key that means nothing for the field is refused."""
    if not isinstance(value, FieldSpec):
        return value
    for key, fields in _ONLY_FOR.items():
        if key in value.model_fields_set and info.field_name not in fields:
            raise ValueError(f"{key} applies only to the {' and '.join(fields)} field(s), not {info.field_name}")
    if value.own_text and not html:
        raise ValueError("own_text applies to HTML sources only")
    if value.join is not None and info.field_name in ("id", "url", "published", "rating"):
        raise ValueError(f"join makes no sense for {info.field_name}: it takes one value")
    if value.join is not None and info.field_name == "reply":
        raise ValueError("join makes no sense for reply: every element found is a reply of its own")
    return value


def check_timezone(value: str | None) -> str | None:
    """A source's `timezone` (an IANA name such as Europe/Moscow), checked at config time."""
    if value is not None:
        zone(value)
    return value


@cache
def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as Europe/Moscow") from None


@dataclass(frozen=True, slots=True)
class FieldPlan(Generic[T]):
    """One field's spec compiled for reading: its locators (selectors or expressions) and steps."""

    locators: tuple[T, ...]
    label: str  # the field as the user wrote it, for warnings
    plain: bool = True  # the one-locator form: read exactly as before field specs existed
    join: str | None = None
    own_text: bool = False
    strip_prefix: tuple[str, ...] = ()
    regex: regex.Pattern[str] | None = None
    url_pattern: regex.Pattern[str] | None = None
    scale: float | None = None
    formats: tuple[DateFormat, ...] = ()
    # Worked out once: read for every field of every item.
    first_only: bool = field(init=False)
    refines: bool = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "first_only", self.join is None)
        object.__setattr__(self, "refines", bool(self.strip_prefix or self.regex or self.url_pattern))

    def refine(self, text: str | None, base: str) -> str | None:
        """The steps of a spec on one value, in the module docstring's order; None when nothing is left."""
        if not text:
            return None
        for prefix in self.strip_prefix:
            if _starts_with(text, prefix):
                text = text[len(prefix) :].lstrip()
        if self.regex is not None:
            text = _search(self.regex, text)
        if text and self.url_pattern is not None:
            text = _search(self.url_pattern, _path_and_query(base, text))
        return text or None

    def pick(self, values: Sequence[str], *, limit: int | None = None, single_line: bool = True) -> str | None:
        """The field's text from the non-empty values found: the first, or all joined."""
        if not values:
            return None
        if self.join is None:
            return values[0]
        return clean_text(self.join.join(values), single_line=single_line, limit=limit)

    def date(self, value: object, *, now: datetime | None, tz: tzinfo | None) -> Dated | None:
        return read_date(value, formats=self.formats, now=now, tz=tz)


def _starts_with(text: str, prefix: str) -> bool:
    """`text` starts with `prefix` (case-insensitive) as a word: "от" strips "от Марина", not "отличный"."""
    if text[: len(prefix)].casefold() != prefix.casefold():
        return False
    rest = text[len(prefix) : len(prefix) + 1]
    return not (rest and prefix[-1].isalnum() and rest.isalnum())


def _path_and_query(base: str, href: str) -> str:
    """The path and query of a link as the page means it, so absolute and relative links agree."""
    href = href.strip()
    if href.startswith("/") and not href.startswith("//") and "/." not in href:
        # Already the path (the common relative form): no need to resolve it, which costs more
        # than the rest of the field.
        return href.split("#", 1)[0]
    if href[:8].lower().startswith(("http://", "https://")) and href.isprintable() and " " not in href:
        # Absolute already: resolving it against the page changes neither its path nor its query.
        parts = urlsplit(href)
        if parts.netloc:
            return parts.path + (f"?{parts.query}" if parts.query else "")
    link = absolute_url(base, href)
    if link is None:
        return href
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _search(pattern: regex.Pattern[str], text: str) -> str | None:
    text = text[:_REGEX_INPUT_MAX]
    twin = _plain_twin(pattern.pattern)
    try:
        if twin is not None and len(text) <= _PLAIN_INPUT_MAX and text.isascii():
            m: re.Match[str] | regex.Match[str] | None = twin.search(text)
        else:
            m = pattern.search(text, timeout=_REGEX_TIMEOUT)
    except TimeoutError:
        return None
    if m is None:
        return None
    group = "value" if "value" in pattern.groupindex else 1 if pattern.groups else 0
    found = m.group(group)
    return found.strip() if found else None


@cache
def _plain_twin(pattern: str) -> re.Pattern[str] | None:
    """The pattern in `re`, when it matches as in regex's VERSION1 on ASCII text and cannot backtrack long
    on a short value, else None. Such a pattern is ASCII, has none of VERSION1's own syntax and no
    backreference, repeats single characters only (`\\d+`, `[^/]*`; `(a|aa)+` is exponential), and at most
    one of its repeats is unbounded: then a search is at most quadratic in the value's length."""
    if not pattern.isascii() or any(token in pattern for token in _V1_ONLY):
        return None
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
        tree = re._parser.parse(pattern, re.IGNORECASE)  # type: ignore[attr-defined]
    except (re.error, RecursionError):
        return None
    return compiled if _unbounded_repeats(tree) <= 1 else None


_ONE_CHARACTER = {"LITERAL", "NOT_LITERAL", "IN", "ANY", "CATEGORY"}
_REPEATS = {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}
_UNSAFE = 99


def _unbounded_repeats(items: Any) -> int:
    """The unbounded repeats of an `re` parse tree; _UNSAFE for a repeat of more than one character or a
    backreference."""
    count = 0
    for op, arg in items:
        name = str(op)
        if name in _REPEATS:
            _low, high, sub = arg
            if len(sub) != 1 or str(sub[0][0]) not in _ONE_CHARACTER:
                return _UNSAFE
            count += high > 10  # MAXREPEAT (no upper bound) among them
        elif name in ("GROUPREF", "GROUPREF_EXISTS"):
            return _UNSAFE
        elif name == "SUBPATTERN":
            count += _unbounded_repeats(arg[-1])
        elif name in ("ASSERT", "ASSERT_NOT"):
            count += _unbounded_repeats(arg[1])
        elif name == "BRANCH":
            count += sum(_unbounded_repeats(branch) for branch in arg[1])
        elif name == "ATOMIC_GROUP":
            count += _unbounded_repeats(arg)
        if count >= _UNSAFE:
            return _UNSAFE
    return count


def plan_field(locator: Any, compile_locator: Callable[[Any], T]) -> FieldPlan[T]:
    """Compile one field as written in the settings (a locator, a tuple of them, or a FieldSpec)."""
    if isinstance(locator, FieldSpec):
        select = locator.select if isinstance(locator.select, tuple) else (locator.select,)
        prefixes = (locator.strip_prefix,) if isinstance(locator.strip_prefix, str) else locator.strip_prefix
        return FieldPlan(
            locators=tuple(compile_locator(s) for s in select),
            label=describe(locator),
            plain=False,
            join=locator.join,
            own_text=locator.own_text,
            strip_prefix=prefixes,
            regex=_compile(locator.regex) if locator.regex else None,
            url_pattern=_compile(locator.url_pattern) if locator.url_pattern else None,
            scale=locator.scale,
            formats=tuple(compile_format(f) for f in locator.formats),
        )
    if isinstance(locator, tuple):
        return FieldPlan(tuple(compile_locator(s) for s in locator), describe(locator), plain=False)
    return FieldPlan((compile_locator(locator),), describe(locator))


def describe(locator: Any) -> str:
    """A field's locators as a user reads them in a warning: 'div.text' or 'div.text' or 'h3'."""
    if isinstance(locator, FieldSpec):
        locator = locator.select
    if isinstance(locator, tuple):
        return " or ".join(repr(s) for s in locator)
    return repr(locator)


_NUMBER = regex.compile(r"(?<![\w.,])-?\d+(?:[.,]\d+)?")


def read_rating(value: object, plan: FieldPlan[Any]) -> float | None:
    """A rating on the stored 0-5 scale. With a `scale`, the first number of the value is a score
    out of `scale` ("45", "rating-45" after a regex, 4.5 of 10); without one, `parse_rating`."""
    if plan.scale is None:
        return parse_rating(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and (m := _NUMBER.search(value[:200])):
        number = float(m.group().replace(",", "."))
    else:
        return None
    return parse_rating(number * 5 / plan.scale)
