"""The parse worker processes: a process pool for parsing, normalising and language detection.

Its processes come from a fork server, not from forking the poller: a forked child inherits
every open socket, database connections included, so after a `kill -9` of the poller its
orphaned children kept the dead poller's transaction, and its row locks, open. A fork
server's children share nothing with the poller. They would still outlive it (each waits
on a queue whose write end it holds itself), so each one watches the poller and exits
when it is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from concurrent.futures import ProcessPoolExecutor

__all__ = ["parse_pool"]

# What the workers run, imported once by the fork server rather than by every worker.
_PRELOAD = ["sources.feed", "sources.html", "sources.json", "monitor.ingest.store", "monitor.ingest.language"]


def parse_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes that end with this one."""
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(_PRELOAD)
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),))


def _exit_with(parent: int) -> None:
    threading.Thread(target=_wait_then_exit, args=(parent,), name="replywatch-parent-watch", daemon=True).start()


def _wait_then_exit(parent: int) -> None:
    try:
        # Linux: a pidfd becomes readable when the process ends; no polling.
        fd = os.pidfd_open(parent)
    except (AttributeError, OSError):
        while _alive(parent):
            time.sleep(1.0)
    else:
        select.select([fd], [], [])
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
