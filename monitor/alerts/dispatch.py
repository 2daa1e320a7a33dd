"""Claiming due deliveries, recording what sending did, and re-sending dead letters.

The dispatcher works in three steps, like a poll:
  1. `claim_deliveries` (one short transaction): per enabled channel that is not
     paused by a 429 and has room in its rate-limit minute, lease due deliveries
     (`pending`, `held` whose time has come, or `sending` whose lease ran out because
     the process died) with FOR UPDATE SKIP LOCKED; count the attempt; set
     `next_attempt_at` to the lease's end, so an abandoned one is due again then.
  2. sending (no database; monitor.alerts.transports);
  3. `finish_delivery` (compare-and-set on state and lease owner): sent, or back to
     pending with exponential backoff and jitter (or the service's Retry-After), or
     failed (permanent error, or `max_attempts` reached). Every attempt is a row.

`plan_retry` is a pure function of the attempt number, the result and `now`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from monitor.alerts.messages import Facts
from monitor.alerts.routing import load_facts
from monitor.config import Config
from monitor.config.alerts import AlertsConfig, ChannelConfig
from monitor.core.errors import Conflict, NotFound
from monitor.models import Event
from monitor.models.alerts import (
    AlertAttempt,
    AlertChannelState,
    AlertDelivery,
    AlertDeliveryEvent,
    DeliveryState,
)

__all__ = [
    "Claimed",
    "DeliveryConflict",
    "SendResult",
    "claim_deliveries",
    "finish_deliveries",
    "finish_delivery",
    "plan_retry",
    "retry_delivery",
]

RATE_WINDOW = timedelta(minutes=1)
DEFAULT_PAUSE = timedelta(seconds=60)  # a 429 without Retry-After
MAX_PAUSE = timedelta(hours=6)
_ERROR_MAX = 1000


class DeliveryConflict(Conflict):
    """The delivery is not in a state that allows the request (e.g. retrying one that was sent)."""


@dataclass(frozen=True, slots=True)
class SendResult:
    ok: bool
    status: int | None = None
    error: str | None = None
    # A 4xx other than 408/429, a bad URL, a refused credential: retrying will not help.
    permanent: bool = False
    # Seconds the service asked us to wait (429/503 Retry-After).
    retry_after: float | None = None
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased delivery with the facts of its events: plain data for the sending step."""

    delivery_id: int
    channel: str
    idempotency_key: str
    attempt: int
    digest: bool
    events: list[Facts]


def _channel_state(session: Session, key: str, now: datetime) -> AlertChannelState:
    state = session.get(AlertChannelState, key, with_for_update=True)
    if state is not None:
        return state
    try:
        with session.begin_nested():
            session.add(AlertChannelState(key=key, updated_at=now))
    except IntegrityError:
        pass  # another worker made it first
    state = session.get(AlertChannelState, key, with_for_update=True, populate_existing=True)
    assert state is not None
    return state


def claim_deliveries(*, session: Session, config: Config, now: datetime, worker: str, limit: int) -> list[Claimed]:
    """Lease up to `limit` due deliveries across the channels, within each channel's rate limit."""
    claimed: list[AlertDelivery] = []
    for channel in config.channels:
        room = limit - len(claimed)
        if room <= 0:
            break
        claimed.extend(_claim_channel(session, channel, config.alerts, now, worker, room))
    session.flush()
    return _with_facts(session, claimed)


