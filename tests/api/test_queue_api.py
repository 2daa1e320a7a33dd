"""The case queue's fast path (api/routers/cases.py, monitor/case_views.queue_rows), on both databases: its
parameters, its OpenAPI document, its JSON and its SQL text cache against what FastAPI, pydantic and the
ORM would give."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated

import psycopg
import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import READ_POOL_NAME, libpq_conninfo
from api.routers.cases import CaseQuery
from api.schemas import Page
from monitor.cases import views as case_views
from monitor.cases.case_filter import CaseFilter
from monitor.cases.views import CaseRow, list_cases, queue_rows, queue_rows_async
from monitor.config import parse_config
from monitor.core.db import session_scope
from monitor.core.settings import Settings
from monitor.models import Case
from tests.support.api import CONFIG, desk_client, problem


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with desk_client(db_url, "viewer") as c:
        yield c


def test_the_queue_documents_the_parameters_fastapi_would() -> None:
    """`case_query` reads the parameters itself; the document must be the one FastAPI makes for the same
    fields declared one by one (as the route did before: a model parameter would drop their defaults)."""
    reference = FastAPI()

    def q(**_: object) -> None: ...

    q.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[(field.annotation, *field.metadata, Query(description=field.description))],
                default=field.default,
            )
            for name, field in CaseQuery.model_fields.items()
        ]
    )  # fmt: skip
    reference.get("/q")(q)
    expected = reference.openapi()["paths"]["/q"]["get"]["parameters"]
    app = create_app(
        parse_config(CONFIG.format(url="http://127.0.0.1:9/x"), env={}), Settings(database_url="sqlite://")
    )
    operation = app.openapi()["paths"]["/api/v1/cases"]["get"]
    assert operation["parameters"] == expected
    assert set(operation["responses"]) >= {"200", "400", "401", "422"}


def test_the_queue_json_is_what_pydantic_writes(client: TestClient) -> None:
    """Bytes for bytes: orjson from the driver's rows = pydantic's dump of the documented response model."""
    for params in ({"sort": "response_due"}, {"sort": "newest", "limit": 2}, {"sort": "resolution_due", "limit": 3}):
        response = client.get("/api/v1/cases", params=params)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        page = Page[CaseRow].model_validate_json(response.content)
        assert page.items and page.model_dump_json().encode() == response.content
        # timestamps from now(): microseconds, written as pydantic writes them (UTC as Z)
        assert page.items[0].opened_at.microsecond and response.json()["items"][0]["opened_at"].endswith("Z")


def test_repeated_and_unknown_parameters_follow_fastapis_rules(client: TestClient) -> None:
    everything = client.get("/api/v1/cases").json()["items"]
    assert len(everything) == 4
    assert client.get("/api/v1/cases?limit=9&limit=1").json()["items"] == everything[:1]  # the last value counts
    assert client.get("/api/v1/cases?colour=red&limit=50").json()["items"] == everything  # ignored
    assert client.get("/api/v1/cases?brand=").json()["items"] == everything  # empty: no filter, as before
    urgent = client.get("/api/v1/cases?priority=urgent&priority=urgent&priority=high").json()["items"]
    assert {c["priority"] for c in urgent} == {"urgent", "high"} and len(urgent) == 2
    both = client.get("/api/v1/cases?status=new&status=open&status=new").json()["items"]
    assert [c["id"] for c in both] == [c["id"] for c in everything]


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "query.limit"),
        ("limit=1&limit=x", "query.limit"),
        ("limit=501", "query.limit"),
        ("status=flying", "query.status.0"),
        ("status=open&status=flying", "query.status.1"),
        ("sort=sideways", "query.sort"),
        ("customer_id=-1", "query.customer_id"),
        ("language=russian", "query.language"),
        ("q=x", "query.q"),
        ("opened_from=yesterday", "query.opened_from"),
    ],
)
def test_bad_queue_parameters_are_422_problems_naming_the_field(client: TestClient, query: str, field: str) -> None:
    body = problem(client.get(f"/api/v1/cases?{query}"), 422)
    assert [e["loc"] for e in body["errors"]] == [field]
    assert body["detail"].startswith(f"invalid request: {field}: ")


def test_the_queue_needs_a_token_before_its_parameters(client: TestClient) -> None:
    assert problem(client.get("/api/v1/cases?limit=0", headers={"Authorization": ""}), 401)


def test_queue_rows_are_the_orms_values_in_any_session_time_zone(client: TestClient) -> None:
    """The driver's rows, converted by hand, equal what SQLAlchemy's types give; on PostgreSQL also when the
    session's zone is not UTC (psycopg then gives datetimes in that zone)."""
    engine: sa.Engine = client.app.state.engine
    with engine.connect() as conn:
        columns = [getattr(Case, c.key, None) for c in case_views._COLUMNS]
        computed = ("brand", "places", "customer_name", "places_answered", "next_place_due_at", "promise_due_at",
                    "promise_state")  # joined, or read by a subquery per row  # fmt: skip
        assert all(c is not None or k in computed for c, k in zip(columns, case_views.QUEUE_FIELDS, strict=True))
        through_orm = [list(r) for r in conn.execute(case_views._rows_query().order_by(Case.id))]
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SET TIME ZONE 'Asia/Tokyo'")
        fast = queue_rows(conn, CaseFilter(), sort="oldest", limit=50)
        conn.rollback()
    assert fast == through_orm
    assert all(v.utcoffset() == timedelta(0) for row in fast for v in row if isinstance(v, datetime))


