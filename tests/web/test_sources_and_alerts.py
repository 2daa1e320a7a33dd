"""The sources page's "poll now" and the dead letters' retry, by an agent through the forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from monitor.core.db import session_scope
from monitor.models.alerts import AlertDelivery
from monitor.models.events import emit
from tests.support.api import desk_client
from tests.support.web import sign_in


def test_an_agent_polls_a_source_now_and_sees_the_poll(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        agent = sign_in(client, "agent")
        before = client.get("/inbox/sources/board").text.count('<tr class="outcome-')
        page = client.post("/inbox/sources/board/poll", data={"csrf": agent})
        assert page.status_code == 200 and "Polled just now." in page.text
        assert page.text.count('<tr class="outcome-') == before + 1
        assert client.post("/inbox/sources/elsewhere/poll", data={"csrf": agent}).status_code == 404


def test_a_dead_letter_is_sent_again_and_leaves_the_list(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        now = datetime.now(UTC)
        with session_scope(client.app.state.sessions) as session:
            event = emit(session, "case.opened", "case:1", {"case_id": 1}, now=now)
            session.flush()
            session.add(AlertDelivery(event_id=event.id, event_kind="case.opened", channel="team-chat", state="failed",
                                      attempts=12, next_attempt_at=now, idempotency_key="dead-1", last_status=410,
                                      last_error="<b>gone</b>: the hook was deleted", created_at=now,
                                      updated_at=now))  # fmt: skip
        agent = sign_in(client, "agent")
        page = client.get("/inbox/alerts").text
        assert "team-chat" in page and "&lt;b&gt;gone&lt;/b&gt;" in page and "<b>gone" not in page
        (delivery,) = re.findall(r'action="/inbox/alerts/(\d+)/retry"', page)
        page = client.post(f"/inbox/alerts/{delivery}/retry", data={"csrf": agent})
        assert page.status_code == 200 and "Queued to be sent again." in page.text and "team-chat" not in page.text
        again = client.post(f"/inbox/alerts/{delivery}/retry", data={"csrf": agent})
        assert again.status_code == 409 and "failed" in again.text  # only a dead letter is retried
