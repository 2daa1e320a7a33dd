"""What a benchmark's figures depend on: the machine and its load, and the CPU and memory of processes."""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from monitor.core.db import SessionFactory, describe_url, session_scope

__all__ = ["machine_facts", "proc_cpu", "proc_peak_mb", "self_cpu"]


def machine_facts(url: str, sessions: SessionFactory) -> dict[str, Any]:
    import sqlite3

    cpu_model = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu_model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    facts = {
        "cpu_check_s": round(time.perf_counter() - started, 2),  # a pure-Python loop, to compare runs
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "platform": platform.platform(),
        "database": describe_url(url),
    }
    if not url.startswith("sqlite"):
        with session_scope(sessions) as session:
            facts["postgresql"] = session.scalar(sa.text("SHOW server_version"))
    return facts


def self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_peak_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
