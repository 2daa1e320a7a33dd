"""Web inbox benchmark: the queue page at 200,000 cases, against the API's queue in the same run.

    .venv/bin/python bench/web.py [--cases 200000] [--database URL] [--keep PATH] [--reuse] [--requests 300]

1. Fills a fresh database as bench/api.py does (bench/api_data.py; a temporary SQLite file by default; with a
   PostgreSQL URL its schema `public` is DROPPED and recreated). `--keep PATH` keeps the SQLite file and
   `--reuse` skips the fill when the database already holds `--cases` cases.
2. Starts the real app under uvicorn in its own process (`replywatch serve`, as bench/api.py), makes a viewer
   token, signs in through the inbox's form (a session cookie) and sends `--requests` sequential requests
   (one keep-alive connection, after 20 warm-up ones) of each kind:
     web-queue    GET /inbox                           (the default: unanswered cases, reply due first, 50 rows)
     web-open     GET /inbox?status=open&sort=response_due&limit=50   (the API's `list` as a page)
     web-search   GET /inbox?q=холодильник&status=open&brand=acme
     web-case     GET /inbox/cases/{id} for random ids
     api-list     GET /api/v1/cases?status=open&sort=response_due&limit=50   (the plain baseline: JSON)
     api-search   GET /api/v1/cases?q=холодильник&status=open&brand=acme&limit=50
   and prints, per kind, the client's latency (median, p99) and for the pages the server's own time from the
   `Server-Timing` header (web/app.py): `app`, wall time from the request's arrival to the response's headers
   (a page is rendered whole before them), and `cpu`, the server process's CPU time meanwhile (one request
   in flight at a time: the request's own CPU cost, which a loaded machine does not inflate as it does the
   wall time).

Target (issue 16): the queue page's p99 server time under 50 ms at 200,000 cases. Every request goes to
127.0.0.1 only, and every loop is bounded in count.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import sqlalchemy as sa

from bench.api_client import WARMUP, summary
from bench.api_data import bench_config, config_text, fill
from bench.api_server import Server
from bench.database import refill_database
from monitor.core.db import make_engine, make_session_factory, session_scope
from monitor.core.revisions import upgrade
from monitor.desk.tokens import create_token
from monitor.models import Case

TARGET_QUEUE_P99_MS = 50.0
SEARCH = {"q": "холодильник", "status": "open", "brand": "acme"}
_TIMING = re.compile(r"app;dur=([\d.]+), cpu;dur=([\d.]+)(?:, gc;dur=([\d.]+))?")


def plan(cases: int, requests: int) -> dict[str, list[str]]:
    rnd = random.Random(16)
    n = requests + WARMUP
    return {
        "web-queue": ["/inbox"] * n,
        "web-open": ["/inbox?status=open&sort=response_due&limit=50"] * n,
        # The per-place desk's tab: open cases with a place unanswered, most places waiting first.
        "web-places": ["/inbox?status=open&unanswered_places=true&sort=unanswered_places&limit=50"] * n,
        "web-search": ["/inbox?" + urlencode(SEARCH)] * n,
        "web-case": [f"/inbox/cases/{rnd.randint(1, cases)}" for _ in range(n)],
        "api-list": ["/api/v1/cases?status=open&sort=response_due&limit=50"] * n,
        "api-search": ["/api/v1/cases?" + urlencode({**SEARCH, "limit": 50})] * n,
    }


def sign_in(client: httpx.Client, token: str) -> None:
    """The inbox's sign-in form, as a browser sends it: the client keeps the session cookie."""
    page = client.get("/inbox/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text[:300]
    answer = client.post("/inbox/sign-in", data={"csrf": csrf.group(1), "token": token, "next": "/inbox"})
    assert answer.status_code == 303, answer.text[:300]


def sequential(base: str, token: str, requests: dict[str, list[str]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with httpx.Client(base_url=base, timeout=60) as client:
        sign_in(client, token)
        bearer = {"Authorization": f"Bearer {token}"}
        for kind, paths in requests.items():
            headers = bearer if kind.startswith("api") else {}
            # The first request of each kind, timed apart: what a user meets first after a start (or after
            # another kind of page), before the warm-up requests.
            started = time.perf_counter()
            response = client.get(paths[0], headers=headers)
            first = {"client_ms": round((time.perf_counter() - started) * 1000, 2)}
            if match := _TIMING.search(response.headers.get("server-timing", "")):
                first |= {"server_ms": float(match.group(1)), "cpu_ms": float(match.group(2))}
            for path in paths[1:WARMUP]:
                client.get(path, headers=headers)
            times, server, cpu, gc_ms, bad, rows = [], [], [], [], 0, 0
            for path in paths[WARMUP:]:
                started = time.perf_counter()
                response = client.get(path, headers=headers)
                body = response.content
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    bad += 1
                rows += body.count(b'<td><a href="/inbox/cases/') + body.count(b'"opened_at"')
                if match := _TIMING.search(response.headers.get("server-timing", "")):
                    server.append(float(match.group(1)))
                    cpu.append(float(match.group(2)))
                    if match.group(3) is not None:
                        gc_ms.append(float(match.group(3)))
            out[kind] = {"n": len(times), "non_200": bad, "mean_rows": rows / max(1, len(times)), "first": first,
                         "client": summary(times), "server": summary(server), "cpu": summary(cpu),
                         "gc": summary(gc_ms), "gc_total_ms": round(sum(gc_ms), 2),
                         "slowest_server": _slowest(server, cpu, gc_ms)}  # fmt: skip
    return out


def _slowest(server: list[float], cpu: list[float], gc_ms: list[float]) -> list[list[float]]:
    """The three slowest requests by server time, each as [server, cpu, gc] ms: what the p99 is made of."""
    rows = zip(server, cpu, gc_ms or [float("nan")] * len(server), strict=True)
    return [list(r) for r in sorted(rows, reverse=True)[:3]]


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    url = args.database or f"sqlite:///{args.keep or workdir / 'bench-web.db'}"
    engine = make_engine(url)
    reuse = False
    if args.reuse:
        try:
            upgrade(url)
            with engine.connect() as conn:
                reuse = conn.scalar(sa.select(sa.func.count(Case.id))) == args.cases
        except sa.exc.DBAPIError as exc:
            print(f"--reuse: {str(exc).splitlines()[0][:200]}: filling anew", flush=True)
    if not reuse:
        engine.dispose()
        url = refill_database(args.database, url, workdir)
        engine = make_engine(url)
        print(f"filling {args.cases:,} cases ...", flush=True)
        stats = fill(engine, cases=args.cases)
        print(f"  done in {stats.seconds['total']:.0f} s", flush=True)
    with session_scope(make_session_factory(engine)) as session:
        _, token = create_token(session=session, name="bench-web", role="viewer", created_by="bench",
                                now=datetime.now(UTC))  # fmt: skip
    engine.dispose()
    config_path = workdir / "bench-web.yaml"
    config_path.write_text(config_text())
    bench_config()
    out: dict[str, Any] = {"cases": args.cases, "database": url.split("@")[-1].split("///")[-1],
                           "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip
    print(f"load average {out['loadavg_at_start']}; starting the app ...", flush=True)
    server = Server(url, config_path, 1, workdir / "server.log")
    try:
        print(f"sequential requests ({args.requests} of each kind) ...", flush=True)
        out["sequential"] = sequential(server.base, token, plan(args.cases, args.requests))
    finally:
        server.stop()
    out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def report(out: dict[str, Any]) -> None:
    print(f"\n{out['cases']:,} cases, {out['database']}; load average {out['loadavg_at_start']} -> "
          f"{out['loadavg_at_end']}")  # fmt: skip
    print(f"{'kind':<12} {'n':>4} {'non-200':>7} {'rows':>5} {'client median':>14} {'client p99':>11} "
          f"{'server median':>14} {'server p99':>11} {'CPU median':>11} {'CPU p99':>9}")  # fmt: skip
    for kind, r in out["sequential"].items():
        c, s, u = r["client"], r["server"], r["cpu"]
        first, slow = r.get("first", {}), r.get("slowest_server", [])
        print(f"  {kind}: first request {first.get('client_ms', float('nan')):.2f} ms client, "
              f"{first.get('server_ms', float('nan')):.2f} ms server, {first.get('cpu_ms', float('nan')):.2f} ms CPU; "
              f"GC in the measured requests {r.get('gc_total_ms', 0):.1f} ms; slowest [server, cpu, gc] {slow}")  # fmt: skip
        server = f"{s['median_ms']:>11.2f} ms {s['p99_ms']:>8.2f} ms" if s else f"{'—':>14} {'—':>11}"
        cpu = f"{u['median_ms']:>8.2f} ms {u['p99_ms']:>6.2f} ms" if u else f"{'—':>11} {'—':>9}"
        print(f"{kind:<12} {r['n']:>4} {r['non_200']:>7} {r['mean_rows']:>5.0f} {c['median_ms']:>11.2f} ms "
              f"{c['p99_ms']:>8.2f} ms {server} {cpu}")  # fmt: skip
    queue = out["sequential"]["web-queue"]["server"]
    met = queue and queue["p99_ms"] < TARGET_QUEUE_P99_MS
    print(f"\nqueue page p99 server time {queue.get('p99_ms', float('nan')):.2f} ms "
          f"(target < {TARGET_QUEUE_P99_MS:g} ms): {'met' if met else 'MISSED'}")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--database", help="a PostgreSQL URL (its schema public is dropped); SQLite file otherwise")
    parser.add_argument("--keep", help="SQLite: the database file (kept), instead of a temporary one")
    parser.add_argument("--reuse", action="store_true", help="skip the fill when the database holds --cases cases")
    parser.add_argument("--requests", type=int, default=300, help="sequential requests of each kind")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="replywatch-bench-web-") as tmp:
        out = run(args, Path(tmp))
    report(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
