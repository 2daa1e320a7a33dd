"""Case building throughput: how many stored mentions a second `process_cases` turns into cases.

    .venv/bin/python bench/dedupe_build.py [--database URL] [--mentions 5000] [--seed 7] [--profile PATH]
    BENCH_CODE=/path/to/other/checkout .venv/bin/python bench/dedupe_build.py ...   # that checkout's code

A fresh database (a temporary SQLite file by default; a PostgreSQL URL: its schema `public`
is DROPPED and recreated, the database "test" is refused) gets one brand, three sources
and `--mentions` stored, not yet processed mentions: the labelled real reviews
(bench/data/reviews.jsonl) first, then complaints from bench/dedupe_pairs (varied and
templated, six languages) with a re-post of an earlier one every tenth, each with an
author and a published date. Then `monitor.worker.jobs.process_cases` runs (batches of
200, a transaction each, as the worker does) and is timed: wall, CPU of this process, and
mentions per second, and CPU milliseconds per mention (on a loaded machine the wall clock also
counts waiting for a core); the load average is printed with the figures. `--profile` writes a
pyinstrument profile of the timed run.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if os.environ.get("BENCH_CODE"):  # time another checkout's code (e.g. main, for the figures before a change)
    sys.path.insert(0, os.environ["BENCH_CODE"])

from bench.database import prepare_database
from bench.dedupe_langs import LANGS
from bench.dedupe_pairs import EDITS, Filler, Post, templated
from monitor.config import parse_config
from monitor.core.db import describe_url, make_engine, make_session_factory, session_scope
from monitor.ingest.polling import sync_config
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Case, Source
from monitor.worker.jobs import process_cases
from sources.base import RawMention

NOW = datetime(2026, 12, 1, tzinfo=UTC)
CONFIG = parse_config(
    """
brands:
  - {key: acme, name: Acme, names: [Акме, Acme, Ակմե, Акмэ], domains: [acme.example], country: RU}
sources:
  - {key: board, kind: feed, url: 'https://board.example/f', interval: 15m, brand: acme}
  - {key: forum, kind: feed, url: 'https://forum.example/f', interval: 15m, brand: acme}
  - {key: reviews, kind: feed, url: 'https://reviews.example/f', interval: 15m, brand: acme}
""",
    env={},
)


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database")
    parser.add_argument("--mentions", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dedupe-build-") as tmp:
        url = prepare_database(args.database, Path(tmp))
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            sync_config(session=session, config=CONFIG, now=NOW)
            source_ids = list(session.scalars(sa.select(Source.id).order_by(Source.id)))
            brand_id = session.scalar(sa.select(Brand.id))
        items = stream(args.mentions, args.seed)
        with session_scope(sessions) as session:
            for index, source_id in enumerate(source_ids):
                mine = [item for source, item in items if source == index]
                store_mentions(session=session, source_id=source_id, items=mine, now=NOW, brand_id=brand_id,
                               language_hint="ru")  # fmt: skip
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        t0, cpu = time.perf_counter(), time.process_time()
        counts = process_cases(sessions=sessions, config=CONFIG, now=NOW)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu
        if profiler is not None:
            profiler.stop()
            args.profile.write_text(profiler.output_text(unicode=True, show_all=False))
        with session_scope(sessions) as session:
            cases = session.scalar(sa.select(sa.func.count()).select_from(Case))
        engine.dispose()
    print(f"{describe_url(url)}: {counts.processed} mentions → {cases} cases (opened {counts.opened}, joined "
          f"{counts.joined}, failed {counts.failed}) in {wall:.1f} s wall, {cpu:.1f} s CPU: "
          f"{counts.processed / wall:,.0f} mentions/s, {1000 * cpu / counts.processed:.1f} ms CPU a mention "
          f"({counts.processed / cpu:,.0f} mentions per CPU second); code {sys.modules['monitor'].__file__}; "
          f"load average {os.getloadavg()}")  # fmt: skip


if __name__ == "__main__":
    main()