def _claim_channel(
    session: Session, channel: ChannelConfig, settings: AlertsConfig, now: datetime, worker: str, room: int
) -> list[AlertDelivery]:
    due = (
        sa.select(AlertDelivery.id)
        .where(
            AlertDelivery.channel == channel.key,
            AlertDelivery.state.in_((DeliveryState.PENDING, DeliveryState.HELD, DeliveryState.SENDING)),
            AlertDelivery.next_attempt_at <= now,
        )
        .limit(1)
    )
    if not channel.enabled or session.scalar(due) is None:
        return []  # nothing due: do not lock the channel row
    state = _channel_state(session, channel.key, now)
    if state.paused_until is not None and state.paused_until > now:
        return []
    if state.window_start is None or now - state.window_start >= RATE_WINDOW:
        state.window_start, state.window_count = now, 0
    room = min(room, channel.rate_limit - state.window_count)
    if room <= 0:
        return []
    query = (
        sa.select(AlertDelivery)
        .where(
            AlertDelivery.channel == channel.key,
            AlertDelivery.state.in_((DeliveryState.PENDING, DeliveryState.HELD, DeliveryState.SENDING)),
            AlertDelivery.next_attempt_at <= now,
        )
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
        .limit(room)
        .with_for_update(skip_locked=True)
    )
    rows: list[AlertDelivery] = []
    for delivery in session.scalars(query):
        if delivery.state == DeliveryState.SENDING:
            # Its process died mid-send: the receiver may or may not have it (the idempotency key tells).
            session.add(AlertAttempt(delivery_id=delivery.id, at=now, outcome="abandoned", worker=delivery.lease_owner,
                                     error="the sending process stopped before it recorded the result; sent again"))  # fmt: skip
            if delivery.attempts >= delivery.max_attempts:
                _fail(delivery, now, "abandoned on its last attempt")
                continue
        delivery.state, delivery.hold_reason = DeliveryState.SENDING, None
        delivery.attempts += 1
        delivery.lease_owner, delivery.lease_until = worker, now + settings.lease
        delivery.next_attempt_at = now + settings.lease
        delivery.updated_at = now
        rows.append(delivery)
    state.window_count += len(rows)
    state.updated_at = now
    return rows


def _with_facts(session: Session, deliveries: list[AlertDelivery]) -> list[Claimed]:
    if not deliveries:
        return []
    digest_ids = [d.id for d in deliveries if d.digest]
    members: dict[int, list[int]] = {}
    if digest_ids:
        for delivery_id, event_id in session.execute(
            sa.select(AlertDeliveryEvent.delivery_id, AlertDeliveryEvent.event_id)
            .where(AlertDeliveryEvent.delivery_id.in_(digest_ids))
            .order_by(AlertDeliveryEvent.event_id)
        ):
            members.setdefault(delivery_id, []).append(event_id)
    wanted = {d.event_id for d in deliveries if not d.digest} | {e for ids in members.values() for e in ids}
    events = []
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 500):
        events.extend(session.scalars(sa.select(Event).where(Event.id.in_(ordered[start : start + 500]))))
    facts = load_facts(session, events)
    out = []
    for d in deliveries:
        ids = members.get(d.id, []) if d.digest else [d.event_id]
        out.append(
            Claimed(
                delivery_id=d.id,
                channel=d.channel,
                idempotency_key=d.idempotency_key,
                attempt=d.attempts,
                digest=d.digest,
                events=[facts[i] for i in ids if i in facts],
            )
        )
    return out


def plan_retry(
    attempt: int, result: SendResult, now: datetime, settings: AlertsConfig, rng: random.Random | None = None
) -> datetime:
    """When to try again after a transient failure.

    backoff × 2^(attempt-1), capped at max_backoff, with "equal jitter" (between half
    and all of it) so deliveries failed together do not retry together; never sooner
    than the service's Retry-After.
    """
    rng = rng or random.Random()
    base = settings.backoff.total_seconds()
    delay = min(base * 2 ** max(attempt - 1, 0), settings.max_backoff.total_seconds())
    delay = delay / 2 + rng.uniform(0, delay / 2)
    if result.retry_after is not None:
        delay = max(delay, min(result.retry_after, MAX_PAUSE.total_seconds()))
    return now + timedelta(seconds=max(delay, 1.0))


def _fail(delivery: AlertDelivery, now: datetime, error: str | None) -> None:
    delivery.state = DeliveryState.FAILED
    delivery.lease_owner = delivery.lease_until = None
    delivery.last_error = (error or "failed")[:_ERROR_MAX]
    delivery.updated_at = now


