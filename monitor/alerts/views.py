"""Reading deliveries for the API and the CLI: newest first, keyset pages, one delivery with its attempts."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from monitor.models.alerts import AlertAttempt, AlertDelivery, AlertDeliveryEvent

__all__ = ["DeliveryDetail", "get_delivery", "list_deliveries"]


@dataclass(frozen=True, slots=True)
class DeliveryDetail:
    delivery: AlertDelivery
    attempts: list[AlertAttempt]
    event_ids: list[int]


def list_deliveries(
    *,
    session: Session,
    state: str | None = None,
    channel: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AlertDelivery]:
    query = sa.select(AlertDelivery).order_by(AlertDelivery.id.desc()).limit(limit)
    if state is not None:
        query = query.where(AlertDelivery.state == state)
    if channel is not None:
        query = query.where(AlertDelivery.channel == channel)
    if before_id is not None:
        query = query.where(AlertDelivery.id < before_id)
    return list(session.scalars(query))


def get_delivery(*, session: Session, delivery_id: int) -> DeliveryDetail | None:
    delivery = session.get(AlertDelivery, delivery_id)
    if delivery is None:
        return None
    attempts = list(
        session.scalars(
            sa.select(AlertAttempt).where(AlertAttempt.delivery_id == delivery_id).order_by(AlertAttempt.id)
        )
    )
    if delivery.digest:
        event_ids = list(
            session.scalars(
                sa.select(AlertDeliveryEvent.event_id)
                .where(AlertDeliveryEvent.delivery_id == delivery_id)
                .order_by(AlertDeliveryEvent.event_id)
            )
        )
    else:
        event_ids = [delivery.event_id]
    return DeliveryDetail(delivery=delivery, attempts=attempts, event_ids=event_ids)
