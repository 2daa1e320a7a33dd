"""JSON embedded in a page's script tag (`<script id="__NEXT_DATA__">`, `window.__STATE__ = {...}`).

Sites built with Next.js, Nuxt and similar frameworks ship the data a page shows as JSON in
a script element; it is often more complete than the markup (ids, exact dates, the company's
reply). This kind finds the element with a CSS selector, takes the JSON out of it, and then
reads items exactly as a `json` source does (sources.json: the same `items`, `fields`,
`next_page` and `body_is_html`, JMESPath expressions on the document and on each item).

The script may hold the JSON alone (`application/json`, `__NEXT_DATA__`) or a JavaScript
assignment around it (`window.__INITIAL_STATE__ = {...};`): the first JSON value after the
first `=` is taken then. A page without the element gives a NOTHING_MATCHED warning (the site
changed how it ships its data), an element whose content is not JSON a ParseError naming it.
"""

from __future__ import annotations

import json as jsonlib

from pydantic import Field

from sources import json as json_kind
from sources.base import PageWarning, ParsedPage, SourceKind
from sources.errors import ParseError
from sources.html import SelectorStr
from sources.text import parse_html

__all__ = ["EmbeddedJsonSettings", "parse", "script_json"]


class EmbeddedJsonSettings(json_kind.JsonSettings):
    script: SelectorStr = Field(
        default="script#__NEXT_DATA__", description="CSS selector of the script element holding the JSON"
    )


def parse(*, body: bytes, text: str, url: str, content_type: str | None, settings: EmbeddedJsonSettings) -> ParsedPage:
    """Read the items of the JSON in the page's `settings.script` element as a `json` source would."""
    tree, _ = parse_html(text)
    if tree is None:
        raise ParseError("HTML could not be parsed", url=url)
    node = tree.css_first(settings.script)
    if node is None:
        return ParsedPage(
            items=[],
            warnings=[
                PageWarning(PageWarning.NOTHING_MATCHED, f"no element matches script selector {settings.script!r}")
            ],
        )
    content = script_json(node.text(deep=True) or "")
    try:
        return json_kind.parse(body=body, text=content, url=url, content_type=content_type, settings=settings)
    except ParseError as exc:
        raise ParseError(f"script {settings.script!r}: {exc.message}", url=url) from None


def script_json(content: str) -> str:
    """The JSON text in a script's content: all of it, or the value assigned in `name = {...};`."""
    stripped = content.strip()
    if not stripped or stripped[0] in '{["':
        return stripped
    eq = stripped.find("=")
    if eq < 0:
        return stripped
    rest = stripped[eq + 1 :].lstrip()
    try:
        _, end = jsonlib.JSONDecoder().raw_decode(rest)
    except (ValueError, RecursionError):
        return rest.rstrip().rstrip(";")  # let sources.json report where it breaks
    return rest[:end]


KIND = SourceKind("embedded_json", EmbeddedJsonSettings, parse, needs_settings=True)
