"""Staff writes on SQLite while the poller writes: each waits its turn, none is a 503."""

from __future__ import annotations

import threading
from pathlib import Path

from tests.support.api import desk_client
from tests.support.writers import poll_writes


def test_staff_writes_while_polls_write_all_succeed(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "busy.db"
    path.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    with desk_client(url, "admin") as client:
        case_id = client.get("/api/v1/cases", params={"limit": 1}).json()["items"][0]["id"]
        stop = threading.Event()
        poller = threading.Thread(target=poll_writes, args=(url, stop))
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
