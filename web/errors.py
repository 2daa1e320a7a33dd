"""The inbox's refusals as pages: the same statuses as the API's problem+json, in HTML.

    WebError          a page with a status, a title and what to do (403 role, 403 CSRF, 400/415 form, 422 values)
    └── SignInNeeded  no session, an expired or forged cookie, a revoked token: 303 to the sign-in page
    DomainError       the services' refusals (monitor/core/errors.py): 404, 409, 403, 422, as in the API

Under PREFIX the app's handlers for these, for request validation and for HTTP errors answer a page; elsewhere
they answer as the API always has (api/errors.py), so the API's documents do not change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import DOMAIN_PROBLEMS, ApiError
from monitor.core.errors import DomainError
from web.render import page

__all__ = ["SignInNeeded", "WebError", "install_web_errors", "safe_next"]

log = structlog.get_logger("replywatch.web")
Handler = Callable[[Request, Exception], Awaitable[Response]]


class WebError(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class SignInNeeded(Exception):
    def __init__(self, path: str, reason: str | None = None) -> None:
        super().__init__(path)
        self.path, self.reason = path, reason


def safe_next(path: str | None, prefix: str) -> str:
    """Where to go after signing in: a path of the inbox only (never another site: no '//', no scheme)."""
    if not path or not path.startswith(prefix) or path.startswith("//") or "\\" in path or "\n" in path:
        return prefix
    return path


def domain_status(exc: DomainError) -> int:
    return next((status for kind, status, _ in DOMAIN_PROBLEMS if isinstance(exc, kind)), 400)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    return page(request, "error.html", {"status": status, "title": title, "detail": detail}, status=status)


def install_web_errors(app: FastAPI, prefix: str) -> None:
    """Pages for the inbox's errors; the API's own handlers for every other path."""

    def under(request: Request) -> bool:
        path = request.url.path
        return path == prefix or path.startswith(prefix + "/")

    async def web_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WebError)
        return error_page(request, exc.status, exc.title, exc.detail)

    async def sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInNeeded)
        target = f"{prefix}/sign-in?next={quote(safe_next(exc.path, prefix), safe='/')}"
        if exc.reason:
            target += f"&why={exc.reason}"
        return RedirectResponse(target, status_code=303)

    def wrap(kind: type[Exception], page_of: Callable[[Request, Exception], Response]) -> None:
        api_handler: Handler = app.exception_handlers[kind]  # type: ignore[assignment]

        async def handler(request: Request, exc: Exception) -> Response:
            if under(request):
                return page_of(request, exc)
            return await api_handler(request, exc)

        app.add_exception_handler(kind, handler)

    def domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        status = domain_status(exc)
        return error_page(request, status, HTTPStatus(status).phrase, exc.message)

    def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        parts = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        return error_page(request, 422, "Not a valid address", f"the page's address does not fit: {parts}")

    def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        phrase = HTTPStatus(exc.status_code).phrase
        detail = "no such page in the inbox" if exc.status_code == 404 else str(exc.detail)
        response = error_page(request, exc.status_code, phrase, detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_page(request, exc.status, HTTPStatus(exc.status).phrase, exc.detail)

    app.add_exception_handler(WebError, web_error)
    app.add_exception_handler(SignInNeeded, sign_in)
    wrap(DomainError, domain)
    wrap(ApiError, api_error)
    wrap(RequestValidationError, invalid)
    wrap(StarletteHTTPException, http)
