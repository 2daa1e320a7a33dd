"""Case building throughput: how many stored mentions a second `process_cases` turns into cases.

    .venv/bin/python bench/dedupe_build.py [--database URL] [--mentions 5000] [--seed 7] [--profile PATH]
        [--workers N]   # N processes share the queue (PostgreSQL only: FOR UPDATE SKIP LOCKED)
        [--customers N] # a customer register of N people (bench/match_data), so the customer lookup runs
        [--brands N]    # the stream spread over N brands by author (a re-post keeps its original's brand)
    BENCH_CODE=/path/to/other/checkout .venv/bin/python bench/dedupe_build.py ...   # that checkout's code

A fresh database (a temporary SQLite file by default; a PostgreSQL URL: its schema `public`
is DROPPED and recreated, the database "test" is refused) gets one brand, three sources
and `--mentions` stored, not yet processed mentions: the labelled real reviews
(bench/data/reviews.jsonl) first, then complaints from bench/dedupe_pairs (varied and
templated, six languages) with a re-post of an earlier one every tenth, each with an
author and a published date. Then `monitor.worker.jobs.process_cases` runs (batches of
200, a transaction each, as the worker does) and is timed: wall, CPU of this process and of its helper process
(monitor.cases.batch_ahead; also printed apart), and
mentions per second, and CPU milliseconds per mention (on a loaded machine the wall clock also
counts waiting for a core); the load average is printed with the figures. `--profile` writes a
pyinstrument profile of the timed run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if os.environ.get("BENCH_CODE"):  # time another checkout's code (e.g. main, for the figures before a change)
    sys.path.insert(0, os.environ["BENCH_CODE"])

from bench.database import prepare_database
from bench.dedupe_langs import LANGS
from bench.dedupe_pairs import EDITS, Filler, Post, templated
from monitor.cases.pipeline import ProcessCounts
from monitor.config import parse_config
from monitor.core.db import describe_url, make_engine, make_session_factory, session_scope
from monitor.ingest.polling import sync_config
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Case, Source
from monitor.worker.jobs import process_cases
from sources.base import RawMention

NOW = datetime(2026, 12, 1, tzinfo=UTC)
_BRAND = "  - {key: %s, name: Acme, names: [Акме, Acme, Ակմե, Акмэ], domains: [acme.example], country: RU}\n"
_SOURCES = """sources:
  - {key: board, kind: feed, url: 'https://board.example/f', interval: 15m, brand: acme}
  - {key: forum, kind: feed, url: 'https://forum.example/f', interval: 15m, brand: acme}
  - {key: reviews, kind: feed, url: 'https://reviews.example/f', interval: 15m, brand: acme}
