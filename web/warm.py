"""Start-up work that the first requests would otherwise pay, then a frozen heap.

The first page after a start compiled every template it extends and includes, and SQLAlchemy compiled (and
the database planned) the queue's statement; full garbage collections walked every object the start-up had made
(the app, SQLAlchemy's and pydantic's tables), and main's slowest queue pages in bench/web.py (139-148 ms of
CPU amid 5 ms medians) fit such a collection. So at start-up: compile every template, read the default queue
once, collect the young generations, and `gc.freeze()` what is left, so later collections skip it
(docs/PERFORMANCE.md, "Session 7").
"""

from __future__ import annotations

import gc
import time
from typing import Any

import psycopg
import sqlalchemy as sa
import structlog
from starlette.datastructures import QueryParams

from api.deps import read_async
from api.routers.cases import case_filter, parse_case_query
from monitor.cases.views import queue_rows, queue_rows_async
from monitor.core.db import READ_ONLY
from web.render import compile_templates
from web.routers.queue import DEFAULTS

__all__ = ["cool_down", "warm_up"]

log = structlog.get_logger("replywatch.web")


async def warm_up(engine: sa.Engine, read_pool: Any) -> None:
    """Compile the templates, read the default queue page once (the way the queue reads it), freeze the heap."""
    started = time.perf_counter()
    templates = compile_templates()
    query = parse_case_query(QueryParams(), DEFAULTS)
    filters = case_filter(query)
    try:
        if read_pool is not None:
            await read_async(read_pool, lambda conn: queue_rows_async(conn, filters, query.sort, None, query.limit))
        else:
            with engine.connect().execution_options(**READ_ONLY) as conn, conn.begin():
                queue_rows(conn, filters, query.sort, None, query.limit)
    except (sa.exc.SQLAlchemyError, psycopg.Error) as exc:
        # Only a head start: the app serves (and answers 503 while the database is away) without it.
        log.warning("web.warm_failed", error=str(exc).splitlines()[0][:200])
    # The young generations only: a full collection here cost ~300 ms in a test process that starts the app
    # hundreds of times, and what it would free of the start-up's cycles is a one-time few kilobytes.
    gc.collect(1)
    gc.freeze()
    log.info(
        "web.warmed",
        templates=templates,
        frozen_objects=gc.get_freeze_count(),
        ms=round((time.perf_counter() - started) * 1000),
    )


def cool_down() -> None:
    """At shutdown: give the frozen objects back to the collector (a test process starts many apps)."""
    gc.unfreeze()
