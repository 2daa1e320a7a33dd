"""GET /api/v1/alerts (dead letters), one delivery with its attempts, POST …/retry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.core.db import SessionFactory
from monitor.core.settings import Settings
from tests.support.alert_receiver import Receiver
from tests.support.alerts import Clock, alerts_config, emit_events, runner, webhook
from tests.support.api import problem
from tests.support.clock import NOW
from tests.support.factories import authorize


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as recv:
        yield recv


async def test_dead_letters_are_listed_shown_and_retried(
    db_url: str, sessions: SessionFactory, receiver: Receiver
) -> None:
    config = alerts_config(webhook(receiver.url(), max_attempts=1))
    emit_events(sessions, config, NOW, [("source.failing", {"source": f"s{i}"}) for i in range(5)])
    alerts = runner(config, sessions, Clock(NOW))
    await alerts.route()
    receiver.fail_with(410)
    await alerts.dispatch()
    await alerts.aclose()

    with TestClient(create_app(config, Settings(database_url=db_url))) as client:
        authorize(client, "agent")
        page = client.get("/api/v1/alerts", params={"state": "failed", "limit": 2}).json()
        assert [a["state"] for a in page["items"]] == ["failed", "failed"]
        assert page["items"][0]["id"] > page["items"][1]["id"]
        rest = client.get("/api/v1/alerts", params={"state": "failed", "cursor": page["next_cursor"]}).json()
        assert len(rest["items"]) == 3 and rest["next_cursor"] is None
        assert client.get("/api/v1/alerts", params={"state": "sent"}).json()["items"] == []

        first = page["items"][0]["id"]
        detail = client.get(f"/api/v1/alerts/{first}").json()
        assert detail["alert"]["last_status"] == 410 and detail["alert"]["idempotency_key"].startswith("rw-hook-")
        assert [(a["outcome"], a["status"]) for a in detail["attempts"]] == [("permanent", 410)]

        retried = client.post(f"/api/v1/alerts/{first}/retry")
        assert retried.status_code == 200 and retried.json()["state"] == "pending"
        problem(client.post(f"/api/v1/alerts/{first}/retry"), 409)
        problem(client.get("/api/v1/alerts/999999"), 404)
        problem(client.post("/api/v1/alerts/999999/retry"), 404)
        problem(client.get("/api/v1/alerts", params={"cursor": "bm9wZTox"}), 400)
        problem(client.get("/api/v1/alerts", params={"state": "lost"}), 422)

    receiver.recover()
    alerts = runner(config, sessions, Clock(datetime.now(UTC)))  # the API retried at the real time
    assert (await alerts.dispatch()).sent == 1
    await alerts.aclose()
