"""Errors as RFC 9457 problem+json, with a precise status; one handler for every refusal.

    monitor.core.errors.DomainError   the services' refusals (monitor/core/errors.py has their tree)
    ├── NotFound        404
    ├── Conflict        409  (an expected conflict with the state of things: the detail says what is allowed)
    ├── Forbidden       403  (a token whose role may not do this)
    └── Invalid         422  (values that parsed but do not fit: a mention of another case, an unknown brand)
    ApiError            the HTTP layer's own refusals, raised by the routers and dependencies
    ├── BadRequest      400  (a parameter that parsed but makes no sense, e.g. a foreign cursor)
    ├── Unauthorized    401  (no token, or an unknown or revoked one; with WWW-Authenticate: Bearer)
    ├── TooLarge        413  (a body over its route's cap: api/guard.py, or the import's own count)
    ├── UnsupportedType 415  (an upload in a format we do not read)
    └── BadGateway      502  (a watched site did not give a readable page: a source's preview)
api/guard.py answers before the app: 401 (no token), 429 (too many refused tokens, with Retry-After),
413 (a body over the cap) and 400 (JSON nested too deep), with the same problem+json.
Request validation errors become 422 with every failing field listed. A database that cannot be
reached (down, restarting, out of connections) or that gave up on a statement (a deadlock, a lock
timeout) is a 503 with Retry-After (`unavailable`). Anything else is a bug: a 500, with the
traceback in the log. No built-in exception is taken for a refusal: a KeyError is a bug, not a 404.
"""

from __future__ import annotations

import sqlite3
from http import HTTPStatus
from typing import Any

import psycopg
import sqlalchemy as sa
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg_pool import PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from monitor.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

__all__ = [
    "PROBLEM_JSON",
    "UNAVAILABLE",
    "ApiError",
    "BadGateway",
    "BadRequest",
    "TooLarge",
    "Unauthorized",
    "UnsupportedType",
    "database_unavailable",
    "install_error_handlers",
    "problem",
    "unavailable",
]

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("replywatch.api")
# Seconds a client is told to wait before sending a request again that met an unavailable database.
RETRY_AFTER = 5
# Errors that may mean the database is unavailable; `unavailable` decides, and the rest are bugs (500).
UNAVAILABLE: tuple[type[Exception], ...] = (sa.exc.OperationalError, sa.exc.TimeoutError, psycopg.OperationalError)
# PostgreSQL SQLSTATEs of an unavailable server or a transaction to retry: connection exceptions (08…),
# insufficient resources (53…: too many connections, disk full), shutting down or starting (57P01-57P03),
# serialization failure, deadlock, lock not available.
_RETRY_STATES = ("08", "53", "57P01", "57P02", "57P03", "40001", "40P01", "55P03")
_SQLITE_BUSY = ("database is locked", "database is busy", "unable to open database file")


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database is down, overloaded or busy, not that a statement is wrong.

    sqlite3.OperationalError is also a missing column or a syntax error, and psycopg's
    OperationalError also a statement too complex or cancelled: those are bugs, not outages.
    """
    if isinstance(exc, sa.exc.TimeoutError | PoolTimeout):  # no connection free in time
        return True
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig
    if isinstance(exc, psycopg.Error):
        state = exc.sqlstate
        return state is None or state.startswith(_RETRY_STATES)  # None: no answer from a server at all
    return isinstance(exc, sqlite3.OperationalError) and str(exc).startswith(_SQLITE_BUSY)


class ApiError(Exception):
    status = 400
    slug = "bad-request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    status, slug = 401, "unauthorized"


class TooLarge(ApiError):
    status, slug = 413, "too-large"


class UnsupportedType(ApiError):
    status, slug = 415, "unsupported-media-type"


class BadGateway(ApiError):
    status, slug = 502, "upstream-failed"


# The status and problem type of each kind of refusal, most precise first (a CaseConflict is a CaseError too).
DOMAIN_PROBLEMS: tuple[tuple[type[DomainError], int, str], ...] = (
    (NotFound, 404, "not-found"),
    (Conflict, 409, "conflict"),
    (Forbidden, 403, "forbidden"),
    (Invalid, 422, "invalid"),
)


def problem(
    status: int, detail: str, *, slug: str | None = None, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"https://replywatch.dev/problems/{slug or HTTPStatus(status).phrase.lower().replace(' ', '-')}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **({"instance": instance} if instance else {}),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def database_unavailable(path: str, exc: BaseException) -> JSONResponse:
    """The 503 for an error that `unavailable` took for an outage: the client is to send the request again."""
    log.warning("api.database_unavailable", path=path, error=type(exc).__name__, detail=str(exc)[:300])
    detail = "the database is unavailable (down, restarting or out of connections); send the request again"
    response = problem(503, detail, slug="database-unavailable", instance=path)
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """Every method some route serves at the request's path: Starlette's 405 names only the first route that
    matched the path, and a path such as /api/v1/tokens is served by one route per method."""
    return [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in app.router.routes)
    ]


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("api.unhandled", path=request.url.path, exc_info=exc)
    return problem(500, "an unexpected error occurred; it has been logged", instance=request.url.path)


def install_error_handlers(app: FastAPI) -> None:
    async def _refused(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, ApiError):
            status, slug, detail, extra = exc.status, exc.slug, exc.detail, exc.extra
        else:
            assert isinstance(exc, DomainError)
            status, slug = next(
                ((s, k) for kind, s, k in DOMAIN_PROBLEMS if isinstance(exc, kind)), (400, "bad-request")
            )
            detail, extra = exc.message, {}
        response = problem(status, detail, slug=slug, instance=request.url.path, **extra)
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="replywatch"'
        return response

    app.add_exception_handler(ApiError, _refused)
    app.add_exception_handler(DomainError, _refused)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        summary = "; ".join(f"{e['loc']}: {e['msg']}" for e in errors[:5])
        return problem(422, f"invalid request: {summary}", slug="validation", instance=request.url.path, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        response = problem(exc.status_code, detail, instance=request.url.path)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return response

    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        if not unavailable(exc):
            return await _unexpected(request, exc)
        return database_unavailable(request.url.path, exc)

    for error in UNAVAILABLE:
        app.add_exception_handler(error, _unavailable)

    app.add_exception_handler(Exception, _unexpected)
