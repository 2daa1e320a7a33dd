"""Response desk API benchmark: the case queue, search and case detail over HTTP, and the SLA sweep.

    .venv/bin/python bench/api.py [--cases 200000] [--database URL] [--workers 1] [--requests 300]
                                  [--concurrency 32] [--seconds 15] [--profile] [--keep PATH] [--reuse]
                                  [--json PATH] [--sweep-only]

1. Fills a fresh database (schema by `monitor.core.revisions.upgrade`, rows by bench/api_data.py) with
   `--cases` cases and their mentions, timelines and replies: a temporary SQLite file by default.
   With a PostgreSQL URL the database is created if missing and its schema `public` is DROPPED
   and recreated: use a dedicated one (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/replywatch_bench).
   `--keep PATH` puts the SQLite file there and keeps it; `--reuse` skips the fill when the
   database already holds `--cases` cases (to iterate on the API; the sweep commits one run, so
   a reused database has its ~1% moment further on). `--sweep-only` stops after this step.
2. Times `monitor.cases.sla.sweep` when no clock is due (the sweep at the fill's NOW) and when as many
   clocks flip as 1% of the cases (case, place and promise clocks; NOW moved on until that many marks
   have passed): three runs each, the first two rolled back (sweep + flush), the last committed. At
   that moment it also times the case clocks alone (`cases_only`, the sweep before places and
   promises had clocks), rolled back: the baseline of the same run.
3. Starts the real app under uvicorn in its own process on 127.0.0.1, as `replywatch serve
   --workers N` does (`api.app.create_app`, no poller), makes a viewer token, and from a separate client process
   sends `--requests` sequential requests (keep-alive, after 20 warm-up ones) of each kind:
     list    GET /api/v1/cases?status=open&sort=response_due&limit=50
     search  GET /api/v1/cases?q=холодильник&status=open&brand=acme&limit=50   (a common word)
     rare    GET /api/v1/cases?q=<an order number>&status=open&limit=50        (one case: a full scan)
     detail  GET /api/v1/cases/{id} for random ids
   and reports median and p99 latency. Then the list under `--concurrency` clients for `--seconds`
   seconds, with wrk when it is installed (apt-get install wrk) and an httpx async client in its
   own process otherwise: requests/s, latency, and the server's CPU seconds per request.
4. `--profile` runs the concurrent list load once more under py-spy (`--gil`, every server
   process) and prints where the server's time goes.

Targets on a 2-core machine (issue 4): list p99 < 50 ms, list ≥ 500 requests/s with 32 clients,
sweep < 1 s. Every request goes to 127.0.0.1 only, and every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
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

from bench.api_client import WARMUP, load, sequential, wrk
from bench.api_data import bench_config, config_text, fill
from bench.api_server import Server, backend_pids, cpu_by_pid
from bench.api_sweep import time_sweeps
from bench.database import refill_database
from bench.machine import machine_facts
from bench.pyspy import raw_samples, short_path
from monitor.core.db import make_engine, make_session_factory, session_scope
from monitor.core.revisions import upgrade
from monitor.desk.tokens import create_token
from monitor.models import Case

HERE = Path(__file__).resolve().parent
TARGET_LIST_P99_MS = 50.0
TARGET_LIST_RPS = 500.0
TARGET_SWEEP_S = 1.0
LIST = "/api/v1/cases?status=open&sort=response_due&limit=50"
SEARCH = "/api/v1/cases?" + urlencode({"q": "холодильник", "status": "open", "brand": "acme", "limit": 50})


def client_process(*args: str) -> dict[str, Any]:
    """Run `bench/api.py client …` and read its JSON line: the client never shares the server's GIL."""
    command = [sys.executable, str(HERE / "api.py"), "client", *args]
    out = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# A sample goes to the first phase whose marker is in its stack.
PHASES: list[tuple[str, tuple[str, ...]]] = [
    ("auth: token lookup and its transaction (api/deps.get_caller)", ("get_caller (",)),
    (
        "queue query: SQL text, execute, rows (monitor/case_views.queue_rows, queue_rows_async)",
        ("queue_rows (", "queue_rows_async (", "_fetch_async ("),
    ),
    ("read pool: psycopg_pool (api/deps.read_async)", ("/psycopg_pool/",)),
    ("queue JSON: dicts and orjson (api/routers/cases.py)", ("page (", "body (")),
    ("query parameters (api/routers/cases.case_query)", ("case_query (",)),
    ("response: pydantic validation and serialisation", ("/pydantic/", "serialize_response", "_prepare_response")),
    ("JSON encoding", ("/json/", "render (")),
    ("session: open, BEGIN, COMMIT, pool (api/deps.get_session)", ("get_session (",)),
    ("request parsing, dependencies, routing (fastapi, starlette)", ("/fastapi/", "/starlette/")),
    ("thread pool hand-off (anyio)", ("/anyio/",)),
    ("HTTP server (uvicorn, h11, httptools)", ("/uvicorn/", "/h11/", "/httptools/")),
    ("asyncio event loop", ("/asyncio/",)),
]
_IDLE = re.compile(r"^(wait|select|poll|_worker|get|sleep|run_forever|_run_once|acquire|_wait_for_tstate_lock)\b")


