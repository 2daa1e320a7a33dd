"""Alert deliveries: what went to which channel, what failed, and re-sending a dead letter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import WriteSession, read, require
from api.pagination import decode_cursor, page
from api.schemas import Page
from monitor.alerts.dispatch import retry_delivery
from monitor.alerts.views import get_delivery, list_deliveries
from monitor.core.errors import NotFound

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
PROBLEM = {"content": {"application/problem+json": {}}}
State = Literal["pending", "sending", "sent", "failed", "held"]


class AlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    event_id: int = Field(description="The event; for a digest, its first event")
    event_kind: str = Field(description="The event's kind, or 'digest'")
    event_count: int
    brand: str | None
    state: str = Field(description="pending, sending, sent, failed (dead letter) or held (quiet hours, digest)")
    hold_reason: str | None
    attempts: int
    max_attempts: int
    next_attempt_at: datetime
    idempotency_key: str
    last_status: int | None
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


class AttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    outcome: str = Field(description="sent, transient, permanent or abandoned (the sending process died)")
    status: int | None
    error: str | None
    duration_ms: int | None
    worker: str | None


class AlertDetailPublic(BaseModel):
    alert: AlertPublic
    event_ids: list[int]
    attempts: list[AttemptPublic]


@router.get(
    "",
    response_model=Page[AlertPublic],
    responses={400: {"description": "Bad cursor", **PROBLEM}},
    summary="Deliveries to chat channels, newest first; ?state=failed lists the dead letters",
)
async def alerts(
    request: Request,
    state: State | None = None,
    channel: Annotated[str | None, Query(max_length=64, description="Channel key")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[AlertPublic]:
    before_id = decode_cursor("alert", cursor)
    rows = await read(request, lambda session: list_deliveries(
        session=session, state=state, channel=channel, before_id=before_id, limit=limit
    ))  # fmt: skip
    return page("alert", [AlertPublic.model_validate(r) for r in rows], limit)


@router.get(
    "/{alert_id}",
    response_model=AlertDetailPublic,
    responses={404: {"description": "No such delivery", **PROBLEM}},
    summary="One delivery with its events and every attempt",
)
async def alert(request: Request, alert_id: Annotated[int, Path(gt=0, le=2**62)]) -> AlertDetailPublic:
    detail = await read(request, lambda session: get_delivery(session=session, delivery_id=alert_id))
    if detail is None:
        raise NotFound(f"no alert delivery {alert_id}")
    return AlertDetailPublic(
        alert=AlertPublic.model_validate(detail.delivery),
        event_ids=detail.event_ids,
        attempts=[AttemptPublic.model_validate(a) for a in detail.attempts],
    )


@router.post(
    "/{alert_id}/retry",
    response_model=AlertPublic,
    responses={
        403: {"description": "Needs the agent role", **PROBLEM},
        404: {"description": "No such delivery", **PROBLEM},
        409: {"description": "The delivery is not failed", **PROBLEM},
    },
    summary="Send a dead-lettered delivery again, with a fresh set of attempts",
    dependencies=[Depends(require("agent"))],
)
def retry(session: WriteSession, alert_id: Annotated[int, Path(gt=0, le=2**62)]) -> AlertPublic:
    delivery = retry_delivery(session=session, delivery_id=alert_id, now=datetime.now(UTC))
    return AlertPublic.model_validate(delivery)
