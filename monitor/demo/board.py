"""The fictional complaint board that `replywatch demo` watches, served on loopback.

Two invented shops are complained about: **Acme / Акме** (electronics and home
appliances) and **Lastochka / Ласточка** (grocery delivery). The complaints live in
`complaints.json` next to this module; `monitor/demo/sources.yaml` is the watch list
for the paths below. Every site has its own markup, as real sites do.

    path                                          kind         source key            site
    /zhalobnik/acme.rss                           RSS 2.0      zhalobnik-acme        Жалобник (ru)
    /zhalobnik/lastochka.rss                      RSS 2.0      zhalobnik-lastochka   Жалобник (ru)
    /kundenstimme/feed.rss                        RSS 2.0      kundenstimme          Kundenstimme (de)
    /pretenzia/feed.atom                          Atom         pretenzia             Претензия.online (ru)
    /skarga/feed.atom                             Atom         skarga                Скарга (be)
    /reviewhub/lastochka.atom                     Atom         reviewhub-lastochka   ReviewHub (en)
    /otzyvy/acme/?page=N                          HTML         otzyvy-acme           Отзывы Онлайн (ru)
    /karciq/?page=N                               HTML         karciq                Կարծիք (hy)
    /grumble/complaints?p=N                       HTML         grumble               Grumble forum (en)
    /staryforum/viewforum.php?f=7&start=N         HTML cp1251  staryforum            Старый форум (ru)
    /complaintbook/api/v2/complaints?company=X&page=N
                                                  JSON         complaintbook-acme    Книга жалоб (ru)
    /trustmeter/api/reviews?page=N                JSON         trustmeter            TrustMeter (en, de)
    /skargi/api/feed.json?offset=N                JSON         skargi                Скарги (uk, ru)
    /vsezhaloby/rss.xml                           always 500   vsezhaloby            ВсеЖалобы (down)

Also `/` (an index of the sites), `/robots.txt` (everything allowed) and one page per
complaint (`/<site>/item/<id>`, the forum's `/staryforum/viewtopic.php?p=<id>`).

Listings are newest first, 5 items a page (the JSON APIs 2 or 3), with a next-page link
while more remain; feeds show every visible item. Every listing answers conditional
GETs: a strong ETag (a hash of the body) and Last-Modified (the newest visible item),
and 304 when If-None-Match matches (or, without it, when If-Modified-Since is not older).

Items with `release_after` 0 are visible from the start; the others appear one at a
time, `release_every` seconds apart, in the order of their `release_after`, so new
complaints turn up while the demo runs. Time comes from `clock`, so tests can move it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

__all__ = [
    "LISTINGS",
    "PAGE_SIZE",
    "BoardServer",
    "Complaint",
    "Listing",
    "create_board_app",
    "demo_config_path",
    "load_complaints",
]

PAGE_SIZE = 5
_MSK = timezone(timedelta(hours=3), "MSK")
_CET = timezone(timedelta(hours=1), "CET")
_AMT = timezone(timedelta(hours=4), "AMT")
_EET = timezone(timedelta(hours=2), "EET")
_BRANDS = {"acme": ("Acme", "Акме", "Ակմե"), "lastochka": ("Lastochka", "Ласточка", "Լաստոչկա")}
_OFFSET = re.compile(r"^-(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
# Characters XML 1.0 forbids (and lone surrogates, which no encoder accepts).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Complaint:
    """One record of complaints.json: what one site shows."""

    id: str
    site: str
    body: str
    author: str
    brand: str | None = None
    title: str | None = None
    # "-1d2h" = that long before the board starts; an ISO 8601 time; None = when released.
    published: str | None = None
    rating: int | None = None
    language: str = "ru"
    release_after: float = 0.0
    crosspost: str | None = None

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Complaint:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in names})


def load_complaints() -> list[Complaint]:
    """The complaints shipped with the package."""
    text = resources.files("monitor.demo").joinpath("complaints.json").read_text(encoding="utf-8")
    return [Complaint.from_record(r) for r in json.loads(text)["complaints"]]


def demo_config_path() -> Path:
    """The demo's watch list; its URLs use ${REPLYWATCH_DEMO_BOARD}, the board's base URL."""
    return Path(__file__).with_name("sources.yaml")


@dataclass(frozen=True, slots=True)
class Listing:
    """One watched URL of the board: a feed, an HTML listing or a JSON endpoint."""

    key: str
    path: str
    kind: str  # rss | atom | html | json | broken
    site: str
    name: str
    language: str
    query: str = ""  # what sources.yaml appends to the path
    brand: str | None = None  # fixed brand filter
    brand_param: str | None = None  # or a query parameter naming the brand
    page_param: str = "page"
    page_offset: bool = False  # the parameter counts items, not pages
    page_size: int = PAGE_SIZE


LISTINGS: tuple[Listing, ...] = (
    Listing("zhalobnik-acme", "/zhalobnik/acme.rss", "rss", "zhalobnik", "Жалобник — Акме", "ru", brand="acme"),
    Listing(
        "zhalobnik-lastochka",
        "/zhalobnik/lastochka.rss",
        "rss",
        "zhalobnik",
        "Жалобник — Ласточка",
        "ru",
        brand="lastochka",
    ),
    Listing("kundenstimme", "/kundenstimme/feed.rss", "rss", "kundenstimme", "Kundenstimme", "de"),
    Listing("pretenzia", "/pretenzia/feed.atom", "atom", "pretenzia", "Претензия.online", "ru"),
    Listing("skarga", "/skarga/feed.atom", "atom", "skarga", "Скарга", "be"),
    Listing(
        "reviewhub-lastochka",
        "/reviewhub/lastochka.atom",
        "atom",
        "reviewhub",
        "ReviewHub — Lastochka",
        "en",
        brand="lastochka",
    ),
    Listing("otzyvy-acme", "/otzyvy/acme/", "html", "otzyvy", "Отзывы Онлайн — Акме", "ru", brand="acme"),
    Listing("karciq", "/karciq/", "html", "karciq", "Կարծիք", "hy"),
    Listing("grumble", "/grumble/complaints", "html", "grumble", "Grumble forum", "en", page_param="p"),
    Listing(
        "staryforum",
        "/staryforum/viewforum.php",
        "html",
        "staryforum",
        "Старый форум (windows-1251)",
        "ru",
        query="?f=7",
        page_param="start",
        page_offset=True,
    ),
    Listing(
        "complaintbook-acme",
        "/complaintbook/api/v2/complaints",
        "json",
        "complaintbook",
        "Книга жалоб — API",
        "ru",
        query="?company=acme",
        brand_param="company",
        page_size=3,
    ),
    Listing("trustmeter", "/trustmeter/api/reviews", "json", "trustmeter", "TrustMeter API", "en", page_size=2),
    Listing(
        "skargi",
        "/skargi/api/feed.json",
        "json",
        "skargi",
        "Скарги — API",
        "uk",
        page_param="offset",
        page_offset=True,
        page_size=2,
    ),
    Listing("vsezhaloby", "/vsezhaloby/rss.xml", "broken", "vsezhaloby", "ВсеЖалобы (сервер сломан)", "ru"),
)


@dataclass(frozen=True, slots=True)
class _Shown:
    c: Complaint
    release_at: float  # seconds after the board starts
    published: datetime  # aware, UTC


@dataclass(frozen=True, slots=True)
class _View:
    listing: Listing
    base: str  # "http://127.0.0.1:8123"
    items: list[_Shown]
    total: int
    first: int  # index of items[0] in the whole listing
    next_href: str | None  # relative link to the next page
    next_url: str | None  # absolute link to the next page
    self_url: str
    updated: datetime

    def link(self, s: _Shown) -> str:
        return self.base + _item_path(s.c)


class _Board:
    def __init__(
        self, complaints: Iterable[Complaint], started_at: float, clock: Callable[[], float], every: float
    ) -> None:
        complaints = [_cleaned(c) for c in complaints]
        if len({c.id for c in complaints}) != len(complaints):
            raise ValueError("complaint ids must be unique")
        pending = sorted((c for c in complaints if c.release_after > 0), key=lambda c: (c.release_after, c.id))
        release = {c.id: (i + 1) * every for i, c in enumerate(pending)}
        self.clock, self.started_at = clock, started_at
        start = datetime.fromtimestamp(started_at, UTC)
        shown = [_Shown(c, release.get(c.id, 0.0), _published(c, start, release.get(c.id, 0.0))) for c in complaints]
        self.items = sorted(shown, key=lambda s: (s.published, s.c.id), reverse=True)
        self.pending = len(pending)

    def visible(self, site: str | None = None, brand: str | None = None) -> list[_Shown]:
        elapsed = self.clock() - self.started_at
        return [
            s
            for s in self.items
            if s.release_at <= elapsed and (site is None or s.c.site == site) and (brand is None or s.c.brand == brand)
        ]

    def find(self, site: str, cid: str) -> _Shown | None:
        return next((s for s in self.visible(site) if s.c.id == cid), None)


def _cleaned(c: Complaint) -> Complaint:
    def clean(value: str | None) -> str | None:
        return None if value is None else _FORBIDDEN.sub("", str(value))

    return dataclasses.replace(c, body=clean(c.body) or "", author=clean(c.author) or "", title=clean(c.title))


def _published(c: Complaint, start: datetime, release_at: float) -> datetime:
    if release_at > 0 or not c.published:
        return start + timedelta(seconds=release_at)
    if m := _OFFSET.match(c.published):
        d, h, mins = (int(x or 0) for x in m.groups())
        return start - timedelta(days=d, hours=h, minutes=mins)
    when = datetime.fromisoformat(c.published)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


# ------------------------------------------------------------------ text helpers


def _h(value: object) -> str:
    """Escape for HTML and XML text and attribute values alike."""
    return html.escape(_FORBIDDEN.sub("", str(value)), quote=True)


def _paras(body: str) -> str:
    """Body as HTML paragraphs: blank lines split paragraphs, single newlines become <br>."""
    parts = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    return "".join("<p>" + "<br>".join(_h(line) for line in p.strip().split("\n")) + "</p>" for p in parts)


def _teaser(body: str, limit: int = 120) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"


def _iso(dt: datetime, tz: timezone = UTC) -> str:
    text = dt.astimezone(tz).isoformat(timespec="seconds")
    return text.replace("+00:00", "Z") if tz is UTC else text


def _rfc822(dt: datetime, tz: timezone = UTC) -> str:
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


def _ru_date(dt: datetime) -> str:
    local = dt.astimezone(_MSK)
    return f"{local.day} {_RU_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


def _stars(rating: int | None) -> str:
    return "" if rating is None else "★" * rating + "☆" * (5 - rating)


def _item_path(c: Complaint) -> str:
    if c.site == "staryforum":
        return f"/staryforum/viewtopic.php?p={c.id}"
    return f"/{c.site}/item/{c.id}"


def _xml(text: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode()


# ------------------------------------------------------------------ feeds


def _rss(v: _View) -> tuple[bytes, str]:
    german = v.listing.site == "kundenstimme"
    tz = UTC if german else _MSK
    out = [
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{_h(v.listing.name)}</title>",
        f"<link>{_h(v.base)}/#{_h(v.listing.key)}</link>",
        f'<atom:link href="{_h(v.self_url)}" rel="self" type="application/rss+xml"/>',
        "<description>"
        + ("Neueste Beschwerden und Bewertungen" if german else "Свежие жалобы покупателей")
        + "</description>",
        f"<language>{v.listing.language}</language>",
        f"<lastBuildDate>{_rfc822(v.updated, tz)}</lastBuildDate>",
        "<ttl>1</ttl>",
    ]
    for s in v.items:
        c, link = s.c, v.link(s)
        out.append("<item>")
        if c.title:
            out.append(f"<title>{_h(c.title)}</title>")
        out.append(f"<link>{_h(link)}</link>")
        if german:
            out += [
                f'<guid isPermaLink="false">kundenstimme-{_h(c.id)}</guid>',
                f"<author>{_h(c.author)}</author>",  # a name, not an e-mail: common, if off-spec
                f"<category>{_h(_BRANDS[c.brand][0] if c.brand else 'Sonstiges')}</category>",
                f"<description>{_h(_teaser(c.body))}</description>",
                f"<content:encoded>{_h(_paras(c.body) + _rating_line(c, 'Bewertung'))}</content:encoded>",
            ]
        else:
            out += [
                f'<guid isPermaLink="true">{_h(link)}</guid>',
                f"<dc:creator>{_h(c.author)}</dc:creator>",
                f"<description>{_h(_paras(c.body) + _rating_line(c, 'Оценка'))}</description>",
            ]
        out += [f"<pubDate>{_rfc822(s.published, tz)}</pubDate>", "</item>"]
    out += ["</channel>", "</rss>", ""]
    return _xml("\n".join(out)), "application/rss+xml; charset=utf-8"


def _rating_line(c: Complaint, word: str) -> str:
    return "" if c.rating is None else f"<p><b>{word}: {c.rating}/5</b></p>"


_ATOM_STYLE = {
    # site: (feed subtitle, time zone, entry id)
    "pretenzia": ("Все жалобы и претензии", _MSK, lambda c: f"tag:pretenzia.example,2024:complaint/{c.id}"),
    "skarga": ("Апошнія скаргі", _MSK, lambda c: f"tag:skarga.example,2023:{c.id}"),
    "reviewhub": (
        "Latest reviews",
        UTC,
        lambda c: "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"reviewhub.example/{c.id}")),
    ),
}


def _atom(v: _View) -> tuple[bytes, str]:
    subtitle, tz, entry_id = _ATOM_STYLE[v.listing.site]
    out = [
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{v.listing.language}">',
        f"<id>tag:{v.listing.site}.example,2023:feed/{_h(v.listing.key)}</id>",
        f"<title>{_h(v.listing.name)}</title>",
        f"<subtitle>{_h(subtitle)}</subtitle>",
        f'<link rel="self" type="application/atom+xml" href="{_h(v.self_url)}"/>',
        f'<link rel="alternate" type="text/html" href="{_h(v.base)}/#{_h(v.listing.key)}"/>',
        f"<updated>{_iso(v.updated, tz)}</updated>",
    ]
    for s in v.items:
        c = s.c
        title = c.title or _teaser(c.body, 60)
        out += [
            "<entry>",
            f"<id>{_h(entry_id(c))}</id>",
            f'<link rel="alternate" type="text/html" href="{_h(v.link(s))}"/>',
            f"<title>{_h(title)}</title>",
            f"<author><name>{_h(c.author)}</name></author>",
            f"<published>{_iso(s.published, tz)}</published>",
            f"<updated>{_iso(s.published, tz)}</updated>",
            f'<content type="html">{_h(_paras(c.body) + _rating_line(c, "Rating"))}</content>',
            "</entry>",
        ]
    out += ["</feed>", ""]
    return _xml("\n".join(out)), "application/atom+xml; charset=utf-8"


# ------------------------------------------------------------------ HTML listings


def _page(title: str, lang: str, style: str, body: str, charset: str = "utf-8") -> str:
    meta = (
        '<meta charset="utf-8">'
        if charset == "utf-8"
        else f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{meta}\n<title>{_h(title)}</title>\n'
        f"<style>{style}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _otzyvy(v: _View) -> tuple[bytes, str]:
    cards = []
    for s in v.items:
        c = s.c
        rating = (
            f'<span class="stars" data-value="{c.rating}" title="{c.rating} из 5">{_stars(c.rating)}</span>'
            if c.rating is not None
            else ""
        )
        cards.append(
            f'<article class="review" data-id="{_h(c.id)}">\n'
            + (f'  <h3 class="title">{_h(c.title)}</h3>\n' if c.title else "")
            + f'  <div class="meta"><span class="who">{_h(c.author)}</span>, '
            f'<time datetime="{_iso(s.published, _MSK)}">{_ru_date(s.published)}</time> {rating}</div>\n'
            f'  <div class="text">{_paras(c.body)}</div>\n'
            f'  <a class="permalink" href="{_h(_item_path(c))}">Ссылка на отзыв</a>\n'
            "</article>"
        )
    pager = f'<a class="next" href="{_h(v.next_href)}">Следующая страница →</a>' if v.next_href else ""
    body = (
        '<header class="site-header"><a class="logo" href="/">Отзывы&nbsp;Онлайн</a></header>\n<main>\n'
        f"<h1>Отзывы покупателей об {_h(_BRANDS['acme'][1])}</h1>\n"
        f'<p class="count">Всего отзывов: {v.total}</p>\n'
        '<section class="reviews">\n' + "\n".join(cards) + "\n</section>\n"
        f'<nav class="pagination">{pager}</nav>\n</main>'
    )
    css = ".review{border-bottom:1px solid #ddd;padding:1em 0}.stars{color:#e90}.who{font-weight:bold}"
    return _page(v.listing.name, "ru", css, body).encode(), "text/html; charset=utf-8"


def _karciq(v: _View) -> tuple[bytes, str]:
    cards = []
    for s in v.items:
        c = s.c
        rating = (
            f' <span class="karciq-rating" data-score="{c.rating}">{c.rating}/5</span>' if c.rating is not None else ""
        )
        cards.append(
            f'<div class="karciq-card" data-key="{_h(c.id)}">\n'
            f'  <div class="karciq-head"><a class="karciq-title" href="{_h(_item_path(c))}">'
            f"{_h(c.title or _teaser(c.body, 50))}</a>{rating}</div>\n"
            f'  <div class="karciq-body">{_paras(c.body)}</div>\n'
            f'  <div class="karciq-foot"><span class="karciq-author">{_h(c.author)}</span> · '
            f'<time class="karciq-date" datetime="{_iso(s.published, _AMT)}">'
            f"{s.published.astimezone(_AMT):%d.%m.%Y %H:%M}</time></div>\n"
            "</div>"
        )
    pager = f'<a class="pager-next" rel="next" href="{_h(v.next_href)}">Հաջորդ էջ →</a>' if v.next_href else ""
    body = (
        '<div id="top"><a href="/">Կարծիք</a> — հաճախորդների կարծիքներ և բողոքներ</div>\n'
        '<div class="karciq-list">\n' + "\n".join(cards) + "\n</div>\n"
        f'<div class="pager">{pager}</div>'
    )
    css = ".karciq-card{margin:1em;padding:1em;background:#f7f3ea}.karciq-rating{float:right}"
    return _page(v.listing.name, "hy", css, body).encode(), "text/html; charset=utf-8"


def _grumble(v: _View) -> tuple[bytes, str]:
    threads = []
    for s in v.items:
        c = s.c
        threads.append(
            f'<li class="thread" id="thread-{_h(c.id)}" data-thread="{_h(c.id)}">\n'
            f'  <a class="thread-link" href="{_h(_item_path(c))}">{_h(c.title or "(no subject)")}</a>\n'
            f'  <div class="post"><blockquote class="post-body">{_paras(c.body)}</blockquote></div>\n'
            f'  <div class="byline">posted by <cite class="poster">{_h(c.author)}</cite> on '
            f'<abbr class="ts" title="{_iso(s.published)}">{s.published:%b %d, %Y %H:%M} UTC</abbr></div>\n'
            "</li>"
        )
    older = f'<a class="older" href="{_h(v.next_href)}">Older complaints »</a>' if v.next_href else ""
    body = (
        '<div class="top-bar"><a href="/">Grumble</a> › Shops &amp; deliveries</div>\n'
        '<ul class="threads">\n' + "\n".join(threads) + "\n</ul>\n"
        f'<div class="paging">{older}</div>'
    )
    css = "body{font-family:Verdana,sans-serif}.thread{list-style:none;margin-bottom:1.5em}"
    return _page(v.listing.name, "en", css, body).encode(), "text/html; charset=utf-8"


def _staryforum(v: _View) -> tuple[bytes, str]:
    rows = []
    for s in v.items:
        c = s.c
        rows.append(
            f'<tr class="msg" id="p{_h(c.id)}">\n'
            f'<td class="row1"><a class="topictitle" href="{_h(_item_path(c)[len("/staryforum/") :])}">'
            f"{_h(c.title or 'Без темы')}</a>\n"
            f'<div class="postbody">{_paras(c.body)}</div></td>\n'
            f'<td class="row2 name" valign="top"><b>{_h(c.author)}</b></td>\n'
            f'<td class="row1 postdate" valign="top" title="{_iso(s.published, _MSK)}">'
            f"{s.published.astimezone(_MSK):%d.%m.%Y %H:%M}</td>\n"
            "</tr>"
        )
    pages = max(1, -(-v.total // PAGE_SIZE))
    nav = f"Страница {v.first // PAGE_SIZE + 1} из {pages}"
    if v.next_href:
        nav += f' &bull; <a class="nav-next" href="{_h(v.next_href)}">След. &raquo;</a>'
    body = (
        '<table width="100%"><tr><td><a href="/"><b>Старый форум</b></a> :: Жалобы на магазины и доставку'
        "</td></tr></table>\n"
        '<table class="forumline" width="100%" cellspacing="1" cellpadding="4">\n'
        "<tr><th>Тема / сообщение</th><th>Автор</th><th>Дата</th></tr>\n"
        + "\n".join(rows)
        + f'\n</table>\n<span class="nav">{nav}</span>'
    )
    css = "body{background:#E5E5E5;font-family:Tahoma}.row1{background:#EFEFEF}.row2{background:#DEE3E7}"
    text = _page(v.listing.name, "ru", css, body, charset="windows-1251")
    return text.encode("cp1251", errors="xmlcharrefreplace"), "text/html; charset=windows-1251"


# ------------------------------------------------------------------ JSON APIs


def _dump(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def _complaintbook(v: _View) -> tuple[bytes, str]:
    reviews = [
        {
            "id": s.c.id,
            "company": s.c.brand,
            "title": s.c.title,
            "text": s.c.body,
            "user": {"name": s.c.author, "verified": " " in s.c.author},
            "link": v.link(s),
            "created_at": _iso(s.published, _MSK),
            "stars": s.c.rating,
        }
        for s in v.items
    ]
    data = {
        "data": {"reviews": reviews, "total": v.total},
        "links": {"self": v.self_url, "next": v.next_url},
        "meta": {"page": v.first // v.listing.page_size + 1, "per_page": v.listing.page_size},
    }
    return _dump(data), "application/json"


def _trustmeter(v: _View) -> tuple[bytes, str]:
    results = [
        {
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"trustmeter.example/{s.c.id}")),
            "headline": s.c.title,
            "content": _paras(s.c.body),
            "reviewer": {"displayName": s.c.author},
            "url": v.link(s),
            "date": _iso(s.published),
            "score": s.c.rating,
        }
        for s in v.items
    ]
    data = {"count": v.total, "next": v.next_url, "results": results}
    return _dump(data), "application/json"


def _skargi(v: _View) -> tuple[bytes, str]:
    items = [
        {
            "id": int(s.c.id) if s.c.id.isdigit() else s.c.id,
            "title": s.c.title,
            "message": s.c.body,
            "author": s.c.author,
            "ts": _iso(s.published, _EET),
            "link": v.link(s),
        }
        for s in v.items
    ]
    data = {"items": items, "paging": {"offset": v.first, "limit": v.listing.page_size, "next_url": v.next_url}}
    return _dump(data), "application/json"


_RENDER: dict[str, Callable[[_View], tuple[bytes, str]]] = {
    "zhalobnik": _rss,
    "kundenstimme": _rss,
    "pretenzia": _atom,
    "skarga": _atom,
    "reviewhub": _atom,
    "otzyvy": _otzyvy,
    "karciq": _karciq,
    "grumble": _grumble,
    "staryforum": _staryforum,
    "complaintbook": _complaintbook,
    "trustmeter": _trustmeter,
    "skargi": _skargi,
}


# ------------------------------------------------------------------ HTTP


def _view(board: _Board, listing: Listing, request: Request) -> _View:
    brand = request.query_params.get(listing.brand_param) if listing.brand_param else listing.brand
    items = board.visible(listing.site, brand)
    base = f"{request.url.scheme}://{request.url.netloc}"
    updated = max((s.published for s in items), default=datetime.fromtimestamp(board.started_at, UTC))
    first, next_href, next_url, shown = 0, None, None, items
    if listing.kind in ("html", "json"):
        try:
            n = int(request.query_params.get(listing.page_param, ""))
        except ValueError:
            n = 0 if listing.page_offset else 1
        size = listing.page_size
        first = max(0, n) if listing.page_offset else (max(1, n) - 1) * size
        shown = items[first : first + size]
        if first + size < len(items):
            params = dict(request.query_params)
            params[listing.page_param] = str(first + size if listing.page_offset else first // size + 2)
            query = urlencode(params)
            next_href = (listing.path.rsplit("/", 1)[1] if listing.key == "staryforum" else "") + "?" + query
            next_url = f"{base}{listing.path}?{query}"
    return _View(listing, base, shown, len(items), first, next_href, next_url, str(request.url), updated)


def _conditional(request: Request, body: bytes, media_type: str, updated: datetime) -> Response:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Last-Modified": format_datetime(updated.astimezone(UTC), usegmt=True)}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        if etag in tags or "*" in tags:
            return Response(status_code=304, headers=headers)
    elif since := request.headers.get("if-modified-since"):
        try:
            since_dt = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            since_dt = None
        if since_dt and since_dt.tzinfo and int(updated.timestamp()) <= int(since_dt.timestamp()):
            return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


_BROKEN = (
    "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body>"
    "<h1>Internal Server Error</h1><p>upstream database connection failed</p></body></html>"
)


def _listing_endpoint(board: _Board, listing: Listing) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        if listing.kind == "broken":
            return HTMLResponse(_BROKEN, status_code=500)
        view = _view(board, listing, request)
        body, media_type = _RENDER[listing.site](view)
        return _conditional(request, body, media_type, view.updated)

    return endpoint


def _item_endpoint(board: _Board) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        if request.url.path.startswith("/staryforum/"):
            site, cid = "staryforum", request.query_params.get("p", "")
        else:
            site, cid = request.path_params["site"], request.path_params["cid"]
        shown = board.find(site, cid)
        if shown is None:
            return PlainTextResponse("Not found", status_code=404)
        c = shown.c
        listing = next(x for x in LISTINGS if x.site == site)
        body = (
            f'<p><a href="/">← {_h(listing.name)}</a></p>\n<article class="complaint" data-id="{_h(c.id)}">\n'
            f"<h1>{_h(c.title or _teaser(c.body, 60))}</h1>\n"
            f'<p class="byline">{_h(c.author)} · <time datetime="{_iso(shown.published)}">'
            f"{shown.published:%Y-%m-%d %H:%M} UTC</time>"
            + (f' · <span class="rating">{c.rating}/5</span>' if c.rating is not None else "")
            + f'</p>\n<div class="body">{_paras(c.body)}</div>\n</article>'
        )
        charset = "windows-1251" if site == "staryforum" else "utf-8"
        text = _page(c.title or listing.name, listing.language, "", body, charset=charset)
        data = text.encode("cp1251" if site == "staryforum" else "utf-8", errors="xmlcharrefreplace")
        return Response(data, media_type=f"text/html; charset={charset}")

    return endpoint


def _index_endpoint(board: _Board) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        rows = []
        for x in LISTINGS:
            count = "—" if x.kind == "broken" else str(len(board.visible(x.site, x.brand)))
            href = x.path + x.query
            rows.append(
                f'<tr id="{_h(x.key)}"><td><a href="{_h(href)}">{_h(x.name)}</a></td><td>{x.kind}</td>'
                f"<td>{x.language}</td><td><code>{_h(x.key)}</code></td><td>{count}</td></tr>"
            )
        waiting = sum(1 for s in board.items if s.release_at > board.clock() - board.started_at)
        body = (
            "<h1>replywatch demo board</h1>\n"
            "<p>A fictional complaint board for two invented shops, <b>Acme / Акме</b> (electronics and home "
            "appliances) and <b>Lastochka / Ласточка</b> (grocery delivery). Nothing here is real.</p>\n"
            f"<p>{len(board.items) - waiting} complaints visible; {waiting} more will appear, one every "
            "few seconds, while the demo runs.</p>\n"
            "<table border=1 cellpadding=4><tr><th>site</th><th>kind</th><th>language</th>"
            "<th>source key</th><th>items</th></tr>\n" + "\n".join(rows) + "\n</table>\n"
            '<p><a href="/robots.txt">robots.txt</a></p>'
        )
        return HTMLResponse(_page("replywatch demo board", "en", "body{font-family:sans-serif}", body))

    return endpoint


async def _robots(request: Request) -> Response:
    return PlainTextResponse("User-agent: *\nAllow: /\n")


def create_board_app(
    *,
    complaints: list[Complaint] | None = None,
    started_at: float | None = None,
    clock: Callable[[], float] = time.time,
    release_every: float = 20.0,
) -> Starlette:
    """The board as an ASGI app; complaints default to the shipped complaints.json."""
    if release_every <= 0:
        raise ValueError("release_every must be positive")
    board = _Board(
        load_complaints() if complaints is None else complaints,
        clock() if started_at is None else started_at,
        clock,
        release_every,
    )
    routes = [Route("/", _index_endpoint(board)), Route("/robots.txt", _robots)]
    routes += [Route(x.path, _listing_endpoint(board, x)) for x in LISTINGS]
    item = _item_endpoint(board)
    routes += [Route("/staryforum/viewtopic.php", item), Route("/{site}/item/{cid}", item)]
    app = Starlette(routes=routes)
    app.state.board = board
    return app


class BoardServer:
    """Serves the board (or any ASGI app) with uvicorn on loopback in a background thread.

    with BoardServer() as board:
        httpx.get(board.url + "/zhalobnik/acme.rss")
    """

    def __init__(self, app: Any = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app, self.host, self.port = app, host, port
        self.url: str | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> str:
        if self._server is not None:
            raise RuntimeError("the board server is already running")
        app = self.app if self.app is not None else create_board_app()
        config = uvicorn.Config(
            app,
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="replywatch-demo-board", daemon=True)
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the demo board could not start on {self.host}:{self.port}")
            time.sleep(0.01)
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        self.url = None
        if server is not None:
            server.should_exit = True
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def __enter__(self) -> BoardServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