def summarise_profile(raw: Path, top: int = 20) -> dict[str, Any]:
    phases: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for stack, n in raw_samples(raw):
        frames = [f for f in stack if not f.startswith(("process ", "thread ("))]
        if not frames:
            continue
        leaf = frames[-1]
        leaf_name, _, where = leaf.rpartition(" (")
        if _IDLE.match(leaf_name) and any(m in where for m in ("selectors.py", "threading.py", "queue.py")):
            continue
        total += n
        joined = ";".join(frames)
        phases[next((p for p, marks in PHASES if any(m in joined for m in marks)), "other")] += n
        own[f"{leaf_name} ({short_path(where)})"] += n
    return {"samples": total, "phases": phases.most_common(), "self": own.most_common(top)}


def profile(server: Server, token: str, args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return {"error": "py-spy is not installed (make install puts it in .venv with the bench extras)"}
    raw = out_dir / f"replywatch-api-profile-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    command = [spy, "record", "--pid", str(server.proc.pid), "--subprocesses", "--gil", "--rate", "100",
               "--format", "raw", "--full-filenames", "-o", str(raw)]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.5)  # let it attach
    run = concurrent(server, token, args, seconds=min(args.seconds, 10))
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    return {"raw": str(raw), "run": run, **summarise_profile(raw)}


def concurrent(server: Server, token: str, args: argparse.Namespace, seconds: float) -> dict[str, Any]:
    """The list under load. CPU per request of the API processes, of the load generator, and (PostgreSQL) of
    the backends serving the API: on a 2-core machine all three share the cores the requests/s come from."""
    db0 = cpu_by_pid(backend_pids(server.url))
    cpu0 = server.cpu_seconds()
    client0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if shutil.which("wrk") and not args.httpx_load:
        result = wrk(server.base, token, LIST, args.concurrency, seconds)
    else:
        result = client_process("load", server.base, token, LIST, str(args.concurrency), str(seconds))
    client1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = max(1, result["requests"])
    result["server_cpu_s"] = server.cpu_seconds() - cpu0
    result["server_cpu_ms_per_request"] = result["server_cpu_s"] * 1000 / n
    client_s = (client1.ru_utime + client1.ru_stime) - (client0.ru_utime + client0.ru_stime)
    result["client_cpu_ms_per_request"] = client_s * 1000 / n
    if db0:
        # Backends alive at the end, less what they had used before; one that closed meanwhile (a pool's
        # overflow connection) is missed, so this is a lower bound.
        db1 = cpu_by_pid(backend_pids(server.url))
        result["database_cpu_ms_per_request"] = sum(cpu - db0.get(pid, 0.0) for pid, cpu in db1.items()) * 1000 / n
    return result


