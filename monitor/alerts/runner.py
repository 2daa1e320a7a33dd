"""The alert jobs a worker runs: route new events, then dispatch due deliveries.

Both are APScheduler interval jobs (`schedule`), added by `Worker.start` (monitor.worker.service) when the
config has channels. Database work runs in the executor the poller gives (one thread
on SQLite, the single writer); sending is async, `concurrency` messages at a time.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
import structlog
from prometheus_client import Counter

from monitor.alerts.dispatch import Claimed, SendResult, claim_deliveries, finish_deliveries
from monitor.alerts.messages import Facts, Message, render
from monitor.alerts.routing import RouteCounts, route_events
from monitor.alerts.transports import AppriseTransport, WebhookTransport, channel_format, webhook_body
from monitor.config import Config
from monitor.config.alerts import ChannelConfig
from monitor.core.db import SessionFactory, session_scope

__all__ = ["AlertRunner", "DispatchCounts"]

log = structlog.get_logger("replywatch.alerts")
T = TypeVar("T")
# Served at /metrics with the poll metrics (prometheus_client's default registry).
ATTEMPTS = Counter("replywatch_alert_attempts_total", "Alert sends, by channel and outcome", ["channel", "outcome"])


@dataclass(slots=True)
class DispatchCounts:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AlertRunner:
    def __init__(
        self,
        *,
        config: Config,
        sessions: SessionFactory,
        worker: str,
        db: Executor,
        clock: Callable[[], datetime] = _utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.worker = worker
        self.clock = clock
        self.rng = rng or random.Random()
        self._db = db
        timeout = config.alerts.timeout.total_seconds()
        allowed = config.http.allow_networks  # one outbound address policy for polling and alerts
        self.webhooks = WebhookTransport(timeout=timeout, allow_networks=allowed)
        self.apprise = AppriseTransport(timeout=timeout, allow_networks=allowed)
        self._channels = {c.key: c for c in config.channels}
        self._formats: dict[str, Any] = {}

    # -- jobs --------------------------------------------------------------------------------

    def schedule(self, scheduler: Any) -> None:
        seconds = self.config.alerts.tick.total_seconds()
        scheduler.add_job(self.route, "interval", seconds=seconds, id="alerts-route", max_instances=1, coalesce=True)
        scheduler.add_job(
            self.dispatch, "interval", seconds=seconds, id="alerts-dispatch", max_instances=1, coalesce=True
        )

    async def route(self) -> RouteCounts:
        """Route every waiting event, a thousand per transaction."""
        total = RouteCounts()
        while True:
            try:
                counts = await self._in_db(lambda s: route_events(session=s, config=self.config, now=self.clock()))
            except sa.exc.OperationalError as exc:
                # Rolled back as a whole (e.g. SQLite busy with another writer): the next tick routes them.
                log.warning("alerts.route_deferred", error=str(exc.orig)[:200])
                return total
            total.events += counts.events
            total.deliveries += counts.deliveries
            if counts.events < 1000:
                return total

    async def dispatch(self) -> DispatchCounts:
        """Claim, send and record batches until nothing is due (or every due channel is at its rate limit)."""
        total = DispatchCounts()
        batch = self.config.alerts.batch
        while True:
            try:
                claimed, states = await self.dispatch_batch(batch)
            except sa.exc.OperationalError as exc:
                # A claim rolled back is simply retried; a result not recorded leaves the delivery
                # `sending` until its lease ends, then it is sent again under the same idempotency key.
                log.warning("alerts.dispatch_deferred", error=str(exc.orig)[:200])
                return total
            total.claimed += claimed
            total.sent += states.count("sent")
            total.failed += states.count("failed")
            total.retrying += states.count("pending")
            if claimed < batch:
                return total

    async def dispatch_batch(self, limit: int) -> tuple[int, list[str]]:
        """One claim → send → record round; returns how many were claimed and their new states."""
        claims = await self._in_db(
            lambda s: claim_deliveries(session=s, config=self.config, now=self.clock(), worker=self.worker, limit=limit)
        )
        if not claims:
            return 0, []
        gate = asyncio.Semaphore(self.config.alerts.concurrency)

        async def one(claim: Claimed) -> tuple[Claimed, SendResult]:
            async with gate:
                return claim, await self.send(claim)

        results = await asyncio.gather(*(one(c) for c in claims))
        states = await self._in_db(lambda s: self._finish(s, results))
        log.info("alerts.dispatched", claimed=len(claims), sent=states.count("sent"),
                 retrying=states.count("pending"), failed=states.count("failed"))  # fmt: skip
        return len(claims), states

    def _finish(self, session: Any, results: list[tuple[Claimed, SendResult]]) -> list[str]:
        states = finish_deliveries(session=session, results=results, now=self.clock(), worker=self.worker,
                                   settings=self.config.alerts, rng=self.rng)  # fmt: skip
        for (claim, result), state in zip(results, states, strict=True):
            outcome = "sent" if result.ok else ("permanent" if result.permanent else "transient")
            ATTEMPTS.labels(channel=claim.channel, outcome=outcome).inc()
            if not result.ok:
                log.warning("alerts.send_failed", delivery=claim.delivery_id, channel=claim.channel,
                            attempt=claim.attempt, status=result.status, state=state,
                            error=(result.error or "")[:200])  # fmt: skip
        return states

    # -- sending -----------------------------------------------------------------------------

    def message_for(self, channel: ChannelConfig, events: list[Facts], *, digest: bool) -> Message:
        if channel.key not in self._formats:
            self._formats[channel.key] = channel_format(channel)
        return render(events, fmt=self._formats[channel.key], public_url=self.config.alerts.public_url, digest=digest)

    async def send(self, claim: Claimed) -> SendResult:
        channel = self._channels.get(claim.channel)
        if channel is None:
            return SendResult(ok=False, permanent=True, error=f"channel '{claim.channel}' is not in {self.config.path}")
        if not claim.events:
            return SendResult(ok=False, permanent=True, error="its events are gone")
        try:
            message = self.message_for(channel, claim.events, digest=claim.digest)
            return await self.send_message(channel, message, claim.events, claim.idempotency_key, claim.delivery_id)
        except Exception as exc:
            # A bug in formatting or a transport costs one attempt, not the batch.
            log.exception("alerts.send_crashed", delivery=claim.delivery_id, channel=claim.channel)
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:500])

    async def send_message(
        self, channel: ChannelConfig, message: Message, events: list[Facts], key: str, delivery_id: int
    ) -> SendResult:
        if channel.kind == "webhook":
            body = webhook_body(idempotency_key=key, delivery_id=delivery_id, channel=channel.key, message=message,
                                events=events, public_url=self.config.alerts.public_url)  # fmt: skip
            kind = events[0].kind if len(events) == 1 else "digest"
            return await self.webhooks.send(channel, body=body, idempotency_key=key, kind=kind)
        return await self.apprise.send(channel, message)

    async def send_test(self, channel: ChannelConfig) -> SendResult:
        """A test message to one channel, outside the outbox (nothing is stored)."""
        now = self.clock()
        facts = Facts(event_id=0, kind="test", created_at=now, detail=f"replywatch test message to '{channel.key}'")
        message = self.message_for(channel, [facts], digest=False)
        return await self.send_message(channel, message, [facts], f"rw-test-{int(now.timestamp())}", 0)

    async def aclose(self) -> None:
        await self.webhooks.aclose()

    async def _in_db(self, fn: Callable[[Any], T]) -> T:
        def unit() -> T:
            with session_scope(self.sessions) as session:
                return fn(session)

        return await asyncio.get_running_loop().run_in_executor(self._db, unit)
