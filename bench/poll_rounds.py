"""One measured round of bench/poll.py: the feed server it polls (bench/feedserver.py in a child
process), the sources made due, `Poller.run_due()` timed, and the CPU of every process involved."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.machine import proc_cpu, self_cpu
from monitor.core.db import SessionFactory, session_scope
from monitor.models import Source
from monitor.worker.poller import Poller, PollResult

__all__ = ["ROUND_TIMEOUT", "FeedServer", "Round", "make_due", "run_round", "worker_pids"]

HERE = Path(__file__).resolve().parent
ROUND_TIMEOUT = 900.0


class FeedServer:
    """bench/feedserver.py in a child process, driven over its /control/ URLs."""

    def __init__(self, sources: int, items: int, *, start_timeout: float = 300.0) -> None:
        command = [sys.executable, str(HERE / "feedserver.py"), "serve", "--sources", str(sources)]
        self.proc = subprocess.Popen([*command, "--items", str(items)], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        started = time.perf_counter()
        ready, _, _ = select.select([self.proc.stdout], [], [], start_timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"feed server did not start within {start_timeout:g} s (said {line!r})")
        self.start_seconds = time.perf_counter() - started
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        self._http = httpx.Client(timeout=300)

    def control(self, what: str) -> dict[str, Any]:
        return self._http.get(f"{self.url}/control/{what}").raise_for_status().json()

    def load(self, client: str, status: int, *, connections: int, feeds: int, seconds: float = 2.0) -> dict[str, Any]:
        """The server's ceiling, measured from a separate client process."""
        command = [sys.executable, str(HERE / "feedserver.py"), "load", "--url", self.url, "--client", client]
        command += ["--status", str(status), "--connections", str(connections), "--feeds", str(feeds)]
        command += ["--seconds", str(seconds)]
        out = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def stop(self) -> None:
        try:
            self.control("stop")
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._http.close()


def make_due(sessions: SessionFactory, keys: list[str] | None) -> None:
    """Every source (or the given ones) due now."""
    past = datetime.now(UTC) - timedelta(minutes=5)
    with session_scope(sessions) as session:
        query = sa.update(Source).values(next_poll_at=past)
        session.execute(query if keys is None else query.where(Source.key.in_(keys)))


def worker_pids(poller: Poller) -> list[int]:
    processes = getattr(poller.cpu, "_processes", None) or {}
    return list(processes)


@dataclass
class Round:
    name: str
    expect: str  # "new" | "304"
    polls: int = 0
    seconds: float = 0.0
    new: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    unexpected: int = 0
    errors: list[str] = field(default_factory=list)
    cpu_poller: float = 0.0
    cpu_workers: float = 0.0
    cpu_server: float = 0.0
    load: float = 0.0  # 1-minute load average at the end of the round

    @property
    def per_min(self) -> float:
        return self.polls / self.seconds * 60 if self.seconds else 0.0

    @property
    def new_per_s(self) -> float:
        return self.new / self.seconds if self.seconds else 0.0


async def run_round(
    name: str,
    expect: str,
    poller: Poller,
    sessions: SessionFactory,
    server: FeedServer,
    items: int,
    keys: list[str] | None = None,
) -> Round:
    make_due(sessions, keys)
    cpu0, server0 = self_cpu(), server.control("stats")["cpu_s"]
    workers0 = {pid: proc_cpu(pid) for pid in worker_pids(poller)}
    started = time.perf_counter()
    results: list[PollResult] = await asyncio.wait_for(poller.run_due(), ROUND_TIMEOUT)
    seconds = time.perf_counter() - started
    r = Round(name=name, expect=expect, polls=len(results), seconds=seconds)
    r.cpu_poller = self_cpu() - cpu0
    r.cpu_workers = sum(proc_cpu(pid) - workers0.get(pid, 0.0) for pid in worker_pids(poller))
    r.cpu_server = server.control("stats")["cpu_s"] - server0
    r.load = round(os.getloadavg()[0], 2)
    r.new = sum(x.items_new for x in results)
    r.outcomes = dict(collections.Counter(x.outcome for x in results))
    for x in results:
        good = x.outcome == "not_modified" if expect == "304" else x.outcome == "ok" and x.items_new == items
        if not good:
            r.unexpected += 1
            if len(r.errors) < 5:
                r.errors.append(f"{x.source}: {x.outcome} new={x.items_new} {x.error or ''}"[:200])
    return r
