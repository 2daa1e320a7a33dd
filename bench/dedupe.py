"""Near-duplicate grouping benchmark: precision and recall on labelled pairs, and one check at scale.

    .venv/bin/python bench/dedupe.py [--stored 1000000] [--database URL] [--reuse] [--brands 2]
                                     [--checks 1000] [--templated 0.05] [--workers N] [--seed 7]
                                     [--pairs-only] [--json PATH] [--profile PATH]

1. Accuracy. bench/dedupe_pairs.py makes 3,000 positive and 3,000 negative pairs (fixed
   seed; the kinds are described there). Both sides get `signature()`; a pair is grouped
   when they share as many band keys as `find_duplicate` asks for and `compare()` reaches
   `confirm_score` (DedupeConfig defaults): the rules find_duplicate applies to each
   candidate, without the database. Printed: precision, recall, F1, and per kind how
   many were grouped, how many were LSH candidates and which rule kept the rest apart.
2. Scale. A fresh database (a temporary SQLite file by default; a PostgreSQL URL is used
   as given: its schema `public` is DROPPED and recreated, and a database named "test"
   is refused; an SQLite URL names a file that is made afresh and kept). With `--reuse`
   a database at the current schema that already holds `--stored` mentions is checked
   as it is. The fill: `--brands` brands and `--stored` mentions, each in its own case;
   ids grow with time, as stored mentions do, the cases' last activity spread evenly
   over the last 365 days (so ~16% are inside the 60-day window). Texts:
   dedupe_pairs.Filler (varied, ~270 characters) and a `--templated` share filled from
   the complaint templates (boilerplate: it crowds band keys); languages ru 45%, en 15%,
   de/uk/hy/be 10% each. `--workers` processes each make a chunk of 5,000 mentions with
   `signature()` and, on PostgreSQL, COPY it in over their own connection (mention_band
   as one block of text); on SQLite the main process inserts the chunks. The keys and
   indexes of mention_band and mention_signature are set aside during the load and put
   back after it (the foreign keys validated in one pass), then VACUUM ANALYZE.
   A new process (so its memory is its own) then checks `--checks` new mentions, one
   transaction each, as ingest does: `signature()`, then `find_duplicate()`, timed from
   an open transaction (ingest has stored the mention in it already). Mix: 50% edited
   re-posts of a stored mention whose case is in the window (a random edit from
   dedupe_pairs.EDITS), 30% new varied complaints, 20% new templated ones. Printed:
   median / p99 / max of signature, lookup and the whole check, wall and the checking
   process's CPU; how many re-posts found their case and how many new complaints joined
   one; the checking process's RSS before the checks and at its peak (VmHWM); the sizes
   of the database, mention_band and mention_signature. `--profile` writes a
   pyinstrument profile of the timed checks.
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

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dedupe_pairs import EDITS, Filler, Post, labelled_pairs, templated
from monitor.cases.dedupe import BANDS, compare, find_duplicate, min_shared_bands, signature, stored_marks
from monitor.config import DedupeConfig
from monitor.core.db import describe_url, head_revision, make_engine, make_session_factory, session_scope
from monitor.models import Brand, Case, Mention, MentionBand, MentionSignature, Source

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LANGUAGES = {"ru": 45, "en": 15, "de": 10, "uk": 10, "hy": 10, "be": 10}
CHUNK = 5_000
VETOES = ("short", "marks", "replaced")  # compare()'s names for the rules that keep texts apart
_filler: Filler | None = None
_copy_url: str | None = None  # a worker's PostgreSQL URL when it writes its rows itself


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
    """A fresh, migrated database (bench.poll.prepare_database: it refuses the test suite's); an
    SQLite file named by the URL is made afresh and kept, for --reuse."""
    from bench import poll  # here, not at the top: the checking process need not load an HTTP bench

    if url is not None and url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for old in path.parent.glob(path.name + "*"):
            old.unlink()
    return poll.prepare_database(url, workdir)


def _start_worker(url: str) -> None:
    global _filler, _copy_url
    _filler = Filler()
    if url.startswith("postgresql"):  # libpq's form of the URL: no "+psycopg"
        _copy_url = sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _make_chunk(job: tuple[int, int, int, int, float, int]) -> int | list[tuple]:
    """Mentions [start, start + count), each with its case, bands and prepared text. On PostgreSQL
    the worker COPYs them in itself (its own connection: the writes run in parallel too) and
    returns the count; on SQLite it returns the rows for the one writer."""
    start, count, stored, brands, templated_share, seed = job
    assert _filler is not None
    rnd = random.Random(seed * 1_000_003 + start)
    rows = []
    for mention_id in range(start + 1, start + count + 1):
        language = rnd.choices(list(LANGUAGES), weights=list(LANGUAGES.values()))[0]
        post = templated(rnd, language) if rnd.random() < templated_share else _filler.complaint(rnd, language)
        brand_id = mention_id % brands + 1
        # Ids grow with time, as mentions are stored: the newest rows of a band are the recent posts.
        at = NOW - timedelta(days=365 * (1 - mention_id / stored), seconds=rnd.uniform(0, 60))
        rows.append((mention_id, brand_id, language, post, at, signature(post.title, post.body, brand_id=brand_id)))
    if _copy_url is None:
        return rows
    with psycopg.connect(_copy_url) as conn, conn.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")  # a bench load: a crash just means filling again
        _copy(cursor, rows)
    return len(rows)


def _tables(rows: list[tuple]) -> list[tuple[str, list[str], Any]]:
    """(table, columns, rows) for cases, mention, mention_signature; mention_band apart (it is large)."""
    cases = [(i, b, "new", lang, at, at, at, 1) for i, b, lang, _, at, _ in rows]
    mentions = [
        (i, b, f"id:{i}", p.title, p.body, at, at, at, f"{i:064x}", 1, b, "[]", i, "opened", lang, at)
        for i, b, lang, p, at, _ in rows
    ]
    prepared = [(i, f"{i:064x}", sig.text, stored_marks(sig.marks)) for i, *_, sig in rows if sig.band_keys]
    case_cols = ["id", "brand_id", "status", "language", "opened_at", "updated_at", "last_mention_at", "mention_count"]
    mention_cols = ["id", "source_id", "dedup_key", "title", "body", "first_seen_at", "last_seen_at", "revised_at",
                    "content_hash", "revision", "brand_id", "replies", "case_id", "case_method", "language",
                    "processed_at"]  # fmt: skip
    return [("cases", case_cols, cases), ("mention", mention_cols, mentions),
            ("mention_signature", ["mention_id", "content_hash", "text", "marks"], prepared)]  # fmt: skip


def _copy(cursor: psycopg.Cursor, rows: list[tuple]) -> None:
    for table, cols, data in _tables(rows):
        with cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
    # 32 integer pairs a mention: formatted as COPY text in one go, not row by row.
    with cursor.copy("COPY mention_band (band_key, mention_id) FROM STDIN") as copy:
        copy.write("".join(f"{key}\t{i}\n" for i, *_, sig in rows for key in sig.band_keys))


def _insert(conn: sa.Connection, rows: list[tuple]) -> None:
    for table, cols, data in _tables(rows):
        model = {"cases": Case, "mention": Mention, "mention_signature": MentionSignature}[table].__table__
        if data:
            conn.execute(model.insert(), [dict(zip(cols, row, strict=True)) for row in data])
    bands = sorted((key, i) for i, *_, sig in rows for key in sig.band_keys)  # in key order: a B-tree append
    conn.execute(MentionBand.__table__.insert(), [{"band_key": k, "mention_id": i} for k, i in bands])


def _set_aside_keys(conn: sa.Connection, tables: tuple[str, ...]) -> list[str]:
    """PostgreSQL: drop the constraints and indexes of `tables` (nothing references them) and return
    the statements that put them back. Bulk load, then index, as any large import is done: rows
    checked and indexed one by one cost several times the load. The schema ends up as migrated."""
    restore, drops = [], []
    for table in tables:
        for name, definition, kind in conn.execute(sa.text(
            "SELECT conname, pg_get_constraintdef(oid), contype FROM pg_constraint"
            " WHERE conrelid = CAST(:t AS regclass) ORDER BY contype = 'f'"  # primary key before foreign keys
        ), {"t": table}):  # fmt: skip
            restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            drops.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            if kind == "f":  # the foreign key is validated in one join, not row by row
                restore[-1] += " NOT VALID"
                restore.append(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"')
        for name, definition in conn.execute(sa.text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = :t AND NOT EXISTS"
            " (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ), {"t": table}):  # fmt: skip
            restore.append(definition)
            drops.append(f'DROP INDEX "{name}"')
    for statement in reversed(drops):  # foreign keys first
        conn.execute(sa.text(statement))
    return restore


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
        restore = _set_aside_keys(conn, ("mention_band", "mention_signature")) if postgres else []
    jobs = [
        (s, min(CHUNK, args.stored - s), args.stored, args.brands, args.templated, args.seed)
        for s in range(0, args.stored, CHUNK)
    ]
    started, cpu = time.perf_counter(), _children_cpu()
    done = 0
    with mp.get_context("spawn").Pool(args.workers, initializer=_start_worker, initargs=(url,)) as pool:
        for n, result in enumerate(pool.imap_unordered(_make_chunk, jobs), 1):
            if isinstance(result, list):
                with engine.begin() as conn:
                    _insert(conn, result)
            done += result if isinstance(result, int) else len(result)
            if n % max(1, len(jobs) // 20) == 0 or n == len(jobs):
                print(f"  filled {done:>9,} mentions  {time.perf_counter() - started:6.0f} s  "
                      f"(load average {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
    loaded = time.perf_counter()
    with engine.begin() as conn:
        if postgres:
            conn.execute(sa.text("SET maintenance_work_mem = '512MB'"))  # index builds sort in memory
            for statement in restore:
                conn.execute(sa.text(statement))
            for table in ("cases", "mention"):
                conn.execute(sa.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    indexed = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if postgres else "ANALYZE"))
        figures = sizes(conn, url)
    engine.dispose()
    return {"fill_s": round(time.perf_counter() - started), "load_s": round(loaded - started),
            "index_s": round(indexed - loaded), "workers_cpu_s": round(_children_cpu() - cpu),
            "load_average": os.getloadavg()[0], **figures}  # fmt: skip


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sizes(conn: sa.Connection, url: str) -> dict[str, Any]:
    """Rows of mention_band and mention_signature, the size of each (table with its indexes), and the database's."""
    out: dict[str, Any] = {}
    for table in ("mention_band", "mention_signature"):
        out[f"{table}_rows"] = conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))
    if conn.dialect.name == "postgresql":
        out["db_bytes"] = conn.scalar(sa.text("SELECT pg_database_size(current_database())"))
        for table in ("mention_band", "mention_signature"):
            out[f"{table}_bytes"] = conn.scalar(
                sa.text("SELECT pg_total_relation_size(CAST(:t AS regclass))"), {"t": table}
            )
        return out
    path = Path(url.removeprefix("sqlite:///"))
    out["db_bytes"] = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # with -wal
    for table in ("mention_band", "mention_signature"):
        try:  # dbstat is compiled into most SQLite builds, not all
            out[f"{table}_bytes"] = conn.scalar(
                sa.text(
                    "SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = :t)"
                ),
                {"t": table},
            )
        except sa.exc.OperationalError:
            out[f"{table}_bytes"] = None
    return out


