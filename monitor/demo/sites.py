"""How each fictional site of the demo board renders its pages, and the board's own pages.

Every renderer gets a `View` (one page of one listing, built by `monitor.demo.board`)
and returns the body bytes and the media type, in that site's own markup.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.demo.board import Complaint, Listing

__all__ = ["BROKEN_PAGE", "FORBIDDEN", "Shown", "View", "index_page", "item_page", "render"]

_MSK = timezone(timedelta(hours=3), "MSK")
_CET = timezone(timedelta(hours=1), "CET")
_AMT = timezone(timedelta(hours=4), "AMT")
_EET = timezone(timedelta(hours=2), "EET")
_BRANDS = {"acme": ("Acme", "Акме", "Ակմե"), "lastochka": ("Lastochka", "Ласточка", "Լաստոչկա")}
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
        return self.base + _item_path(s.c)


# ------------------------------------------------------------------ text helpers


def _h(value: object) -> str:
    """Escape for HTML and XML text and attribute values alike."""
    return html.escape(FORBIDDEN.sub("", str(value)), quote=True)


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


def _rss(v: View) -> tuple[bytes, str]:
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


def _atom(v: View) -> tuple[bytes, str]:
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


def _otzyvy(v: View) -> tuple[bytes, str]:
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


def _karciq(v: View) -> tuple[bytes, str]:
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


def _grumble(v: View) -> tuple[bytes, str]:
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


def _staryforum(v: View) -> tuple[bytes, str]:
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
    pages = max(1, -(-v.total // v.listing.page_size))
    nav = f"Страница {v.first // v.listing.page_size + 1} из {pages}"
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


def _complaintbook(v: View) -> tuple[bytes, str]:
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


def _trustmeter(v: View) -> tuple[bytes, str]:
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


def _skargi(v: View) -> tuple[bytes, str]:
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


_RENDER: dict[str, Callable[[View], tuple[bytes, str]]] = {
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


def render(v: View) -> tuple[bytes, str]:
    """The page of a listing in its site's markup: the body and its media type."""
    return _RENDER[v.listing.site](v)


# ------------------------------------------------------------------ the board's own pages


BROKEN_PAGE = (
    "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body>"
    "<h1>Internal Server Error</h1><p>upstream database connection failed</p></body></html>"
)


def item_page(shown: Shown, listing: Listing) -> tuple[bytes, str]:
    """The page of one complaint (the forum's in windows-1251): the body and its media type."""
    c = shown.c
    body = (
        f'<p><a href="/">← {_h(listing.name)}</a></p>\n<article class="complaint" data-id="{_h(c.id)}">\n'
        f"<h1>{_h(c.title or _teaser(c.body, 60))}</h1>\n"
        f'<p class="byline">{_h(c.author)} · <time datetime="{_iso(shown.published)}">'
        f"{shown.published:%Y-%m-%d %H:%M} UTC</time>"
        + (f' · <span class="rating">{c.rating}/5</span>' if c.rating is not None else "")
        + f'</p>\n<div class="body">{_paras(c.body)}</div>\n</article>'
    )
    charset = "windows-1251" if listing.site == "staryforum" else "utf-8"
    text = _page(c.title or listing.name, listing.language, "", body, charset=charset)
    data = text.encode("cp1251" if listing.site == "staryforum" else "utf-8", errors="xmlcharrefreplace")
    return data, f"text/html; charset={charset}"


def index_page(counts: Iterable[tuple[Listing, str]], visible: int, waiting: int) -> str:
    """The index of the sites: each listing with its count of visible items."""
    rows = []
    for x, count in counts:
        href = x.path + x.query
        rows.append(
            f'<tr id="{_h(x.key)}"><td><a href="{_h(href)}">{_h(x.name)}</a></td><td>{x.kind}</td>'
            f"<td>{x.language}</td><td><code>{_h(x.key)}</code></td><td>{count}</td></tr>"
        )
    body = (
        "<h1>replywatch demo board</h1>\n"
        "<p>A fictional complaint board for two invented shops, <b>Acme / Акме</b> (electronics and home "
        "appliances) and <b>Lastochka / Ласточка</b> (grocery delivery). Nothing here is real.</p>\n"
        f"<p>{visible} complaints visible; {waiting} more will appear, one every "
        "few seconds, while the demo runs.</p>\n"
        "<table border=1 cellpadding=4><tr><th>site</th><th>kind</th><th>language</th>"
        "<th>source key</th><th>items</th></tr>\n" + "\n".join(rows) + "\n</table>\n"
        '<p><a href="/robots.txt">robots.txt</a></p>'
    )
    return _page("replywatch demo board", "en", "body{font-family:sans-serif}", body)