def test_each_filter_shape_gets_its_own_sql_and_values_are_never_baked_in(client: TestClient) -> None:
    """The compiled-statement cache is keyed by the filters' shape: the second request of a shape reuses the
    SQL text with its own values, so a value from the first request must not leak into it."""
    sessions = client.app.state.sessions
    with session_scope(sessions) as session:
        everything = list_cases(session=session, filters=CaseFilter(), sort="oldest")
        ids = [r.id for r in everything]
        for text, expected in (("курьер", 1), ("kettle", 1), ("50%_", 0), ("сетка", 0)):
            found = list_cases(session=session, filters=CaseFilter(text=text), sort="oldest")
            assert len(found) == expected, text
        for after in ids[:3]:
            page = list_cases(session=session, filters=CaseFilter(), sort="oldest", after=(after, after), limit=2)
            assert [r.id for r in page] == [i for i in ids if i > after][:2]
        latest = max(r.opened_at for r in everything)
        for since, expected in ((latest + timedelta(seconds=1), 0), (latest, 1), (latest - timedelta(days=400), 4)):
            assert len(list_cases(session=session, filters=CaseFilter(opened_from=since))) >= expected
            assert len(list_cases(session=session, filters=CaseFilter(opened_from=since))) <= max(expected, 4)
        by_priority = {p: {r.id for r in list_cases(session=session, filters=CaseFilter(priority=(p,)))}
                       for p in ("low", "normal", "high", "urgent")}  # fmt: skip
        assert sorted(i for found in by_priority.values() for i in found) == sorted(ids)


def test_the_async_queue_reads_what_the_sync_one_does(client: TestClient, db_url: str) -> None:
    """On PostgreSQL the route reads the page on the event loop (queue_rows_async on the app's read pool):
    every sort, both parts of a deadline page, keyset pages and filters give queue_rows' rows, also when
    the session's zone is not UTC."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the async read pool is PostgreSQL's; SQLite reads in a thread (queue_rows)")
    engine: sa.Engine = client.app.state.engine
    conninfo = libpq_conninfo(engine.url)
    shapes: list[tuple[CaseFilter, str, tuple[datetime | int | None, int] | None, int]] = [
        (CaseFilter(), "newest", None, 50), (CaseFilter(), "oldest", None, 2), (CaseFilter(), "response_due", None, 3),
        (CaseFilter(text="курьер"), "resolution_due", None, 50), (CaseFilter(priority=("urgent", "high")), "newest", None, 9),
    ]  # fmt: skip
    with engine.connect() as conn:
        for filters, sort, _, limit in list(shapes):
            first = queue_rows(conn, filters, sort, None, limit)
            if first:  # the next page after this one's last row
                last = first[-1]
                shapes.append((filters, sort, (case_views.queue_sort_value(last, sort), last[0]), limit))
        expected = [queue_rows(conn, *shape) for shape in shapes]
        conn.rollback()

    async def read_all() -> list[list[list[object]]]:
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as aconn:
            await aconn.execute("SET TIME ZONE 'Asia/Tokyo'")
            return [await queue_rows_async(aconn, *shape) for shape in shapes]

    got = asyncio.run(read_all())
    assert got == expected and any(got)
    assert all(v.utcoffset() == timedelta(0) for page in got for row in page for v in row if isinstance(v, datetime))


def test_the_read_pool_survives_a_database_restart(client: TestClient, db_url: str) -> None:
    """A restarted server breaks every pooled connection: the next list still answers (the broken connection
    is dropped, the pool checks the rest, the read runs again), with no error for the user."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the async read pool is PostgreSQL's")
    before = client.get("/api/v1/cases?sort=response_due")
    assert before.status_code == 200
    engine: sa.Engine = client.app.state.engine
    with engine.connect() as conn:
        killed = conn.execute(
            sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": READ_POOL_NAME},
        ).scalar_one()
        conn.commit()
    assert killed >= 1
    for _ in range(3):
        after = client.get("/api/v1/cases?sort=response_due")
        assert after.status_code == 200 and after.content == before.content


def test_the_read_pool_connects_with_any_password() -> None:
    """Built from the URL's parts: a URL's text leaves a space in a password unescaped, which libpq refuses."""
    url = sa.URL.create("postgresql+psycopg", username="desk", password="a b'c", host="db", port=5433, database="rw",
                        query={"sslmode": "require"})  # fmt: skip
    parts = psycopg.conninfo.conninfo_to_dict(libpq_conninfo(url))
    assert parts == {
        "user": "desk",
        "password": "a b'c",
        "host": "db",
        "port": "5433",
        "dbname": "rw",
        "sslmode": "require",
    }
