"""Near-duplicate grouping benchmark: precision and recall on labelled pairs, and one check at scale.

    .venv/bin/python bench/dedupe.py [--stored 1000000] [--database URL] [--brands 2] [--checks 1000]
                                     [--templated 0.05] [--workers N] [--seed 7] [--pairs-only] [--json PATH]

1. Accuracy. bench/dedupe_pairs.py makes 3,000 positive and 3,000 negative pairs (fixed
   seed; the kinds are described there). Both sides get `signature()`; a pair is grouped
   when they share as many band keys as `find_duplicate` asks for and `compare()` reaches
   `confirm_score` (DedupeConfig defaults): the rules find_duplicate applies to each
   candidate, without the database. Printed: precision, recall, F1, and per kind how
   many were grouped, how many were LSH candidates and which rule kept the rest apart.
2. Scale. A fresh database (a temporary SQLite file by default; a PostgreSQL URL is used
   as given: its schema `public` is DROPPED and recreated, and a database named "test"
   is refused; an SQLite URL names a file that is made afresh and kept, and `--reuse`
   checks against it as it is if it already holds `--stored` mentions) gets `--brands` brands and `--stored` mentions, each in its own case, the
   cases' last activity spread evenly over the last 365 days (so ~16% are inside the
   60-day window). Texts: dedupe_pairs.Filler (varied, ~270 characters) and a
   `--templated` share filled from the complaint templates (boilerplate: it crowds band
   keys); languages ru 45%, en 15%, de/uk/hy/be 10% each. Signatures come from
   `signature()` in `--workers` processes; rows go in by executemany (SQLite) or COPY
   (PostgreSQL), the mention_band indexes are built afterwards, then ANALYZE.
   A new process (so its memory is its own) then checks `--checks` new mentions, one
   transaction each, as ingest does: `signature()`, then `find_duplicate()`. Mix: 50%
   edited re-posts of a stored mention whose case is in the window (a random edit from
   dedupe_pairs.EDITS), 30% new varied complaints, 20% new templated ones. Printed:
   median / p99 / max of signature, lookup and the whole check; how many re-posts found
   their case and how many new complaints joined one; peak RSS (ru_maxrss) of the
   checking process and of the filling one; the database size.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dedupe_pairs import EDITS, Filler, Post, labelled_pairs, templated
from monitor.config import DedupeConfig
from monitor.db import describe_url, make_engine, make_session_factory, normalise_url, session_scope, upgrade
from monitor.dedupe import BANDS, compare, find_duplicate, min_shared_bands, signature
from monitor.models import Brand, Case, Mention, MentionBand, Source

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LANGUAGES = {"ru": 45, "en": 15, "de": 10, "uk": 10, "hy": 10, "be": 10}
CHUNK = 5_000
VETOES = ("short", "marks", "replaced")  # compare()'s names for the rules that keep texts apart
_filler: Filler | None = None


def accuracy(seed: int) -> dict[str, Any]:
    settings = DedupeConfig()
    need = min_shared_bands(settings)
    kinds: dict[tuple[bool, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    tp = fp = fn = 0
    for pair in labelled_pairs(seed=seed):
        a = signature(pair.a.title, pair.a.body, brand_id=1)
        b = signature(pair.b.title, pair.b.body, brand_id=1)
        candidate = len(set(a.band_keys) & set(b.band_keys)) >= need
        score, method = compare(a, b)
        grouped = candidate and score >= settings.confirm_score
        row = kinds[(pair.same, pair.kind)]
        row.update(pairs=1, grouped=grouped, candidates=candidate)
        if not grouped:
            row["no shared band" if not candidate else method if method in VETOES else "score below"] += 1
        tp, fp, fn = tp + (grouped and pair.same), fp + (grouped and not pair.same), fn + (pair.same and not grouped)
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    print(f"labelled pairs: {sum(r['pairs'] for r in kinds.values())}  (confirm_score {settings.confirm_score}, "
          f"candidate_threshold {settings.candidate_threshold} → ≥{need} of {BANDS} bands)")  # fmt: skip
    print(f"  precision {precision:.4f}  recall {recall:.4f}  F1 {2 * precision * recall / (precision + recall):.4f}")
    print(f"  {'same':5} {'kind':18} {'pairs':>5} {'grouped':>7} {'LSH':>5}  kept apart by")
    for (same, kind), row in sorted(kinds.items()):
        why = ", ".join(f"{k} {v}" for k, v in row.items() if k not in ("pairs", "grouped", "candidates") and v)
        print(f"  {same!s:5} {kind:18} {row['pairs']:5} {row['grouped']:7} {row['candidates']:5}  {why}")
    return {
        "precision": precision,
        "recall": recall,
        "kinds": {f"{'pos' if s else 'neg'}:{k}": dict(r) for (s, k), r in kinds.items()},
    }


def prepare_database(url: str | None, workdir: Path) -> str:
    if url is None:
        url = f"sqlite:///{workdir / 'dedupe.db'}"
    elif url.startswith("sqlite"):  # a file to keep for --reuse: made afresh
        path = Path(url.removeprefix("sqlite:///"))
        for old in path.parent.glob(path.name + "*"):
            old.unlink()
    else:
        url = normalise_url(url)
        if sa.engine.make_url(url).database == "test":
            sys.exit("refusing to drop schema public of the database 'test' (the test suite's); use another one")
        engine = make_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(url)
    return url


def _start_worker() -> None:
    global _filler
    _filler = Filler()


def _make_chunk(job: tuple[int, int, int, float, int]) -> list[tuple]:
    """Rows for mentions [start, start + count): (id, brand, language, title, body, last activity, band keys)."""
    start, count, brands, templated_share, seed = job
    assert _filler is not None
    rnd = random.Random(seed * 1_000_003 + start)
    rows = []
    for mention_id in range(start + 1, start + count + 1):
        language = rnd.choices(list(LANGUAGES), weights=list(LANGUAGES.values()))[0]
        post = templated(rnd, language) if rnd.random() < templated_share else _filler.complaint(rnd, language)
        brand_id = mention_id % brands + 1
        at = NOW - timedelta(seconds=rnd.uniform(0, 365 * 86400))
        keys = signature(post.title, post.body, brand_id=brand_id).band_keys
        rows.append((mention_id, brand_id, language, post.title, post.body, at, keys))
    return rows


def _write(conn: sa.Connection, rows: list[tuple], postgres: bool) -> None:
    cases = [(i, b, "new", lang, at, at, at, 1) for i, b, lang, _, _, at, _ in rows]
    mentions = [
        (i, b, f"id:{i}", title, body, at, at, at, f"{i:064x}", 1, b, "[]", i, "opened", lang, at)
        for i, b, lang, title, body, at, _ in rows
    ]
    bands = [(i, key) for i, *_, keys in rows for key in keys]
    case_cols = ["id", "brand_id", "status", "language", "opened_at", "updated_at", "last_mention_at", "mention_count"]
    mention_cols = ["id", "source_id", "dedup_key", "title", "body", "first_seen_at", "last_seen_at", "revised_at",
                    "content_hash", "revision", "brand_id", "replies", "case_id", "case_method", "language",
                    "processed_at"]  # fmt: skip
    tables = [("cases", case_cols, cases), ("mention", mention_cols, mentions),
              ("mention_band", ["mention_id", "band_key"], bands)]  # fmt: skip
    if postgres:  # COPY: the fastest way in, what a bulk import would use
        cursor = conn.connection.driver_connection.cursor()
        for table, cols, data in tables:
            with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        return
    for table, cols, data in tables:
        model = {"cases": Case, "mention": Mention, "mention_band": MentionBand}[table].__table__
        conn.execute(model.insert(), [dict(zip(cols, row, strict=True)) for row in data])


def fill(url: str, args: argparse.Namespace) -> dict[str, Any]:
    engine = make_engine(url)
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        for b in range(1, args.brands + 1):
            conn.execute(sa.insert(Brand.__table__).values(id=b, key=f"brand{b}", name=f"Brand {b}", names=[],
                                                           domains=[], language="ru", timezone="UTC",
                                                           created_at=NOW, updated_at=NOW))  # fmt: skip
            conn.execute(sa.insert(Source.__table__).values(id=b, key=f"board{b}", kind="feed", weight=1,
                                                            url=f"https://board.example/{b}.rss", brand_key=f"brand{b}",
                                                            interval_seconds=900, active=True, next_poll_at=NOW,
                                                            health="ok", error_count=0, created_at=NOW,
                                                            updated_at=NOW))  # fmt: skip
        # Bulk load first, index after: how any large import is done; the schema ends up as migrated.
        conn.execute(sa.text("DROP INDEX ix_mention_band_key"))
        conn.execute(sa.text("DROP INDEX ix_mention_band_mention_id"))
    jobs = [
        (s, min(CHUNK, args.stored - s), args.brands, args.templated, args.seed) for s in range(0, args.stored, CHUNK)
    ]
    started = time.perf_counter()
    with mp.get_context("spawn").Pool(args.workers, initializer=_start_worker) as pool:
        for n, rows in enumerate(pool.imap(_make_chunk, jobs), 1):
            with engine.begin() as conn:
                _write(conn, rows, postgres)
            if n % max(1, len(jobs) // 20) == 0 or n == len(jobs):
                done = min(n * CHUNK, args.stored)
                print(f"  filled {done:>9,} mentions  {time.perf_counter() - started:6.0f} s", flush=True)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE INDEX ix_mention_band_key ON mention_band (band_key)"))
        conn.execute(sa.text("CREATE INDEX ix_mention_band_mention_id ON mention_band (mention_id)"))
        if postgres:
            for table in ("cases", "mention", "mention_band"):
                conn.execute(sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
        bands = conn.scalar(sa.select(sa.func.count()).select_from(MentionBand.__table__))
        if postgres:
            size = conn.scalar(sa.text("SELECT pg_database_size(current_database())"))
            band_size = conn.scalar(sa.text("SELECT pg_total_relation_size('mention_band')"))
        else:
            path = Path(url.removeprefix("sqlite:///"))
            size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # with -wal
            try:  # dbstat is compiled into most SQLite builds, not all
                band_size = conn.scalar(sa.text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%mention_band%'"))
            except sa.exc.OperationalError:
                band_size = None
    engine.dispose()
    return {"fill_s": round(time.perf_counter() - started), "band_rows": bands, "db_bytes": size,
            "band_table_bytes": band_size}  # fmt: skip


def run_checks(url: str, checks: int, seed: int) -> dict[str, Any]:
    """In its own process: `checks` new mentions through signature() + find_duplicate()."""
    rnd = random.Random(seed)
    filler, settings = Filler(seed=seed + 1), DedupeConfig()
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        len_stored = session.scalar(sa.select(sa.func.count()).select_from(Mention.__table__))
        recent = session.scalars(
            sa.select(Mention.id).join(Case, Case.id == Mention.case_id)
            .where(Case.last_mention_at >= NOW - timedelta(days=50))
        ).all()  # fmt: skip
        picked = sorted(rnd.sample(recent, checks // 2))
        stored = session.execute(
            sa.select(Mention.brand_id, Mention.language, Mention.title, Mention.body, Mention.case_id)
            .where(Mention.id.in_(picked))
        ).all()  # fmt: skip
    work: list[tuple[str, int, Post, int | None]] = []
    for brand_id, language, title, body, case_id in stored:
        edit = rnd.choice(sorted(EDITS))
        work.append(("repost", brand_id, EDITS[edit](Post(title, body), language, rnd), case_id))
    while len(work) < checks:
        language = rnd.choices(list(LANGUAGES), weights=list(LANGUAGES.values()))[0]
        kind = "new templated" if rnd.random() < 0.4 else "new varied"
        post = templated(rnd, language) if kind == "new templated" else filler.complaint(rnd, language)
        work.append((kind, rnd.randint(1, 2), post, None))
    rnd.shuffle(work)
    times: dict[str, list[float]] = {"signature": [], "lookup": [], "check": [], "check CPU": []}
    outcome: collections.Counter[str] = collections.Counter()
    for i, (kind, brand_id, post, expected) in enumerate(work[:20] + work):  # the first 20 warm up, untimed
        with session_scope(sessions) as session:
            t0, cpu = time.perf_counter(), time.process_time()
            sig = signature(post.title, post.body, brand_id=brand_id)
            t1 = time.perf_counter()
            found = find_duplicate(session=session, signature=sig, settings=settings, now=NOW)
            t2, cpu = time.perf_counter(), time.process_time() - cpu
        if i < 20:
            continue
        # CPU time as well: on a busy machine the wall clock also counts waiting for a core.
        for name, value in (("signature", t1 - t0), ("lookup", t2 - t1), ("check", t2 - t0), ("check CPU", cpu)):
            times[name].append(value * 1000)
        times.setdefault(f"check, {kind}", []).append((t2 - t0) * 1000)
        result = "none" if found is None else "own case" if found.case_id == expected else "another case"
        outcome[f"{kind}: {result}"] += 1
    engine.dispose()
    stats = {name: _summary(values) for name, values in times.items()}
    load = os.getloadavg()[0]  # other work on the machine shows in the times
    rss = _own_peak_rss_mb()
    return {"stored": len_stored, "times_ms": stats, "outcome": dict(outcome), "rss_mb": rss, "load": load}


def _summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    p99 = values[min(len(values) - 1, math.ceil(0.99 * len(values)) - 1)]
    return {"median": round(statistics.median(values), 2), "p99": round(p99, 2), "max": round(values[-1], 2)}


def _own_peak_rss_mb() -> float:
    """Peak RSS of this process's own memory (VmHWM). ru_maxrss of a spawned child starts at its
    parent's size at fork time: Linux keeps the old high-water mark across exec."""
    try:
        status = Path("/proc/self/status").read_text()
        return round(int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024, 1)
    except (OSError, StopIteration):
        return _rss_mb(resource.RUSAGE_SELF)


