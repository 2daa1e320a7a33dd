"""Benchmark: the coverage report over 90 days with 500 sources and 200,000 cases (target: under 5 s).

    .venv/bin/python bench/report.py                       # SQLite, a temporary file
    .venv/bin/python bench/report.py --database postgresql+psycopg://postgres@127.0.0.1:5432/replywatch_bench

The history is built with bulk inserts on a schema made by the migrations: 500 sources polled
every 15 minutes for 90 days (4.3 million polls; 2% of the sources lose a day, 1% of polls fail),
and 200,000 cases with one mention each, two thirds answered. Then the report is computed three
times for the whole period and all brands (the median is printed), once per format, and once for
one brand.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import prepare_database
from monitor.core.db import make_engine, make_session_factory
from monitor.models import Brand, Case, Mention, Poll, PollDay, Source
from monitor.reports.coverage import roll_up
from monitor.reports.render import render
from monitor.reports.report import coverage_report

END = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 90
START = END - timedelta(days=DAYS)
BRANDS = ("acme", "lastochka", "nord")


def fill(url: str, sources: int, cases: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    engine = make_engine(url)
    t0 = time.perf_counter()
    # The models' tables, not reflected ones: their column types store UTC and JSON as the app reads them.
    brand, source, poll, mention, case = (m.__table__ for m in (Brand, Source, Poll, Mention, Case))
    created = START - timedelta(days=30)
    with engine.begin() as conn:
        conn.execute(brand.insert(), [{"key": k, "name": k.title(), "names": [], "domains": [], "language": "ru",
                                       "timezone": "Europe/Moscow", "created_at": created, "updated_at": created}
                                      for k in BRANDS])  # fmt: skip
        brand_ids = dict(conn.execute(sa.select(brand.c.key, brand.c.id)).all())
        conn.execute(source.insert(), [{
            "key": f"s{i:03d}", "kind": "feed", "url": f"https://s{i}.example/f", "brand_key": BRANDS[i % 3],
            "weight": 1, "interval_seconds": 900, "active": True, "next_poll_at": END, "health": "ok",
            "error_count": 0, "created_at": created, "updated_at": created,
        } for i in range(sources)])  # fmt: skip
        source_ids = list(conn.scalars(sa.select(source.c.id).order_by(source.c.id)))
    polls_total = 0
    step = timedelta(minutes=15)
    slots = int(DAYS * 86400 / 900)
    for sid in source_ids:
        lost_day = rng.randrange(DAYS) if rng.random() < 0.02 else None
        rows = []
        previous = None
        for k in range(slots):
            at = START + step * k + timedelta(seconds=rng.randrange(60))
            if lost_day is not None and (at - START).days == lost_day:
                continue
            failed = rng.random() < 0.01
            gap = (at - previous).total_seconds() if previous and not failed else None
            previous = at if not failed else previous
            rows.append({"gap_seconds": gap, "source_id": sid, "started_at": at, "finished_at": at + timedelta(seconds=1),
                         "outcome": "error" if failed else rng.choice(("ok", "not_modified")),
                         "error_class": "timeout" if failed else None, "pages": 1, "bytes_read": 0, "items_seen": 0,
                         "items_new": 0, "items_updated": 0, "items_skipped": 0, "warnings": []})  # fmt: skip
        _insert_polls(engine, poll, rows)
        polls_total += len(rows)
    t_polls = time.perf_counter() - t0
    statuses = ("new", "acknowledged", "in_progress", "resolved", "closed")
    batch = 20_000
    for lo in range(0, cases, batch):
        case_rows, mention_rows = [], []
        for i in range(lo, min(lo + batch, cases)):
            opened = START + timedelta(seconds=rng.randrange(DAYS * 86400))
            replied = opened + timedelta(minutes=rng.randrange(10, 3000)) if rng.random() < 0.67 else None
            due = opened + timedelta(hours=4)
            state = ("met" if replied <= due else "missed") if replied else ("breached" if due < END else "running")
            case_rows.append({
                "id": i + 1, "brand_id": brand_ids[BRANDS[i % 3]], "status": rng.choice(statuses), "title": f"case {i}",
                "language": rng.choice(("ru", "de", "en", "uk", "be", "hy")), "opened_at": opened, "updated_at": opened,
                "last_mention_at": opened, "mention_count": 1, "category": rng.choice(("delivery", "defect", "other")),
                "priority": "normal", "priority_reasons": [], "priority_by": "triage",
                "assignee": rng.choice((None, "anna", "ivan", "lena")), "response_due_at": due,
                "response_risk_at": opened + timedelta(hours=3), "response_sla": state, "first_reply_at": replied,
                "resolution_due_at": opened + timedelta(days=3), "resolution_risk_at": opened + timedelta(days=2),
                "resolution_sla": "running", "search_text": "",
            })  # fmt: skip
            mention_rows.append({
                "source_id": source_ids[i % len(source_ids)], "dedup_key": f"id:{i}", "external_id": str(i),
                "title": f"case {i}", "body": "text", "content_hash": f"{i:064d}", "first_seen_at": opened,
                "last_seen_at": opened, "revised_at": opened, "revision": 1, "replies": [], "brand_id": brand_ids[BRANDS[i % 3]], "case_id": i + 1,
            })  # fmt: skip
        with engine.begin() as conn:
            conn.execute(case.insert(), case_rows)
            conn.execute(mention.insert(), mention_rows)
    if url.startswith("postgresql"):
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
            conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    return {"polls": polls_total, "fill_polls_s": t_polls, "fill_total_s": time.perf_counter() - t0}


def _insert_polls(engine: sa.Engine, poll: sa.Table, rows: list[dict]) -> None:
    """PostgreSQL takes the rows by COPY (a minute for 4.3 million instead of ten); SQLite by executemany."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as conn:
            conn.execute(poll.insert(), rows)
        return
    columns = list(rows[0])
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(f"COPY poll ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c == "warnings" else row[c] for c in columns])
        raw.commit()
    finally:
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", help="PostgreSQL URL of a database to rebuild (its schema public is dropped)")
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="Skip the fill: time the report on --database as it is")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="replywatch-report-"))
    url = args.database or f"sqlite:///{tmp / 'report.db'}"
    if not (args.reuse and args.database):
        url = prepare_database(args.database, tmp)
        facts = fill(url, args.sources, args.cases, args.seed)
        print(f"filled {args.sources} sources, {facts['polls']:,} polls, {args.cases:,} cases in "
              f"{facts['fill_total_s']:.0f} s ({url.split('://')[0]})")  # fmt: skip
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with engine.begin() as conn:  # cold: as right after the upgrade, no day summed up yet
        conn.execute(sa.text("DELETE FROM poll_day"))
    with sessions() as session:
        t = time.perf_counter()
        coverage_report(session=session, period_from=START, period_to=END, now=END)
        session.commit()
        cold = time.perf_counter() - t
        days = session.scalar(sa.select(sa.func.count()).select_from(PollDay))
    print(f"report, all brands, {DAYS} days, cold (reads every poll, writes {days:,} day rows): {cold:.2f} s")
    times = []
    for _ in range(args.runs):
        with sessions() as session:
            t = time.perf_counter()
            report = coverage_report(session=session, period_from=START, period_to=END, now=END)
            times.append(time.perf_counter() - t)
    print(f"report, all brands, {DAYS} days, warm: median {statistics.median(times):.2f} s of {args.runs} "
          f"({', '.join(f'{x:.2f}' for x in times)}); coverage {report.coverage:.4f}, {report.overall.cases:,} cases, "
          f"{report.open_breach_count:,} open breaches")  # fmt: skip
    with sessions() as session:
        t = time.perf_counter()
        roll_up(session=session, now=END + timedelta(hours=1))
        session.rollback()
        print(f"the hourly roll-up job with nothing to do: {time.perf_counter() - t:.3f} s")
    for fmt in ("json", "csv", "md", "html"):
        t = time.perf_counter()
        text = render(report, fmt)
        print(f"  render {fmt}: {time.perf_counter() - t:.3f} s, {len(text) / 1024:.0f} KiB")
    with sessions() as session:
        t = time.perf_counter()
        coverage_report(session=session, period_from=START, period_to=END, now=END, brand="acme")
        print(f"report, one brand: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
