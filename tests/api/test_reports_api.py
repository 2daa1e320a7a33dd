"""GET /api/v1/reports/coverage: formats and refusals, and a report that saves day roll-ups while polls write."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from monitor.core.db import make_engine
from tests.support.api import desk_client, problem
from tests.support.writers import poll_writes


def test_the_coverage_report_in_each_format_while_polls_write(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "report.db"
    path.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{path}"
    now = datetime.now(UTC)
    period = {"from": (now - timedelta(days=3)).isoformat(), "to": now.isoformat()}
    with desk_client(url, "viewer") as client:
        engine = make_engine(url)
        with engine.begin() as conn:  # the sources existed for the whole period: its settled days get rows
            conn.execute(sa.text("UPDATE source SET created_at = :t"), {"t": now - timedelta(days=10)})
        stop = threading.Event()
        poller = threading.Thread(target=poll_writes, args=(url, stop))
        poller.start()
        try:
            # The first report over a settled day saves that day's roll-up: a write, which waits its turn.
            report = client.get("/api/v1/reports/coverage", params=period)
            csv = client.get("/api/v1/reports/coverage", params={**period, "format": "csv"})
        finally:
            stop.set()
            poller.join()
        assert report.status_code == 200, report.text
        assert {s["key"] for s in report.json()["sources"]} == {"board"}
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert csv.text.startswith("section,source,brand")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM poll_day")).scalar_one() >= 2
        engine.dispose()
        assert (
            "no brand 'nobody'"
            in problem(client.get("/api/v1/reports/coverage", params={**period, "brand": "nobody"}), 404)["detail"]
        )
        problem(client.get("/api/v1/reports/coverage", params={"from": period["to"], "to": period["from"]}), 400)
