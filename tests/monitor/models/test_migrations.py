"""The migrations on a database that already holds history: 0003 gives old successful polls their gaps."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from monitor.core.db import make_engine
from monitor.core.revisions import head_revision, upgrade
from tests.support.clock import NOW


def test_upgrade_over_existing_polls_fills_their_gaps(old_url: str) -> None:
    upgrade(old_url, "0002")
    engine = make_engine(old_url)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO source (key, kind, url, weight, interval_seconds, active, next_poll_at, health, error_count,"
            " created_at, updated_at) VALUES ('a', 'feed', 'https://a.example/f', 1, 900, true, :t, 'ok', 0, :t, :t)"
        ), {"t": NOW})  # fmt: skip
        for minutes, outcome in ((0, "ok"), (15, "error"), (30, "not_modified"), (75, "ok")):
            conn.execute(sa.text(
                "INSERT INTO poll (source_id, started_at, outcome, pages, bytes_read, items_seen, items_new,"
                " items_updated, items_skipped, warnings) VALUES (1, :t, :o, 0, 0, 0, 0, 0, 0, '[]')"
            ), {"t": NOW + timedelta(minutes=minutes), "o": outcome})  # fmt: skip
    upgrade(old_url)
    with engine.connect() as conn:
        gaps = conn.execute(sa.text("SELECT outcome, gap_seconds FROM poll ORDER BY started_at")).all()
        assert conn.scalar(sa.text("SELECT version_num FROM alembic_version")) == head_revision()
    engine.dispose()
    assert [(o, round(g) if g is not None else None) for o, g in gaps] == [
        ("ok", None), ("error", None), ("not_modified", 1800), ("ok", 2700)]  # fmt: skip
