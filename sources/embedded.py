"""JSON embedded in a page's script tag (`<script id="__NEXT_DATA__">`, `window.__STATE__ = {...}`).

Sites built with Next.js, Nuxt and similar frameworks ship the data a page shows as JSON in
a script element; it is often more complete than the markup (ids, exact dates, the company's
reply). This kind finds the element with a CSS selector, takes the JSON out of it, and then
reads items exactly as a `json` source does (sources.json: the same `items`, `fields`,
`next_page` and `body_is_html`, JMESPath expressions on the document and on each item).

The script may hold the JSON alone (`application/json`, `__NEXT_DATA__`) or a JavaScript
assignment around it (`window.__INITIAL_STATE__ = {...};`): the first JSON value after the
first `=` is taken then. With `variable:`, the first matching script that assigns that name is
read (pages carry many scripts without ids), from the JSON value after its `=`. A page without the element gives a NOTHING_MATCHED warning (the site
changed how it ships its data), an element whose content is not JSON a ParseError naming it.
"""

from __future__ import annotations

import json as jsonlib
import re
from datetime import datetime

from pydantic import Field
from selectolax.lexbor import LexborHTMLParser

from sources import json as json_kind
from sources.base import PageWarning, ParsedPage, SourceKind
from sources.errors import ParseError
from sources.html import SelectorStr
from sources.text import parse_html, select_all

__all__ = ["EmbeddedJsonSettings", "parse", "script_json"]


class EmbeddedJsonSettings(json_kind.JsonSettings):
    script: SelectorStr = Field(
        default="script#__NEXT_DATA__", description="CSS selector of the script element holding the JSON"
    )
    variable: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$",
        description="the JavaScript name the JSON is assigned to, e.g. window.__INITIAL_STATE__; "
        "the first element matching `script` that assigns it is read",
    )


def parse(
    *,
    body: bytes,
    text: str,
    url: str,
    content_type: str | None,
    settings: EmbeddedJsonSettings,
    fetched_at: datetime | None = None,
) -> ParsedPage:
    """Read the items of the JSON in the page's `settings.script` element as a `json` source would.

    Relative dates in the JSON are read against `fetched_at`, as in a `json` source.
    """
    tree, _ = parse_html(text)
    if tree is None:
        raise ParseError("HTML could not be parsed", url=url)
    content = _content(tree, settings)
    if content is None:
        what = f" assigning {settings.variable}" if settings.variable else ""
        warning = PageWarning(
            PageWarning.NOTHING_MATCHED, f"no element matches script selector {settings.script!r}{what}"
        )
        return ParsedPage(items=[], warnings=[warning])
    try:
        return json_kind.parse(
            body=body, text=content, url=url, content_type=content_type, settings=settings, fetched_at=fetched_at
        )
    except ParseError as exc:
        raise ParseError(f"script {settings.script!r}: {exc.message}", url=url) from None


def _content(tree: LexborHTMLParser, settings: EmbeddedJsonSettings) -> str | None:
    if settings.variable is None:
        node = tree.css_first(settings.script)
        return None if node is None else script_json(node.text(deep=True) or "")
    assignment = re.compile(re.escape(settings.variable) + r"\s*=(?!=)")
    for node in select_all(tree, settings.script):
        text = node.text(deep=True) or ""
        if (match := assignment.search(text)) is not None:
            return script_json(text[match.end() :], assigned=True)
    return None


def script_json(content: str, *, assigned: bool = False) -> str:
    """The JSON text in a script's content: all of it, or the value assigned in `name = {...};`.

    `assigned` says `content` starts right after the `=` of the assignment already.
    """
    stripped = content.strip()
    if not assigned:
        if not stripped or stripped[0] in '{["':
            return stripped
        eq = stripped.find("=")
        if eq < 0:
            return stripped
        stripped = stripped[eq + 1 :].lstrip()
    try:
        _, end = jsonlib.JSONDecoder().raw_decode(stripped)
    except (ValueError, RecursionError):
        return stripped.rstrip().rstrip(";")  # let sources.json report where it breaks
    return stripped[:end]


KIND = SourceKind("embedded_json", EmbeddedJsonSettings, parse, needs_settings=True)
