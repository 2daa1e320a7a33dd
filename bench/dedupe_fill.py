"""The scale test's database for bench/dedupe.py: `--stored` filler complaints with their dedupe
signatures and bands, bulk-loaded by worker processes (COPY on PostgreSQL, executemany on SQLite)
with the band table's keys set aside while it loads and rebuilt after, as the migrations leave them."""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.dedupe_pairs import Filler, templated
from monitor.cases.dedupe import signature, stored_marks
from monitor.core.db import make_engine
from monitor.core.revisions import head_revision
from monitor.models import Brand, Case, Mention, MentionBand, MentionSignature, Source

__all__ = ["LANGUAGES", "NOW", "fill", "filled", "prepare_database", "sizes"]

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LANGUAGES = {"ru": 45, "en": 15, "de": 10, "uk": 10, "hy": 10, "be": 10}
CHUNK = 5_000
_filler: Filler | None = None
_copy_url: str | None = None  # a worker's PostgreSQL URL when it writes its rows itself


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


def filled(url: str) -> int:
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
