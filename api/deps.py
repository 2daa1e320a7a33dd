"""Dependencies: the database (one way to write, one way to read), and who is asking.

Writes: a route that changes something takes `WriteSession`, the request's unit of work. It is committed
when the route function returns and before the response is sent (the dependency's scope is "function"),
so the answer tells what the database holds: a commit that fails (the database busy or gone) is a 503
with Retry-After, not a 200 for a change that was lost. With FastAPI's default scope ("request") the code
after `yield` runs after the response is sent. Services never commit (monitor/core/db.session_scope).

Reads: a route that only reads calls `await read(request, work)`: one transaction on one worker thread.
The queue, the hottest read, has its measured fast path instead of a Session: `read_connection` (a Core
connection; SQLite) and `read_async` (the async pool; PostgreSQL).

Who is asking is settled before the app runs (api/guard.py, with api/auth.py): `get_caller` takes the
principal the guard put in the request's state; `Role("agent")` and the like on a route refuse tokens of
a lesser role with a 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any, TypeVar

import anyio
import psycopg
import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool
from sqlmodel import Session

from api.errors import Unauthorized
from monitor.config import Config
from monitor.core.db import READ_ONLY, session_scope
from monitor.core.errors import Forbidden
from monitor.desk.tokens import Principal, has_role
from monitor.worker.poller import Poller

__all__ = [
    "Admin", "Agent", "Caller", "ConfigDep", "Lead", "PollerDep", "WriteSession", "get_caller", "libpq_conninfo",
    "open_read_pool", "read", "read_async", "read_connection", "require",
]  # fmt: skip

T = TypeVar("T")
# The read pool's connections carry this application_name (pg_stat_activity shows which backends serve reads).
READ_POOL_NAME = "replywatch-api-read"

_bearer = HTTPBearer(auto_error=False, description="An API token: `replywatch tokens create --name … --role …`")


def write_session(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.sessions) as session:
        yield session


def get_config(request: Request) -> Config:
    return request.app.state.config


def get_poller(request: Request) -> Poller:
    return request.app.state.poller


WriteSession = Annotated[Session, Depends(write_session, scope="function")]


async def get_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The principal api/guard.py found from the headers, before the body was read. `credentials` is
    declared only so that the OpenAPI document names the bearer scheme."""
    principal = getattr(request.state, "principal", None)
    if principal is None:  # a route the guard left open cannot ask for a caller
        raise Unauthorized("send an API token as 'Authorization: Bearer rw_…' (replywatch tokens create)")
    return principal


async def read(request: Request, work: Callable[[Session], T]) -> T:
    """`work(session)` in one read transaction, on one worker thread.

    Routes that read are declared `async` and make one trip through the thread pool per request, where a
    sync route with a session dependency makes four (session open, handler, response validation, session
    close), each queueing behind every busy request for the thread pool and the GIL.
    """

    def run() -> T:
        with session_scope(request.app.state.sessions, read_only=True) as session:
            return work(session)

    return await anyio.to_thread.run_sync(run)


async def read_connection(request: Request, work: Callable[[sa.Connection], T]) -> T:
    """`read`, with a Core connection in place of an ORM session: for the queue, whose rows are plain tuples,
    a Session's bookkeeping (identity map, transaction events, autobegin) was pure overhead."""

    engine: sa.Engine = request.app.state.engine
    # On PostgreSQL the page is one statement, a consistent snapshot by itself: autocommit saves the
    # BEGIN and COMMIT round trips (two of the four a request made). SQLite keeps its transaction.
    options = {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else READ_ONLY

    def run() -> T:
        with engine.connect().execution_options(**options) as conn, conn.begin():
            return work(conn)

    return await anyio.to_thread.run_sync(run)


def libpq_conninfo(url: sa.URL) -> str:
    """The libpq connection string of a SQLAlchemy URL, built from its parts, not its text: a URL
    renders a password with a space unescaped, and psycopg refuses that string."""
    return make_conninfo(**url.translate_connect_args(username="user", database="dbname"), **url.query)


def open_read_pool(engine: sa.Engine, size: int = 4, timeout: float = 10.0) -> AsyncConnectionPool[Any] | None:
    """On PostgreSQL, a pool of psycopg async connections in autocommit for `read_async`; None on SQLite.

    A few connections per process are enough: PostgreSQL runs as many statements at once as it has
    cores, and a request waiting for a connection costs nothing while it waits. The connections are
    opened in the background (a server still starting delays the first read, not the app's start).
    They are checked only after a failure (`read_async`): a ping on every checkout, as the engine's
    pool_pre_ping makes, would be a second round trip for each one-statement page. A request waits at
    most `timeout` seconds for a connection.
    """
    if engine.dialect.name != "postgresql":
        return None
    return AsyncConnectionPool(
        libpq_conninfo(engine.url),
        min_size=1,
        max_size=size,
        timeout=timeout,
        kwargs={"autocommit": True, "application_name": READ_POOL_NAME},
        open=False,
        name=READ_POOL_NAME,
    )


async def read_async(pool: AsyncConnectionPool[Any], work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
    """`work(connection)` on the event loop, on a connection of the app's read pool (`open_read_pool`:
    autocommit, so each one-statement read is its own snapshot).

    The queue is read this way on PostgreSQL: no trip through the thread pool, no BEGIN/COMMIT, no ping.
    When the server went away (a restart), every idle connection is broken: the one that failed is
    dropped, the pool checks the others, and the read runs once more on a fresh connection.
    """
    for attempt in (1, 2):
        async with pool.connection() as conn:
            try:
                return await work(conn)
            except psycopg.OperationalError:
                if not conn.broken or attempt == 2:
                    raise
        await pool.check()
    raise AssertionError("unreachable")


def require(role: str):  # type: ignore[no-untyped-def]
    """A dependency that lets through callers of `role` or above."""

    async def check(caller: Annotated[Principal, Depends(get_caller)]) -> Principal:  # no I/O: no thread
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
