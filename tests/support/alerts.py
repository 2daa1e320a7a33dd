"""Shared pieces of the alert tests: a config, a clock you move by hand, events, a runner."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from monitor.alerts.runner import AlertRunner
from monitor.config import Config, parse_config
from monitor.core.db import SessionFactory, session_scope
from monitor.ingest.polling import sync_config
from monitor.models.alerts import AlertDelivery
from monitor.models.events import emit

SECRET = "test-secret-0123456789"


def alerts_config(channels: str, *, alerts: str = "") -> Config:
    text = (
        "brands:\n"
        "  - {key: acme, name: Acme, timezone: Europe/Moscow}\n"
        "  - {key: beta, name: Beta}\n"
        "http: {allow_networks: [127.0.0.0/8, '::1/128']}\n"  # the receivers listen on loopback
        f"alerts: {{public_url: 'https://rw.example', backoff: 10s, max_backoff: 5m, lease: 1m{alerts}}}\n"
        "channels:\n" + channels
    )
    return parse_config(text, path="alerts.yaml", env={"HOOK_SECRET": SECRET})


def webhook(url: str, key: str = "hook", rules: str = "", **extra: Any) -> str:
    fields = "".join(f", {k}: {v}" for k, v in extra.items())
    line = f"  - {{key: {key}, kind: webhook, url: '{url}', secret: '${{HOOK_SECRET}}'{fields}"
    return line + (f", rules: {rules}}}\n" if rules else "}\n")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


def emit_events(
    sessions: SessionFactory, config: Config, now: datetime, kinds: list[tuple[str, dict[str, Any]]]
) -> list[int]:
    with session_scope(sessions) as session:
        sync_config(session=session, config=config, now=now)
        events = [emit(session, kind, f"test:{i}", payload, now=now) for i, (kind, payload) in enumerate(kinds)]
        session.flush()
        return [e.id for e in events]


def runner(config: Config, sessions: SessionFactory, clock: Clock, worker: str = "test-worker") -> AlertRunner:
    return AlertRunner(config=config, sessions=sessions, worker=worker, db=ThreadPoolExecutor(1), clock=clock,
                       rng=random.Random(7))  # fmt: skip


def deliveries(sessions: SessionFactory) -> list[AlertDelivery]:
    with session_scope(sessions) as session:
        return list(session.scalars(sa.select(AlertDelivery).order_by(AlertDelivery.id)))