def run_checks(url: str, checks: int, seed: int, brands: int, profile: Path | None = None) -> dict[str, Any]:
    """In its own process: `checks` new mentions through signature() + find_duplicate(); with
    `profile`, pyinstrument's text profile of the timed checks is written there."""
    rnd = random.Random(seed)
    filler, settings = Filler(seed=seed + 1), DedupeConfig()
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        len_stored = session.scalar(sa.select(sa.func.count()).select_from(Mention.__table__))
        recent = session.scalars(
            sa.select(Mention.id)
            .join(Case, Case.id == Mention.case_id)
            .where(Case.last_mention_at >= NOW - timedelta(days=50))
            .order_by(Mention.id)  # the same seed picks the same mentions
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
        work.append((kind, rnd.randint(1, brands), post, None))
    rnd.shuffle(work)
    times: dict[str, list[float]] = {"signature": [], "lookup": [], "check": [], "check CPU": []}
    outcome: collections.Counter[str] = collections.Counter()
    profiler, rss_at_start = None, _own_rss_mb("VmRSS:")  # before: imports, the test data, the connection
    for i, (kind, brand_id, post, expected) in enumerate(work[:20] + work):  # the first 20 warm up, untimed
        if i == 20 and profile is not None:
            from pyinstrument import Profiler  # a bench extra; only imported when asked for

            profiler = Profiler(interval=0.0005)
            profiler.start()
        with session_scope(sessions) as session:
            # Ingest checks inside a transaction that has already stored the mention: the connection
            # checkout (with its pre-ping) and BEGIN are not the check's.
            session.connection()
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
    if profiler is not None and profile is not None:
        profiler.stop()
        profile.write_text(profiler.output_text(unicode=True, show_all=False))
    engine.dispose()
    stats = {name: _summary(values) for name, values in times.items()}
    load = os.getloadavg()[0]  # other work on the machine shows in the times
    rss = _own_rss_mb("VmHWM:")
    return {"stored": len_stored, "times_ms": stats, "outcome": dict(outcome), "rss_mb": rss,
            "rss_before_checks_mb": rss_at_start, "load": load}  # fmt: skip


def _summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    p99 = values[min(len(values) - 1, math.ceil(0.99 * len(values)) - 1)]
    return {"median": round(statistics.median(values), 2), "p99": round(p99, 2), "max": round(values[-1], 2)}


def _own_rss_mb(field: str) -> float:
    """This process's own RSS now (VmRSS) or at its peak (VmHWM). ru_maxrss of a spawned child starts
    at its parent's size at fork time: Linux keeps the old high-water mark across exec."""
    try:
        status = Path("/proc/self/status").read_text()
        return round(int(next(line for line in status.splitlines() if line.startswith(field)).split()[1]) / 1024, 1)
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
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of the checks here")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"accuracy": accuracy(args.seed)}
    if not args.pairs_only:
        with tempfile.TemporaryDirectory(prefix="dedupe-bench-") as tmp:
            url = args.database
            if not (args.reuse and url and _filled(url) >= args.stored):
                url = prepare_database(url, Path(tmp))
                print(f"\nfilling {describe_url(url)}: {args.stored:,} mentions, {args.brands} brands, "
                      f"{args.templated:.0%} templated, {args.workers} workers")  # fmt: skip
                report["fill"] = fill(url, args)
                report["fill"]["rss_mb"] = _rss_mb(resource.RUSAGE_SELF)
            with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
                checking = pool.submit(run_checks, url, args.checks, args.seed, args.brands, args.profile)
                report["checks"] = checking.result()
            if "fill" not in report:  # reused: its sizes as they are now
                engine = make_engine(url, poolclass=sa.pool.NullPool)
                with engine.connect() as conn:
                    report["sizes"] = sizes(conn, url)
                engine.dispose()
        _print(report, args)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))