def _rss_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)  # KiB on Linux


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--database", help="default: a temporary SQLite file; PostgreSQL: schema public is DROPPED")
    parser.add_argument("--brands", type=int, default=2)
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--templated", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pairs-only", action="store_true", help="only the labelled-pair accuracy")
    parser.add_argument("--reuse", action="store_true", help="check against --database as it is when it is filled")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"accuracy": accuracy(args.seed)}
    if not args.pairs_only:
        with tempfile.TemporaryDirectory(prefix="dedupe-bench-") as tmp:
            url = args.database
            if not (args.reuse and url and _mentions(url) >= args.stored):
                url = prepare_database(url, Path(tmp))
                print(f"\nfilling {describe_url(url)}: {args.stored:,} mentions, {args.brands} brands, "
                      f"{args.templated:.0%} templated, {args.workers} workers")  # fmt: skip
                report["fill"] = fill(url, args)
                report["fill"]["rss_mb"] = _rss_mb(resource.RUSAGE_SELF)
            with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
                report["checks"] = pool.submit(run_checks, url, args.checks, args.seed).result()
        _print(report, args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))


def _mentions(url: str) -> int:
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(Mention.__table__)) or 0
    except sa.exc.DBAPIError:
        return 0
    finally:
        engine.dispose()


def _print(report: dict[str, Any], args: argparse.Namespace) -> None:
    if f := report.get("fill"):
        print(f"  filled in {f['fill_s']} s; {f['band_rows']:,} band rows; database {f['db_bytes'] / 1e6:,.0f} MB"
              + (f" (mention_band {f['band_table_bytes'] / 1e6:,.0f} MB)" if f["band_table_bytes"] else ""))  # fmt: skip
        print(f"  peak RSS of the filling process: {f['rss_mb']} MB")
    c = report["checks"]
    print(f"\n{args.checks} checks against {c['stored']:,} stored mentions (checking process: peak RSS "
          f"{c['rss_mb']} MB; load average {c['load']:.1f} on {os.cpu_count()} CPUs):")  # fmt: skip
    for name, s in c["times_ms"].items():
        print(f"  {name:24} median {s['median']:7.2f} ms   p99 {s['p99']:7.2f} ms   max {s['max']:7.2f} ms")
    for name, n in sorted(c["outcome"].items()):
        print(f"  {name:28} {n}")


if __name__ == "__main__":
    main()
