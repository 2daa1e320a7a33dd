"""Sign-in with an API token (once per session), sign-out."""

from __future__ import annotations

from typing import Annotated

import anyio
import structlog
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import lookup
from api.errors import UNAVAILABLE, unavailable
from monitor.desk.tokens import digest
from web.cookie import PREFIX, set_cookie
from web.errors import WebError, safe_next
from web.render import page
from web.session import Visit, check_form, new_csrf, visit

router = APIRouter(prefix=PREFIX)
log = structlog.get_logger("replywatch.web")
WHY = {
    "expired": "Your session has expired; sign in again.",
    "forged": "The session cookie was not one this server signed; sign in again.",
    "revoked": "The token of your session was revoked; sign in with another.",
}
Next = Annotated[str | None, Query(max_length=2000)]


@router.get("/sign-in")
async def sign_in_page(request: Request, current: Annotated[Visit, Depends(visit)], next: Next = None,
                       why: Annotated[str | None, Query(max_length=20)] = None) -> Response:  # fmt: skip
    return page(request, "sign_in.html", {"next": safe_next(next, PREFIX), "message": WHY.get(why or ""),
                                          "error": None})  # fmt: skip


@router.post("/sign-in")
async def sign_in(request: Request, current: Annotated[Visit, Depends(visit)]) -> Response:
    form = await check_form(request, current)
    secret = form.get("token", "").strip()
    target = safe_next(form.get("next"), PREFIX)
    state = request.app.state
    address = (request.client.host if request.client else None) or "unknown"
    key = digest(secret)
    wait = state.auth_throttle.retry_after(address, key)  # the API's throttle: one count of refusals per address
    if wait is not None:
        raise WebError(429, "Too many refused tokens", f"too many refused API tokens from {address}; "
                                                       f"try again in {wait} s")  # fmt: skip
    principal = None
    if secret:
        try:
            principal = await anyio.to_thread.run_sync(lookup, state.sessions, secret)
        except UNAVAILABLE as exc:
            if not unavailable(exc):
                raise
            raise WebError(503, "The database is unavailable", "sign in again in a few seconds") from None
    if principal is None:
        state.auth_throttle.failed(address)
        log.info("web.sign_in_refused", address=address, empty=not secret)
        error = "Paste an API token (replywatch tokens create)." if not secret else "That token is unknown or revoked."
        return page(request, "sign_in.html", {"next": target, "message": None, "error": error}, status=401)
    state.auth_throttle.succeeded(address, key)
    signer = state.web_signer
    # A new CSRF token with the new session: a token planted before sign-in is worth nothing after it.
    fresh = Visit(principal=principal, csrf=new_csrf(), new_cookie=None)
    response = RedirectResponse(target, status_code=303)
    set_cookie(request, response, signer.dump({"tid": principal.token_id, "csrf": fresh.csrf}), signer.max_age)
    log.info("web.signed_in", token_id=principal.token_id, name=principal.name, role=principal.role)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, current: Annotated[Visit, Depends(visit)]) -> Response:
    await check_form(request, current)
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    set_cookie(request, response, None)
    if current.principal is not None:
        log.info("web.signed_out", token_id=current.principal.token_id)
    return response
