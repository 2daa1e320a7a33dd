"""What a request passes before the app reads its body (api/guard.py), and the failed-token throttle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import FailedAuthThrottle
from api.guard import JSON_BODY_LIMIT, MAX_DEPTH, json_depth_over
from monitor.core.settings import Settings
from tests.support.api import problem
from tests.support.factories import authorize, feed_config


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    app = create_app(feed_config({}), Settings(database_url=db_url, auth_failure_limit=3, auth_failure_window=60))
    with TestClient(app) as c:
        authorize(c)
        yield c


def asgi(client: TestClient, method: str, path: str, headers: dict[str, str], chunks: list[bytes]) -> dict[str, Any]:
    """One request straight through the app's ASGI interface: its status and body, and how many body chunks
    the app asked for (TestClient always hands over the whole body, so it cannot show what was not read)."""
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        if read <= len(chunks):
            return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}
        return {"type": "http.disconnect"}

    answer: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "path": path,
             "raw_path": path.encode(), "root_path": "", "scheme": "http", "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("10.0.0.9", 5000), "server": ("testserver", 80)}  # fmt: skip

    async def call() -> None:
        await client.app(scope, receive, send)

    client.portal.call(call)
    answer["chunks_read"] = read
    answer["json"] = json.loads(answer["body"]) if answer["body"] else None
    return answer


def test_a_body_without_a_token_is_never_read(client: TestClient) -> None:
    chunk = b"x" * 2**20
    answer = asgi(client, "POST", "/api/v1/tokens", {"content-type": "application/json"}, [chunk] * 150)
    assert answer["status"] == 401 and answer["chunks_read"] == 0
    assert answer["headers"]["content-type"] == "application/problem+json"
    deep = b"[" * 100_000 + b"]" * 100_000
    answer = asgi(client, "POST", "/api/v1/tokens", {"content-type": "application/json"}, [deep])
    assert answer["status"] == 401 and answer["chunks_read"] == 0


def test_json_bodies_are_capped_and_shallow(client: TestClient) -> None:
    token = client.headers["Authorization"]
    declared = asgi(client, "POST", "/api/v1/tokens", {"authorization": token, "content-type": "application/json",
                                                       "content-length": str(150 * 2**20)}, [b"{}"])  # fmt: skip
    assert declared["status"] == 413 and declared["chunks_read"] == 0 and declared["json"]["status"] == 413
    chunked = asgi(client, "POST", "/api/v1/tokens", {"authorization": token, "content-type": "application/json"},
                   [b" " * 65536] * (JSON_BODY_LIMIT // 65536 + 1))  # fmt: skip
    assert chunked["status"] == 413 and "512 KiB" in chunked["json"]["detail"]

    deep = client.post("/api/v1/tokens", content=b"[" * 100_000 + b"]" * 100_000,
                       headers={"Content-Type": "application/json"})  # fmt: skip
    assert f"deeper than {MAX_DEPTH}" in problem(deep, 400)["detail"]
    nested: Any = {"name": "deep", "role": "agent"}
    for _ in range(MAX_DEPTH - 1):  # the object is a level too
        nested = [nested]
    assert problem(client.post("/api/v1/tokens", json=nested), 422)  # as deep as allowed: the schema refuses it
    assert client.post("/api/v1/tokens", json={"name": "[[[[ in a string ]]]]", "role": "agent"}).status_code == 201


def test_the_depth_scan_skips_strings() -> None:
    assert not json_depth_over(b'{"a": "[[[[[[[[[[[[", "b": [1, [2]]}', 3)
    assert json_depth_over(b'{"a": [[[1]]]}', 3)
    assert not json_depth_over(b'["\\"[[[[[[", [[1]]]', 3)


def test_open_routes_need_no_token_and_unknown_ones_do(client: TestClient) -> None:
    anonymous = {"Authorization": ""}
    for path in ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"):
        assert client.get(path, headers=anonymous).status_code == 200, path
    problem(client.get("/api/v1/nothing-here", headers=anonymous), 401)
    problem(client.get("/api/v1/nothing-here"), 404)


def test_docs_can_need_a_token(db_url: str) -> None:
    with TestClient(create_app(feed_config({}), Settings(database_url=db_url, docs_need_token=True))) as c:
        for path in ("/docs", "/openapi.json", "/docs/assets/swagger-ui.css"):
            problem(c.get(path), 401)
        authorize(c, "viewer")
        assert c.get("/openapi.json").status_code == 200 and c.get("/docs").status_code == 200


def test_refused_tokens_from_one_address_are_throttled(client: TestClient) -> None:
    good = client.headers["Authorization"]
    assert client.get("/api/v1/sources").status_code == 200  # this address has used the good token
    for _ in range(3):
        problem(client.get("/api/v1/sources", headers={"Authorization": "Bearer rw_guess"}), 401)
    throttled = client.get("/api/v1/sources", headers={"Authorization": "Bearer rw_guess"})
    assert "too many refused" in problem(throttled, 429)["detail"]
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    client.app.state.tokens.clear()  # not only the cached lookup: the token this address proved still works
    assert client.get("/api/v1/sources", headers={"Authorization": good}).status_code == 200
    other = authorize(TestClient(client.app), "viewer")  # a live token this address never used: waits too
    problem(client.get("/api/v1/sources", headers={"Authorization": f"Bearer {other}"}), 429)
    assert client.get("/healthz", headers={"Authorization": "Bearer rw_guess"}).status_code == 200


def test_the_throttle_window_slides() -> None:
    throttle = FailedAuthThrottle(limit=2, window=10)
    throttle.failed("a", now=0)
    throttle.failed("a", now=4)
    assert throttle.retry_after("a", "k", now=5) == 5
    assert throttle.retry_after("b", "k", now=5) is None  # per address
    assert throttle.retry_after("a", "k", now=10.5) is None  # the first refusal left the window
    throttle.failed("a", now=11)
    assert throttle.retry_after("a", "k", now=12) == 2
    throttle.succeeded("a", "good", now=12)
    assert throttle.retry_after("a", "good", now=12) is None
    assert FailedAuthThrottle(limit=0, window=10).retry_after("a", "k") is None  # 0: no limit
