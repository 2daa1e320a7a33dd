"""The parse worker pool: its processes end with the poller, even when it is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from monitor.ingest.parse_workers import parse_pool

CHILD = """
import os, sys, time
from monitor.ingest.parse_workers import parse_pool
pool = parse_pool(2)
print(" ".join(str(pool.submit(os.getpid).result()) for _ in range(4)), flush=True)
time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose; /proc says so on Linux.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def test_the_pool_runs_work_in_other_processes() -> None:
    pool = parse_pool(1)
    try:
        assert pool.submit(os.getpid).result(timeout=60) != os.getpid()
    finally:
        pool.shutdown()


def test_workers_exit_when_the_poller_is_killed() -> None:
    poller = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    assert poller.stdout is not None
    workers = {int(pid) for pid in poller.stdout.readline().split()}
    assert workers and poller.pid not in workers and all(alive(pid) for pid in workers)
    os.kill(poller.pid, signal.SIGKILL)
    poller.wait(timeout=10)
    for _ in range(200):
        if not any(alive(pid) for pid in workers):
            break
        time.sleep(0.05)
    assert not any(alive(pid) for pid in workers)
