"""The session cookie's name, path and flags (web/session.py signs what it holds)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

__all__ = ["COOKIE", "PREFIX", "set_cookie"]

PREFIX = "/inbox"
COOKIE = "replywatch_session"


def set_cookie(request: Request, response: Response, value: str | None, max_age: float | None = None) -> None:
    """The session cookie on `response` (None: deleted): HttpOnly, SameSite=Lax (a link from a chat message opens
    the page signed in; a form posted from another site carries no cookie), Secure when the request came over TLS."""
    if value is None:
        response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="lax")
        return
    response.set_cookie(COOKIE, value, max_age=int(max_age) if max_age else None, path=PREFIX, httponly=True,
                        samesite="lax", secure=request.url.scheme == "https")  # fmt: skip
