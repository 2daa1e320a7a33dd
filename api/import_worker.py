"""The customer import, run in a worker process of its own (anyio.to_process) rather than the API's.

Parsing a register and upserting its rows is pure Python for minutes on a 100 MiB file: in a thread of
the API process it holds the GIL (and the collector's pauses) against the event loop, and the probes
(/healthz) stall with it. In another process it shares nothing with the API but the database. The route
(api/routers/customers.py) streams the upload to a temporary file first; this reads that file, imports
it in one transaction of its own and commits before the route answers, so the answer still tells what
the database holds (as WriteSession does for the other routes).

Only this module and what it imports (monitor, not FastAPI) are loaded in the worker.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import sqlalchemy as sa

from monitor.core.db import make_engine, make_session_factory, session_scope
from monitor.customers.register import ImportReport, import_customers, vacuum_register
from monitor.customers.register_file import read_register

__all__ = ["run_import"]


def run_import(
    database_url: str, brand_id: int, path: str, format: Literal["csv", "jsonl"], region: str | None
) -> ImportReport:
    """Import the register file at `path` for `brand_id`, committed; RegisterFileError when unreadable."""
    engine = make_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with session_scope(make_session_factory(engine)) as session:
            report = import_customers(
                session=session,
                brand_id=brand_id,
                rows=read_register(Path(path).read_bytes(), format=format, default_region=region),
                now=datetime.now(UTC),
                default_region=region,
            )
        vacuum_register(engine, report)  # committed: matching's lookups then read the key index alone
        return report
    except sa.exc.DBAPIError as exc:
        # Sent back to the API by pickling: without the statement's parameters (a whole batch of rows).
        raise type(exc)(
            (exc.statement or "")[:300], None, exc.orig, connection_invalidated=exc.connection_invalidated
        ) from None
    finally:
        engine.dispose()
