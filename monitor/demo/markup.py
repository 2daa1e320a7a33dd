"""What every site of the demo board renders from: the page a renderer gets (`View`), the
complaints on it (`Shown`), and the text helpers the sites' markups share (monitor.demo.sites)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.demo.catalogue import Complaint, Listing

__all__ = [
    "AMT", "BRANDS", "CET", "EET", "FORBIDDEN", "MSK", "Shown", "View", "escape", "html_page", "iso", "item_path",
    "paragraphs", "rfc822", "ru_date", "stars", "teaser", "xml_document",
]  # fmt: skip

MSK = timezone(timedelta(hours=3), "MSK")
CET = timezone(timedelta(hours=1), "CET")
AMT = timezone(timedelta(hours=4), "AMT")
EET = timezone(timedelta(hours=2), "EET")
BRANDS = {"acme": ("Acme", "Акме", "Ակմե"), "lastochka": ("Lastochka", "Ласточка", "Լաստոչկա")}
# Characters XML 1.0 forbids (and lone surrogates, which no encoder accepts).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Shown:
    """A complaint as the board shows it: when it is released and when it was published."""

    c: Complaint
    release_at: float  # seconds after the board starts
    published: datetime  # aware, UTC


@dataclass(frozen=True, slots=True)
class View:
    """One page of one listing, as a renderer gets it."""

    listing: Listing
    base: str  # "http://127.0.0.1:8123"
    items: list[Shown]
    total: int
    first: int  # index of items[0] in the whole listing
    next_href: str | None  # relative link to the next page
    next_url: str | None  # absolute link to the next page
    self_url: str
    updated: datetime

    def link(self, s: Shown) -> str:
        return self.base + item_path(s.c)


def escape(value: object) -> str:
    """Escape for HTML and XML text and attribute values alike."""
    return html.escape(FORBIDDEN.sub("", str(value)), quote=True)


def paragraphs(body: str) -> str:
    """Body as HTML paragraphs: blank lines split paragraphs, single newlines become <br>."""
    parts = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    return "".join("<p>" + "<br>".join(escape(line) for line in p.strip().split("\n")) + "</p>" for p in parts)


def teaser(body: str, limit: int = 120) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def iso(dt: datetime, tz: timezone = UTC) -> str:
    text = dt.astimezone(tz).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if tz is UTC else text


def rfc822(dt: datetime, tz: timezone = UTC) -> str:
    return format_datetime(dt.astimezone(UTC), usegmt=True) if tz is UTC else format_datetime(dt.astimezone(tz))


_RU_MONTHS = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


def ru_date(dt: datetime) -> str:
    local = dt.astimezone(MSK)
    return f"{local.day} {_RU_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


def stars(rating: int | None) -> str:
    return "" if rating is None else "★" * rating + "☆" * (5 - rating)


def item_path(c: Complaint) -> str:
    if c.site == "staryforum":
        return f"/staryforum/viewtopic.php?p={c.id}"
    return f"/{c.site}/item/{c.id}"


def xml_document(text: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode()


def html_page(title: str, lang: str, style: str, body: str, charset: str = "utf-8") -> str:
    meta = (
        '<meta charset="utf-8">'
        if charset == "utf-8"
        else f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{meta}\n<title>{escape(title)}</title>\n'
        f"<style>{style}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
