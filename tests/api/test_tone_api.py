"""Tone through the API, on both databases: mentions show their tone and why, filter by it, and
praise gets a thank-you draft; every refusal is problem+json with a precise status."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.config import parse_config
from monitor.core.settings import Settings
from monitor.worker.jobs import process_cases
from monitor.worker.poller import utcnow
from tests.support.api import problem
from tests.support.factories import authorize, rss
from tests.support.loopback import LoopbackServer, static

PRAISE = "Отличный магазин Акме: всё привезли быстро, курьер вежливый. Спасибо, рекомендую!"
QUESTION = "Подскажите, пожалуйста, когда в Акме снова появятся холодильники?"
COMPLAINT = "Акме третий раз переносит доставку, на звонки не отвечают. Требую вернуть деньги!"


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    items = [("1", "Спасибо", PRAISE), ("2", "Вопрос", QUESTION), ("3", "Жалоба", COMPLAINT)]
    feeds = {"/board.rss": static(rss(items), content_type="application/rss+xml")}
    with LoopbackServer(feeds) as server:
        config = parse_config(
            "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8, '::1/128']}\n"
            "brands:\n"
            "  - {key: acme, name: Acme, names: [Акме], language: ru, contact: care@acme.example}\n"
            "sources:\n"
            f"  - {{key: board, kind: feed, url: '{server.url('/board.rss')}', interval: 15m, brand: acme}}\n",
            env={},
        )
        with TestClient(create_app(config, Settings(database_url=db_url))) as c:
            authorize(c, "agent")
            c.portal.call(c.app.state.poller.run_due)
            counts = process_cases(sessions=c.app.state.sessions, config=c.app.state.config, now=utcnow())
            assert (counts.opened, counts.kept) == (2, 1)
            yield c


def by_tone(client: TestClient) -> dict[str, dict]:
    rows = client.get("/api/v1/mentions").json()["items"]
    return {row["tone"]: row for row in rows}


def test_mentions_show_their_tone_and_reasons_and_filter_by_it(client: TestClient) -> None:
    rows = by_tone(client)
    assert set(rows) == {"praise", "question", "complaint"}
    assert rows["praise"]["case_id"] is None and rows["complaint"]["case_id"] is not None
    assert rows["question"]["case_id"] is not None  # a question opens a case by default
    assert any(r.startswith("praise words") for r in rows["praise"]["tone_reasons"])
    assert any(r.startswith("asks") for r in rows["question"]["tone_reasons"])
    only = client.get("/api/v1/mentions", params={"tone": "praise"}).json()["items"]
    assert [m["id"] for m in only] == [rows["praise"]["id"]]
    place = client.get(f"/api/v1/cases/{rows['complaint']['case_id']}").json()["places"][0]
    assert place["tone"] == "complaint" and place["tone_reasons"]
    body = problem(client.get("/api/v1/mentions", params={"tone": "anger"}), 422)
    assert "tone" in str(body)
    # Found by schemathesis on this branch: a zoned date before the first UTC instant was a 500.
    early = problem(client.get("/api/v1/mentions", params={"until": "0001-01-01T00:30:00+01:00"}), 400)
    assert "'until'" in early["detail"]


def test_praise_gets_a_thank_you_draft_in_its_language(client: TestClient) -> None:
    rows = by_tone(client)
    made = client.post(f"/api/v1/mentions/{rows['praise']['id']}/thanks")
    assert made.status_code == 200, made.text
    thanks = made.json()
    assert (thanks["language"], thanks["template"], thanks["notes"]) == ("ru", "ru/thanks.j2", [])
    assert "Спасибо за тёплый отзыв" in thanks["text"] and "care@acme.example" in thanks["text"]
    refused = problem(client.post(f"/api/v1/mentions/{rows['complaint']['id']}/thanks"), 409)
    assert "complaint, not praise" in refused["detail"]
    problem(client.post("/api/v1/mentions/999999/thanks"), 404)
    problem(client.post("/api/v1/mentions/0/thanks"), 422)
    problem(client.post("/api/v1/mentions/abc/thanks"), 422)


def test_a_viewer_cannot_ask_for_a_thank_you(client: TestClient) -> None:
    praise_id = by_tone(client)["praise"]["id"]
    authorize(client, "viewer")
    problem(client.post(f"/api/v1/mentions/{praise_id}/thanks"), 403)
