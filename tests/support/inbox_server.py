"""The app under uvicorn on a loopback port, over a loopback board's complaints made into cases, with a token
of each staff role: for tests that drive the web inbox from a real browser."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import uvicorn

from api.app import create_app
from monitor.config import parse_config
from monitor.core.db import session_scope
from monitor.core.settings import Settings
from monitor.desk.tokens import ROLES, create_token
from monitor.worker.jobs import process_cases
from monitor.worker.poller import utcnow
from tests.support.api import CONFIG
from tests.support.factories import rss
from tests.support.loopback import LoopbackServer, static

__all__ = ["InboxServer", "inbox_server"]


@dataclass(frozen=True, slots=True)
class InboxServer:
    url: str
    tokens: dict[str, str]  # role -> secret


@contextmanager
def inbox_server(db_url: str, items: list[tuple[str, str, str]]) -> Iterator[InboxServer]:
    feeds = {"/board.rss": static(rss(items), content_type="application/rss+xml")}
    with LoopbackServer(feeds) as board, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        config = parse_config(CONFIG.format(url=board.url("/board.rss")), env={})
        app = create_app(config, Settings(database_url=db_url))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)
        try:
            tokens = {}
            with session_scope(app.state.sessions) as session:
                for role, name in zip(ROLES, ("Вера Viewer", "Olena Agent", "Mariam Lead", "Admin"), strict=True):
                    tokens[role] = create_token(session=session, name=name, role=role, created_by="tests",
                                                now=datetime.now(UTC))[1]  # fmt: skip
            url = f"http://127.0.0.1:{port}"
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {tokens['admin']}"}, timeout=120
            ) as http:
                assert http.post("/api/v1/sources/board/poll").json()["outcome"] == "ok"
            process_cases(sessions=app.state.sessions, config=config, now=utcnow())
            yield InboxServer(url=url, tokens=tokens)
        finally:
            server.should_exit = True
            thread.join(timeout=30)
