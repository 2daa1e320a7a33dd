"""The alerts' dead letters (deliveries that failed for good) and sending one again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import read
from api.pagination import decode_cursor, encode_cursor
from monitor.alerts.dispatch import retry_delivery
from monitor.alerts.views import list_deliveries
from monitor.core.db import session_scope
from web.cookie import PREFIX
from web.render import page
from web.session import Viewer, Visit, check_form, role

router = APIRouter(prefix=PREFIX)
PAGE = 50


@router.get("/alerts")
async def alerts(request: Request, current: Viewer,
                 cursor: Annotated[str | None, Query(max_length=400)] = None) -> Response:  # fmt: skip
    before = decode_cursor("alert", cursor)
    rows = await read(request, lambda session: [
        (d.id, d.channel, d.event_kind, d.event_count, d.brand, d.attempts, d.last_status, d.last_error, d.created_at)
        for d in list_deliveries(session=session, state="failed", before_id=before, limit=PAGE)
    ])  # fmt: skip
    next_url = f"{PREFIX}/alerts?cursor={encode_cursor('alert', rows[-1][0])}" if len(rows) == PAGE else None
    return page(request, "alerts.html", {"rows": rows, "next_url": next_url, "done": request.query_params.get("done")})


@router.post("/alerts/{alert_id}/retry")
async def retry(request: Request, current: Annotated[Visit, Depends(role("agent"))],
                alert_id: Annotated[int, Path(gt=0, le=2**62)]) -> Response:  # fmt: skip
    await check_form(request, current)

    def run() -> None:
        with session_scope(request.app.state.sessions) as session:
            retry_delivery(session=session, delivery_id=alert_id, now=datetime.now(UTC))

    await anyio.to_thread.run_sync(run)
    return RedirectResponse(f"{PREFIX}/alerts?done=retried", status_code=303)
