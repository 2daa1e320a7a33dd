"""The watch list: health, last and next poll, poll history, poll now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlmodel import Session

from api.deps import ConfigDep, PollerDep, read, require
from api.pagination import decode_cursor, page
from api.schemas import Page, PollPublic, PollResult, SourcePublic
from monitor.core.errors import Conflict, NotFound
from monitor.ingest.status import PollRow, get_source, list_polls, list_sources
from monitor.models import Source

router = APIRouter(prefix="/api/v1/sources", tags=["sources"])
PROBLEM = {"content": {"application/problem+json": {}}}
KeyPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="The source's key in sources.yaml")]


def _public(source: Source, now: datetime) -> SourcePublic:
    out = SourcePublic.model_validate(source)
    out.polling_now = bool(source.lease_until and source.lease_until > now)
    return out


def _source_or_404(session: Session, key: str) -> Source:
    source = get_source(session=session, key=key)
    if source is None:
        raise NotFound(f"no source with key '{key}'; GET /api/v1/sources lists them")
    return source


@router.get("", response_model=list[SourcePublic], summary="Every source on the watch list with its health")
async def sources(request: Request, include_inactive: bool = False) -> list[SourcePublic]:
    now = datetime.now(UTC)
    found = await read(request, lambda session: list_sources(session=session, include_inactive=include_inactive))
    return [_public(s, now) for s in found]


@router.get(
    "/{key}",
    response_model=SourcePublic,
    responses={404: {"description": "No such source", **PROBLEM}},
    summary="One source",
)
async def source(request: Request, key: KeyPath) -> SourcePublic:
    return _public(await read(request, lambda session: _source_or_404(session, key)), datetime.now(UTC))


@router.get(
    "/{key}/polls",
    response_model=Page[PollPublic],
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
) -> Page[PollPublic]:
    def work(session: Session) -> list[PollRow]:
        source = _source_or_404(session, key)  # an unknown source is a 404 before a bad cursor is a 400
        return list_polls(session=session, source=source, before_id=decode_cursor("poll", cursor), limit=limit)

    rows = await read(request, work)
    return page("poll", [PollPublic.model_validate(r) for r in rows], limit)


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
    return PollResult.model_validate(result)
