"""A complaint board whose list is built by JavaScript, served on loopback (tests and bench of sources/browser.py).

The HTML holds an empty <ul id="reviews">; /app.js fetches /api/reviews.json and builds one
<li class="review"> per review. A plain fetch sees no review, a browser sees them all. The
texts are real complaints in the six languages replywatch watches.
"""

from __future__ import annotations

import json

from sources.html import HtmlSettings
from tests.support.loopback import LoopbackServer, static

__all__ = ["REVIEWS", "html_settings", "serve_js_site"]

REVIEWS: list[dict[str, str]] = [
    {"id": "r1", "author": "Ирина", "text": "Курьер не привёз заказ, деньги списали дважды."},
    {"id": "r2", "author": "Олена", "text": "Замовлення не доставили вчасно, підтримка мовчить."},
    {"id": "r3", "author": "Алесь", "text": "Пасылку страцілі, на званкі ніхто не адказвае."},
    {"id": "r4", "author": "Անի", "text": "Պատվերը չհասավ, գումարը չվերադարձրին։"},
    {"id": "r5", "author": "Jürgen", "text": "Die Lieferung kam beschädigt an, keine Antwort vom Kundendienst."},
    {"id": "r6", "author": "Rita", "text": "Charged twice and the refund never arrived."},
]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Отзывы</title>
<link rel="stylesheet" href="/site.css"><script src="/app.js" defer></script></head>
<body><h1>Отзывы покупателей</h1><img src="/logo.png" alt="logo"><ul id="reviews"></ul>%s</body></html>"""

APP_JS = """
fetch('/api/reviews.json').then(r => r.json()).then(reviews => {
  const list = document.getElementById('reviews');
  for (const r of reviews) {
    const li = document.createElement('li');
    li.className = 'review';
    li.id = r.id;
    li.innerHTML = '<b class="author"></b><p class="text"></p>';
    li.querySelector('.author').textContent = r.author;
    li.querySelector('.text').textContent = r.text;
    list.appendChild(li);
  }
  document.body.dataset.ready = 'yes';
});
"""


def serve_js_site(server: LoopbackServer, *, extra_html: str = "", reviews: list[dict[str, str]] | None = None) -> str:
    """Add the board's routes to `server`; the page's URL."""
    payload = json.dumps(REVIEWS if reviews is None else reviews, ensure_ascii=False).encode()
    server.routes["/reviews"] = static(PAGE % extra_html, content_type="text/html; charset=utf-8")
    server.routes["/app.js"] = static(APP_JS, content_type="text/javascript")
    server.routes["/site.css"] = static("li.review { margin: 1em }", content_type="text/css")
    server.routes["/logo.png"] = static(b"\x89PNG\r\n", content_type="image/png")
    server.routes["/api/reviews.json"] = static(payload, content_type="application/json")
    return server.url("/reviews")


def html_settings() -> HtmlSettings:
    return HtmlSettings.model_validate(
        {"item": "li.review", "fields": {"id": "@id", "author": ".author", "body": ".text"}}
    )
