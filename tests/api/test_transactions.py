"""A write route commits before it answers: with the database locked, a revocation is a 503, never a 200 lost.

The app is given a short lock wait (SQLite busy_timeout, PostgreSQL lock_timeout), then another
connection holds a write lock while the admin revokes a token. The answer must match the row: 200 and
revoked, or 503 with Retry-After and not revoked (the client sends it again). Before the write session
committed inside the route, the answer was 200 and the commit, after it, failed: a revocation lost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.config import parse_config
from monitor.core.settings import Settings
from tests.support.api import CONFIG, problem
from tests.support.factories import authorize
from tests.support.locks import lock_held

LOCK_WAIT_MS = 300


def _short_lock_wait(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
        return
    autocommit, dbapi_connection.autocommit = dbapi_connection.autocommit, True
    dbapi_connection.execute(f"SET lock_timeout = {LOCK_WAIT_MS}")
    dbapi_connection.autocommit = autocommit


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    config = parse_config(CONFIG.format(url="http://127.0.0.1:9/board.rss"), env={})
    with TestClient(create_app(config, Settings(database_url=db_url)), raise_server_exceptions=False) as c:
        engine: sa.Engine = c.app.state.engine
        sa.event.listen(engine, "connect", _short_lock_wait)
        engine.dispose()  # connections opened from now on wait LOCK_WAIT_MS for a lock
        authorize(c, "admin")
        yield c


def revoked_at(engine: sa.Engine, token_id: int) -> object:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT revoked_at FROM api_token WHERE id = :id"), {"id": token_id}).scalar_one()


# ACCESS EXCLUSIVE stops even the read of the token; SHARE lets the read through and stops the UPDATE, which
# is sent at the commit: the case where a commit after the answer lost the revocation.
@pytest.mark.parametrize("mode", ["ACCESS EXCLUSIVE", "SHARE"])
def test_a_revocation_is_committed_before_the_answer_or_refused_with_503(client: TestClient, mode: str) -> None:
    engine: sa.Engine = client.app.state.engine
    if engine.dialect.name == "sqlite" and mode != "SHARE":
        pytest.skip("SQLite locks the whole database: one mode")
    victim = client.post("/api/v1/tokens", json={"name": "leaked", "role": "viewer"}).json()
    assert client.get("/api/v1/tokens").status_code == 200  # the admin's token is now cached: no lookup while locked

    with lock_held(engine, sqlite="EXCLUSIVE", postgresql=f"LOCK TABLE api_token IN {mode} MODE"):
        response = client.delete(f"/api/v1/tokens/{victim['id']}")
        body = problem(response, 503)
        assert response.headers["Retry-After"] and body["type"].endswith("/database-unavailable")
    assert revoked_at(engine, victim["id"]) is None  # refused, and the client was told so

    response = client.delete(f"/api/v1/tokens/{victim['id']}")
    assert response.status_code == 200 and response.json()["revoked_at"]
    assert revoked_at(engine, victim["id"]) is not None
    refused = client.get("/api/v1/sources", headers={"Authorization": f"Bearer {victim['token']}"})
    assert problem(refused, 401)
