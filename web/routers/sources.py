"""The watch list: each source's health with its reason, last and next poll, its recent polls; poll now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from api.deps import read
from monitor.core.errors import Conflict, NotFound
from monitor.ingest.status import PollRow, SourceRow, get_source, list_polls, list_sources, source_row
from web.cookie import PREFIX
from web.render import page
from web.session import Viewer, Visit, check_form, role

router = APIRouter(prefix=PREFIX)
KeyPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
RECENT = 5  # polls shown per source on the list; the source's page shows 50
# Room for `sources preview` (what a source extracts, without storing it): another change adds it as a
# monitor function; the source page links to it once it exists.


@router.get("/sources")
async def sources(request: Request, current: Viewer) -> Response:
    now = datetime.now(UTC)

    def work(session: Session) -> list[tuple[SourceRow, list[PollRow]]]:
        rows = list_sources(session=session, now=now, include_inactive=True)
        out = []
        for row in rows:
            source = get_source(session=session, key=row.key)
            out.append((row, list_polls(session=session, source=source, limit=RECENT) if source else []))
        return out

    return page(request, "sources.html", {"rows": await read(request, work)})


@router.get("/sources/{key}")
async def source(request: Request, current: Viewer, key: KeyPath) -> Response:
    now = datetime.now(UTC)

    def work(session: Session) -> tuple[SourceRow, list[PollRow]]:
        source = get_source(session=session, key=key)
        if source is None:
            raise NotFound(f"no source with key '{key}'")
        return source_row(source, now), list_polls(session=session, source=source, limit=50)

    row, polls = await read(request, work)
    return page(request, "source.html", {"row": row, "polls": polls, "done": request.query_params.get("done")})


@router.post("/sources/{key}/poll")
async def poll_now(request: Request, current: Annotated[Visit, Depends(role("agent"))], key: KeyPath) -> Response:
    await check_form(request, current)
    config = request.app.state.config
    if config.source(key) is None:
        raise NotFound(f"no source with key '{key}' in {config.path}")
    result = await request.app.state.poller.poll_now(key)
    if result is None:
        raise Conflict(f"source '{key}' is being polled by another worker; try again in a moment")
    return RedirectResponse(f"{PREFIX}/sources/{key}?done=polled", status_code=303)
