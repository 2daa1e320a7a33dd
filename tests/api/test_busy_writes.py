"""Staff writes on SQLite while the poller writes: each waits its turn, none is a 503."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import sqlalchemy as sa

from monitor.core.db import make_engine
from tests.support.api import desk_client


def _poll_writes(url: str, stop: threading.Event) -> None:
    """The poller's rhythm: short write transactions with fetching and parsing in between."""
    engine = make_engine(url)
    while not stop.is_set():
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE source SET updated_at = updated_at"))
            time.sleep(0.02)
        time.sleep(0.01)
    engine.dispose()


def test_staff_writes_while_polls_write_all_succeed(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "busy.db"
    path.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    with desk_client(url, "admin") as client:
        case_id = client.get("/api/v1/cases", params={"limit": 1}).json()["items"][0]["id"]
        stop = threading.Event()
        poller = threading.Thread(target=_poll_writes, args=(url, stop))
        poller.start()
        try:
            # Each PATCH reads the case, then writes it and its timeline: begun as a reader, one in four
            # was refused at once with "database is locked" (a 503) while a poll held the write lock.
            statuses = [
                client.patch(f"/api/v1/cases/{case_id}", json={"assignee": f"agent-{i}"}).status_code for i in range(25)
            ]
        finally:
            stop.set()
            poller.join()
        assert statuses == [200] * 25
        assert client.get(f"/api/v1/cases/{case_id}").json()["case"]["assignee"] == "agent-24"
