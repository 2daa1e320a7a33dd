"""Two workers placing at once on PostgreSQL (monitor.cases.locks): a re-post whose original sits in the
other worker's uncommitted batch waits for it and joins its case; a batch of another brand does not wait."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from monitor.cases.pipeline import ProcessCounts, process_pending
from monitor.core.db import SessionFactory, session_scope
from monitor.models import Case, Mention
from tests.monitor.cases.test_cases import CONFIG, FRIDGE, FRIDGE_REPOST, MATCHER, ingest
from tests.support.clock import NOW
from tests.support.factories import raw, synced

LASTOCHKA = (
    "Ласточка третий раз переносит доставку дивана, курьер не приезжает, на звонки никто не отвечает. "
    "Деньги списали две недели назад, требую вернуть."
)


@pytest.fixture
def ids(db_url: str, sessions: SessionFactory) -> dict[str, int]:
    if not db_url.startswith("postgresql"):
        pytest.skip("two workers at once: PostgreSQL only (SQLite has one writer)")
    return synced(sessions, CONFIG, NOW)


def _second_worker(sessions: SessionFactory, result: dict[str, ProcessCounts]) -> threading.Thread:
    """A second worker in its own thread and connection: one batch of one mention, committed."""

    def work() -> None:
        with session_scope(sessions) as session:
            result["counts"] = process_pending(session=session, config=CONFIG, matcher=MATCHER, now=NOW, limit=1)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def _waits_for_a_lock(sessions: SessionFactory) -> bool:
    with sessions() as session:
        # pg_locks covers the whole server (other test runs too): only this test's database counts.
        query = "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
        query += " WHERE NOT l.granted AND d.datname = current_database()"
        return bool(session.scalar(sa.text(query)))


def _finishes_or_waits(thread: threading.Thread, sessions: SessionFactory) -> bool:
    """Watch the second worker until it has finished (False) or is blocked on a lock (True)."""
    while thread.is_alive():
        if _waits_for_a_lock(sessions):
            return True
        thread.join(0.05)
    return False


def _cases(sessions: SessionFactory) -> list[tuple[str, int, list[str]]]:
    with session_scope(sessions) as session:
        rows = session.execute(
            sa.select(Mention.external_id, Mention.case_id, Mention.case_method).order_by(Mention.id)
        )
        members: dict[int, list[str]] = {}
        methods = []
        for external, case_id, method in rows:
            members.setdefault(case_id, []).append(external)
            methods.append(method)
        counts = {case_id: count for case_id, count in session.execute(sa.select(Case.id, Case.mention_count))}
        return [(members[c][0], counts[c], methods) for c in sorted(members)]


def test_a_repost_in_another_workers_batch_waits_for_it_and_joins_its_case(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    ingest(sessions, ids["fixed"], [raw(1, FRIDGE)])
    ingest(sessions, ids["other"], [raw(2, FRIDGE_REPOST, title=None)])
    result: dict[str, ProcessCounts] = {}
    with sessions() as first, first.begin():
        # The first worker claims and places the original; its batch is not committed yet.
        counts = process_pending(session=first, config=CONFIG, matcher=MATCHER, now=NOW, limit=1)
        assert counts.opened == 1
        second = _second_worker(sessions, result)  # claims the re-post (SKIP LOCKED passes the original)
        assert _finishes_or_waits(second, sessions), "the second worker placed the re-post without waiting"
    second.join()
    assert result["counts"].processed == 1 and result["counts"].joined == 1
    assert _cases(sessions) == [("ext-1", 2, ["opened", "duplicate"])]


def test_a_batch_of_another_brand_does_not_wait(sessions: SessionFactory, ids: dict[str, int]) -> None:
    ingest(sessions, ids["fixed"], [raw(1, FRIDGE)])
    ingest(sessions, ids["open"], [raw(2, LASTOCHKA, title=None)], brand=False)
    result: dict[str, ProcessCounts] = {}
    with sessions() as first, first.begin():
        assert process_pending(session=first, config=CONFIG, matcher=MATCHER, now=NOW, limit=1).opened == 1
        second = _second_worker(sessions, result)
        # Lastochka's batch runs to its commit while Acme's is still open.
        assert not _finishes_or_waits(second, sessions)
        assert result["counts"].opened == 1
    with session_scope(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 2
