"""A server-rendered complaint board for the tests of `sources preview` (CLI, API, monitor.ingest.preview).

Six reviews in ru, uk, be, hy, de and en, written to exercise every kind of preview finding: one
has no author (a partly filled field), one has an empty text (skipped, with its reason), one repeats
an id (found, but a poll would not store it twice), and no review has a date, so the configured
`published` selector matches nothing (a field empty on every item).
"""

from __future__ import annotations

from tests.support.loopback import LoopbackServer, static

__all__ = ["BOARD_SOURCE", "PAGE_ITEMS", "serve_board"]

_REVIEWS = [
    ("r1", "Ирина", "Курьер не привёз заказ, деньги списали дважды."),
    ("r2", "Олена", "Замовлення не доставили вчасно, підтримка мовчить."),
    ("r3", "", "Пасылку страцілі, на званкі ніхто не адказвае."),
    ("r4", "Անի", "Պատվերը չհասավ, գումարը չվերադարձրին։"),
    ("r5", "Jürgen", ""),
    ("r1", "Ирина", "Курьер не привёз заказ, деньги списали дважды."),
    ("r6", "Rita", "Charged twice and the refund never arrived."),
]
# Found on the page (the empty text is skipped): id, author, body.
PAGE_ITEMS = [(i, a or None, t) for i, a, t in _REVIEWS if t]

# The source entry: flow style, for a `sources:` list; %s is the page's URL.
BOARD_SOURCE = (
    "  - {key: board, kind: html, url: '%s', interval: 15m,"
    " html: {item: div.review, fields: {id: '@data-id', author: .who, body: .text, published: time@datetime}}}\n"
)


def serve_board(server: LoopbackServer) -> str:
    rows = "".join(
        f'<div class="review" data-id="{i}"><span class="who">{a}</span><p class="text">{t}</p></div>'
        for i, a, t in _REVIEWS
    )
    page = f"<!doctype html><html><head><meta charset='utf-8'></head><body>{rows}</body></html>"
    server.routes["/board"] = static(page, content_type="text/html; charset=utf-8")
    return server.url("/board")
