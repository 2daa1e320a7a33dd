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
import re
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from monitor.demo.catalogue import LISTINGS, Complaint, Listing, load_complaints
from monitor.demo.markup import FORBIDDEN, Shown, View
from monitor.demo.sites import BROKEN_PAGE, index_page, item_page, render

__all__ = ["BoardServer", "create_board_app"]

_OFFSET = re.compile(r"^-(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")


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
        shown = [Shown(c, release.get(c.id, 0.0), _published(c, start, release.get(c.id, 0.0))) for c in complaints]
        self.items = sorted(shown, key=lambda s: (s.published, s.c.id), reverse=True)
        self.pending = len(pending)

    def visible(self, site: str | None = None, brand: str | None = None) -> list[Shown]:
        elapsed = self.clock() - self.started_at
        return [
            s
            for s in self.items
            if s.release_at <= elapsed and (site is None or s.c.site == site) and (brand is None or s.c.brand == brand)
        ]

    def find(self, site: str, cid: str) -> Shown | None:
        return next((s for s in self.visible(site) if s.c.id == cid), None)


def _cleaned(c: Complaint) -> Complaint:
    def clean(value: str | None) -> str | None:
        return None if value is None else FORBIDDEN.sub("", str(value))

    return dataclasses.replace(c, body=clean(c.body) or "", author=clean(c.author) or "", title=clean(c.title))


def _published(c: Complaint, start: datetime, release_at: float) -> datetime:
    if release_at > 0 or not c.published:
        return start + timedelta(seconds=release_at)
    if m := _OFFSET.match(c.published):
        d, h, mins = (int(x or 0) for x in m.groups())
        return start - timedelta(days=d, hours=h, minutes=mins)
    when = datetime.fromisoformat(c.published)
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _view(board: _Board, listing: Listing, request: Request) -> View:
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
    return View(listing, base, shown, len(items), first, next_href, next_url, str(request.url), updated)


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


def _listing_endpoint(board: _Board, listing: Listing) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        if listing.kind == "broken":
            return HTMLResponse(BROKEN_PAGE, status_code=500)
        view = _view(board, listing, request)
        body, media_type = render(view)
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
        listing = next(x for x in LISTINGS if x.site == site)
        data, media_type = item_page(shown, listing)
        return Response(data, media_type=media_type)

    return endpoint


def _index_endpoint(board: _Board) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        counts = [(x, "—" if x.kind == "broken" else str(len(board.visible(x.site, x.brand)))) for x in LISTINGS]
        waiting = sum(1 for s in board.items if s.release_at > board.clock() - board.started_at)
        return HTMLResponse(index_page(counts, len(board.items) - waiting, waiting))

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
