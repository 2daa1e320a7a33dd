"""API tokens: staff authenticate with a bearer token; each token carries one role.

Roles, each including the ones before it:
  viewer  reads everything;
  agent   also changes cases (assignee, priority, status), writes drafts, records replies;
  lead    also approves drafts and dismisses cases;
  admin   also manages tokens.

A token is `rw_` + 43 random URL-safe characters (256 bits). Only its SHA-256 is
stored: the tokens are random, so a fast hash is enough and a lookup is one indexed
equality; the secret is shown once, when it is created.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from monitor.core.errors import Invalid, NotFound
from monitor.models.desk import ApiToken

__all__ = [
    "ROLES", "Principal", "authenticate", "create_token", "digest", "has_role", "list_tokens", "principal_of",
    "revoke_token",
]  # fmt: skip

ROLES = ("viewer", "agent", "lead", "admin")
PREFIX = "rw_"
# last_used_at is written at most this often per token, so reads do not all become writes.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: int
    name: str
    role: str


def digest(secret: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def has_role(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def create_token(*, session: Session, name: str, role: str, created_by: str, now: datetime) -> tuple[ApiToken, str]:
    """Make a token; returns the row and the secret (shown once, never stored)."""
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    name = name.strip()
    if not name or len(name) > 128:
        raise Invalid("a token needs a name of 1-128 characters (who or what uses it)")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, token_hash=digest(secret), prefix=secret[:10], created_at=now,
                     created_by=created_by)  # fmt: skip
    session.add(token)
    session.flush()
    return token, secret


def authenticate(*, session: Session, secret: str, now: datetime) -> Principal | None:
    """The principal of a live token, or None for an unknown or revoked one."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    hashed = digest(secret)
    token = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hashed))
    # compare_digest for form's sake: the lookup above is by a hash an attacker cannot steer.
    if token is None or token.revoked_at is not None or not hmac.compare_digest(token.token_hash, hashed):
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
    return Principal(token_id=token.id or 0, name=token.name, role=token.role)


def principal_of(*, session: Session, token_id: int) -> Principal | None:
    """The principal of a live token by its id (a signed-in browser keeps the id, never the secret), or None
    once the token is revoked or gone: its role is read again, so a changed token changes what the page allows."""
    token = session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        return None
    return Principal(token_id=token.id or 0, name=token.name, role=token.role)


def list_tokens(*, session: Session) -> list[ApiToken]:
    return list(session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))


def revoke_token(*, session: Session, token_id: int, now: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
    return token
