"""The SLA sweep alone, on a database bench/api.py filled: wall and CPU time at moments when N clocks are due.

    PYTHONPATH=. python bench/sweep.py --database URL [--flips 0,2000,20000] [--repeat 3] [--profile PATH]

For each target N it finds (by bisection, as bench/api_sweep.py does) the first moment after the fill's
NOW when N clocks of any kind (case, place, promise) are due, then runs `monitor.cases.sla.sweep` there
--repeat times, each in a transaction that is rolled back, so every run (and every code version) sees
the same data and the database is left as it was. It prints, per moment: the flips, the wall time, this
process's CPU time (time.process_time: on SQLite the database work is in it) and, on a PostgreSQL server
on this machine, the backend's CPU time (utime + stime of its process, read from /proc), each the median
of the runs, with os.getloadavg() before and after.

To compare two versions of the code on the same data, run this script twice with `monitor` taken from
each (PYTHONPATH=<dir holding the other monitor>:. ); the bench code itself is this file's.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

import monitor
from bench.api_data import NOW
from bench.api_sweep import due_marks
from monitor.cases.sla import sweep
from monitor.core.db import make_engine, make_session_factory

_TICKS = os.sysconf("SC_CLK_TCK")


def backend_cpu(conn: sa.Connection) -> float | None:
    """CPU seconds the PostgreSQL backend of `conn` has used so far, when the server runs on this machine."""
    if conn.dialect.name != "postgresql":
        return None
    pid = conn.scalar(sa.text("SELECT pg_backend_pid()"))
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of stat)


def moment(engine: sa.Engine, target: int) -> Any:
    """The first moment after NOW when `target` clocks are due (NOW itself for 0)."""
    if target == 0:
        return NOW
    low, high = timedelta(0), timedelta(days=60)
    for _ in range(30):
        mid = (low + high) / 2
        if due_marks(engine, NOW + mid) < target:
            low = mid
        else:
            high = mid
    return NOW + high


def time_at(engine: sa.Engine, at: Any, repeat: int, profile: Path | None) -> dict[str, Any]:
    sessions = make_session_factory(engine)
    runs = []
    for i in range(repeat):
        with sessions() as session:
            session.begin()
            conn = session.connection()
            backend_before = backend_cpu(conn)
            prof = cProfile.Profile() if profile and i == repeat - 1 else None
            wall, cpu = time.perf_counter(), time.process_time()
            if prof:
                prof.enable()
            counts = sweep(session=session, now=at)
            session.flush()
            if prof:
                prof.disable()
                prof.dump_stats(str(profile))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            backend_after = backend_cpu(conn)
            session.rollback()
        flips = {"cases": counts.at_risk + counts.breached, "places": counts.place_at_risk + counts.place_breached,
                 "promises": counts.promise_at_risk + counts.promise_broken}  # fmt: skip
        backend = None if backend_before is None or backend_after is None else backend_after - backend_before
        runs.append({"wall_s": wall, "cpu_s": cpu, "backend_cpu_s": backend, "flips": flips})
    med = {k: statistics.median(r[k] for r in runs) for k in ("wall_s", "cpu_s")}
    backends = [r["backend_cpu_s"] for r in runs if r["backend_cpu_s"] is not None]
    return {"at": at.isoformat(), "runs": runs, "median_wall_s": med["wall_s"], "median_cpu_s": med["cpu_s"],
            "median_backend_cpu_s": statistics.median(backends) if backends else None}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a database bench/api.py filled (SQLAlchemy URL)")
    parser.add_argument("--flips", default="0,2000,20000", help="comma-separated numbers of due clocks")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="cProfile the last run of the largest moment into this file")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    engine = make_engine(args.database)
    targets = [int(x) for x in args.flips.split(",")]
    out: dict[str, Any] = {"code": str(Path(monitor.__file__).parent), "loadavg_before": os.getloadavg()}
    print(f"monitor from {out['code']}; load average {tuple(round(x, 2) for x in out['loadavg_before'])}")
    for target in targets:
        at = moment(engine, target)
        prof = args.profile if target == max(targets) else None
        res = time_at(engine, at, args.repeat, prof)
        out[str(target)] = res
        flips = res["runs"][-1]["flips"]
        backend = res["median_backend_cpu_s"]
        print(f"  ~{target:>6,} due at {at:%Y-%m-%d %H:%M}: {sum(flips.values()):>6,} flips ({flips['cases']:,} case, "
              f"{flips['places']:,} place, {flips['promises']:,} promise): wall {res['median_wall_s']:.3f} s, "
              f"CPU {res['median_cpu_s']:.3f} s" + (f", PostgreSQL backend CPU {backend:.3f} s" if backend is not None
                                                     else "") + f" (median of {args.repeat}, rolled back)",
              flush=True)  # fmt: skip
    out["loadavg_after"] = os.getloadavg()
    print(f"load average after {tuple(round(x, 2) for x in out['loadavg_after'])}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
