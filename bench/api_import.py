"""The customer import over HTTP, and how the API answers /healthz while it runs.

    .venv/bin/python bench/api_import.py [--mib 99] [--database URL] [--interval 0.02] [--json PATH]

1. A fresh database (a temporary SQLite file by default; a PostgreSQL URL has its schema `public`
   DROPPED and recreated, as in bench/api.py), and a register file of about `--mib` MiB: CSV rows of
   a made-up customer each (external id, name, e-mail, phone, two orders, city, tier, value).
2. Starts the real API under uvicorn in its own process on 127.0.0.1 (bench/api.py's Server: one
   worker process, no poller) and makes a lead token.
3. Samples GET /healthz every `--interval` seconds on one keep-alive connection for 3 s (the idle
   figures), then uploads the file with curl (POST /api/v1/customers/import?brand=acme, text/csv) while
   sampling on, and reports the probe's latency during the upload and import: median, p99, max, and how
   long the import took with its answer.

Target (issue: input limits): /healthz p99 < 100 ms during a 100 MiB import. Every request goes to
127.0.0.1 only, and every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.api_client import summary
from bench.api_data import bench_config, config_text
from bench.api_server import Server
from bench.poll import prepare_database
from monitor.core.db import make_engine, make_session_factory, session_scope
from monitor.desk.tokens import create_token

TARGET_P99_MS = 100.0
FIRST = ["Ivan", "Anna", "Petr", "Olga", "Jonas", "Marta", "Lena", "Artur", "Sofia", "Karen"]
LAST = ["Petrov", "Ivanova", "Smirnov", "Müller", "Schmidt", "Sargsyan", "Kuznetsova", "Weber", "Popov"]
CITIES = ["Moscow", "Berlin", "Yerevan", "Kazan", "Hamburg", "Gyumri"]


def register_file(path: Path, mib: float, seed: int = 7) -> int:
    """A CSV register of about `mib` MiB (and under the API's 100 MiB cap); returns its row count."""
    rnd = random.Random(seed)
    limit = int(mib * 2**20)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("external_id,full_name,email,phone,orders,city,tier,lifetime_value\n")
        size = 0
        while True:
            first, last = rnd.choice(FIRST), rnd.choice(LAST)
            line = (f"crm-{rows:08d},{first} {last},{first.lower()}.{last.lower()}{rows}@mail.example,"
                    f"+7999{rows:07d},A-{rows:08d};B-{rnd.randrange(10**8):08d},{rnd.choice(CITIES)},"
                    f"{rnd.choice(['gold', 'silver', 'basic'])},{rnd.randrange(10_000)}.50\n")  # fmt: skip
            size += len(line.encode())
            if size > limit:
                return rows
            out.write(line)
            rows += 1


class Prober(threading.Thread):
    """GET /healthz every `interval` seconds until stopped (at most one hour): latencies in ms."""

    def __init__(self, base: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.base, self.interval = base, interval
        self.times: list[float] = []
        self.failures = 0
        self.halt = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + 3600
        with httpx.Client(base_url=self.base, timeout=60) as client:
            while not self.halt.is_set() and time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    ok = client.get("/healthz").status_code == 200
                except httpx.HTTPError:
                    ok = False
                self.times.append((time.perf_counter() - started) * 1000)
                self.failures += not ok
                self.halt.wait(self.interval)

    def take(self) -> tuple[list[float], int]:
        times, failures = self.times, self.failures
        self.times, self.failures = [], 0
        return times, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=float, default=99.0, help="size of the register file")
    parser.add_argument("--database", help="a PostgreSQL URL (its schema public is recreated); SQLite otherwise")
    parser.add_argument("--interval", type=float, default=0.02, help="seconds between two probes")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    out: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}}
    with tempfile.TemporaryDirectory(prefix="replywatch-import-") as tmp:
        workdir = Path(tmp)
        url = prepare_database(args.database, workdir)
        engine = make_engine(url)
        with session_scope(make_session_factory(engine)) as session:
            _, token = create_token(session=session, name="bench", role="lead", created_by="bench",
                                    now=datetime.now(UTC))  # fmt: skip
        engine.dispose()
        register = workdir / "register.csv"
        out["rows"] = register_file(register, args.mib)
        out["file_mib"] = round(register.stat().st_size / 2**20, 1)
        print(f"register: {out['rows']:,} rows, {out['file_mib']} MiB", flush=True)
        config_path = workdir / "bench-api.yaml"
        config_path.write_text(config_text())
        bench_config()
        server = Server(url, config_path, 1, workdir / "server.log")
        prober = Prober(server.base, args.interval)
        try:
            prober.start()
            time.sleep(3)
            idle, idle_failures = prober.take()
            out["idle"] = {"n": len(idle), "failures": idle_failures, **summary(idle)}
            print(f"idle /healthz: {fmt(out['idle'])}", flush=True)
            started = time.monotonic()
            command = ["curl", "-sS", "-o", str(workdir / "answer.json"), "-w", "%{http_code}", "--max-time", "3600",
                       "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: text/csv",
                       "--data-binary", f"@{register}", f"{server.base}/api/v1/customers/import?brand=acme"]  # fmt: skip
            status = subprocess.run(command, capture_output=True, text=True, timeout=3700, check=False).stdout
            out["import_s"] = round(time.monotonic() - started, 1)
            busy, busy_failures = prober.take()
            answer = (workdir / "answer.json").read_text(errors="replace")
            out["import_status"] = status
            out["import_answer"] = json.loads(answer) if status == "200" else answer[:500]
            if status == "200":
                out["import_answer"]["errors"] = len(out["import_answer"]["errors"])
            out["during_import"] = {"n": len(busy), "failures": busy_failures, **summary(busy)}
        finally:
            prober.halt.set()
            prober.join(timeout=70)
            server.stop()
    answer = out["import_answer"]
    print(f"import: HTTP {out['import_status']} in {out['import_s']} s: {answer}", flush=True)
    print(f"/healthz during the import: {fmt(out['during_import'])}", flush=True)
    p99 = out["during_import"].get("p99_ms", float("inf"))
    print(f"target p99 < {TARGET_P99_MS:g} ms: {'met' if p99 < TARGET_P99_MS else 'MISSED'}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


def fmt(figures: dict[str, Any]) -> str:
    if not figures.get("n"):
        return "no samples"
    return (f"n={figures['n']} failures={figures['failures']} p50={figures['median_ms']:.1f} ms "
            f"p99={figures['p99_ms']:.1f} ms max={figures['max_ms']:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
