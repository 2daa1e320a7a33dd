"""A chat service / webhook receiver on loopback for alert tests.

It records every request (path, headers, body, the status it answered), and answers
by a plan: `fail_with(500)` or `fail_with(429, retry_after=1)` makes every request fail
until `recover()`. `delivered()` lists the idempotency keys it accepted (answered 2xx).
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Self

from tests.support.loopback import LoopbackServer, Request


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def key(self) -> str | None:
        return self.headers.get("idempotency-key")


class Receiver:
    def __init__(self, ok_body: bytes = b'{"ok":true}', ok_type: str = "application/json") -> None:
        self.server = LoopbackServer()
        self.server.routes = _AnyPath(self._answer)  # type: ignore[assignment]
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._failure: tuple[int, dict[str, str]] | None = None
        self.ok_body, self.ok_type = ok_body, ok_type
        # Seconds each request takes (a random value in the range): a wide window to kill a sender in.
        self.delay: tuple[float, float] | None = None

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    def url(self, path: str = "/hook") -> str:
        return self.server.url(path)

    @property
    def port(self) -> int:
        return self.server.port

    def fail_with(self, status: int, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._failure = (status, headers)

    def recover(self) -> None:
        with self._lock:
            self._failure = None

    def delivered(self) -> list[str | None]:
        with self._lock:
            return [r.key for r in self.received if 200 <= r.status < 300]

    def ok(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def _answer(self, request: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        if self.delay is not None:
            time.sleep(random.uniform(*self.delay))
        length = int(request.headers.get("Content-Length") or 0)
        body = request.handler.rfile.read(length) if length else b""
        with self._lock:
            failure = self._failure
            status = failure[0] if failure else 200
            self.received.append(
                Received(request.path, {k.lower(): v for k, v in request.headers.items()}, body, status)
            )
        if failure:
            return status, list(failure[1].items()), b'{"error":"unavailable"}'
        return 200, [("Content-Type", self.ok_type)], self.ok_body


class _AnyPath(dict):
    """Routes every path to one handler."""

    def __init__(self, handler: Any) -> None:
        super().__init__()
        self._handler = handler

    def get(self, key: str, default: Any = None) -> Any:
        return self._handler
