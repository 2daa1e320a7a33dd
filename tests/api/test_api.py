from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from psycopg_pool import PoolTimeout

from api.app import create_app
from api.errors import unavailable
from monitor.core.db import make_engine, make_session_factory
from monitor.core.revisions import head_revision
from monitor.core.settings import Settings
from tests.support.api import problem
from tests.support.factories import authorize, feed_config, rss
from tests.support.loopback import LoopbackServer, static

DE = "Die Bestellung bei Acme kam zerbrochen an und niemand antwortet auf meine E-Mails."
RU = "Заказ в Акме привезли разбитым, на письма никто не отвечает уже две недели."


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    items = [(f"ru{i}", f"Жалоба {i}", f"{RU} Номер {i}.") for i in range(7)] + [("de1", "Beschwerde", DE)]
    routes = {
        "/ru.rss": static(rss(items), content_type="application/rss+xml"),
        "/down.rss": static(b"", status=503),
    }
    with LoopbackServer(routes) as srv:
        yield srv


@pytest.fixture
def client(db_url: str, server: LoopbackServer) -> Iterator[TestClient]:
    config = feed_config({"ru-board": server.url("/ru.rss"), "down": server.url("/down.rss")})
    app = create_app(config, Settings(database_url=db_url))
    with TestClient(app) as c:
        authorize(c)
        yield c


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "database": None, "detail": None}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["database"] == head_revision()
    assert "replywatch_polls_total" in client.get("/metrics").text


