"""The `css@attr` selector syntax used by HTML sources.

    "h2.title"          text of the first element matching the CSS selector
    "a.permalink@href"  attribute `href` of the first match
    "@data-id"          attribute of the item element itself
    ""                  not set

Parsed once at config time so a typo is a config error, not a silent empty field.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Selector", "parse_selector"]


@dataclass(frozen=True, slots=True)
class Selector:
    css: str | None
    attr: str | None

    def __str__(self) -> str:
        return (self.css or "") + (f"@{self.attr}" if self.attr else "")


def parse_selector(value: str) -> Selector:
    """Split `css@attr`; raise ValueError naming what is wrong."""
    value = value.strip()
    if not value:
        raise ValueError("empty selector")
    # Split at the last "@" outside brackets and quotes: a[href^="mailto:x@y"]@href is legal.
    at = _split_point(value)
    css, sep, attr = (value[:at], "@", value[at + 1 :]) if at >= 0 else (value, "", "")
    if sep:
        attr = attr.strip()
        if not attr or not all(c.isalnum() or c in "-_:" for c in attr):
            raise ValueError(f"{value!r}: after '@' expected an attribute name such as href or data-id")
        css = css.strip()
    return Selector(css=css or None, attr=attr or None)


def _split_point(value: str) -> int:
    depth, quote, found = 0, "", -1
    for i, ch in enumerate(value):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "@" and depth == 0:
            found = i
    return found
