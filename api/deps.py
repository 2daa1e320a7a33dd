"""Dependencies: a database session per request (commit on success, roll back on error), and who is asking.

Every route but the health checks needs a bearer token (`Authorization: Bearer rw_…`);
`Role("agent")` and the like on a route refuse tokens of a lesser role with a 403.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.errors import Forbidden, Unauthorized
from monitor.config import Config
from monitor.scheduler import Poller
from monitor.tokens import Principal, authenticate, has_role

__all__ = ["Admin", "Agent", "Caller", "ConfigDep", "Lead", "PollerDep", "SessionDep", "require"]

_bearer = HTTPBearer(auto_error=False, description="An API token: `replywatch tokens create --name … --role …`")


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session, session.begin():
        yield session


def get_config(request: Request) -> Config:
    return request.app.state.config


def get_poller(request: Request) -> Poller:
    return request.app.state.poller


SessionDep = Annotated[Session, Depends(get_session)]


def get_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send an API token as 'Authorization: Bearer rw_…' (replywatch tokens create)")
    # A transaction of its own, committed at once: touching last_used_at must not make the request's
    # own transaction a writer (on SQLite that would lock out the poller while a handler awaits).
    with request.app.state.sessions() as session, session.begin():
        principal = authenticate(session=session, secret=credentials.credentials, now=datetime.now(UTC))
    if principal is None:
        raise Unauthorized("the API token is unknown or revoked")
    return principal


def require(role: str):  # type: ignore[no-untyped-def]
    """A dependency that lets through callers of `role` or above."""

    def check(caller: Annotated[Principal, Depends(get_caller)]) -> Principal:
        if not has_role(caller.role, role):
            raise Forbidden(f"this needs the {role} role or above; the token '{caller.name}' is a {caller.role}")
        return caller

    return check


Caller = Annotated[Principal, Depends(get_caller)]
Agent = Annotated[Principal, Depends(require("agent"))]
Lead = Annotated[Principal, Depends(require("lead"))]
Admin = Annotated[Principal, Depends(require("admin"))]
ConfigDep = Annotated[Config, Depends(get_config)]
PollerDep = Annotated[Poller, Depends(get_poller)]
