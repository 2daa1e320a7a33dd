"""A refused address fails the poll with a clear record: a redirect, or a next_page the watched site wrote.

The sources live on a loopback server the config allows; what they point at is a private
address, which is refused before any connection is opened.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from monitor.config import parse_config
from monitor.core.db import SessionFactory, session_scope
from monitor.models import Mention, Poll, Source
from monitor.worker.poller import Poller
from tests.support.clock import NOW
from tests.support.factories import feed_config
from tests.support.loopback import LoopbackServer, redirect, static

PAGE_1 = {
    "reviews": [{"id": "r1", "text": "Заказ в Акме не доставлен уже неделю."}],
    # The watched site decides where page 2 is: here, the cloud metadata service.
    "next": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
}
JSON_SOURCE = (
    "  - {key: api, kind: json, url: '%s', interval: 15m, brand: acme,"
    " json: {items: reviews, fields: {id: id, body: text}, next_page: next, max_pages: 3}}"
)


async def test_a_redirect_to_a_private_address_fails_the_poll_with_address_refused(sessions: SessionFactory) -> None:
    routes = {"/feed.rss": redirect("http://10.0.0.1/admin.rss")}
    with LoopbackServer(routes) as server:
        poller = Poller(config=feed_config({"board": server.url("/feed.rss")}), sessions=sessions, clock=lambda: NOW)
        try:
            await poller.sync()
            (result,) = await poller.run_due()
        finally:
            await poller.aclose()
    assert result.outcome == "error"
    with session_scope(sessions) as session:
        poll = session.scalars(sa.select(Poll)).one()
        source = session.scalars(sa.select(Source)).one()
        assert poll.error_class == "address_refused" and source.last_error_class == "address_refused"
        assert poll.error_message is not None and "10.0.0.1 is a private address" in poll.error_message
        assert "http.allow_networks" in poll.error_message and "http://10.0.0.1/admin.rss" in poll.error_message
        assert source.health == "failing"  # a permanent error: the source needs a human


async def test_a_next_page_pointing_at_the_metadata_service_is_refused(sessions: SessionFactory) -> None:
    routes = {"/api/reviews": static(json.dumps(PAGE_1), content_type="application/json")}
    with LoopbackServer(routes) as server:
        text = JSON_SOURCE % server.url("/api/reviews")
        config = parse_config(
            "brands:\n  - {key: acme, name: Acme, names: [Акме]}\n"
            "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8]}\n"
            "sources:\n" + text + "\n",
            path="test.yaml",
            env={},
        )
        poller = Poller(config=config, sessions=sessions, clock=lambda: NOW)
        try:
            await poller.sync()
            (result,) = await poller.run_due()
        finally:
            await poller.aclose()
        assert [r.path for r in server.requests] == ["/robots.txt", "/api/reviews"]
    assert result.outcome == "error"
    with session_scope(sessions) as session:
        poll = session.scalars(sa.select(Poll)).one()
        assert poll.error_class == "address_refused"
        assert "169.254.169.254 is a cloud metadata address" in (poll.error_message or "")
        # Nothing from the refused page, and the poll as a whole failed: no half-read listing is stored.
        assert session.scalar(sa.select(sa.func.count()).select_from(Mention)) == 0
