"""Customer-matching benchmark: precision and recall of automatic links, top-3 suggestions, speed.

    .venv/bin/python bench/match.py [--customers 1000000] [--mentions 5000] [--workers 2]
                                    [--database URL] [--seed 7] [--json PATH]
    .venv/bin/python bench/match.py --public [--sets febrl1,febrl4] [--json PATH]

`--public` matches the public sets with known truth instead (bench/match_public.py).

1. A register of `--customers` people (bench/people.py: six cultures, real and
   made-up family names drawn Zipf-like, households sharing a family name, city and
   sometimes a phone) is written as a CRM would: Russian-style "Family Given
   Patronymic" or "Given Family", 5% stored in Latin letters, 2% with a typo, some
   with a nickname or pet name as alias; e-mail, phone, orders and city often missing;
   phones in local formats ("8 (912) 345-67-89"). It is read with
   `read_register(default_region="RU")` and imported with `import_customers`
   (a commit per batch, as the CLI does) into a fresh database, timed.
2. `--mentions` complaints: 75% by customers, 25% by people not in the register
   (drawn from the same population, so some share a customer's name). Authors sign
   as in AUTHOR_FORMS; texts carry an order number (40% of customers' texts; 2% of
   those mistyped), a phone (15%), an e-mail (10%), the author's city (30%);
   non-customers' texts carry a number after «заказ» 5% of the time.
3. `find_candidates(limit=3)` runs for each mention in `--workers` processes (each its
   own connection), and CustomerLinkConfig's defaults decide: link the top candidate
   at probability ≥ 0.99, suggest ≥ 0.02. Reported: auto-link precision and recall, right customer
   in the top 3, non-customers left unlinked, per author form and per evidence;
   mentions/s; CPU per mention of each matching process and of its PostgreSQL backend
   (/proc/<pid>/stat), and the same per customer for the import; peak RSS of each
   matching process and of the import.
4. What any matcher could reach on this mix (bench/match_ceiling.py): for each
   customer's mention, how many register people fit what it shows, from the
   generator's knowledge of who wrote it; an upper bound on recall (one fits) and
   top-3 (min(1, 3/k)), and the figures again by how many people fit. The same count
   for each outsider's mention: one that fits exactly one register person shows a
   customer's name (and city, when named), and no matcher can tell it from that
   customer's own mention by what it shows.

The database is a temporary SQLite file by default. A PostgreSQL URL is used as
given: its schema `public` is DROPPED and recreated first, unless `--keep` names
figures kept by an earlier run, whose register is then matched again as it is.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.match_ceiling import ceiling
from bench.match_data import NOW, generate
from monitor.config import CustomerLinkConfig
from monitor.core.db import make_engine, make_session_factory, session_scope
from monitor.core.revisions import upgrade
from monitor.models import Brand, Customer


def run_import(url: str, path: str, queue: Any) -> None:
    from monitor.customers.register import import_batches, vacuum_register
    from monitor.customers.register_file import read_register

    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        brand = Brand(key="acme", name="Acme", created_at=NOW, updated_at=NOW)
        session.add(brand)
        session.flush()
        brand_id = brand.id
    started, cpu = time.perf_counter(), time.process_time()
    data = Path(path).read_bytes()
    with factory() as session:
        backend = None
        if session.connection().dialect.name == "postgresql":
            backend = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        server = server_cpu(backend)
        rows = read_register(data, filename=path, default_region="RU")
        report = None
        for batch in import_batches(session=session, brand_id=brand_id, rows=rows, now=NOW, default_region="RU"):
            session.commit()
            report = batch
        after = server_cpu(backend)
        vacuum_register(engine, report)  # as the CLI does after its last commit (another connection)
        # The session keeps one pooled connection across its commits; if it ever changed, the
        # server's figure would be of another backend, so it is left out.
        if (
            backend is not None
            and session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != backend
        ):
            after = None
    seconds = time.perf_counter() - started
    assert report is not None
    queue.put({"seconds": seconds, "read": report.read, "created": report.created, "errors": len(report.errors),
               "first_errors": [str(e) for e in report.errors[:5]], "brand_id": brand_id,
               "cpu_seconds": time.process_time() - cpu, "rss_mb": peak_rss_mb(),
               "server_cpu_seconds": after - server if after is not None and server is not None else None})  # fmt: skip


def run_matching(url: str, brand_id: int, index: int, items: list[dict[str, Any]], queue: Any) -> None:
    from monitor.customers.candidates import find_candidates

    engine = make_engine(url)
    factory = make_session_factory(engine)
    results = []
    with factory() as session:
        find_candidates(session=session, brand_id=brand_id, texts=["warm up"], authors=["Иван Петров"],
                        order_pattern=None, default_region="RU", limit=3)  # fmt: skip
        backend = None
        if session.connection().dialect.name == "postgresql":
            backend = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        server = server_cpu(backend)
        started, cpu = time.perf_counter(), time.process_time()
        for item in items:
            found = find_candidates(session=session, brand_id=brand_id, texts=[item["text"]], authors=[item["author"]],
                                    order_pattern=None, default_region="RU", limit=3)  # fmt: skip
            results.append([(c.customer_id, c.score, c.reasons) for c in found])
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = server_cpu(backend)
    rss = peak_rss_mb()
    queue.put({"index": index, "results": results, "seconds": seconds, "cpu_seconds": cpu, "rss_mb": rss,
               "server_cpu_seconds": after - server if after is not None and server is not None else None})  # fmt: skip


def run_em(url: str, brand_id: int, items: list[dict[str, Any]], ids: dict[int, str], queue: Any) -> None:
    """The mix scored with m estimated by EM over its own mentions (no labels), as the worker trains a register."""
    from monitor.customers.candidates import compare_case, probabilities
    from monitor.customers.training import estimate

    engine = make_engine(url)
    compared = []
    with make_session_factory(engine)() as session:
        for item in items:
            found, freq = compare_case(session=session, brand_id=brand_id, texts=[item["text"]],
                                       authors=[item["author"]], order_pattern=None, default_region="RU")  # fmt: skip
            compared.append(found)
    engine.dispose()
    trained = estimate(compared, freq.customers)
    results = [[(c.customer_id, c.score, c.reasons) for c in probabilities(found, freq, trained.model)[:3]]
               for found in compared]  # fmt: skip
    settings = CustomerLinkConfig()
    figures = evaluate(items, results, ids, settings.link_at, settings.suggest_at)
    queue.put({"model": {k: round(v, 4) for k, v in trained.model.items()}, "iterations": trained.iterations,
               "table": figures["table"], "sweep": sweep(items, results, ids)})  # fmt: skip


def server_cpu(backend: int | None) -> float | None:
    """CPU seconds used so far by a PostgreSQL backend on this machine (/proc), None when it cannot be read.

    The database's own work is part of the cost of a lookup: on two cores the client and
    the server share them, so both are reported.
    """
    try:
        fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def peak_rss_mb() -> float:
    """This process's peak resident memory. Not ru_maxrss: Linux carries that over from the
    parent through fork and exec, so a spawned worker would report the generator's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_process(target: Any, *args: Any) -> Any:
    ctx = mp.get_context("spawn")  # fresh interpreters: their RSS is theirs, not the generator's
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def evaluate(items: list[dict[str, Any]], results: list[list[tuple[int, float, tuple]]], ids: dict[int, str],
             link_at: float, suggest_at: float) -> dict[str, Any]:  # fmt: skip
    stats: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    wrong_links, misses = [], []
    for item, found in zip(items, results, strict=True):
        shown = [(ids[cid], score, reasons) for cid, score, reasons in found if score >= suggest_at][:3]
        linked = shown[0][0] if shown and shown[0][1] >= link_at else None
        groups = ["all", "form: " + item["form"], "evidence: " + (", ".join(item["tags"]) or "name only")]
        if item.get("fits") is not None:  # how many register people fit the mention (bench/match_ceiling.py)
            k = item["fits"]
            groups.append(
                "people who fit: "
                + ("none" if k == 0 else "1" if k == 1 else "2-3" if k <= 3 else "4-100" if k <= 100 else "over 100")
            )
        for g in groups:
            s = stats[g]
            if item["truth"] is None:
                s["outsiders"] += 1
                s["outsiders unlinked"] += linked is None
            else:
                s["customers"] += 1
                s["top3"] += any(ext == item["truth"] for ext, _, _ in shown)
            s["links"] += linked is not None
            s["right links"] += linked is not None and linked == item["truth"]
        in_top3 = any(ext == item["truth"] for ext, _, _ in shown)
        if item["truth"] and (not in_top3 or (item["tags"] and linked != item["truth"])):
            misses.append({"author": item["author"], "truth": item["truth"], "form": item["form"], "tags": item["tags"],
                           "found": [(ext, score, list(reasons)) for ext, score, reasons in shown]})  # fmt: skip
        if linked is not None and linked != item["truth"] and len(wrong_links) < 15:
            wrong_links.append({"author": item["author"], "truth": item["truth"], "linked": linked,
                                "reasons": list(shown[0][2]), "tags": item["tags"]})  # fmt: skip
    table = {}
    for g, s in stats.items():
        table[g] = {
            "mentions": s["customers"] + s["outsiders"],
            "link precision": s["right links"] / s["links"] if s["links"] else None,
            "link recall": s["right links"] / s["customers"] if s["customers"] else None,
            "top-3": s["top3"] / s["customers"] if s["customers"] else None,
            "outsiders unlinked": s["outsiders unlinked"] / s["outsiders"] if s["outsiders"] else None,
        }
    # A customer who signs with an unrelated nickname or a first name only, and whose text
    # holds no identifier, cannot be found by anyone: this share bounds recall and top-3.
    blind = sum(1 for it in items if it["truth"] and it["form"] in ("nickname", "first name only")
                and not set(it["tags"]) - {"order mistyped"})  # fmt: skip
    customers = sum(1 for it in items if it["truth"])
    return {"table": table, "wrong_links": wrong_links, "misses": misses,
            "unfindable": blind / customers if customers else None, "ceiling": ceiling(items)}  # fmt: skip


