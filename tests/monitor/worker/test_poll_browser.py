"""A `fetch: browser` source polled by the worker: the items a script builds are stored as mentions.

The board lives on loopback and builds its list with JavaScript; the real Chromium renders it.
Runs on SQLite and PostgreSQL (the `sessions` fixture)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from monitor.config import parse_config
from monitor.core.db import SessionFactory, session_scope
from monitor.models import Mention, Poll
from monitor.worker.poller import Poller
from sources.browser import browser_problem
from tests.support.clock import NOW
from tests.support.js_site import REVIEWS, serve_js_site
from tests.support.loopback import LoopbackServer

pytestmark = pytest.mark.skipif(
    browser_problem() is not None and not os.environ.get("CI"), reason=f"no browser here: {browser_problem()}"
)

SOURCE = (
    "  - {key: board, kind: html, url: '%s', interval: 15m, fetch: %s,"
    " html: {item: li.review, fields: {id: '@id', author: .author, body: .text}}}"
)


def config_for(url: str, fetch: str) -> str:
    return (
        "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8]}\n"
        "browser: {max_concurrency: 1, timeout: 20s}\nscheduler: {parse_workers: 0}\n"
        "sources:\n" + SOURCE % (url, fetch) + "\n"
    )


@pytest.mark.parametrize(("fetch", "stored"), [("http", 0), ("browser", len(REVIEWS))])
async def test_the_browser_source_stores_what_the_script_built(
    sessions: SessionFactory, fetch: str, stored: int
) -> None:
    with LoopbackServer() as server:
        config = parse_config(config_for(serve_js_site(server), fetch), path="test.yaml", env={})
        poller = Poller(config=config, sessions=sessions, clock=lambda: NOW)
        try:
            await poller.sync()
            (result,) = await poller.run_due()
        finally:
            await poller.aclose()
    assert result.items_new == stored
    with session_scope(sessions) as session:
        bodies = set(session.scalars(sa.select(Mention.body)))
        poll = session.scalars(sa.select(Poll)).one()
    assert bodies == ({r["text"] for r in REVIEWS} if stored else set())
    assert poll.error_class is None
