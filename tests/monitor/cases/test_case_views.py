from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from monitor.cases.case_filter import CaseFilter
from monitor.cases.views import _COLUMNS, CaseRow, list_cases, sort_value
from monitor.core.db import SessionFactory, session_scope
from monitor.models import Brand, Case
from tests.support.clock import NOW
from tests.support.factories import feed_config, synced

# Deadlines in hours from NOW, None for a case without one; ties and NULLs on purpose.
DUES = [5, None, 1, 3, 3, None, -2, 1, None, 8, 3]


def _queue(sessions: SessionFactory) -> dict[int, int | None]:
    synced(sessions, feed_config({"board": "http://127.0.0.1:9/feed"}), NOW)
    out = {}
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id))
        for i, hours in enumerate(DUES):
            due = None if hours is None else NOW + timedelta(hours=hours)
            status = "closed" if i == 4 else "new"
            case = Case(brand_id=brand_id, status=status, opened_at=NOW - timedelta(hours=9), updated_at=NOW,
                        last_mention_at=NOW, response_due_at=due, resolution_due_at=due)  # fmt: skip
            session.add(case)
            session.flush()
            if status == "new":
                out[case.id] = hours
    return out


def test_deadline_order_pages_through_dated_then_undated_cases(sessions: SessionFactory) -> None:
    """Ascending deadline, ties by id, cases without a deadline last: the same order page by page."""
    queue = _queue(sessions)
    expected = sorted(queue, key=lambda i: (queue[i] is None, queue[i] or 0, i))
    for sort in ("response_due", "resolution_due"):
        with session_scope(sessions) as session:
            whole = list_cases(session=session, filters=CaseFilter(status=("open",)), sort=sort, limit=50)
            assert [r.id for r in whole] == expected
            for limit in (1, 2, 3, 4):
                seen, after = [], None
                for _ in range(20):
                    rows = list_cases(session=session, filters=CaseFilter(status=("open",)), sort=sort, after=after,
                                      limit=limit)  # fmt: skip
                    seen += [r.id for r in rows]
                    if len(rows) < limit:
                        break
                    after = (sort_value(rows[-1], sort), rows[-1].id)
                assert seen == expected, (sort, limit)


def test_queue_columns_are_in_case_row_order() -> None:
    assert [c.key for c in _COLUMNS] == list(CaseRow.__dataclass_fields__)


def test_the_queue_reads_each_cases_places_by_the_case_index_without_statistics(sessions: SessionFactory) -> None:
    # SQLite plans without statistics (nothing runs ANALYZE): the next-place-due subquery took the index on the
    # clock state and read every running clock for each row of a page (3.3 s a page at 200,000 cases).
    from starlette.datastructures import QueryParams

    from api.routers.cases import case_filter, parse_case_query
    from monitor.cases.views import _queue_steps

    _queue(sessions)
    with session_scope(sessions) as session:
        conn = session.connection()
        if conn.dialect.name != "sqlite":
            return  # PostgreSQL plans with the statistics autovacuum keeps
        conn.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
        for params in ("status=new", "status=open&unanswered_places=true&sort=unanswered_places"):
            query = parse_case_query(QueryParams(params), {"sort": "response_due"})
            sql, bound = next(_queue_steps(conn.dialect, case_filter(query), query.sort, None, query.limit))
            plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(bound))]
            mention_steps = [step for step in plan if "mention" in step]
            assert mention_steps and all("ix_mention_case" in step for step in mention_steps), plan