"""


def config_for(brands: int) -> Any:
    """One brand `acme` (the figures' setting), or `brands` of them: acme, acme2, acme3, ..."""
    keys = ["acme"] + [f"acme{i}" for i in range(2, brands + 1)]
    return parse_config("brands:\n" + "".join(_BRAND % key for key in keys) + _SOURCES, env={})


CONFIG = config_for(1)


def stream(count: int, seed: int) -> list[tuple[int, RawMention]]:
    """(source index, item) for `count` mentions, published over the last 120 days, oldest first."""
    rnd, filler = random.Random(seed), Filler(seed=seed)
    languages = sorted(LANGS)
    posts: list[tuple[int, RawMention]] = []
    for i in range(count):
        at = NOW - timedelta(days=120 * (1 - i / count))
        if i % 10 == 9 and posts:  # a re-post of an earlier complaint by its author, on another site
            source, earlier = rnd.choice(posts)
            edit = EDITS[rnd.choice(sorted(EDITS))](Post(earlier.title, earlier.body), "ru", rnd)
            item = RawMention(external_id=f"r{i}", url=None, title=edit.title, body=edit.body,
                              author=earlier.author, published_at=at)  # fmt: skip
            posts.append(((source + 1) % 3, item))
            continue
        language = rnd.choice(languages)
        post = templated(rnd, language) if rnd.random() < 0.2 else filler.complaint(rnd, language)
        item = RawMention(external_id=f"m{i}", url=None, title=post.title, body=post.body,
                          author=f"user{rnd.randrange(10**6)}", published_at=at)  # fmt: skip
        posts.append((rnd.randrange(3), item))
    return posts


def _brand_of(author: str | None, brands: int) -> int:
    return 0 if brands == 1 else zlib.crc32((author or "").encode()) % brands


def _backend_cpu(pids: set[int]) -> float:
    """CPU seconds (user + system) the PostgreSQL backends `pids` have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone, or another user's /proc hidden: counted as 0, the figure says so by being 0
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process, and of its children that have ended (a helper process of the case
    step, monitor.cases.batch_ahead, ends with `process_cases`)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


HELPER_CPU = [0.0]  # CPU seconds of the helper processes of the timed runs in this process


def _run(url: str, start: Any = None, brands: int = 1) -> tuple[Any, float, float, float]:
    """process_cases on `url` in this process: (counts, wall, CPU of this process, CPU of its backends)."""
    engine = make_engine(url)
    pids: set[int] = set()
    if engine.dialect.name == "postgresql":
        sa.event.listen(engine, "connect", lambda conn, _rec: pids.add(conn.info.backend_pid))
        with engine.connect():
            pass  # connect before the clock starts, so the backend's start-up is not counted
    backend0 = _backend_cpu(pids)
    if start is not None:
        start.wait()
    t0, (cpu, helper) = time.perf_counter(), _cpu()
    counts = process_cases(sessions=make_session_factory(engine), config=config_for(brands), now=NOW)
    own_end, helper_end = _cpu()
    wall, helper = time.perf_counter() - t0, helper_end - helper
    cpu = own_end - cpu + helper
    HELPER_CPU[0] += helper
    backend = _backend_cpu(pids) - backend0
    engine.dispose()
    return counts, wall, cpu, backend


def _worker(url: str, start: Any, results: Any, brands: int) -> None:
    counts, wall, cpu, backend = _run(url, start, brands)
    results.put((counts.processed, counts.opened, counts.joined, counts.failed, wall, cpu, backend, HELPER_CPU[0]))


def _run_many(url: str, workers: int, brands: int) -> tuple[Any, float, float, float]:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no engine or connection inherited
    start, results = context.Barrier(workers + 1), context.Queue()
    processes = [context.Process(target=_worker, args=(url, start, results, brands)) for _ in range(workers)]
    for process in processes:
        process.start()
    start.wait()
    t0 = time.perf_counter()
    done = [results.get() for _ in processes]
    wall = time.perf_counter() - t0
    for process in processes:
        process.join()
    counts = ProcessCounts()
    for processed, opened, joined, failed, *_ in done:
        counts.processed += processed
        counts.opened += opened
        counts.joined += joined
        counts.failed += failed
    print("per process (mentions, wall s, CPU s with its helper's, backend CPU s, helper CPU s):",
          [(d[0], round(d[4], 1), round(d[5], 2), round(d[6], 2), round(d[7], 2)) for d in done])  # fmt: skip
    HELPER_CPU[0] = sum(d[7] for d in done)
    return counts, wall, sum(d[5] for d in done), sum(d[6] for d in done)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database")
    parser.add_argument("--mentions", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--customers", type=int, default=0)
    parser.add_argument("--brands", type=int, default=1)
    args = parser.parse_args(argv)
    if args.workers > 1 and (not args.database or args.database.startswith("sqlite")):
        parser.error("--workers above 1 needs a PostgreSQL --database (the queue is shared with SKIP LOCKED)")
    with tempfile.TemporaryDirectory(prefix="dedupe-build-") as tmp:
        url = prepare_database(args.database, Path(tmp))
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            sync_config(session=session, config=config_for(args.brands), now=NOW)
            source_ids = list(session.scalars(sa.select(Source.id).order_by(Source.id)))
            brand_ids = list(session.scalars(sa.select(Brand.id).order_by(Brand.id)))
            brand_id = brand_ids[0]
        if args.customers:  # the stream's authors are not in it: the lookup's cost, not its hits
            from bench.match_data import generate
            from monitor.customers.register import import_customers
            from monitor.customers.register_file import read_register

            register, _, _ = generate(args.customers, 0, args.seed)
            with session_scope(sessions) as session:
                import_customers(session=session, brand_id=brand_id, now=NOW, default_region="RU",
                                 rows=read_register(register, default_region="RU"))  # fmt: skip
        items = stream(args.mentions, args.seed)
        with session_scope(sessions) as session:
            for index, source_id in enumerate(source_ids):
                for number, brand in enumerate(brand_ids):
                    # A post's brand follows its author, so a re-post (same author) has its original's brand.
                    mine = [item for source, item in items
                            if source == index and _brand_of(item.author, len(brand_ids)) == number]  # fmt: skip
                    store_mentions(session=session, source_id=source_id, items=mine, now=NOW, brand_id=brand,
                                   language_hint="ru")  # fmt: skip
        engine.dispose()  # the timed run makes its own engine, in this process or in each worker
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        if args.workers > 1:
            counts, wall, cpu, backend = _run_many(url, args.workers, args.brands)
        else:
            counts, wall, cpu, backend = _run(url, brands=args.brands)
        if profiler is not None:
            profiler.stop()
            args.profile.write_text(profiler.output_text(unicode=True, show_all=False))
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            cases = session.scalar(sa.select(sa.func.count()).select_from(Case))
        engine.dispose()
    print(f"{describe_url(url)}: {counts.processed} mentions → {cases} cases (opened {counts.opened}, joined "
          f"{counts.joined}, failed {counts.failed}) in {wall:.1f} s wall, {cpu:.1f} s CPU: "
          f"{counts.processed / wall:,.0f} mentions/s, {1000 * cpu / counts.processed:.2f} ms CPU a mention "
          f"({counts.processed / cpu:,.0f} mentions per CPU second; of it the helper process "
          f"{1000 * HELPER_CPU[0] / counts.processed:.2f} ms a mention); PostgreSQL backends {backend:.2f} s CPU "
          f"({1000 * backend / counts.processed:.2f} ms a mention); workers {args.workers}; "
          f"customers {args.customers}; brands {args.brands}; "
          f"code {sys.modules['monitor'].__file__}; "
          f"load average {os.getloadavg()}")  # fmt: skip


if __name__ == "__main__":
    main()