def finish_delivery(
    *,
    session: Session,
    claimed: Claimed,
    result: SendResult,
    now: datetime,
    worker: str,
    settings: AlertsConfig,
    rng: random.Random | None = None,
) -> str:
    """Record one attempt and move the delivery on; return its new state ("lost" if another worker took it)."""
    return finish_deliveries(session=session, results=[(claimed, result)], now=now, worker=worker, settings=settings,
                             rng=rng)[0]  # fmt: skip


def finish_deliveries(
    *,
    session: Session,
    results: list[tuple[Claimed, SendResult]],
    now: datetime,
    worker: str,
    settings: AlertsConfig,
    rng: random.Random | None = None,
) -> list[str]:
    """Record a batch of attempts and move each delivery on, in the caller's transaction.

    Compare-and-set: only deliveries still `sending` under this worker's lease change;
    one whose lease ran out and was taken by another worker is left alone ("lost"),
    though its attempt is still recorded.
    """
    session.execute(
        sa.insert(AlertAttempt),
        [
            {"delivery_id": c.delivery_id, "at": now, "outcome": _outcome(r), "status": r.status,
             "error": r.error[:_ERROR_MAX] if r.error else None, "duration_ms": r.duration_ms, "worker": worker}
            for c, r in results
        ],
    )  # fmt: skip
    ids = [c.delivery_id for c, _ in results]
    owned = {
        d.id: d
        for d in session.scalars(
            sa.select(AlertDelivery)
            .where(
                AlertDelivery.id.in_(ids),
                AlertDelivery.state == DeliveryState.SENDING,
                AlertDelivery.lease_owner == worker,
            )
            .with_for_update()
        )
    }
    states = []
    for claimed, result in results:
        delivery = owned.get(claimed.delivery_id)
        if delivery is None:
            states.append("lost")
            continue
        _move_on(session, delivery, claimed, result, now, settings, rng)
        states.append(delivery.state)
    session.flush()
    return states


def _outcome(result: SendResult) -> str:
    return "sent" if result.ok else ("permanent" if result.permanent else "transient")


def _move_on(
    session: Session,
    delivery: AlertDelivery,
    claimed: Claimed,
    result: SendResult,
    now: datetime,
    settings: AlertsConfig,
    rng: random.Random | None,
) -> None:
    delivery.last_status, delivery.updated_at = result.status, now
    if result.ok:
        delivery.state, delivery.sent_at, delivery.last_error = DeliveryState.SENT, now, None
        delivery.lease_owner = delivery.lease_until = None
    elif result.permanent or delivery.attempts >= delivery.max_attempts:
        reason = result.error or "failed"
        if not result.permanent:
            reason = f"gave up after {delivery.attempts} attempts: {reason}"
        _fail(delivery, now, reason)
    else:
        delivery.state = DeliveryState.PENDING
        delivery.lease_owner = delivery.lease_until = None
        delivery.last_error = (result.error or "failed")[:_ERROR_MAX]
        delivery.next_attempt_at = plan_retry(delivery.attempts, result, now, settings, rng)
        if result.status == 429:
            # The whole channel waits: the service limits the channel, not one message.
            pause = timedelta(
                seconds=min(result.retry_after or DEFAULT_PAUSE.total_seconds(), MAX_PAUSE.total_seconds())
            )
            state = _channel_state(session, claimed.channel, now)
            state.paused_until = max(state.paused_until or now, now + pause)
            state.updated_at = now
            delivery.next_attempt_at = max(delivery.next_attempt_at, now + pause)


def retry_delivery(*, session: Session, delivery_id: int, now: datetime) -> AlertDelivery:
    """Send a dead letter again with a fresh set of attempts; NotFound if unknown, DeliveryConflict unless failed."""
    delivery = session.get(AlertDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise NotFound(f"no alert delivery {delivery_id}")
    if delivery.state != DeliveryState.FAILED:
        raise DeliveryConflict(
            f"alert delivery {delivery_id} is {delivery.state}; only a failed delivery can be retried"
        )
    delivery.state, delivery.attempts, delivery.next_attempt_at = DeliveryState.PENDING, 0, now
    delivery.updated_at = now
    session.flush()
    return delivery
