"""A real HTTP/1.1 server on 127.0.0.1 for tests that must not touch the internet.

    with LoopbackServer({"/feed": static(b"<rss/>", content_type="application/rss+xml")}) as server:
        response = await fetcher.get(server.url("/feed"))
        assert server.requests[0].headers["User-Agent"].startswith("replywatch/")

A route maps a path (without query) to a callable taking the `Request`. It returns
`(status, headers, body)`; `Content-Length` and `Date` are added unless given. A route
that needs to misbehave (stall, cut the body short, stream slowly) writes to
`request.handler.wfile` itself and returns None; the connection is then closed.
Unknown paths answer 404, so robots.txt is "absent" unless a test serves one.

The server records every request and the peak number handled at once
(`max_in_flight`), which is how tests check per-host concurrency from the server side.
`server.url(path, host="localhost")` reaches the same server under another host name.
"""

from __future__ import annotations

import email.utils
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

__all__ = [
    "LoopbackServer",
    "Reply",
    "Request",
    "Route",
    "redirect",
    "sequence",
    "slow",
    "static",
    "truncated",
]

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
Reply = tuple[int, Headers, bytes]


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str  # without the query
    query: str
    headers: HTTPMessage  # case-insensitive .get / [...]
    started: float  # time.monotonic() when the request was read
    handler: BaseHTTPRequestHandler  # for routes that write the response themselves


Route = Callable[[Request], Reply | None]


def static(body: bytes | str = b"", status: int = 200, content_type: str | None = None, **headers: str) -> Route:
    """Always the same reply. Keyword headers use underscores: `cache_control="max-age=60"`."""
    payload = body.encode() if isinstance(body, str) else body
    pairs = [(name.replace("_", "-").title(), value) for name, value in headers.items()]
    if content_type is not None:
        pairs.append(("Content-Type", content_type))
    return lambda request: (status, pairs, payload)


def sequence(*routes: Route) -> Route:
    """Each call answers with the next route; the last one repeats."""
    answers = itertools.chain(routes, itertools.repeat(routes[-1]))
    lock = threading.Lock()

    def route(request: Request) -> Reply | None:
        with lock:
            current = next(answers)
        return current(request)

    return route


def slow(seconds: float, then: Route) -> Route:
    """Stall before answering (a read timeout on the client side)."""

    def route(request: Request) -> Reply | None:
        time.sleep(seconds)
        return then(request)

    return route


def redirect(location: str, status: int = 302) -> Route:
    return static(b"", status=status, location=location)


def truncated(body: bytes, declared_length: int, headers: Headers = ()) -> Route:
    """Promise `declared_length` bytes, send `body`, then close the connection."""

    def route(request: Request) -> None:
        handler = request.handler
        handler.send_response_only(200)
        for name, value in _pairs(headers):
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(declared_length))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()

    return route


def _pairs(headers: Headers) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server: _Server

    def do_GET(self) -> None:
        self.server.app.dispatch(self)

    do_HEAD = do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep pytest output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: LoopbackServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that time out or hang up mid-reply are what these tests are about


class LoopbackServer:
    def __init__(self, routes: Mapping[str, Route] | None = None, *, host: str = "127.0.0.1") -> None:
        # Another loopback address (127.0.0.2) is another host to the outbound address policy.
        self.host = host
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._httpd = _Server((self.host, 0), _Handler)
        self._httpd.app = self
        # A short poll interval: shutdown() waits for it, once per test.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server is not started"
        return self._httpd.server_address[1]

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        target = urlsplit(handler.path)
        request = Request(
            method=handler.command,
            path=target.path,
            query=target.query,
            headers=handler.headers,
            started=time.monotonic(),
            handler=handler,
        )
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            route = self.routes.get(request.path)
            reply = route(request) if route is not None else (404, [], b"not found")
            if reply is None:
                handler.close_connection = True
                return
            self._send(handler, *reply)
        finally:
            with self._lock:
                self.in_flight -= 1

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, headers: Headers, body: bytes) -> None:
        pairs = _pairs(headers)
        names = {name.lower() for name, _ in pairs}
        handler.send_response_only(status)
        if "date" not in names:
            handler.send_header("Date", email.utils.formatdate(usegmt=True))
        if "content-length" not in names and status != 304:
            handler.send_header("Content-Length", str(len(body)))
        for name, value in pairs:
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD" and status != 304 and body:
            handler.wfile.write(body)
