"""The watch list: health, last and next poll, poll history, poll now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlmodel import Session

from api.deps import ConfigDep, PollerDep, read, require
from api.errors import BadGateway
from api.pagination import decode_cursor, page
from api.schemas import Page
from monitor.core.errors import Conflict, NotFound
from monitor.ingest.preview import SourcePreview, preview_source
from monitor.ingest.status import PollRow, SourceRow, get_source, list_polls, list_sources, source_row
from monitor.models import Source
from monitor.worker.jobs import PollResult

router = APIRouter(prefix="/api/v1/sources", tags=["sources"])
PROBLEM = {"content": {"application/problem+json": {}}}
KeyPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="The source's key in sources.yaml")]


def _source_or_404(session: Session, key: str) -> Source:
    source = get_source(session=session, key=key)
    if source is None:
        raise NotFound(f"no source with key '{key}'; GET /api/v1/sources lists them")
    return source


@router.get("", response_model=list[SourceRow], summary="Every source on the watch list with its health")
async def sources(request: Request, include_inactive: bool = False) -> list[SourceRow]:
    now = datetime.now(UTC)
    return await read(request, lambda session: list_sources(session=session, now=now,
                                                            include_inactive=include_inactive))  # fmt: skip


@router.get(
    "/{key}",
    response_model=SourceRow,
    responses={404: {"description": "No such source", **PROBLEM}},
    summary="One source",
)
async def source(request: Request, key: KeyPath) -> SourceRow:
    now = datetime.now(UTC)
    return await read(request, lambda session: source_row(_source_or_404(session, key), now))


@router.get(
    "/{key}/polls",
    response_model=Page[PollRow],
    responses={
        404: {"description": "No such source", **PROBLEM},
        400: {"description": "Bad cursor", **PROBLEM},
    },
    summary="The source's polls, newest first: the evidence of coverage",
)
async def polls(
    request: Request,
    key: KeyPath,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[PollRow]:
    def work(session: Session) -> list[PollRow]:
        source = _source_or_404(session, key)  # an unknown source is a 404 before a bad cursor is a 400
        return list_polls(session=session, source=source, before_id=decode_cursor("poll", cursor), limit=limit)

    rows = await read(request, work)
    return page("poll", rows, limit)


@router.post(
    "/{key}/poll",
    response_model=PollResult,
    responses={
        403: {"description": "Needs the agent role", **PROBLEM},
        404: {"description": "No such source", **PROBLEM},
        409: {"description": "Another worker is polling this source right now", **PROBLEM},
    },
    summary="Poll the source now, whatever its schedule",
    dependencies=[Depends(require("agent"))],
)
async def poll_now(poller: PollerDep, config: ConfigDep, key: KeyPath) -> PollResult:
    if config.source(key) is None:
        raise NotFound(f"no source with key '{key}' in {config.path}")
    result = await poller.poll_now(key)
    if result is None:
        raise Conflict(f"source '{key}' is being polled by another worker; try again in a moment")
    return result


@router.post(
    "/{key}/preview",
    response_model=SourcePreview,
    responses={
        403: {"description": "Needs the agent role", **PROBLEM},
        404: {"description": "No such source", **PROBLEM},
        502: {"description": "The source's page could not be fetched or read (error_class says why)", **PROBLEM},
    },
    summary="Fetch the source once, store nothing: every item field by field, each field's fill rate, every warning",
    dependencies=[Depends(require("agent"))],
)
async def preview(poller: PollerDep, config: ConfigDep, key: KeyPath) -> SourcePreview:
    # The poller's fetcher and browser: the preview keeps the worker's per-host pacing and robots.txt cache.
    got = await preview_source(config=config, key=key, fetcher=poller.fetcher, browser=poller.browser)
    if not got.ok:
        raise BadGateway(
            f"source '{key}' could not be previewed: {got.error}",
            error_class=got.error_class,
            http_status=got.http_status,
        )
    return got
