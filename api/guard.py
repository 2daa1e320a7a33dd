"""What a request must pass before the app reads its body, in this order:

1. the token, from the headers alone: a request to a route that needs one and has none, or an unknown or
   revoked one, is answered 401 before a byte of its body is read; an address with too many refused
   tokens is answered 429 with Retry-After (api/auth.py: FailedAuthThrottle);
2. the body's size: a Content-Length over the route's cap is a 413 at once, and a body sent without one
   is read only up to the cap. JSON routes get JSON_BODY_LIMIT; a route that streams its body itself
   (the customer import) is named in `Limits.streamed` with its cap, and counts against it as it reads;
3. the nesting of a JSON body: deeper than MAX_DEPTH is a 400 before any parser sees it (Python's json
   recurses per level: a 100,000-deep body costs a RecursionError and a stack's worth of frames).

The principal found in step 1 is put in the request's state for `api.deps.get_caller`. A pure ASGI
middleware, outside the routing, so that nothing the app does (FastAPI reads a route's body before it
solves the route's dependencies) comes before these checks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import anyio
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import lookup
from api.errors import UNAVAILABLE, database_unavailable, problem, unavailable
from monitor.desk.tokens import digest

__all__ = ["JSON_BODY_LIMIT", "MAX_DEPTH", "OPEN_PATHS", "Guard", "Limits", "json_depth_over"]

# Routes any client may call: probes must not need secrets.
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# The interactive docs and the document they read (api/docs.py); open unless settings.docs_need_token.
DOCS_PATHS = frozenset({"/docs", "/openapi.json"})
DOCS_PREFIX = "/docs/"
# Twice the largest valid JSON body: a 20,000-character reply sent wholly as \u-escaped emoji is ~240 KB.
JSON_BODY_LIMIT = 512 * 1024
# No body of this API nests more than three levels; 32 leaves room and keeps parsers shallow.
MAX_DEPTH = 32
# A JSON string (skipped whole, escapes and all) or a bracket: what the depth scan needs to see.
_TOKENS = re.compile(rb'"(?:[^"\\]+|\\.)*"|[\[\]{}]', re.S)


@dataclass(frozen=True, slots=True)
class Limits:
    json_body: int = JSON_BODY_LIMIT
    depth: int = MAX_DEPTH
    streamed: Mapping[str, int] = field(default_factory=dict)  # path -> cap, for routes that read their own body


def json_depth_over(body: bytes, limit: int) -> bool:
    """Whether the brackets of `body` nest deeper than `limit`, strings aside (a scan, not a parse: a
    malformed body is left for the parser to refuse)."""
    if body.count(b"[") + body.count(b"{") <= limit:  # the common case: cannot be deeper
        return False
    depth = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


class Guard:
    def __init__(self, app: ASGIApp, *, limits: Limits, docs_need_token: bool, own_auth: tuple[str, ...] = ()) -> None:
        self.app, self.limits, self.docs_need_token = app, limits, docs_need_token
        # Path prefixes whose routes authenticate by themselves (the web inbox: a session cookie, web/session.py).
        self.own_auth = own_auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if self._needs_token(path):
            refusal = await self._authenticate(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        headers = Headers(scope=scope)
        length = _content_length(headers)
        streamed = self.limits.streamed.get(path)
        cap = streamed if streamed is not None else self.limits.json_body
        if length is not None and length > cap:
            await _too_large(cap, path)(scope, receive, send)
            return
        if streamed is not None:
            await self.app(scope, receive, send)  # the route reads and counts its own body
            return
        body = await _read(receive, cap)
        if body is None:
            await _too_large(cap, path)(scope, receive, send)
            return
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if (media == "application/json" or media.endswith("+json")) and json_depth_over(body, self.limits.depth):
            detail = f"the JSON body nests deeper than {self.limits.depth} levels"
            await problem(400, detail, slug="too-deep", instance=path)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _needs_token(self, path: str) -> bool:
        if path in OPEN_PATHS:
            return False
        if path in DOCS_PATHS or path.startswith(DOCS_PREFIX):
            return self.docs_need_token
        own = self.own_auth and (path == "/" or any(path == p or path.startswith(p + "/") for p in self.own_auth))
        return not own  # unknown paths too: a client without a token learns nothing of what exists

    async def _authenticate(self, scope: Scope) -> Response | None:
        """None when the request may go on (its principal in scope["state"]), else the answer to send."""
        path = scope["path"]
        scheme, _, secret = Headers(scope=scope).get("authorization", "").partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            return _unauthorized("send an API token as 'Authorization: Bearer rw_…' (replywatch tokens create)", path)
        state = scope["app"].state
        key = digest(secret)
        principal = state.tokens.get(key)
        if principal is None:
            throttle = state.auth_throttle
            address = (scope.get("client") or ("unknown",))[0]
            wait = throttle.retry_after(address, key)
            if wait is not None:
                detail = f"too many refused API tokens from {address}; try again in {wait} s"
                response = problem(429, detail, slug="too-many-failed-logins", instance=path)
                response.headers["Retry-After"] = str(wait)
                return response
            try:
                principal = await anyio.to_thread.run_sync(lookup, state.sessions, secret)
            except UNAVAILABLE as exc:
                if not unavailable(exc):
                    raise
                return database_unavailable(path, exc)
            if principal is None:
                throttle.failed(address)
                return _unauthorized("the API token is unknown or revoked", path)
            throttle.succeeded(address, key)
            state.tokens.put(key, principal)
        scope.setdefault("state", {})["principal"] = principal
        return None


def _unauthorized(detail: str, path: str) -> Response:
    response = problem(401, detail, slug="unauthorized", instance=path)
    response.headers["WWW-Authenticate"] = 'Bearer realm="replywatch"'
    return response


def _too_large(cap: int, path: str) -> Response:
    size = f"{cap // 2**20} MiB" if cap >= 2**20 else f"{cap // 1024} KiB"
    return problem(413, f"the body is over this route's cap of {size}", slug="too-large", instance=path)


def _content_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None  # chunked, or nonsense: the body is counted as it is read


async def _read(receive: Receive, cap: int) -> bytes | None:
    """The whole body, or None as soon as it passes `cap` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: the app sees an empty body
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: http.disconnect when the client goes away

    return replay