def sweep(items: list[dict[str, Any]], results: list, ids: dict[int, str]) -> list[dict[str, Any]]:
    out = []
    for link_at in (0.9, 0.95, 0.97, 0.99, 0.995, 0.999):
        row = evaluate(items, results, ids, link_at, CustomerLinkConfig().suggest_at)["table"]["all"]
        out.append({"link_at": link_at, **{k: row[k] for k in ("link precision", "link recall", "outsiders unlinked")}})
    return out


def fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--mentions", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", default=None)
    parser.add_argument(
        "--public",
        action="store_true",
        help="match the public sets with known truth (FEBRL 1-4, bench/match_public.py) instead",
    )
    parser.add_argument(
        "--em",
        action="store_true",
        help="also score the mix with m estimated by EM over its own mentions (what the worker's training does)",
    )
    parser.add_argument("--sets", default=None, help="with --public: which sets, comma-separated (default all)")
    parser.add_argument(
        "--keep",
        default=None,
        help="SQLite file to keep the register in (with --database: a path "
        "for the mentions and import figures), reused when it exists",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="replywatch-match-"))
    if args.public:
        from bench.match_public import PUBLIC_SETS, run_public

        try:
            sets = tuple(args.sets.split(",")) if args.sets else tuple(PUBLIC_SETS)
            print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
            public = run_public(args.seed, str(tmp), sets)
            print(f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
            if args.json:
                Path(args.json).write_text(json.dumps(public, ensure_ascii=False, indent=1))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    try:
        db_path = Path(args.keep) if args.keep else tmp / "match.db"
        url = args.database or f"sqlite:///{db_path}"
        # With --database, --keep names where the mentions and import figures are kept: the
        # register stays in that database, and a later run with the same --keep reuses it.
        if args.keep and args.json and Path(args.json).resolve() == db_path.with_suffix(".json").resolve():
            parser.error(f"--json {args.json} is where --keep keeps the import figures: name another file")
        reuse = args.keep is not None and (db_path.with_suffix(".json").exists() if args.database else db_path.exists())
        saved = db_path.with_suffix(".mentions.json")
        started = time.perf_counter()
        if reuse and saved.exists():  # the same --customers, --mentions and --seed, generated before
            register, items = b"", json.loads(saved.read_text())
        else:
            register, items, extra = generate(args.customers, args.mentions, args.seed)
            print(f"generated {args.customers} customers ({extra['households']} households), {len(items)} mentions "
                  f"in {time.perf_counter() - started:.1f} s; register file {len(register) / 1e6:.1f} MB")  # fmt: skip
            if args.keep:
                saved.write_text(json.dumps(items, ensure_ascii=False))
        if args.database and not reuse:
            engine = make_engine(url)
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            engine.dispose()
        if reuse:
            imported = json.loads(db_path.with_suffix(".json").read_text())
        else:
            upgrade(url)
            path = tmp / "register.csv"
            path.write_bytes(register)
            imported = in_process(run_import, url, str(path))
            if args.keep:
                db_path.with_suffix(".json").write_text(json.dumps(imported))
        del register
        print(f"imported {imported['created']} customers ({imported['errors']} rows refused) in {imported['seconds']:.1f} s "
              f"({imported.get('cpu_seconds', float('nan')):.0f} s CPU), "
              f"peak RSS {imported['rss_mb']:.0f} MB; {imported['first_errors']}")  # fmt: skip
        engine = make_engine(url)
        with engine.connect() as conn:
            ids = dict(conn.execute(sa.select(Customer.id, Customer.external_id)).all())
            keys = conn.execute(sa.text("SELECT count(*) FROM customer_key")).scalar_one()
        engine.dispose()
        db_mb = (
            sum(f.stat().st_size for f in db_path.parent.glob(db_path.name + "*")) / 1e6 if not args.database else None
        )

        # A register imported only in part (an import stopped and its figures kept by hand):
        # the authors it does not hold are people who are not customers, and count so.
        registered = set(ids.values())
        missing = [it for it in items if it["truth"] is not None and it["truth"] not in registered]
        for it in missing:
            it["truth"] = None
        if missing:
            print(f"{len(missing)} authors are not in the register as imported: counted as non-customers")

        chunks = [items[i :: args.workers] for i in range(args.workers)]
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=run_matching, args=(url, imported["brand_id"], i, chunk, queue))
            for i, chunk in enumerate(chunks)
        ]
        for proc in procs:
            proc.start()
        outs = [queue.get() for _ in procs]
        for proc in procs:
            proc.join()
        results: list[Any] = [None] * len(items)
        for out in outs:
            for j, r in enumerate(out["results"]):
                results[out["index"] + j * args.workers] = r
        wall = max(o["seconds"] for o in outs)
        rate = len(items) / wall
        settings = CustomerLinkConfig()
        figures = evaluate(items, results, ids, settings.link_at, settings.suggest_at)
        report = {
            "customers": args.customers, "mentions": len(items), "workers": args.workers, "database": "sqlite" if not args.database else "postgresql",
            "keys": keys, "keys per customer": keys / max(1, imported["created"]), "database MB": db_mb,
            "import seconds": imported["seconds"], "import CPU seconds": imported.get("cpu_seconds"),
            "import server CPU seconds": imported.get("server_cpu_seconds"), "import rows/s": imported["read"] / imported["seconds"], "import peak RSS MB": imported["rss_mb"],
            "mentions/s": rate, "per-process mentions/s": [len(o["results"]) / o["seconds"] for o in outs],
            "mentions per CPU second": [len(o["results"]) / o["cpu_seconds"] for o in outs],
            "server CPU ms per mention": [1000 * o["server_cpu_seconds"] / len(o["results"]) if o.get("server_cpu_seconds") is not None else None for o in outs],
            "client CPU ms per mention": [1000 * o["cpu_seconds"] / len(o["results"]) for o in outs],
            "load average": os.getloadavg(),
            "matching peak RSS MB": [o["rss_mb"] for o in outs], "link_at": settings.link_at, "suggest_at": settings.suggest_at,
            **figures, "sweep": sweep(items, results, ids),
        }  # fmt: skip
        if args.em:
            report["m by EM"] = in_process(run_em, url, imported["brand_id"], items, ids)
        print_report(report)
        if args.json:
            Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def print_report(r: dict[str, Any]) -> None:
    print(f"\nregister: {r['customers']} customers, {r['keys']} keys ({r['keys per customer']:.1f} per customer), "
          f"database {fmt(r['database MB'])} MB; import {r['import seconds']:.1f} s ({r['import rows/s']:.0f} rows/s), "
          f"peak RSS {r['import peak RSS MB']:.0f} MB")  # fmt: skip
    created = r["keys"] / r["keys per customer"] if r["keys per customer"] else 0
    server = r.get("import server CPU seconds")
    print(f"import CPU per customer: client {fmt(1000 * r['import CPU seconds'] / created if created and r['import CPU seconds'] is not None else None)} ms, "
          f"database server {fmt(1000 * server / created if created and server is not None else None)} ms")  # fmt: skip
    print(f"matching: {r['mentions/s']:.0f} mentions/s with {r['workers']} processes "
          f"(each {', '.join(f'{x:.0f}' for x in r['per-process mentions/s'])}/s wall, "
          f"{', '.join(f'{x:.0f}' for x in r['mentions per CPU second'])} per CPU second; "
          f"load average {', '.join(f'{x:.1f}' for x in r['load average'])}), "
          f"peak RSS {', '.join(f'{x:.0f}' for x in r['matching peak RSS MB'])} MB")  # fmt: skip
    print(f"CPU per mention: client {', '.join(fmt(x) for x in r['client CPU ms per mention'])} ms, "
          f"database server {', '.join(fmt(x) for x in r['server CPU ms per mention'])} ms")  # fmt: skip
    print(f"\nthresholds link_at {r['link_at']:g}, suggest_at {r['suggest_at']:g}; customers' mentions with nothing "
          f"to find them by (a nickname or a first name only, no identifier): {fmt(r['unfindable'])}")  # fmt: skip
    c = r["ceiling"]
    if c["customers"]:
        print(f"at most any matcher could reach (bench/match_ceiling.py, generous): recall {fmt(c['recall at most'])}, "
              f"top-3 {fmt(c['top-3 at most'])}; people fitting a customer's mention: one {c['one fits']}, "
              f"2-3 {c['2-3 fit']}, 4-100 {c['4-100 fit']}, over 100 {c['over 100 fit']}; outsiders' mentions "
              f"that fit exactly one register person: {c.get('outsiders fitting one', '-')} of {c.get('outsiders', '-')}")  # fmt: skip
    print(f"{'':34} {'mentions':>8} {'link prec':>9} {'link rec':>9} {'top-3':>7} {'outsiders unlinked':>18}")
    for g, row in sorted(r["table"].items(), key=lambda kv: (kv[0] != "all", kv[0])):
        print(f"{g:34} {row['mentions']:>8} {fmt(row['link precision']):>9} {fmt(row['link recall']):>9} "
              f"{fmt(row['top-3']):>7} {fmt(row['outsiders unlinked']):>18}")  # fmt: skip
    print(f"\nlink_at sweep (suggest_at {r['suggest_at']:g}):")
    for row in r["sweep"]:
        print(f"  {row['link_at']:>5g}: precision {fmt(row['link precision'])}, recall {fmt(row['link recall'])}, "
              f"outsiders unlinked {fmt(row['outsiders unlinked'])}")  # fmt: skip
    if em := r.get("m by EM"):
        print(f"\nm by EM over the mix's own mentions ({em['iterations']} iterations): {em['model']}")
        for g, row in sorted(em["table"].items(), key=lambda kv: (kv[0] != "all", kv[0])):
            print(f"  {g:32} {row['mentions']:>8} {fmt(row['link precision']):>9} {fmt(row['link recall']):>9} "
                  f"{fmt(row['top-3']):>7} {fmt(row['outsiders unlinked']):>18}")  # fmt: skip
        for row in em["sweep"]:
            print(f"  link_at {row['link_at']:>5g}: precision {fmt(row['link precision'])}, "
                  f"recall {fmt(row['link recall'])}, outsiders unlinked {fmt(row['outsiders unlinked'])}")  # fmt: skip
    if r["wrong_links"]:
        print("\nwrong automatic links (first 15):")
        for w in r["wrong_links"]:
            print(f"  {w['author']!r} {w['tags']} truth={w['truth']} linked={w['linked']}: {w['reasons']}")


if __name__ == "__main__":
    main()
