"""POST /api/v1/sources/{key}/preview: the preview of monitor.ingest.preview over HTTP, problem+json errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.config import parse_config
from monitor.core.db import session_scope
from monitor.core.settings import Settings
from monitor.models import Mention, Poll
from tests.support.api import problem
from tests.support.factories import authorize
from tests.support.loopback import LoopbackServer, static
from tests.support.preview_board import BOARD_SOURCE, PAGE_ITEMS, serve_board


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with LoopbackServer({"/robots.txt": static("User-agent: *\nDisallow: /private\n")}) as server:
        text = (
            "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8]}\nsources:\n"
            + BOARD_SOURCE % serve_board(server)
            + f"  - {{key: private, kind: feed, url: '{server.url('/private/feed')}', interval: 15m}}\n"
        )
        app = create_app(parse_config(text, env={}), Settings(database_url=db_url))
        with TestClient(app) as c:
            authorize(c, "agent")
            yield c


def test_preview_answers_items_fill_and_warnings_and_stores_nothing(client: TestClient) -> None:
    response = client.post("/api/v1/sources/board/preview")
    assert response.status_code == 200, response.text
    got = response.json()
    assert [(i["id"], i["author"], i["body"]) for i in got["items"]] == PAGE_ITEMS
    assert got["fill"][2] == {"field": "author", "filled": 5, "rate": 0.8333}
    assert [w["kind"] for w in got["warnings"]] == ["skipped", "not_stored", "field_empty"]
    assert (got["ok"], got["stored"], got["fetch"]) == (True, 5, "http")
    with session_scope(client.app.state.sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Mention)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Poll)) == 0


def test_a_page_that_cannot_be_fetched_is_a_502_problem_saying_why(client: TestClient) -> None:
    body = problem(client.post("/api/v1/sources/private/preview"), 502)
    assert body["error_class"] == "robots"
    assert "source 'private' could not be previewed: disallowed for replywatch" in body["detail"]


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("/api/v1/sources/nope/preview", 404, "no source with key 'nope'"),
        ("/api/v1/sources/NOT%20A%20KEY/preview", 422, "key"),
        ("/api/v1/sources/" + "x" * 200 + "/preview", 422, "key"),
    ],
)
def test_bad_keys_are_precise_problems(client: TestClient, path: str, status: int, detail: str) -> None:
    assert detail in problem(client.post(path), status)["detail"]


def test_a_viewer_may_not_preview(client: TestClient) -> None:
    authorize(client, "viewer")
    assert "needs the agent role" in problem(client.post("/api/v1/sources/board/preview"), 403)["detail"]


def test_preview_is_post_only(client: TestClient) -> None:
    problem(client.get("/api/v1/sources/board/preview"), 405)
