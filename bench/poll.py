"""Polling benchmark: how many polls per minute one worker process sustains, and at what memory.

    .venv/bin/python bench/poll.py [--sources 1000] [--items 50] [--rounds 3] [--sample 200]
                                   [--database URL] [--parse-workers K] [--max-concurrency 64]
                                   [--max-connections 16] [--profile] [--json PATH]

A feed server (bench/feedserver.py) runs in its own process and serves N distinct RSS 2.0
feeds of `--items` items (~2 KB of ru/de/en complaint text each) with strong ETags. The
poller (monitor.worker.poller.Poller as `replywatch worker` builds it; it logs in logfmt, into a
file) polls a watch list of those N feeds on a fresh database. Before each round the
sources are made due, and `Poller.run_due()` is timed:

    A  first poll of all N sources: every item is new   -> polls/min, new mentions stored/s
    B  nothing changed: every answer is a 304           -> polls/min          (--rounds times)
    C  every feed changed (new guids everywhere)        -> polls/min, new/s   (--rounds times)

B and C poll `--sample` of the N sources (spread evenly; 0 = all of them) and are reported as
medians. The defaults (1,000 sources, so round A stores 50,000 mentions; rounds B and C over
200 of them) keep a run, with --profile, within about six minutes on 2 CPUs; round A then
measures first polls into a database that grows from empty to 50,000 mentions, and B and C
poll a database of 50,000-110,000. `--parse-workers` and `--max-connections` default to what
the config defaults to. Peak memory is ru_maxrss of this
(the poller) process after all rounds; parse workers and the feed server are reported
separately. CPU seconds per round are reported too: on a shared machine they are steadier
than wall time. `--profile` then runs five more rounds B and one more round C under py-spy
(`--gil`: every thread and the parse processes; pyinstrument on the event loop and DB
threads when py-spy is missing) and prints where the time goes.

The database is a temporary SQLite file by default. With a PostgreSQL URL the database is
created if missing, and its schema `public` is DROPPED and recreated: use a dedicated one
(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/replywatch_bench), never data you keep,
and not the test database while tests run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bench.database import prepare_database, sqlite_file_mb
from bench.machine import machine_facts, proc_peak_mb
from bench.poll_profile import Profile, print_profile, summarise_profile
from bench.poll_rounds import FeedServer, Round, run_round, worker_pids
from monitor.config import Config, parse_config
from monitor.core.db import SessionFactory, make_engine, make_session_factory, session_scope
from monitor.core.logs import configure_logging
from monitor.models import Mention
from monitor.worker.poller import Poller

HERE = Path(__file__).resolve().parent
# Targets on a 2-core machine (docs/PERFORMANCE.md).
TARGET_304_PER_MIN = 3000
TARGET_CHANGED_PER_MIN = 1000
TARGET_NEW_PER_S = 1000
TARGET_PEAK_MB = 400


def watch_list(server_url: str, args: argparse.Namespace) -> Config:
    lines = [
        "contact_url: https://replywatch.example/bench",
        "http: {per_host_delay: 0s, per_host_concurrency: 64, retries: 0, timeout: 60s,"
        f" max_connections: {args.max_connections}, allow_networks: [127.0.0.0/8, '::1/128']}}",  # feeds on loopback
        f"scheduler: {{max_concurrency: {args.max_concurrency}"
        + ("}" if args.parse_workers is None else f", parse_workers: {args.parse_workers}}}"),
        "brands:",
        "  - {key: acme, name: Acme, names: [Акме, Acme Shop], domains: [acme.example]}",
        "  - {key: beta, name: Beta Markt, names: [Бета Маркет], domains: [beta.example]}",
        "sources:",
    ]
    for i in range(args.sources):
        brand = ("acme", "beta", None)[i % 3]
        extra = f", brand: {brand}" if brand else ""
        lines.append(f"  - {{key: f{i}, kind: feed, url: '{server_url}/f/{i}.rss', interval: {args.interval}{extra}}}")
    return parse_config("\n".join(lines), path="bench.yaml", env={})


def sample_keys(sources: int, sample: int | None) -> list[str] | None:
    if not sample or sample >= sources:
        return None
    step = sources / sample
    return [f"f{int(k * step)}" for k in range(sample)]


def count_mentions(sessions: SessionFactory) -> int:
    with session_scope(sessions) as session:
        return session.scalar(sa.select(sa.func.count(Mention.id))) or 0


async def profiled_round(
    kind: str,
    expect: str,
    poller: Poller,
    sessions: SessionFactory,
    server: FeedServer,
    args: argparse.Namespace,
    keys: list[str] | None,
    workdir: Path,
) -> dict[str, Any]:
    """One more round of `kind` (B or C) under the profiler, after the measured ones."""
    if kind == "C":
        server.control("bump")
    profile = Profile(workdir if args.keep else Path(tempfile.gettempdir()), poller, kind)
    polls, seconds = 0, 0.0
    profile.start()
    for _ in range(5 if kind == "B" else 1):  # a round of 304s is short: profile five of them
        r = await run_round(f"{kind}p", expect, poller, sessions, server, args.items, keys)
        polls, seconds = polls + r.polls, seconds + r.seconds
    note = profile.stop()
    print(f"  profiled round {kind}: {polls} polls in {seconds:.1f} s ({note})", flush=True)
    found = {"round": kind, "polls": polls, "raw": str(profile.raw), "round_seconds": seconds, "note": note}
    if profile.proc is not None:
        found.update(summarise_profile(profile.raw, server.proc.pid))
    return found


async def bench(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"command": shlex.join([sys.executable, *sys.argv]), "args": vars(args)}
    server = FeedServer(args.sources, args.items)
    poller: Poller | None = None
    try:
        stats = server.control("stats")
        out["server"] = {"start_s": round(server.start_seconds, 1), "body_mb": round(stats["body_bytes"] / 1e6, 1)}
        print(f"feed server up in {server.start_seconds:.1f} s: {args.sources} feeds, "
              f"{stats['body_bytes'] / 1e6:.1f} MB of bodies", flush=True)  # fmt: skip
        if not args.no_ceiling:
            feeds = min(args.sources, 200)
            out["ceiling"] = [
                server.load("raw", 304, connections=64, feeds=feeds),
                server.load("raw", 200, connections=64, feeds=feeds),
                server.load("httpx", 304, connections=args.max_connections, feeds=feeds),
                server.load("httpx", 200, connections=args.max_connections, feeds=feeds),
                server.load("httpx", 200, connections=8, feeds=feeds),
            ]
            for c in out["ceiling"]:
                where = f"{c['client']:5} {c['status']}, {c['connections']:2} connections"
                print(f"  ceiling {where}: {c['per_second']:8.0f} req/s", flush=True)

        url = prepare_database(args.database, workdir)
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        out["machine"] = machine_facts(url, sessions)
        started = time.perf_counter()
        config = watch_list(server.url, args)
        out["config_load_s"] = round(time.perf_counter() - started, 2)

        poller = Poller(config=config, sessions=sessions)
        args.parse_workers = config.scheduler.parse_workers  # the config's default when not given
        await poller.sync()
        rounds: list[Round] = []

        def report(r: Round) -> None:
            rounds.append(r)
            print(
                f"  {r.name:3} {r.polls:5} polls in {r.seconds:7.2f} s = {r.per_min:7.0f} polls/min,"
                f" {r.new_per_s:6.0f} new/s  outcomes={r.outcomes}  unexpected={r.unexpected}"
                f"  cpu poller={r.cpu_poller:.1f}s workers={r.cpu_workers:.1f}s server={r.cpu_server:.1f}s"
                f" load={r.load}",
                flush=True,
            )
            for e in r.errors:
                print(f"      {e}", flush=True)

        keys = sample_keys(args.sources, args.sample)
        report(await run_round("A", "new", poller, sessions, server, args.items))
        for k in range(1, args.rounds + 1):
            report(await run_round(f"B{k}", "304", poller, sessions, server, args.items, keys))
            bump = server.control("bump")
            print(f"  (server: generation {bump['generation']} rendered in {bump['seconds']:.1f} s)", flush=True)
            report(await run_round(f"C{k}", "new", poller, sessions, server, args.items, keys))
        out["rounds"] = [{**asdict(r), "per_min": r.per_min, "new_per_s": r.new_per_s} for r in rounds]
        out["mentions_stored"] = count_mentions(sessions)
        out["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        out["peak_mb"] = {
            "poller": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "parse_workers": [proc_peak_mb(pid) for pid in worker_pids(poller)],
            "server": server.control("stats")["maxrss_kb"] / 1024,
        }
        if url.startswith("sqlite"):
            out["sqlite_file_mb"] = sqlite_file_mb(url)

        if args.profile:
            out["profiles"] = [
                await profiled_round("B", "304", poller, sessions, server, args, keys, workdir),
                await profiled_round("C", "new", poller, sessions, server, args, keys, workdir),
            ]
        engine_name = engine.dialect.name
        await poller.aclose()
        poller = None
        engine.dispose()
        out["engine"] = engine_name
        return out
    finally:
        if poller is not None:
            await poller.aclose()
        server.stop()


def verdict(value: float, target: float, below: bool = False) -> str:
    ok = value < target if below else value >= target
    return "met" if ok else "MISSED"


def _figures(out: dict[str, Any]) -> list[tuple[str, float, str, str]]:
    """(label, measured, target, verdict) for the table of targets."""
    rounds = out["rounds"]
    by = {p: [r for r in rounds if r["name"].startswith(p)] for p in "ABC"}
    a = by["A"][0]

    def median(prefix: str, key: str) -> float:
        return statistics.median(r[key] for r in by[prefix]) if by[prefix] else 0.0

    b_min, c_min, c_new = median("B", "per_min"), median("C", "per_min"), median("C", "new_per_s")
    peak = out["peak_mb"]["poller"]
    nb, nc = len(by["B"]), len(by["C"])
    return [
        ("A first poll, all new: polls/min", a["per_min"], "", ""),
        ("A first poll, all new: new mentions stored/s", a["new_per_s"], f">= {TARGET_NEW_PER_S}",
         verdict(a["new_per_s"], TARGET_NEW_PER_S)),
        (f"B all 304: polls/min (median of {nb})", b_min, f">= {TARGET_304_PER_MIN}",
         verdict(b_min, TARGET_304_PER_MIN)),
        (f"C all changed: polls/min (median of {nc})", c_min, f">= {TARGET_CHANGED_PER_MIN}",
         verdict(c_min, TARGET_CHANGED_PER_MIN)),
        (f"C all changed: new mentions stored/s (median of {nc})", c_new, f">= {TARGET_NEW_PER_S}",
         verdict(c_new, TARGET_NEW_PER_S)),
        ("peak RSS of the poller process, MB", peak, f"< {TARGET_PEAK_MB}", verdict(peak, TARGET_PEAK_MB, below=True)),
    ]  # fmt: skip


def print_report(out: dict[str, Any]) -> None:
    m, args, peak = out["machine"], out["args"], out["peak_mb"]
    versions = f"Python {m['python']}, SQLite {m['sqlite']}"
    if "postgresql" in m:
        versions += f", PostgreSQL {m['postgresql']}"
    feed_kb = out["server"]["body_mb"] / max(1, args["sources"]) * 1000
    print()
    print("replywatch polling benchmark")
    print(f"  command : {out['command']}")
    print(f"  machine : {m['cpus']} CPUs ({m['cpu_model']}), {m['platform']}")
    print(f"  load    : load average {m['loadavg_at_start']} at start, {out['loadavg_at_end']} at end;")
    print(f"            a 5M-iteration Python loop took {m['cpu_check_s']} s (compare runs with it)")
    print(f"  versions: {versions}")
    print(f"  database: {m['database']}")
    print(f"  sources : {args['sources']} feeds x {args['items']} items (~{feed_kb:.0f} KB a feed),")
    print(f"            max_concurrency {args['max_concurrency']}, max_connections {args['max_connections']},")
    print(f"            parse_workers {args['parse_workers']}, interval {args['interval']}")
    if args["sample"] and args["sample"] < args["sources"]:
        print(f"            rounds B and C poll {args['sample']} of the {args['sources']} sources (--sample)")
    print()
    print(f"  {'figure':56} {'measured':>9} {'target':>8}  verdict")
    for label, value, target, word in _figures(out):
        print(f"  {label:56} {value:9.0f} {target:>8}  {word}")
    workers = ", ".join(f"{mb:.0f}" for mb in peak["parse_workers"]) or "none"
    print(f"  peak RSS of the parse workers, MB: {workers}; of the feed server: {peak['server']:.0f}")
    stored = f"  mentions stored: {out['mentions_stored']}"
    if "sqlite_file_mb" in out:
        stored += f"; SQLite file {out['sqlite_file_mb']} MB"
    print(stored)
    if out.get("ceiling"):
        print("  feed server ceiling, measured from a separate client process for 2 s each:")
        for c in out["ceiling"]:
            who = "bare sockets" if c["client"] == "raw" else "httpx"
            print(f"    {who:12} {c['connections']:3} connections, answers {c['status']}: {c['per_second']:7.0f} req/s")
    print()
    # CPU time per poll is steadier than wall time on a shared machine: compare runs with it.
    print("  CPU s: seconds of CPU used during the round; ms/poll: CPU per poll (poller process + parse workers);")
    print("  CPU/wall: CPUs the poller and its workers got on average; load: 1-minute load average at the round's end")
    header = f"{'round':5} {'polls':>6} {'seconds':>8} {'polls/min':>10} {'new/s':>7}"
    print(f"  {header} {'CPU s: poller':>14} {'workers':>8} {'server':>7} {'ms/poll':>8} {'CPU/wall':>8} {'load':>5}")
    for r in out["rounds"]:
        line = f"{r['name']:5} {r['polls']:6} {r['seconds']:8.2f} {r['per_min']:10.0f} {r['new_per_s']:7.0f}"
        line += f" {r['cpu_poller']:14.1f} {r['cpu_workers']:8.1f} {r['cpu_server']:7.1f}"
        line += f" {(r['cpu_poller'] + r['cpu_workers']) * 1000 / max(1, r['polls']):8.1f}"
        line += f" {(r['cpu_poller'] + r['cpu_workers']) / max(r['seconds'], 1e-9):8.2f} {r.get('load', 0):5.1f}"
        print(f"  {line}" + (f"  unexpected {r['unexpected']}" if r["unexpected"] else ""))
    for prof in out.get("profiles", []):
        print_profile(prof)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=int, default=1000, help="feeds to poll (default 1000)")
    parser.add_argument("--items", type=int, default=50, help="items per feed (default 50, ~100 KB)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of B and C (default 3)")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file); PG schema is dropped")
    parser.add_argument(
        "--parse-workers", type=int, help="scheduler.parse_workers (default: the config's, 2 with 2 or more CPUs)"
    )
    parser.add_argument("--max-concurrency", type=int, default=64, help="scheduler.max_concurrency (default 64)")
    parser.add_argument("--max-connections", type=int, default=16, help="http.max_connections (default 16)")
    parser.add_argument(
        "--sample",
        type=int,
        default=200,
        help="rounds B and C poll this many of the sources, spread evenly (default 200; 0 = all)",
    )
    parser.add_argument(
        "--interval",
        default="1h",
        help="sources[].interval (default 1h: longer than a round, so no source falls due twice in one round)",
    )
    parser.add_argument("--profile", action="store_true", help="profile one more round B and one more round C")
    parser.add_argument("--no-ceiling", action="store_true", help="skip measuring the feed server's ceiling")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (database, log, profile)")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="replywatch-bench-"))
    log_path = workdir / "poller.log"
    # Logs as `replywatch worker` writes them when stderr is not a terminal (logfmt, INFO), but
    # into a file: the poller logs to whatever sys.stderr is at write time.
    configure_logging("INFO", "logfmt")
    print(f"work directory {workdir} (poller log: {log_path.name})", flush=True)
    try:
        with log_path.open("w") as log_file, contextlib.redirect_stderr(log_file):
            out = asyncio.run(bench(args, workdir))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print_report(out)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
