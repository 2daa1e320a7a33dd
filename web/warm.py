"""Start-up work that the first requests would otherwise pay, then a frozen heap.

Measured on bench/web.py before this existed: the first queue page after a start took ~280 ms (every template
it extends and includes compiled, the queue's SQL compiled by SQLAlchemy and prepared by the database), and
the slowest pages of a steady run were the ones a full garbage collection landed in, walking every object the
start-up had made (the app, SQLAlchemy's and pydantic's tables). So at start-up: compile every template, read
the default queue once, collect, and `gc.freeze()` what is left, so later collections skip it.
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
    gc.collect()
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