def plan(engine: sa.Engine, cases: int, requests: int) -> dict[str, list[str]]:
    rnd = random.Random(5)
    with engine.connect() as conn:
        # An order number of an open case in the middle of the table: matches one or two cases.
        text = conn.scalar(
            sa.select(Case.search_text)
            .where(Case.id >= cases // 2, Case.status == "new", Case.search_text.op("LIKE")("%-%"))
            .order_by(Case.id)
            .limit(1)
        )
    order = re.search(r"\b\d{4}-\d{3}\b|\bac-\d{5}\b", text or "")
    n = requests + WARMUP
    return {
        "list": [LIST] * n,
        "search": [SEARCH] * n,
        "rare": [f"/api/v1/cases?q={order.group(0) if order else 'zzzz'}&status=open&limit=50"] * n,
        "detail": [f"/api/v1/cases/{rnd.randint(1, cases)}" for _ in range(n)],
    }


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    url = args.database or f"sqlite:///{args.keep or workdir / 'bench-api.db'}"
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    reuse = False
    if args.reuse:
        try:
            upgrade(url)  # a migration added since the fill
            with engine.connect() as conn:
                found = conn.scalar(sa.select(sa.func.count(Case.id)))
            reuse = found == args.cases
            if not reuse:
                print(f"--reuse: the database holds {found} cases, not {args.cases}: filling anew", flush=True)
        except sa.exc.DBAPIError as exc:
            print(f"--reuse: {str(exc).splitlines()[0][:200]}: filling anew", flush=True)
    if not reuse:
        # Made (or emptied) before machine_facts, which asks the server for its version.
        engine.dispose()
        url = refill_database(args.database, url, workdir)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
    facts = machine_facts(url, sessions)
    out: dict[str, Any] = {"args": vars(args), "machine": facts, "database": url.split("@")[-1]}
    print(f"load average {facts['loadavg_at_start']}, 5M-iteration loop {facts['cpu_check_s']} s", flush=True)
    if reuse:
        print(f"reusing the database: it holds {args.cases:,} cases", flush=True)
        out["fill"] = {"reused": True}
    else:
        print(f"filling {args.cases:,} cases ...", flush=True)
        stats = fill(engine, cases=args.cases)
        out["fill"] = vars(stats)
        print(f"  done in {stats.seconds['total']:.0f} s", flush=True)
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        out["sqlite_file_mb"] = round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6)
    print("timing the SLA sweep ...", flush=True)
    out["sweep"] = time_sweeps(engine, args.cases)
    if args.sweep_only:
        out["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        return out
    with session_scope(make_session_factory(engine)) as session:
        _, token = create_token(session=session, name="bench", role="viewer", created_by="bench",
                                now=datetime.now(UTC))  # fmt: skip
    requests = plan(engine, args.cases, args.requests)
    engine.dispose()

    config_path = workdir / "bench-api.yaml"
    config_path.write_text(config_text())
    bench_config()  # fail here, not in the server, if the watch list does not validate
    print(f"starting the API with {args.workers} worker process(es) ...", flush=True)
    server = Server(url, config_path, args.workers, workdir / "server.log")
    try:
        check = httpx.get(server.base + LIST, headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert check.status_code == 200 and len(check.json()["items"]) == 50, check.text[:300]
        print(f"sequential requests ({args.requests} of each kind) ...", flush=True)
        cpu0 = server.cpu_seconds()
        plan_path = workdir / "plan.json"
        plan_path.write_text(json.dumps(requests))
        out["sequential"] = client_process("sequential", server.base, token, str(plan_path))
        out["sequential_server_cpu_s"] = server.cpu_seconds() - cpu0
        print(f"{args.concurrency} concurrent clients for {args.seconds:g} s ...", flush=True)
        out["concurrent"] = concurrent(server, token, args, args.seconds)
        if args.profile:
            print("profiling the server under the same load ...", flush=True)
            out["profile"] = profile(server, token, args, Path(tempfile.gettempdir()))
    finally:
        server.stop()
    out["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out


def report(out: dict[str, Any]) -> None:
    m, args = out["machine"], out["args"]
    print()
    print(f"== Response desk API, {args['cases']:,} cases, {out['database']}, uvicorn workers {args['workers']} ==")
    print(f"  machine : {m['cpus']} CPUs ({m['cpu_model']}), Python {m['python']}, SQLite {m['sqlite']}"
          + (f", PostgreSQL {m['postgresql']}" if "postgresql" in m else ""))  # fmt: skip
    print(f"  load    : load average {m['loadavg_at_start']} at start, {m['loadavg_at_end']} at end;")
    print(f"            a 5M-iteration Python loop took {m['cpu_check_s']} s (compare runs with it)")
    f = out["fill"]
    if f.get("reused"):
        print("  fill    : reused an earlier fill (--reuse)")
    else:
        print(f"  fill    : {f['cases']:,} cases, {f['mentions']:,} mentions, {f['events']:,} timeline entries, "
              f"{f['replies']:,} replies, {f['customers']:,} customers in {f['seconds']['total']:.0f} s")  # fmt: skip
    if "sqlite_file_mb" in out:
        print(f"            SQLite file {out['sqlite_file_mb']} MB")
    if "sequential" in out:
        _report_http(out)
    _report_sweep(out)


def _report_http(out: dict[str, Any]) -> None:
    args = out["args"]
    print()
    print(f"  {'what':<44} {'median':>9} {'p90':>9} {'p99':>9} {'max':>9}  {'target':<16} verdict")
    seq = out["sequential"]
    names = {"list": "(a) list: 50 open by response_due", "search": "(b) search: q=холодильник, open, acme",
             "rare": "(b') search: q=<order number>, open", "detail": "(c) case detail"}  # fmt: skip
    for kind, label in names.items():
        r = seq[kind]
        target, verdict = "", ""
        if kind == "list":
            target = f"p99 < {TARGET_LIST_P99_MS:g} ms"
            verdict = "met" if r["p99_ms"] < TARGET_LIST_P99_MS else "MISSED"
        extra = f"  ({r['non_200']} non-200!)" if r["non_200"] else ""
        print(f"  {label:<44} {r['median_ms']:>7.1f}ms {r['p90_ms']:>7.1f}ms {r['p99_ms']:>7.1f}ms "
              f"{r['max_ms']:>7.1f}ms  {target:<16} {verdict}{extra}")  # fmt: skip
    print(f"  sequential: {seq['list']['n']} requests of each kind after {WARMUP} warm-up ones; items per page: "
          + ", ".join(f"{k} {seq[k]['mean_items']:.0f}" for k in ("list", "search", "rare")))  # fmt: skip
    c = out["concurrent"]
    verdict = "met" if c["rps"] >= TARGET_LIST_RPS and not c["non_200"] else "MISSED"
    print()
    print(f"  (a) list, {args['concurrency']} concurrent clients, {c['tool']}: {c['rps']:.0f} requests/s "
          f"(target ≥ {TARGET_LIST_RPS:g}: {verdict}); {c['requests']:,} requests, {c['non_200']} non-200")  # fmt: skip
    print(f"      latency median {c['median_ms']:.1f} ms, p90 {c['p90_ms']:.1f} ms, p99 {c['p99_ms']:.1f} ms")
    cpu = {"API processes": c["server_cpu_ms_per_request"], "load generator": c.get("client_cpu_ms_per_request"),
           "PostgreSQL backends": c.get("database_cpu_ms_per_request")}  # fmt: skip
    print("      CPU per request: " + ", ".join(f"{k} {v:.2f} ms" for k, v in cpu.items() if v is not None)
          + f"; together {sum(v for v in cpu.values() if v is not None):.2f} ms")  # fmt: skip


def _split(run: dict[str, Any]) -> str:
    """'cases 1,200 · places 500 · promises 300' when the run counted them apart."""
    parts = [f"{k} {run[k]:,}" for k in ("cases", "places", "promises") if k in run]
    return f": {' · '.join(parts)}" if parts else ""


def _report_sweep(out: dict[str, Any]) -> None:
    print()
    labels = (("none", "no clock due"), ("one_percent_cases_only", "~1%, case clocks only (the sweep before places)"),
              ("one_percent", "~1% of clocks flip"))  # fmt: skip
    for name, label in labels:
        if name not in out["sweep"]:
            continue
        s = out["sweep"][name]
        runs = ", ".join(f"{r['seconds']:.3f} s ({r['flips']:,} flips{_split(r)}{', committed' if r['committed'] else ''})"
                         for r in s["runs"])  # fmt: skip
        verdict = "met" if s["median_s"] < TARGET_SWEEP_S else "MISSED"
        print(f"  sweep, {label:<18}: median {s['median_s']:.3f} s (target < {TARGET_SWEEP_S:g} s: {verdict}); {runs}")
    if "profile" in out:
        p = out["profile"]
        if "error" in p:
            print(f"\n  profile: {p['error']}")
            return
        print(f"\n  Profile (py-spy --gil, 100 Hz, every server process), {p['samples']} samples while "
              f"{p['run']['rps']:.0f} requests/s; raw: {p['raw']}")  # fmt: skip
        for phase, n in p["phases"]:
            print(f"    {100 * n / max(1, p['samples']):5.1f}%  {phase}")
        print("  Self time, top functions:")
        for fn, n in p["self"]:
            print(f"    {100 * n / max(1, p['samples']):5.1f}%  {fn}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["client"]:
        mode, base, token, *rest = argv[1:]
        if mode == "sequential":
            result = sequential(base, token, json.loads(Path(rest[0]).read_text()))
        else:
            result = asyncio.run(load(base, token, rest[0], int(rest[1]), float(rest[2])))
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--database", help="a PostgreSQL URL (its schema public is dropped); SQLite file otherwise")
    parser.add_argument("--keep", help="SQLite: the database file (kept), instead of a temporary one")
    parser.add_argument("--reuse", action="store_true", help="skip the fill when the database holds --cases cases")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--requests", type=int, default=300, help="sequential requests of each kind")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--httpx-load", action="store_true", help="the httpx async client even when wrk is here")
    parser.add_argument("--profile", action="store_true", help="py-spy the server under the concurrent load")
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument("--sweep-only", action="store_true", help="fill and time the SLA sweep; no HTTP part")
    args = parser.parse_args(argv)
    if args.keep and args.database:
        parser.error("--keep is for SQLite; a PostgreSQL database is kept anyway")
    if args.reuse and not (args.keep or args.database):
        parser.error("--reuse needs --keep PATH or --database URL")
    with tempfile.TemporaryDirectory(prefix="replywatch-bench-api-") as tmp:
        out = run(args, Path(tmp))
    report(out)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
