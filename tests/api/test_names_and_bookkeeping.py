"""Names staff give are validated (blank, control characters → 422), and a token's last_used_at, which is
bookkeeping, never fails a request: with the database's write lock held by another connection, an
authenticated read is answered and the write is skipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.core.settings import Settings
from tests.support.api import desk_client, problem
from tests.support.factories import authorize, feed_config
from tests.support.locks import lock_held

BAD_NAMES = ["   ", "\u000b", "\t", "a\x00b", "Anna\nAdmin", "x\x85", "\x1f"]


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(feed_config({}), Settings(database_url=db_url))) as c:
        authorize(c, "admin")
        yield c


def test_token_names_must_be_visible_text(client: TestClient) -> None:
    for name in BAD_NAMES:
        body = problem(client.post("/api/v1/tokens", json={"name": name, "role": "agent"}), 422)
        assert [e["loc"] for e in body["errors"]] == ["body.name"], name
    made = client.post("/api/v1/tokens", json={"name": "  Anna Petrova  ", "role": "agent"})
    assert made.status_code == 201 and made.json()["name"] == "Anna Petrova"
    assert [t["name"] for t in client.get("/api/v1/tokens").json()] == ["test-admin", "Anna Petrova"]


def test_assignees_and_texts_are_validated_too(db_url: str) -> None:
    with desk_client(db_url, "lead") as c:
        case = c.get("/api/v1/cases").json()["items"][0]
        for name in BAD_NAMES:
            problem(c.patch(f"/api/v1/cases/{case['id']}", json={"assignee": name}), 422)
        assert c.get(f"/api/v1/cases/{case['id']}").json()["case"]["assignee"] is None
        assert c.patch(f"/api/v1/cases/{case['id']}", json={"assignee": " anna "}).json()["case"]["assignee"] == "anna"
        place = c.get(f"/api/v1/cases/{case['id']}").json()["places"][0]["mention_id"]
        reply = {"mention_id": place, "text": "Спасибо\x00, разбираемся"}
        assert "U+0000" in problem(c.post(f"/api/v1/cases/{case['id']}/replies", json=reply), 422)["detail"]
        reply["text"] = "Спасибо,\n\tразбираемся"  # line breaks and tabs are text
        assert c.post(f"/api/v1/cases/{case['id']}/replies", json=reply).status_code == 201


def last_used_at(engine: sa.Engine, name: str) -> object:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT last_used_at FROM api_token WHERE name = :n"), {"n": name}).scalar_one()


def test_last_used_at_is_skipped_when_the_database_is_busy(client: TestClient) -> None:
    engine: sa.Engine = client.app.state.engine
    secret = authorize(TestClient(client.app), "viewer", name="fresh")  # never used: its lookup wants a write
    headers = {"Authorization": f"Bearer {secret}"}
    # Another writer: SQLite's one writer, or PostgreSQL's lock on every token row.
    with lock_held(engine, sqlite="IMMEDIATE", postgresql="SELECT id FROM api_token FOR UPDATE"):
        response = client.get("/api/v1/sources", headers=headers)
        assert response.status_code == 200, response.text  # was a 503 after SQLite's 30 s busy timeout
    assert last_used_at(engine, "fresh") is None  # skipped, not waited for

    client.app.state.tokens.clear()  # the next lookup tries again, and with the lock gone it is written
    assert client.get("/api/v1/sources", headers=headers).status_code == 200
    assert last_used_at(engine, "fresh") is not None