def test_readiness_fails_on_a_database_without_the_schema(tmp_path: Path, server: LoopbackServer) -> None:
    app = create_app(feed_config({}), Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    with pytest.raises(Exception, match="no such table"), TestClient(app):
        pass  # start-up itself refuses: the schema is made by `replywatch db upgrade` only


def test_sources_poll_now_polls_and_mentions(client: TestClient) -> None:
    sources = {s["key"]: s for s in client.get("/api/v1/sources").json()}
    assert sources["ru-board"]["health"] == "new" and sources["ru-board"]["last_poll_at"] is None

    result = client.post("/api/v1/sources/ru-board/poll").json()
    assert (result["source"], result["outcome"], result["items_new"]) == ("ru-board", "ok", 8)
    down = client.post("/api/v1/sources/down/poll").json()
    assert down["outcome"] == "error" and "503" in down["error"]

    source = client.get("/api/v1/sources/down").json()
    assert source["health"] == "degraded" and source["last_error_class"] == "http_5xx" and source["next_poll_at"]
    polls = client.get("/api/v1/sources/down/polls").json()
    assert [p["outcome"] for p in polls["items"]] == ["error"] and polls["next_cursor"] is None

    page = client.get("/api/v1/mentions", params={"limit": 5}).json()
    assert len(page["items"]) == 5 and page["next_cursor"]
    rest = client.get("/api/v1/mentions", params={"limit": 5, "cursor": page["next_cursor"]}).json()
    assert len(rest["items"]) == 3 and rest["next_cursor"] is None
    ids = [m["id"] for m in page["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 8
    # The feed's items carry clock times: a date with no coarser precision.
    assert {(m["published_at"] is not None, m["published_precision"]) for m in page["items"] + rest["items"]} == {
        (True, None)
    }

    german = client.get("/api/v1/mentions", params={"language": "de"}).json()["items"]
    assert [m["body"] for m in german] == [DE] and german[0]["brand"] == "acme"
    assert len(client.get("/api/v1/mentions", params={"source": "ru-board", "language": "ru"}).json()["items"]) == 7
    assert client.get("/api/v1/mentions", params={"source": "down"}).json()["items"] == []
    future = client.get("/api/v1/mentions", params={"since": "2999-01-01T00:00:00Z"}).json()
    assert future["items"] == []
    naive = client.get("/api/v1/mentions", params={"since": "2000-01-01T00:00:00"}).json()
    assert len(naive["items"]) == 8


@pytest.mark.parametrize(
    ("method", "path", "params", "status", "detail"),
    [
        ("GET", "/api/v1/sources/nope", None, 404, "no source with key 'nope'"),
        ("GET", "/api/v1/sources/NOT%20A%20KEY", None, 422, "path.key"),
        ("GET", "/api/v1/sources/nope/polls", None, 404, "no source"),
        ("POST", "/api/v1/sources/nope/poll", None, 404, "no source with key 'nope'"),
        ("GET", "/api/v1/mentions", {"cursor": "garbage!!"}, 400, "cursor"),
        ("GET", "/api/v1/mentions", {"cursor": "x" * 10_000}, 400, "cursor"),
        ("GET", "/api/v1/mentions", {"language": "russian"}, 422, "query.language"),
        ("GET", "/api/v1/mentions", {"limit": 0}, 422, "query.limit"),
        ("GET", "/api/v1/mentions", {"limit": 100000}, 422, "query.limit"),
        ("GET", "/api/v1/mentions", {"since": "yesterday"}, 422, "query.since"),
        (
            "GET",
            "/api/v1/mentions",
            {"since": "2026-02-01T00:00:00Z", "until": "2026-01-01T00:00:00Z"},
            400,
            "'since' must be before 'until'",
        ),
        ("GET", "/api/v1/mentions", {"source": "x" * 65}, 422, "query.source"),
        ("GET", "/api/v1/nothing-here", None, 404, "Not Found"),
        ("DELETE", "/api/v1/mentions", None, 405, "Method Not Allowed"),
    ],
)
def test_bad_requests_get_precise_problems(
    client: TestClient, method: str, path: str, params, status: int, detail: str
) -> None:
    body = problem(client.request(method, path, params=params), status)
    assert detail in body["detail"]


def test_a_cursor_from_another_list_is_refused(client: TestClient) -> None:
    client.post("/api/v1/sources/ru-board/poll")
    client.post("/api/v1/sources/ru-board/poll")
    polls = client.get("/api/v1/sources/ru-board/polls", params={"limit": 1}).json()
    assert polls["next_cursor"]
    problem(client.get("/api/v1/mentions", params={"cursor": polls["next_cursor"]}), 400)


def test_the_openapi_document_lists_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/healthz",
        "/readyz",
        "/api/v1/sources",
        "/api/v1/sources/{key}/polls",
        "/api/v1/sources/{key}/poll",
        "/api/v1/mentions",
    } <= set(paths)


def test_an_unreachable_database_is_a_503_to_retry_not_a_500(client: TestClient) -> None:
    """The database goes away after start-up (here: the app's engines point at a closed port): every route
    answers 503 problem+json with Retry-After, documented in the OpenAPI document, and /readyz says so."""
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:9/gone", connect_args={"connect_timeout": 2})
    state = client.app.state
    state.engine, state.sessions, state.read_pool = dead, make_session_factory(dead), None
    state.tokens.clear()  # the token must be looked up again: the first thing to meet the dead database
    for path in ("/api/v1/sources", "/api/v1/cases", "/api/v1/mentions"):
        body = problem(client.get(path), 503)
        assert body["type"].endswith("/database-unavailable") and "send the request again" in body["detail"]
    assert client.get("/api/v1/cases").headers["Retry-After"] == "5"
    assert client.get("/readyz").status_code == 503
    document = client.get("/openapi.json")
    assert document.status_code == 200
    for path, operations in document.json()["paths"].items():
        for method, operation in operations.items():
            if path.startswith("/api/"):
                assert "503" in operation["responses"], f"{method} {path}"
    dead.dispose()


def test_only_an_unavailable_database_is_a_503_other_database_errors_are_bugs() -> None:
    """sqlite3 and psycopg put outages and wrong SQL under the same OperationalError: only the outages,
    deadlocks and lock timeouts say "send it again"; a missing column must stay a logged 500."""

    def wrapped(orig: Exception, invalidated: bool = False) -> sa.exc.DBAPIError:
        return sa.exc.OperationalError("SELECT 1", {}, orig, connection_invalidated=invalidated)

    with sqlite3.connect(":memory:") as conn:
        try:
            conn.execute("SELECT no_such_column FROM sqlite_master")
        except sqlite3.OperationalError as exc:
            missing = exc
    assert not unavailable(wrapped(missing)) and unavailable(wrapped(missing, invalidated=True))
    assert unavailable(wrapped(sqlite3.OperationalError("database is locked")))
    assert unavailable(wrapped(psycopg.OperationalError("connection refused")))  # no server answered: no SQLSTATE
    for outage in (psycopg.errors.AdminShutdown, psycopg.errors.TooManyConnections, psycopg.errors.DeadlockDetected,
                   psycopg.errors.LockNotAvailable, psycopg.errors.SerializationFailure):  # fmt: skip
        assert unavailable(wrapped(outage("x"))), outage
    for bug in (psycopg.errors.QueryCanceled, psycopg.errors.StatementTooComplex, psycopg.errors.ProgramLimitExceeded):
        assert not unavailable(wrapped(bug("x"))), bug
    assert unavailable(PoolTimeout("no connection in 10 s")) and unavailable(sa.exc.TimeoutError("QueuePool limit"))
