"""kill -9 a real worker while it sends alerts, again and again: after a restart every alert is delivered.

Delivery is at least once: an alert whose send reached the receiver just before the kill
is sent again after the lease, with the same Idempotency-Key, so the receiver drops it.
Only such alerts (with an `abandoned` attempt on record) may arrive twice.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from monitor.config import load_config
from monitor.core.db import SessionFactory, session_scope
from monitor.core.revisions import upgrade
from monitor.models.alerts import AlertAttempt, AlertDelivery
from monitor.worker.poller import utcnow
from tests.support.alert_receiver import Receiver
from tests.support.alerts import SECRET, emit_events, runner
from tests.support.worker import start_worker

EVENTS = 150
KILLS = 4


def wait_for_sends(receiver: Receiver, sessions: SessionFactory, more_than: int, timeout: float = 60) -> None:
    """Until the receiver got more requests than `more_than` and a delivery is being sent right now."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(receiver.received) > more_than:
            with session_scope(sessions) as session:
                sending = session.scalar(sa.select(sa.func.count()).where(AlertDelivery.state == "sending"))
            if sending:
                return
        time.sleep(0.01)
    raise AssertionError(f"the worker sent no more than {more_than} alerts in {timeout}s")


def test_kill_9_mid_send_loses_no_alert(tmp_path: Path, db_url: str, sessions: SessionFactory) -> None:
    with Receiver() as receiver:
        receiver.delay = (0.02, 0.08)
        path = tmp_path / "sources.yaml"
        path.write_text(
            "brands: [{key: acme, name: Acme}]\n"
            "http: {allow_networks: [127.0.0.0/8]}\n"
            "alerts: {tick: 0.2s, lease: 2s, batch: 10, concurrency: 4, backoff: 1s}\n"
            "channels:\n"
            f"  - {{key: hook, kind: webhook, url: '{receiver.url()}', secret: '${{HOOK_SECRET}}', rate_limit: 10000}}\n",
            encoding="utf-8",
        )
        config = load_config(path, env={"HOOK_SECRET": SECRET})
        upgrade(db_url)
        ids = emit_events(sessions, config, utcnow(), [("source.failing", {"source": f"s{i}"}) for i in range(EVENTS)])
        log = tmp_path / "worker.log"
        for _ in range(KILLS):
            worker = start_worker(path, db_url, log, HOOK_SECRET=SECRET)
            wait_for_sends(receiver, sessions, len(receiver.received) + random.randint(3, 15))
            os.kill(worker.pid, signal.SIGKILL)
            assert worker.wait(timeout=10) == -signal.SIGKILL
        receiver.delay = None

        async def restart() -> None:  # a worker started after the dead ones' leases ran out
            alerts = runner(config, sessions, clock=lambda: utcnow() + timedelta(minutes=1))  # type: ignore[arg-type]
            await alerts.route()
            while (await alerts.dispatch()).claimed:
                pass
            await alerts.aclose()

        asyncio.run(restart())

    delivered = Counter(receiver.delivered())
    assert set(delivered) == {f"rw-hook-{i}" for i in ids}, log.read_text()[-3000:]
    with session_scope(sessions) as session:
        states = Counter(session.scalars(sa.select(AlertDelivery.state)))
        abandoned = set(
            session.scalars(
                sa.select(AlertDelivery.idempotency_key).join(AlertAttempt).where(AlertAttempt.outcome == "abandoned")
            )
        )
    assert states == {"sent": EVENTS}
    assert abandoned, "each kill landed mid-send"
    assert {key for key, n in delivered.items() if n > 1} <= abandoned
