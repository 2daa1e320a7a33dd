"""How each fictional site of the demo board renders its pages, and the board's own pages.

Every renderer gets a `View` (one page of one listing, built by `monitor.demo.board`)
and returns the body bytes and the media type, in that site's own markup.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC
from typing import TYPE_CHECKING

from monitor.demo.markup import (
    AMT,
    BRANDS,
    EET,
    MSK,
    Shown,
    View,
    escape,
    html_page,
    iso,
    item_path,
    paragraphs,
    rfc822,
    ru_date,
    stars,
    teaser,
    xml_document,
)  # fmt: skip

if TYPE_CHECKING:
    from monitor.demo.catalogue import Complaint, Listing

__all__ = ["BROKEN_PAGE", "index_page", "item_page", "render"]


def _rss(v: View) -> tuple[bytes, str]:
    german = v.listing.site == "kundenstimme"
    tz = UTC if german else MSK
    out = [
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom">',
        "<channel>",
        f"<title>{escape(v.listing.name)}</title>",
        f"<link>{escape(v.base)}/#{escape(v.listing.key)}</link>",
        f'<atom:link href="{escape(v.self_url)}" rel="self" type="application/rss+xml"/>',
        "<description>"
        + ("Neueste Beschwerden und Bewertungen" if german else "Свежие жалобы покупателей")
        + "</description>",
        f"<language>{v.listing.language}</language>",
        f"<lastBuildDate>{rfc822(v.updated, tz)}</lastBuildDate>",
        "<ttl>1</ttl>",
    ]
    for s in v.items:
        c, link = s.c, v.link(s)
        out.append("<item>")
        if c.title:
            out.append(f"<title>{escape(c.title)}</title>")
        out.append(f"<link>{escape(link)}</link>")
        if german:
            out += [
                f'<guid isPermaLink="false">kundenstimme-{escape(c.id)}</guid>',
                f"<author>{escape(c.author)}</author>",  # a name, not an e-mail: common, if off-spec
                f"<category>{escape(BRANDS[c.brand][0] if c.brand else 'Sonstiges')}</category>",
                f"<description>{escape(teaser(c.body))}</description>",
                f"<content:encoded>{escape(paragraphs(c.body) + _rating_line(c, 'Bewertung'))}</content:encoded>",
            ]
        else:
            out += [
                f'<guid isPermaLink="true">{escape(link)}</guid>',
                f"<dc:creator>{escape(c.author)}</dc:creator>",
                f"<description>{escape(paragraphs(c.body) + _rating_line(c, 'Оценка'))}</description>",
            ]
        out += [f"<pubDate>{rfc822(s.published, tz)}</pubDate>", "</item>"]
    out += ["</channel>", "</rss>", ""]
    return xml_document("\n".join(out)), "application/rss+xml; charset=utf-8"


def _rating_line(c: Complaint, word: str) -> str:
    return "" if c.rating is None else f"<p><b>{word}: {c.rating}/5</b></p>"


_ATOM_STYLE = {
    # site: (feed subtitle, time zone, entry id)
    "pretenzia": ("Все жалобы и претензии", MSK, lambda c: f"tag:pretenzia.example,2024:complaint/{c.id}"),
    "skarga": ("Апошнія скаргі", MSK, lambda c: f"tag:skarga.example,2023:{c.id}"),
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
        f"<id>tag:{v.listing.site}.example,2023:feed/{escape(v.listing.key)}</id>",
        f"<title>{escape(v.listing.name)}</title>",
        f"<subtitle>{escape(subtitle)}</subtitle>",
        f'<link rel="self" type="application/atom+xml" href="{escape(v.self_url)}"/>',
        f'<link rel="alternate" type="text/html" href="{escape(v.base)}/#{escape(v.listing.key)}"/>',
        f"<updated>{iso(v.updated, tz)}</updated>",
    ]
    for s in v.items:
        c = s.c
        title = c.title or teaser(c.body, 60)
        out += [
            "<entry>",
            f"<id>{escape(entry_id(c))}</id>",
            f'<link rel="alternate" type="text/html" href="{escape(v.link(s))}"/>',
            f"<title>{escape(title)}</title>",
            f"<author><name>{escape(c.author)}</name></author>",
            f"<published>{iso(s.published, tz)}</published>",
            f"<updated>{iso(s.published, tz)}</updated>",
            f'<content type="html">{escape(paragraphs(c.body) + _rating_line(c, "Rating"))}</content>',
            "</entry>",
        ]
    out += ["</feed>", ""]
    return xml_document("\n".join(out)), "application/atom+xml; charset=utf-8"


def _otzyvy(v: View) -> tuple[bytes, str]:
    cards = []
    for s in v.items:
        c = s.c
        rating = (
            f'<span class="stars" data-value="{c.rating}" title="{c.rating} из 5">{stars(c.rating)}</span>'
            if c.rating is not None
            else ""
        )
        cards.append(
            f'<article class="review" data-id="{escape(c.id)}">\n'
            + (f'  <h3 class="title">{escape(c.title)}</h3>\n' if c.title else "")
            + f'  <div class="meta"><span class="who">{escape(c.author)}</span>, '
            f'<time datetime="{iso(s.published, MSK)}">{ru_date(s.published)}</time> {rating}</div>\n'
            f'  <div class="text">{paragraphs(c.body)}</div>\n'
            f'  <a class="permalink" href="{escape(item_path(c))}">Ссылка на отзыв</a>\n'
            "</article>"
        )
    pager = f'<a class="next" href="{escape(v.next_href)}">Следующая страница →</a>' if v.next_href else ""
    body = (
        '<header class="site-header"><a class="logo" href="/">Отзывы&nbsp;Онлайн</a></header>\n<main>\n'
        f"<h1>Отзывы покупателей об {escape(BRANDS['acme'][1])}</h1>\n"
        f'<p class="count">Всего отзывов: {v.total}</p>\n'
        '<section class="reviews">\n' + "\n".join(cards) + "\n</section>\n"
        f'<nav class="pagination">{pager}</nav>\n</main>'
    )
    css = ".review{border-bottom:1px solid #ddd;padding:1em 0}.stars{color:#e90}.who{font-weight:bold}"
    return html_page(v.listing.name, "ru", css, body).encode(), "text/html; charset=utf-8"


def _karciq(v: View) -> tuple[bytes, str]:
    cards = []
    for s in v.items:
        c = s.c
        rating = (
            f' <span class="karciq-rating" data-score="{c.rating}">{c.rating}/5</span>' if c.rating is not None else ""
        )
        cards.append(
            f'<div class="karciq-card" data-key="{escape(c.id)}">\n'
            f'  <div class="karciq-head"><a class="karciq-title" href="{escape(item_path(c))}">'
            f"{escape(c.title or teaser(c.body, 50))}</a>{rating}</div>\n"
            f'  <div class="karciq-body">{paragraphs(c.body)}</div>\n'
            f'  <div class="karciq-foot"><span class="karciq-author">{escape(c.author)}</span> · '
            f'<time class="karciq-date" datetime="{iso(s.published, AMT)}">'
            f"{s.published.astimezone(AMT):%d.%m.%Y %H:%M}</time></div>\n"
            "</div>"
        )
    pager = f'<a class="pager-next" rel="next" href="{escape(v.next_href)}">Հաջորդ էջ →</a>' if v.next_href else ""
    body = (
        '<div id="top"><a href="/">Կարծիք</a> — հաճախորդների կարծիքներ և բողոքներ</div>\n'
        '<div class="karciq-list">\n' + "\n".join(cards) + "\n</div>\n"
        f'<div class="pager">{pager}</div>'
    )
    css = ".karciq-card{margin:1em;padding:1em;background:#f7f3ea}.karciq-rating{float:right}"
    return html_page(v.listing.name, "hy", css, body).encode(), "text/html; charset=utf-8"


def _grumble(v: View) -> tuple[bytes, str]:
    threads = []
    for s in v.items:
        c = s.c
        threads.append(
            f'<li class="thread" id="thread-{escape(c.id)}" data-thread="{escape(c.id)}">\n'
            f'  <a class="thread-link" href="{escape(item_path(c))}">{escape(c.title or "(no subject)")}</a>\n'
            f'  <div class="post"><blockquote class="post-body">{paragraphs(c.body)}</blockquote></div>\n'
            f'  <div class="byline">posted by <cite class="poster">{escape(c.author)}</cite> on '
            f'<abbr class="ts" title="{iso(s.published)}">{s.published:%b %d, %Y %H:%M} UTC</abbr></div>\n'
            "</li>"
        )
    older = f'<a class="older" href="{escape(v.next_href)}">Older complaints »</a>' if v.next_href else ""
    body = (
        '<div class="top-bar"><a href="/">Grumble</a> › Shops &amp; deliveries</div>\n'
        '<ul class="threads">\n' + "\n".join(threads) + "\n</ul>\n"
        f'<div class="paging">{older}</div>'
    )
    css = "body{font-family:Verdana,sans-serif}.thread{list-style:none;margin-bottom:1.5em}"
    return html_page(v.listing.name, "en", css, body).encode(), "text/html; charset=utf-8"


def _staryforum(v: View) -> tuple[bytes, str]:
    rows = []
    for s in v.items:
        c = s.c
        rows.append(
            f'<tr class="msg" id="p{escape(c.id)}">\n'
            f'<td class="row1"><a class="topictitle" href="{escape(item_path(c)[len("/staryforum/") :])}">'
            f"{escape(c.title or 'Без темы')}</a>\n"
            f'<div class="postbody">{paragraphs(c.body)}</div></td>\n'
            f'<td class="row2 name" valign="top"><b>{escape(c.author)}</b></td>\n'
            f'<td class="row1 postdate" valign="top" title="{iso(s.published, MSK)}">'
            f"{s.published.astimezone(MSK):%d.%m.%Y %H:%M}</td>\n"
            "</tr>"
        )
    pages = max(1, -(-v.total // v.listing.page_size))
    nav = f"Страница {v.first // v.listing.page_size + 1} из {pages}"
    if v.next_href:
        nav += f' &bull; <a class="nav-next" href="{escape(v.next_href)}">След. &raquo;</a>'
    body = (
        '<table width="100%"><tr><td><a href="/"><b>Старый форум</b></a> :: Жалобы на магазины и доставку'
        "</td></tr></table>\n"
        '<table class="forumline" width="100%" cellspacing="1" cellpadding="4">\n'
        "<tr><th>Тема / сообщение</th><th>Автор</th><th>Дата</th></tr>\n"
        + "\n".join(rows)
        + f'\n</table>\n<span class="nav">{nav}</span>'
    )
    css = "body{background:#E5E5E5;font-family:Tahoma}.row1{background:#EFEFEF}.row2{background:#DEE3E7}"
    text = html_page(v.listing.name, "ru", css, body, charset="windows-1251")
    return text.encode("cp1251", errors="xmlcharrefreplace"), "text/html; charset=windows-1251"


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
            "created_at": iso(s.published, MSK),
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
            "content": paragraphs(s.c.body),
            "reviewer": {"displayName": s.c.author},
            "url": v.link(s),
            "date": iso(s.published),
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
            "ts": iso(s.published, EET),
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


BROKEN_PAGE = (
    "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body>"
    "<h1>Internal Server Error</h1><p>upstream database connection failed</p></body></html>"
)


def item_page(shown: Shown, listing: Listing) -> tuple[bytes, str]:
    """The page of one complaint (the forum's in windows-1251): the body and its media type."""
    c = shown.c
    body = (
        f'<p><a href="/">← {escape(listing.name)}</a></p>\n<article class="complaint" data-id="{escape(c.id)}">\n'
        f"<h1>{escape(c.title or teaser(c.body, 60))}</h1>\n"
        f'<p class="byline">{escape(c.author)} · <time datetime="{iso(shown.published)}">'
        f"{shown.published:%Y-%m-%d %H:%M} UTC</time>"
        + (f' · <span class="rating">{c.rating}/5</span>' if c.rating is not None else "")
        + f'</p>\n<div class="body">{paragraphs(c.body)}</div>\n</article>'
    )
    charset = "windows-1251" if listing.site == "staryforum" else "utf-8"
    text = html_page(c.title or listing.name, listing.language, "", body, charset=charset)
    data = text.encode("cp1251" if listing.site == "staryforum" else "utf-8", errors="xmlcharrefreplace")
    return data, f"text/html; charset={charset}"


def index_page(counts: Iterable[tuple[Listing, str]], visible: int, waiting: int) -> str:
    """The index of the sites: each listing with its count of visible items."""
    rows = []
    for x, count in counts:
        href = x.path + x.query
        rows.append(
            f'<tr id="{escape(x.key)}"><td><a href="{escape(href)}">{escape(x.name)}</a></td><td>{x.kind}</td>'
            f"<td>{x.language}</td><td><code>{escape(x.key)}</code></td><td>{count}</td></tr>"
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
    return html_page("replywatch demo board", "en", "body{font-family:sans-serif}", body)
