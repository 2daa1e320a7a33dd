"""A published reply is checked on the real page by the next polls: pending → verified → disappeared."""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.config import parse_config
from monitor.core.db import session_scope
from monitor.core.settings import Settings
from monitor.models import Event
from monitor.worker.jobs import process_cases
from monitor.worker.poller import utcnow
from tests.support.factories import authorize
from tests.support.loopback import LoopbackServer, static

COMPLAINT = "Acme привезли диван с порванной обивкой, на звонки никто не отвечает уже неделю."
OUR_REPLY = "Здравствуйте! Нам очень жаль. Мастер приедет в четверг, номер обращения RW-1."


def page(*replies: str) -> bytes:
    shown = "".join(f"<div class='answer'><p>{html.escape(r)}</p></div>" for r in replies)
    return (f"<html><body><article class='post' id='p1'><h2>Диван</h2><div class='text'>{html.escape(COMPLAINT)}</div>"
            f"<a class='link' href='/p/1'>link</a>{shown}</article></body></html>").encode()  # fmt: skip


@pytest.fixture
def setup(db_url: str) -> Iterator[tuple[TestClient, LoopbackServer]]:
    with LoopbackServer({"/board": static(page(), content_type="text/html; charset=utf-8")}) as server:
        config = parse_config(
            "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8, '::1/128']}\n"
            "brands: [{key: acme, name: Acme}]\n"
            "sources:\n"
            f"  - key: board\n    kind: html\n    url: '{server.url('/board')}'\n    interval: 15m\n    brand: acme\n"
            "    html: {item: article.post, fields: {id: '@id', title: h2, body: .text, url: 'a.link@href',"
            " reply: .answer}}\n",
            env={},
        )
        app = create_app(config, Settings(database_url=db_url))
        with TestClient(app) as client:
            authorize(client)
            yield client, server


def poll(client: TestClient) -> None:
    poller = client.app.state.poller
    client.portal.call(lambda: poller.run_due(keys={"board"}))
    process_cases(sessions=client.app.state.sessions, config=client.app.state.config, now=utcnow())


def test_polls_verify_a_published_reply_and_notice_when_it_is_gone(setup) -> None:
    client, server = setup
    poll(client)
    case = client.get("/api/v1/cases").json()["items"][0]
    place = client.get(f"/api/v1/cases/{case['id']}").json()["places"][0]["mention_id"]
    reply = client.post(f"/api/v1/cases/{case['id']}/replies", json={"mention_id": place, "text": OUR_REPLY})
    assert reply.json()["verify_state"] == "pending"  # this source shows replies: we will look
    server.routes["/board"] = static(page("Спасибо, ждём!"), content_type="text/html; charset=utf-8")
    poll(client)
    assert client.get(f"/api/v1/cases/{case['id']}").json()["replies"][0]["verify_state"] == "pending"
    # What the page shows under the post is in the mentions list too.
    assert [m["replies"] for m in client.get("/api/v1/mentions").json()["items"]] == [["Спасибо, ждём!"]]
    server.routes["/board"] = static(page("Спасибо, ждём!", OUR_REPLY + " 🙂"), content_type="text/html; charset=utf-8")
    poll(client)
    detail = client.get(f"/api/v1/cases/{case['id']}").json()
    assert detail["replies"][0]["verify_state"] == "verified" and detail["replies"][0]["verified_at"]
    server.routes["/board"] = static(page("Спасибо, ждём!"), content_type="text/html; charset=utf-8")
    poll(client)
    detail = client.get(f"/api/v1/cases/{case['id']}").json()
    assert detail["replies"][0]["verify_state"] == "disappeared"
    assert [e["kind"] for e in detail["timeline"]][-2:] == ["reply.verified", "reply.disappeared"]
    with session_scope(client.app.state.sessions) as session:
        assert session.scalars(sa.select(Event.kind).where(Event.kind.like("reply.%"))).all() == ["reply.disappeared"]
