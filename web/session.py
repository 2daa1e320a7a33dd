"""Who is at the browser: an API token given once at sign-in, then a signed session cookie.

The cookie holds the token's id and the session's CSRF token, signed (itsdangerous) with the app's key and
dated: never the token's secret, which stays with its owner. Every request reads the token again by id
(`monitor.desk.tokens.principal_of`, cached for TOKEN_TTL seconds in the API's TokenCache): a revoked token
signs its browsers out, and a token's role is the page's role, exactly as in the API.

The cookie is HttpOnly, SameSite=Lax (a link from a chat message opens the case signed in; a form posted from
another site carries no cookie) and Secure when the page was served over TLS. Every form carries the
session's CSRF token, compared in constant time (`check_form`).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl

import anyio
import structlog
from fastapi import Depends, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from api.errors import UNAVAILABLE, unavailable
from monitor.core.db import session_scope
from monitor.desk.tokens import Principal, has_role, principal_of
from web.cookie import COOKIE, PREFIX
from web.errors import SignInNeeded, WebError

__all__ = [
    "COOKIE",
    "PREFIX",
    "Form",
    "Signer",
    "Viewer",
    "Visit",
    "check_form",
    "new_csrf",
    "read_form",
    "role",
    "visit",
]

log = structlog.get_logger("replywatch.web")
# Fields a form of ours has at most; a body with more is not one of ours.
MAX_FIELDS = 64


class Signer:
    """Signs and reads session cookies; `max_age` in seconds."""

    def __init__(self, secret: str | None, max_age: float) -> None:
        # No key configured: one for this process only (a restart signs everyone out).
        self._serializer = URLSafeTimedSerializer(secret or secrets.token_urlsafe(32), salt="replywatch.web.session")
        self.max_age = max_age

    def dump(self, data: dict[str, Any]) -> str:
        return self._serializer.dumps(data)

    def load(self, raw: str) -> tuple[dict[str, Any] | None, str | None]:
        """The session's data, or None and why: "expired" or "forged" (a bad signature or shape)."""
        try:
            data = self._serializer.loads(raw, max_age=self.max_age)
        except SignatureExpired:
            return None, "expired"
        except BadSignature:
            return None, "forged"
        if not isinstance(data, dict) or not isinstance(data.get("csrf"), str):
            return None, "forged"
        return data, None


@dataclass(frozen=True, slots=True)
class Visit:
    """The browser's session: who (None before sign-in) and the CSRF token its forms must carry."""

    principal: Principal | None
    csrf: str
    new_cookie: str | None  # set on the response when the session was made by this request

    def can(self, needed: str) -> bool:
        return self.principal is not None and has_role(self.principal.role, needed)


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def _principal(request: Request, token_id: int) -> Principal | None:
    state = request.app.state
    key = f"web:{token_id}"
    cached = state.tokens.get(key)
    if cached is not None:
        return cached
    with session_scope(state.sessions, read_only=True) as session:
        principal = principal_of(session=session, token_id=token_id)
    if principal is not None:
        state.tokens.put(key, principal)
    return principal


async def visit(request: Request) -> Visit:
    """The session of the request's cookie; a fresh anonymous one (with a new CSRF token) when it has none."""
    cached = getattr(request.state, "visit", None)
    if cached is not None:
        return cached
    signer: Signer = request.app.state.web_signer
    raw = request.cookies.get(COOKIE)
    data, problem = signer.load(raw) if raw else (None, None)
    if problem is not None:
        log.info("web.session_refused", reason=problem, path=request.url.path)
        request.state.session_problem = problem
    principal = None
    if data is not None and isinstance(data.get("tid"), int):
        try:
            principal = await anyio.to_thread.run_sync(_principal, request, data["tid"])
        except UNAVAILABLE as exc:
            if not unavailable(exc):
                raise
            raise WebError(503, "The database is unavailable", "send the page again in a few seconds") from None
        if principal is None:
            request.state.session_problem = "revoked"
    if data is None or (principal is None and "tid" in data):
        csrf = new_csrf()
        result = Visit(principal=None, csrf=csrf, new_cookie=signer.dump({"csrf": csrf}))
    else:
        result = Visit(principal=principal, csrf=data["csrf"], new_cookie=None)
    request.state.visit = result
    return result


def role(needed: str):  # type: ignore[no-untyped-def]
    """A dependency: the signed-in principal with `needed` or a higher role; sign-in first, else a 403 page."""

    async def check(request: Request, current: Annotated[Visit, Depends(visit)]) -> Visit:
        if current.principal is None:
            raise SignInNeeded(request.url.path, getattr(request.state, "session_problem", None))
        if not has_role(current.principal.role, needed):
            raise WebError(403, "Not allowed", f"this needs the {needed} role or above; the token "
                                               f"'{current.principal.name}' is a {current.principal.role}")  # fmt: skip
        return current

    return check


async def read_form(request: Request) -> dict[str, str]:
    """A form body (application/x-www-form-urlencoded, UTF-8) as one value per name, the last one kept.

    The body was capped by api/guard.py before the app read it. Read here rather than with python-multipart:
    every form of the inbox is url-encoded, and each refusal names what was wrong."""
    body = await request.body()
    if not body:  # a button that posts nothing: no fields (so no CSRF token, which check_form refuses)
        return {}
    media = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise WebError(
            415, "Not a form", f"send the form as application/x-www-form-urlencoded, not {media or 'no type'}"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebError(400, "Not UTF-8", f"the form is not UTF-8 (byte {exc.start} of the body)") from None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS, errors="strict")
    except UnicodeDecodeError as exc:  # a ValueError too: caught first
        raise WebError(400, "Not UTF-8", f"a percent-encoded value of the form is not UTF-8 ({exc.reason})") from None
    except ValueError:
        raise WebError(400, "Not a form of ours", f"the form has more than {MAX_FIELDS} fields") from None
    return dict(pairs)


async def check_form(request: Request, current: Visit) -> dict[str, str]:
    """The form of a POST after its CSRF token matched the session's; a 403 page otherwise."""
    form = await read_form(request)
    sent = form.pop("csrf", "")
    if not current.csrf or not hmac.compare_digest(sent.encode(), current.csrf.encode()):
        log.info("web.csrf_refused", path=request.url.path, sent=bool(sent))
        raise WebError(403, "The form has expired", "the form's security token does not match this browser's "
                                                    "session (it was opened before a sign-in, or on another site); "
                                                    "open the page again and resend")  # fmt: skip
    return form


Viewer = Annotated[Visit, Depends(role("viewer"))]
Form = dict[str, str]
