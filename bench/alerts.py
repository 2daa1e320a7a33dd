"""Alert delivery benchmark: 10,000 events from the outbox to a loopback webhook receiver.

    .venv/bin/python bench/alerts.py [--events 10000] [--rate 100] [--database URL]
                                     [--tick 0.5s] [--concurrency 4]
                                     [--json PATH]

A receiver runs in its own process (`bench/alerts.py sink`, so it does not share this
process's GIL) and records when each Idempotency-Key first arrived. This process runs the
alert jobs exactly as `replywatch worker` schedules them (APScheduler, `alerts.tick`),
against a fresh database, while a producer thread writes events to the outbox:

    burst   all events in one transaction  -> deliveries/s (first event written to last
                                              delivery received) and event -> delivery
                                              latency, which here is mostly queueing
    steady  `--rate` events/s, in batches of a tenth of a second
                                           -> event -> delivery latency as staff see it
                                              (routing tick + claim + send)

Latency is the receiver's clock minus the event's `created_at` (one machine, one clock).
The channel's rate limit is set out of the way (100,000/min). The database is a temporary
SQLite file by default; with a PostgreSQL URL its schema `public` is DROPPED and recreated:
use a dedicated database (e.g. .../replywatch_bench), never data you keep.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import prepare_database
from monitor.alerts.runner import AlertRunner
from monitor.config import Config, parse_config
from monitor.core.db import make_engine, make_session_factory, session_scope
from monitor.core.logs import configure_logging
from monitor.models.events import emit

SECRET = "bench-secret-0123456789"


# -- the receiver (own process) ----------------------------------------------------------------


def sink() -> None:
    first: dict[str, float] = {}
    lock = threading.Lock()
    counts = {"requests": 0, "repeats": 0}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body in one segment: no delayed-ACK stalls

        def do_POST(self) -> None:
            now = time.time()
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            key = self.headers.get("Idempotency-Key") or self.path
            with lock:
                counts["requests"] += 1
                if key in first:
                    counts["repeats"] += 1
                else:
                    first[key] = now
            self._reply(b'{"ok":true}')

        def do_GET(self) -> None:
            with lock:
                body = json.dumps({**counts, "first": first}).encode()
            self._reply(body)

        def _reply(self, body: bytes) -> None:
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            self.wfile.write(head.encode() + body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


def start_sink() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, __file__, "sink"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        raise RuntimeError(f"the receiver did not start: {line!r}")
    return proc, f"http://127.0.0.1:{int(line.split()[1])}"


def sink_stats(base: str) -> dict[str, Any]:
    return httpx.get(f"{base}/stats", timeout=30).json()


# -- the run -----------------------------------------------------------------------------------


def bench_config(base: str, path: str, tick: str, concurrency: int = 4) -> Config:
    channel = f"{{key: bench, kind: webhook, url: '{base}/{path}', secret: '{SECRET}', rate_limit: 100000}}"
    text = (
        "brands: [{key: acme, name: Acme}]\n"
        "http: {allow_networks: [127.0.0.0/8]}\n"  # the receiver listens on loopback
        f"alerts: {{tick: {tick}, batch: 500, concurrency: {concurrency}}}\n"
        f"channels:\n  - {channel}\n"
    )
    return parse_config(text, path="bench.yaml", env={})


def write_events(sessions: Any, first: int, batch: int) -> list[tuple[int, float]]:
    now = datetime.now(UTC)
    with session_scope(sessions) as session:
        events = [
            emit(session, "source.failing", f"bench-{first + i}", {"source": f"s{(first + i) % 500}", "error": "HTTP 503"},
                 now=now)
            for i in range(batch)
        ]  # fmt: skip
        session.flush()
        return [(e.id, now.timestamp()) for e in events]


async def produce(sessions: Any, db: Any, count: int, rate: float | None, start_id: int) -> list[tuple[int, float]]:
    """Write `count` events (all at once, or `rate` per second); return (event id, created_at) pairs.

    Writes go through the worker's database executor, as polls do in `replywatch worker`
    (on SQLite that is the one writer thread).
    """
    loop = asyncio.get_running_loop()
    written: list[tuple[int, float]] = []
    step = count if rate is None else max(1, int(rate / 10))
    began = time.monotonic()
    n = 0
    while n < count:
        batch = min(step, count - n)
        written.extend(await loop.run_in_executor(db, write_events, sessions, start_id + n, batch))
        n += batch
        if rate is not None:
            await asyncio.sleep(max(0.0, began + n / rate - time.monotonic()))
    return written


async def phase(name: str, sessions: Any, db: Any, base: str, count: int, rate: float | None) -> dict:
    before = (await asyncio.to_thread(sink_stats, base))["first"]
    t0 = time.time()
    cpu0 = time.process_time()
    producer = asyncio.create_task(produce(sessions, db, count, rate, len(before)))
    deadline = time.monotonic() + 900
    while True:
        await asyncio.sleep(0.5)
        stats = await asyncio.to_thread(sink_stats, base)
        if producer.done() and len(stats["first"]) - len(before) >= count:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: only {len(stats['first']) - len(before)} of {count} delivered in 15 min")
    produced = producer.result()
    cpu = time.process_time() - cpu0
    first = stats["first"]
    latencies = sorted(first[f"rw-bench-{event_id}"] - created for event_id, created in produced)
    last = max(first[f"rw-bench-{event_id}"] for event_id, _ in produced)
    result = {
        "phase": name,
        "events": count,
        "rate": rate,
        "seconds": round(last - t0, 2),
        "deliveries_per_s": round(count / (last - t0), 1),
        "latency_median_s": round(statistics.median(latencies), 3),
        "latency_p99_s": round(latencies[int(0.99 * (len(latencies) - 1))], 3),
        "latency_max_s": round(latencies[-1], 3),
        "repeats": stats["repeats"],
        "cpu_s": round(cpu, 1),
    }
    print(
        f"{name:6s} {count} events{'' if rate is None else f' at {rate:g}/s'}: "
        f"{result['deliveries_per_s']} deliveries/s over {result['seconds']} s; event->delivery "
        f"median {result['latency_median_s']} s, p99 {result['latency_p99_s']} s, max {result['latency_max_s']} s; "
        f"repeats {result['repeats']}; this process {result['cpu_s']} CPU s",
        flush=True,
    )
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    proc, base = start_sink()
    try:
        url = prepare_database(args.database, Path(tempfile.mkdtemp(prefix="rw-bench-alerts-")))
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        config = bench_config(base, "hook", args.tick, args.concurrency)
        from concurrent.futures import ThreadPoolExecutor

        db = ThreadPoolExecutor(max_workers=1 if url.startswith("sqlite") else 4)
        runner = AlertRunner(config=config, sessions=sessions, worker="bench", db=db)
        scheduler = AsyncIOScheduler(timezone=UTC)
        runner.schedule(scheduler)
        scheduler.start()
        load = os.getloadavg()
        print(
            f"alerts bench: webhook channel, database {url.split('://')[0]}, tick {args.tick}, "
            f"concurrency {args.concurrency}, "
            f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, {os.cpu_count()} CPUs",
            flush=True,
        )
        results = [
            await phase("burst", sessions, db, base, args.events, None),
            await phase("steady", sessions, db, base, args.events, args.rate),
        ]
        scheduler.shutdown(wait=False)
        await asyncio.sleep(2)  # let a job in flight finish before its executor goes
        await runner.aclose()
        db.shutdown(wait=True)
        engine.dispose()
        after = os.getloadavg()
        print(f"load average after: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")
        return {"database": url.split("://")[0], "tick": args.tick,
                "concurrency": args.concurrency, "load_before": load,
                "load_after": after, "results": results}  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "sink":
        sink()
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0, help="events per second in the steady phase")
    parser.add_argument("--database", help="default: a temporary SQLite file")
    parser.add_argument("--concurrency", type=int, default=4, help="alerts.concurrency: sends in flight")
    parser.add_argument("--tick", default="0.5s", help="alerts.tick: how often routing and dispatch run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    configure_logging("WARNING", "logfmt")
    figures = asyncio.run(run(args))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
