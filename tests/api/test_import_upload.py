"""The customer import's upload: capped before and while it is read, spooled to a temporary file that is
always removed, and imported in a worker process whose commit the answer reflects."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers import customers
from monitor.core.settings import Settings
from tests.support.api import problem
from tests.support.factories import authorize, feed_config

REGISTER = "external_id,full_name,email\nc-1,Иван Петров,ivan@mail.example\nc-2,Anna Weber,not-an-email\n"


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(feed_config({}), Settings(database_url=db_url))) as c:
        authorize(c, "lead")
        yield c


def spooled() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("replywatch-register-*.upload"))


def test_the_upload_is_capped_and_never_left_behind(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    before = spooled()
    declared = client.post("/api/v1/customers/import", params={"brand": "acme"}, content=b"x",
                           headers={"Content-Type": "text/csv", "Content-Length": str(customers.MAX_UPLOAD + 1)})  # fmt: skip
    assert "100 MiB" in problem(declared, 413)["detail"]

    monkeypatch.setattr(customers, "MAX_UPLOAD", 1000)  # the count while streaming (no Content-Length to trust)
    body = iter([REGISTER.encode()] * 50)
    streamed = client.post("/api/v1/customers/import", params={"brand": "acme"}, content=body,
                           headers={"Content-Type": "text/csv"})  # fmt: skip
    assert "passed" in problem(streamed, 413)["detail"]
    monkeypatch.undo()

    blank = client.post("/api/v1/customers/import", params={"brand": "acme"}, content=b" \n ",
                        headers={"Content-Type": "text/csv"})  # fmt: skip
    assert "empty" in problem(blank, 400)["detail"]
    done = client.post("/api/v1/customers/import", params={"brand": "acme"}, content=REGISTER.encode(),
                       headers={"Content-Type": "text/csv"})  # fmt: skip
    assert done.status_code == 200 and (done.json()["created"], len(done.json()["errors"])) == (1, 1)
    # Committed by the worker process before the answer: the register reads it at once.
    assert [c["external_id"] for c in client.get("/api/v1/customers").json()["items"]] == ["c-1"]
    unreadable = client.post("/api/v1/customers/import", params={"brand": "acme"}, content=b"\xff\xfe\x00bad",
                             headers={"Content-Type": "text/csv"})  # fmt: skip
    assert problem(unreadable, 400)["detail"].startswith("the register cannot be read")
    assert spooled() == before


def test_an_unclosed_quote_is_a_refused_line_of_the_report(client: TestClient) -> None:
    data = 'external_id,full_name\nC-1005,Anna Good\nC-1006,"Broken ""quote,,,\nC-1007,Boris Good\n'
    done = client.post("/api/v1/customers/import", params={"brand": "acme"}, content=data.encode(),
                       headers={"Content-Type": "text/csv"})  # fmt: skip
    assert done.status_code == 200 and done.json()["created"] == 2
    (refused,) = done.json()["errors"]
    assert (refused["line"], refused["external_id"]) == (3, "C-1006")
    assert refused["reason"].startswith("an unclosed quote")
