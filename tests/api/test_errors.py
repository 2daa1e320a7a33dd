"""Refusals and bugs: the domain's refusals are precise problems, anything else is a logged 500."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog
from fastapi.testclient import TestClient

import api.errors
from api.app import create_app
from api.routers import cases as cases_router
from monitor.config import parse_config
from monitor.core.settings import Settings
from tests.support.api import CONFIG, problem
from tests.support.factories import authorize


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    # No poll: the routes under test reach a service that the tests replace.
    config = parse_config(CONFIG.format(url="http://127.0.0.1:9/board.rss"), env={})
    with TestClient(create_app(config, Settings(database_url=db_url)), raise_server_exceptions=False) as c:
        authorize(c, "admin")
        yield c


@pytest.fixture
def logged(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the API logs, one JSON object a line, tracebacks rendered as the app's logging renders them."""
    out = io.StringIO()
    processors = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    monkeypatch.setattr(api.errors, "log", structlog.wrap_logger(structlog.PrintLogger(out), processors=processors))
    return out


def test_a_bug_in_a_staff_action_is_a_500_with_its_traceback_in_the_log(
    client: TestClient, logged: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: object) -> None:
        return {}["brand"]  # a KeyError from a bug, not a refusal: it used to come back as a 404

    monkeypatch.setattr(cases_router, "change_case", broken)
    body = problem(client.patch("/api/v1/cases/1", json={"assignee": "anna"}), 500)
    assert "it has been logged" in body["detail"] and body["instance"] == "/api/v1/cases/1"
    entries = [json.loads(line) for line in logged.getvalue().splitlines()]
    (entry,) = [e for e in entries if e["event"] == "api.unhandled"]
    assert entry["path"] == "/api/v1/cases/1"
    assert entry["exception"].startswith("Traceback") and "KeyError: 'brand'" in entry["exception"]
    assert "in broken" in entry["exception"]  # the frame where it went wrong


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "detail"),
    [
        ("patch", "/api/v1/cases/999999", {"assignee": "anna"}, 404, "no case 999999"),
        ("delete", "/api/v1/tokens/999999", None, 404, "no token 999999"),
        ("post", "/api/v1/alerts/999999/retry", None, 404, "no alert delivery 999999"),
        ("put", "/api/v1/mentions/999999/brand", {"brand": "acme"}, 404, "no mention 999999"),
    ],
)
def test_the_domains_refusals_are_problems_with_its_message(
    client: TestClient, logged: io.StringIO, method: str, path: str, body: dict | None, status: int, detail: str
) -> None:
    response = client.request(method, path, json=body)
    found = problem(response, status)
    assert found["detail"] == detail and found["type"] == "https://replywatch.dev/problems/not-found"
    assert "api.unhandled" not in logged.getvalue()