def _filled(url: str) -> int:
    """Mentions stored in a database at the current schema (0 when it is older: it is filled again)."""
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if conn.scalar(sa.text("SELECT version_num FROM alembic_version")) != head_revision():
                return 0
            return conn.scalar(sa.select(sa.func.count()).select_from(Mention.__table__)) or 0
    except sa.exc.DBAPIError:
        return 0
    finally:
        engine.dispose()


def _print(report: dict[str, Any], args: argparse.Namespace) -> None:
    if f := report.get("fill"):
        print(f"  filled in {f['fill_s']} s: rows in {f['load_s']} s, keys and indexes {f['index_s']} s; workers' CPU "
              f"{f['workers_cpu_s']} s; load average {f['load_average']:.1f}; peak RSS of the filling process "
              f"{f['rss_mb']} MB")  # fmt: skip
    if f := report.get("fill") or report.get("sizes"):
        mb = {k: f"{v / 1e6:,.0f} MB" if v is not None else "?" for k, v in f.items() if k.endswith("_bytes")}
        print(f"  database {mb['db_bytes']}; mention_band {f['mention_band_rows']:,} rows, {mb['mention_band_bytes']} "
              f"with its indexes; mention_signature {f['mention_signature_rows']:,} rows, "
              f"{mb['mention_signature_bytes']}")  # fmt: skip
    c = report["checks"]
    print(f"\n{args.checks} checks against {c['stored']:,} stored mentions (checking process: RSS "
          f"{c['rss_before_checks_mb']} MB before the checks, peak {c['rss_mb']} MB; load average {c['load']:.1f} "
          f"on {os.cpu_count()} CPUs):")  # fmt: skip
    for name, s in c["times_ms"].items():
        print(f"  {name:24} median {s['median']:7.2f} ms   p99 {s['p99']:7.2f} ms   max {s['max']:7.2f} ms")
    for name, n in sorted(c["outcome"].items()):
        print(f"  {name:28} {n}")


if __name__ == "__main__":
    main()
