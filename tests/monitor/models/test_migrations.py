"""The migrations on a database that already holds history: 0003 gives old successful polls their gaps."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from monitor.core.db import make_engine
from monitor.core.revisions import head_revision, upgrade
from tests.support.clock import NOW


def add_source(conn: sa.Connection) -> None:
    """One feed source, written in SQL as any revision since 0002 holds it."""
    conn.execute(sa.text(
        "INSERT INTO source (key, kind, url, weight, interval_seconds, active, next_poll_at, health, error_count,"
        " created_at, updated_at) VALUES ('a', 'feed', 'https://a.example/f', 1, 900, true, :t, 'ok', 0, :t, :t)"
    ), {"t": NOW})  # fmt: skip


def test_upgrade_over_existing_polls_fills_their_gaps(old_url: str) -> None:
    upgrade(old_url, "0002")
    engine = make_engine(old_url)
    with engine.begin() as conn:
        add_source(conn)
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


def test_0011_fills_places_from_existing_replies_and_downgrades(old_url: str) -> None:
    """Cases made before 0011 (here: made at head, then taken back to 0010) get their places filled on upgrade."""
    from alembic import command

    from monitor.cases.brands import BrandMatcher
    from monitor.cases.pipeline import process_pending
    from monitor.core.db import make_session_factory, session_scope
    from monitor.core.revisions import _alembic_config
    from monitor.desk.replies import record_reply
    from monitor.ingest.store import store_mentions
    from monitor.models import Brand, Case, Mention
    from tests.support.factories import feed_config, raw, synced

    config = feed_config({"a": "https://a.example/f", "b": "https://b.example/f"})
    upgrade(old_url)
    engine = make_engine(old_url)
    sessions = make_session_factory(engine)
    ids = synced(sessions, config, NOW)
    text = "Заказ 4417-220 в Акме не доставлен уже две недели, курьер не отвечает, деньги не вернули."
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id))
        for n, key in ((1, "a"), (2, "b")):
            store_mentions(session=session, source_id=ids[key], items=[raw(n, text, url=f"https://{key}.example/1")],
                           now=NOW, brand_id=brand_id, language_hint="ru")  # fmt: skip
        process_pending(session=session, config=config, matcher=BrandMatcher(config.brands), now=NOW)
        case_id = session.scalar(sa.select(Case.id))
        first, _ = session.scalars(sa.select(Mention.id).order_by(Mention.id)).all()
        record_reply(session=session, case_id=case_id, mention_id=first, text="Разбираемся. RW-1", url=None,
                     posted_at=NOW + timedelta(minutes=30), closing=False, draft_id=None, verifiable=False,
                     actor="anna", now=NOW + timedelta(minutes=30))  # fmt: skip
    engine.dispose()
    command.downgrade(_alembic_config(old_url), "0010")
    engine = make_engine(old_url)
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("mention")}
        assert "place_state" not in columns and not sa.inspect(conn).has_table("promise")
    engine.dispose()
    upgrade(old_url)
    engine = make_engine(old_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, place_state, place_sla FROM mention ORDER BY id")).all()
        waiting = conn.execute(sa.text("SELECT places_unanswered FROM cases")).scalar_one()
        kept = conn.execute(sa.text("SELECT (SELECT COUNT(*) FROM reply), (SELECT COUNT(*) FROM case_event)")).one()
    engine.dispose()
    assert kept[0] == 1 and kept[1] > 3  # the way down lost no reply and no timeline entry
    assert [(r[1], r[2]) for r in rows] == [("replied", "met"), ("unanswered", "running")]
    assert waiting == 1


def test_0015_adds_the_date_precision_and_takes_it_back(old_url: str) -> None:
    """Rows stored before 0015 keep NULL (unknown); the way down drops the column and keeps the rows."""
    from alembic import command

    from monitor.core.revisions import _alembic_config

    upgrade(old_url, "0014")
    engine = make_engine(old_url)
    with engine.begin() as conn:
        add_source(conn)
        conn.execute(sa.text(
            "INSERT INTO mention (source_id, dedup_key, body, published_at, first_seen_at, last_seen_at, revised_at,"
            " content_hash, revision, replies) VALUES (1, 'id:1', 'Курьер не приехал', :t, :t, :t, :t, 'h', 1, '[]')"
        ), {"t": NOW})  # fmt: skip
    engine.dispose()
    upgrade(old_url)
    engine = make_engine(old_url)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT published_precision FROM mention")).all() == [(None,)]
        conn.execute(sa.text("UPDATE mention SET published_precision = 'month'"))
    engine.dispose()
    command.downgrade(_alembic_config(old_url), "0014")
    engine = make_engine(old_url)
    with engine.connect() as conn:
        assert "published_precision" not in {c["name"] for c in sa.inspect(conn).get_columns("mention")}
        assert conn.execute(sa.text("SELECT body FROM mention")).all() == [("Курьер не приехал",)]
    engine.dispose()
