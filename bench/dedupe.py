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
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dedupe_fill import LANGUAGES, NOW, fill, filled, prepare_database, sizes
from bench.dedupe_pairs import EDITS, Filler, Post, labelled_pairs, templated
from bench.dedupe_real import real_accuracy
from monitor.cases.dedupe import BANDS, compare, find_duplicate, min_shared_bands, signature
from monitor.cases.dedupe_evidence import PostFacts, Rarity, judge
from monitor.config import DedupeConfig
from monitor.core.db import describe_url, make_engine, make_session_factory, session_scope
from monitor.models import Case, Mention

VETOES = ("short", "marks", "replaced")  # compare()'s names for the rules that keep texts apart


def accuracy(seed: int) -> dict[str, Any]:
    """The labelled pairs, judged by the rules of today (`judge`: no authors are known, word rarity
    measured over all the pairs' texts as one brand's stream) and, for comparison, by the text score
    alone as grouping used it before issue 17 (`compare` >= confirm_score: "before")."""
    settings = DedupeConfig()
    need = min_shared_bands(settings)
    pairs = labelled_pairs(seed=seed)
    sigs = [(signature(p.a.title, p.a.body, brand_id=1), signature(p.b.title, p.b.body, brand_id=1)) for p in pairs]
    rarity = Rarity(t.text for a, b in sigs for t in (a, b))
    kinds: dict[tuple[bool, str], collections.Counter[str]] = collections.defaultdict(collections.Counter)
    counts = {"now": [0, 0, 0], "before": [0, 0, 0]}  # tp, fp, fn
    for pair, (a, b) in zip(pairs, sigs, strict=True):
        candidate = len(set(a.band_keys) & set(b.band_keys)) >= need
        verdict = judge(a.text, a.marks, PostFacts(), b.text, b.marks, PostFacts(), rarity=rarity,
                        confirm_score=settings.confirm_score)  # fmt: skip
        grouped = candidate and verdict.join
        before = candidate and compare(a, b)[0] >= settings.confirm_score
        row = kinds[(pair.same, pair.kind)]
        row.update(pairs=1, grouped=grouped, before=before, candidates=candidate)
        if not grouped:
            why = "no shared band" if not candidate else "short" if "short" in verdict.reasons else verdict.method
            row[
                why
                if why in (*VETOES, "short", "no shared band")
                else "not distinctive"
                if verdict.score >= settings.confirm_score
                else "score below"
            ] += 1
        for name, got in (("now", grouped), ("before", before)):
            c = counts[name]
            c[0], c[1], c[2] = (
                c[0] + (got and pair.same),
                c[1] + (got and not pair.same),
                c[2] + (pair.same and not got),
            )
    result: dict[str, Any] = {"kinds": {f"{'pos' if s else 'neg'}:{k}": dict(r) for (s, k), r in kinds.items()}}
    print(f"labelled pairs: {len(pairs)}  (confirm_score {settings.confirm_score}, "
          f"candidate_threshold {settings.candidate_threshold} → ≥{need} of {BANDS} bands)")  # fmt: skip
    for name in ("before", "now"):
        tp, fp, fn = counts[name]
        precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        print(f"  {name:6} precision {precision:.4f}  recall {recall:.4f}  F1 {f1:.4f}")
        result[name] = {"precision": precision, "recall": recall}
    result.update(result["now"])
    print(f"  {'same':5} {'kind':18} {'pairs':>5} {'now':>5} {'before':>6} {'LSH':>5}  kept apart now by")
    for (same, kind), row in sorted(kinds.items()):
        why = ", ".join(
            f"{k} {v}" for k, v in row.items() if k not in ("pairs", "grouped", "before", "candidates") and v
        )
        print(
            f"  {same!s:5} {kind:18} {row['pairs']:5} {row['grouped']:5} {row['before']:6} {row['candidates']:5}  {why}"
        )
    return result


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
    report: dict[str, Any] = {"accuracy": accuracy(args.seed), "real": real_accuracy(args.seed)}
    if not args.pairs_only:
        with tempfile.TemporaryDirectory(prefix="dedupe-bench-") as tmp:
            url = args.database
            if not (args.reuse and url and filled(url) >= args.stored):
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
