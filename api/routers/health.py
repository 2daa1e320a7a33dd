"""Liveness and readiness probes (no auth, no business data)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlmodel import Session

from api.deps import read
from api.schemas import Health
from monitor.core.db import READ_ONLY
from monitor.core.metrics import source_health
from monitor.core.revisions import current_revision
from monitor.ingest.status import list_sources

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database is unreachable or not migrated"}},
    summary="The database is reachable and its schema is current",
)
def readyz(request: Request) -> Response | Health:
    engine: sa.Engine = request.app.state.engine
    try:
        # Read-only: a probe never waits for SQLite's writer (monitor.core.db).
        with engine.connect().execution_options(**READ_ONLY) as conn:
            conn.execute(sa.text("SELECT 1"))
        revision = current_revision(engine)
    except sa.exc.SQLAlchemyError as exc:
        body = Health(status="unavailable", detail=f"database unreachable: {type(exc).__name__}")
        return JSONResponse(body.model_dump(), status_code=503)
    if revision != request.app.state.schema_head:
        body = Health(
            status="unavailable",
            database=revision,
            detail="schema is not current: run `replywatch db upgrade`",
        )
        return JSONResponse(body.model_dump(), status_code=503)
    return Health(status="ok", database=revision)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    def health(session: Session) -> list[tuple[str, str, str | None]]:
        return [(r.key, r.health, r.reason_kind) for r in list_sources(session=session, now=datetime.now(UTC))]

    try:
        rows = await read(request, health)
    except sa.exc.SQLAlchemyError:
        rows = []  # the process's own metrics are still worth serving while the database is away
    return Response(generate_latest() + source_health(rows), media_type=CONTENT_TYPE_LATEST)
