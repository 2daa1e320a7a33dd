"""Who is asking: a bearer token's principal, looked up once in a while, and the failed-attempt throttle.

A live token's principal is kept in the process for TOKEN_TTL seconds (TokenCache), so a burst of reads
does not pay a token transaction each. A token revoked through this process stops working at once (the
revoke clears the cache when it commits); one revoked through another process (another API worker, the
CLI) stops within TOKEN_TTL seconds.

The lookup only reads. `last_used_at` is bookkeeping, written apart in a transaction that does not wait
for a lock (`touch`): when the database is busy (SQLite's single writer during an import, a PostgreSQL row
lock) the write is skipped, and the next lookup a minute on tries again. It never fails the request.

FailedAuthThrottle counts refused tokens per client address, in this process's memory (each API worker
process counts its own; nothing is shared or kept across restarts): past `limit` refusals within
`window` seconds, the address gets 429 with Retry-After for tokens it has not used successfully before.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
import structlog

from api.errors import UNAVAILABLE, unavailable
from monitor.core.db import READ_ONLY, SessionFactory
from monitor.desk.tokens import Principal, authenticate
from monitor.models.desk import ApiToken

__all__ = ["TOKEN_TTL", "FailedAuthThrottle", "TokenCache", "lookup", "touch"]

log = structlog.get_logger("replywatch.api")
# Seconds a token lookup is trusted in this process: how late a revocation made elsewhere can be.
TOKEN_TTL = 5.0
# How long the bookkeeping write waits for a PostgreSQL row lock before it is skipped.
TOUCH_LOCK_TIMEOUT = "200ms"


class TokenCache:
    """Principals of live tokens by the token's SHA-256, each for `ttl` seconds. Unknown and revoked
    tokens are not kept: every such request asks the database."""

    def __init__(self, ttl: float = TOKEN_TTL) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()  # handlers run in a thread pool

    def get(self, key: str) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put(self, key: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) > 10_000:  # bounded: drop what expired (or everything, if nothing had)
                now = time.monotonic()
                self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
                if len(self._entries) > 10_000:
                    self._entries.clear()
            self._entries[key] = (time.monotonic() + self.ttl, principal)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def lookup(sessions: SessionFactory, secret: str) -> Principal | None:
    """The principal of a live token, or None; then, best effort, its last_used_at (`touch`)."""
    now = datetime.now(UTC)
    with sessions() as session:
        session.connection(execution_options=READ_ONLY)  # SQLite: never waits for the writer
        principal = authenticate(session=session, secret=secret, now=now)
        # authenticate marks the row when last_used_at is due; that write is not made here (closing the
        # session rolls it back), so the request's lookup never waits for the database's write lock.
        due = bool(session.dirty)
    if principal is not None and due:
        touch(sessions, principal.token_id, now)
    return principal


def touch(sessions: SessionFactory, token_id: int, now: datetime) -> bool:
    """Set a token's last_used_at unless that means waiting for a lock; False when it was skipped."""
    engine: sa.Engine = sessions.kw["bind"]
    try:
        with engine.connect() as conn:
            # SQLite: BEGIN IMMEDIATE must fail at once rather than wait for the writer, so the connection's
            # busy_timeout is 0 until put back; set through the driver, since any statement through
            # SQLAlchemy would begin the transaction (and wait) first.
            raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
            waited = raw.execute("PRAGMA busy_timeout").fetchone()[0] if raw is not None else None
            if raw is not None:
                raw.execute("PRAGMA busy_timeout=0")
            try:
                with conn.begin():
                    if raw is None:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{TOUCH_LOCK_TIMEOUT}'")
                    conn.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
            finally:
                if raw is not None:
                    raw.execute(f"PRAGMA busy_timeout={int(waited or 0)}")
    except UNAVAILABLE as exc:
        if not unavailable(exc):
            raise
        log.info("api.token_touch_skipped", token_id=token_id, reason=str(exc)[:120])
        return False
    return True


@dataclass(slots=True)
class _Address:
    failures: deque[float] = field(default_factory=deque)  # monotonic times of refusals within the window
    trusted: dict[str, float] = field(default_factory=dict)  # token digest -> last success


class FailedAuthThrottle:
    """Refused tokens per client address: more than `limit` within `window` seconds locks the address out
    until the oldest of them leaves the window, except for tokens it has used successfully within the
    last `trust` seconds (so a colleague behind the same NAT keeps working while a guesser waits)."""

    def __init__(self, limit: int, window: float, trust: float = 24 * 3600.0, max_addresses: int = 50_000) -> None:
        self.limit, self.window, self.trust, self.max_addresses = limit, window, trust, max_addresses
        self._addresses: dict[str, _Address] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str, key: str, now: float | None = None) -> int | None:
        """Seconds the address must wait before trying token `key`, or None when it may try now."""
        if self.limit <= 0:
            return None
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._addresses.get(address)
            if entry is None:
                return None
            self._forget(entry, now)
            if len(entry.failures) < self.limit or entry.trusted.get(key, -self.trust) > now - self.trust:
                return None
            return max(1, int(entry.failures[0] + self.window - now + 0.999))

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._entry(address)
            self._forget(entry, now)
            entry.failures.append(now)
            if len(entry.failures) > self.limit:  # only the newest `limit` decide when the lock ends
                entry.failures.popleft()

    def succeeded(self, address: str, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            trusted = self._entry(address).trusted
            if key not in trusted and len(trusted) >= 64:  # bounded: keep the most recent
                trusted.pop(min(trusted, key=trusted.__getitem__))
            trusted[key] = now

    def _entry(self, address: str) -> _Address:
        entry = self._addresses.get(address)
        if entry is None:
            if len(self._addresses) >= self.max_addresses:  # bounded: an address-spraying client cannot grow it
                self._addresses.clear()
            entry = self._addresses[address] = _Address()
        return entry

    def _forget(self, entry: _Address, now: float) -> None:
        while entry.failures and entry.failures[0] <= now - self.window:
            entry.failures.popleft()
