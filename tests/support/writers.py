"""A thread that writes to a database the way the poller does, for tests of SQLite's single writer."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from monitor.core.db import make_engine

__all__ = ["poll_writes"]


def poll_writes(url: str, stop: threading.Event) -> None:
    """The poller's rhythm: short write transactions with fetching and parsing in between."""
    engine = make_engine(url)
    while not stop.is_set():
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE source SET updated_at = updated_at"))
            time.sleep(0.02)
        time.sleep(0.01)
    engine.dispose()
