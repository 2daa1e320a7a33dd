"""Reads through the driver's cursor give the values SQLAlchemy's result gives, on both engines."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from monitor.core.db import SessionFactory, session_scope
from monitor.core.driver import DriverQuery, driver_rows, id_list, in_id_list
from monitor.models import Brand, Case
from tests.support.clock import NOW

_COLUMNS = (
    Case.id,
    Case.title,
    Case.opened_at,
    Case.response_due_at,
    Case.customer_score,
    Case.priority_reasons,
    Case.mention_count > 1,
    sa.func.coalesce(Case.response_due_at, Case.opened_at),
)


def _cases(sessions: SessionFactory) -> list[int]:
    with session_scope(sessions) as session:
        brand = Brand(key="acme", name="Acme", created_at=NOW, updated_at=NOW)
        session.add(brand)
        session.flush()
        assert brand.id is not None
        cases = [
            Case(brand_id=brand.id, title="Ждём возврат", opened_at=NOW, updated_at=NOW, last_mention_at=NOW,
                 response_due_at=NOW + timedelta(hours=4), customer_score=0.75, priority_reasons=["rated 1 of 5"],
                 mention_count=3),
            Case(brand_id=brand.id, title=None, opened_at=NOW - timedelta(days=1), updated_at=NOW,
                 last_mention_at=NOW, priority_reasons=[]),
        ]  # fmt: skip
        session.add_all(cases)
        session.flush()
        return [c.id for c in cases if c.id is not None]


def test_a_driver_query_gives_what_sqlalchemy_gives(sessions: SessionFactory) -> None:
    ids = _cases(sessions)
    query = sa.select(*_COLUMNS).where(Case.id == sa.bindparam("case_id"))
    with session_scope(sessions) as session:
        connection = session.connection()
        for case_id in ids:
            expected = [tuple(row) for row in connection.execute(query, {"case_id": case_id})]
            got = DriverQuery(query).rows(connection, {"case_id": case_id})
            assert got == expected
            # Types too: an aware UTC datetime, not SQLite's text; a list; a bool, not SQLite's 0 or 1.
            assert [type(v) for v in got[0]] == [type(v) for v in expected[0]]
            assert got[0][2].utcoffset() == timedelta(0)


def test_ids_bound_as_one_value(sessions: SessionFactory) -> None:
    ids = _cases(sessions)
    query = DriverQuery(lambda dialect: sa.select(Case.id).where(in_id_list(Case.id, "ids", dialect)))
    with session_scope(sessions) as session:
        connection = session.connection()
        dialect = connection.dialect.name
        # More ids than SQLite takes bound values: still one.
        many = [ids[1], *range(10**6, 10**6 + 40_000)]
        assert query.rows(connection, {"ids": id_list(many, dialect)}) == [(ids[1],)]
        assert query.rows(connection, {"ids": id_list([], dialect)}) == []
        mark = "%s" if dialect == "postgresql" else "?"
        assert driver_rows(connection, f"SELECT count(*) FROM cases WHERE id > {mark}", (0,)) == [(2,)]
