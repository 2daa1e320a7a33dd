"""Where the poller's time goes (bench/poll.py --profile): py-spy over the poller and its parse
workers, or pyinstrument on its event loop and DB threads when py-spy is missing."""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.pyspy import raw_samples, short_path
from monitor.worker.poller import Poller

__all__ = ["Profile", "print_profile", "summarise_profile"]

# Each sample goes to the first bucket whose marker is anywhere in its stack (order matters:
# language detection runs inside prepare_mentions, and inside ingest when a language is missing).
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("language detection (monitor/ingest/language.py, lingua)", ("/monitor/ingest/language.py",)),
    ("feedparser", ("/feedparser/",)),
    ("text cleaning (sources/text.py: html_to_text, clean_text)", ("/sources/text.py",)),
    ("RSS reader (sources/rss.py, lxml)", ("/sources/rss.py",)),
    ("feed adapter, rest (sources/feed.py, sources/values.py)", ("/sources/feed.py", "/sources/values.py")),
    ("ingest: normalise (canonical URL, hash)", ("normalise (/", "/w3lib/", "prepare_mentions (/")),
    ("ingest: SQL and ORM (monitor/ingest/store.py)", ("/monitor/ingest/store.py",)),
    (
        "poll record, claim, commit (monitor/ingest/polling.py, session)",
        ("/monitor/ingest/polling.py", "/monitor/worker/jobs.py", "/sqlalchemy/"),
    ),
    ("process pool: pickling and queues", ("/concurrent/futures/process.py", "/multiprocessing/")),
    ("fetch: httpx/httpcore/anyio/h11", ("/httpx/", "/httpcore/", "/anyio/", "/h11/")),
    (
        "fetch: sources/http.py, content.py, the address guard and redirects",
        (
            "/sources/http.py",
            "/sources/content.py",
            "/sources/address_guard.py",
            "/sources/address_policy.py",
            "/sources/redirects.py",
            "/sources/host_turns.py",
        ),
    ),
    ("logging (structlog)", ("/structlog/",)),
    ("metrics (prometheus_client)", ("/prometheus_client/",)),
    (
        "scheduler glue (monitor/worker/poller.py, service.py, sources/base.py)",
        ("/monitor/worker/poller.py", "/monitor/worker/service.py", "/sources/base.py"),
    ),
    ("asyncio event loop", ("/asyncio/",)),
]
# Leaf frames that mean "waiting", in case py-spy's idle detection lets one through.
_WAITING = re.compile(
    r"^(Condition\.wait|Event\.wait|_wait_for_tstate_lock|select|poll|_worker|wait|_recv|_recv_bytes|"
    r"recv_bytes|get|accept|sleep|BaseSelector\.select|EpollSelector\.select|_poll|_wait)\b"
)


def _frame(text: str) -> tuple[str, str]:
    name, _, where = text.rpartition(" (")
    return name, re.sub(r":\d+\)$", "", where)


def summarise_profile(raw: Path, server_pid: int, top: int = 25) -> dict[str, Any]:
    """Samples by thread/process, by bucket (BUCKETS) and by function (self time), poller only."""
    threads: collections.Counter[str] = collections.Counter()
    buckets: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for frames, n in raw_samples(raw):
        processes = [f for f in frames if f.startswith("process ")]
        thread = next((f for f in frames if f.startswith("thread (")), "thread (?)")
        code = [f for f in frames if not f.startswith(("process ", "thread ("))]
        if not code:
            continue
        leaf_name, leaf_file = _frame(code[-1])
        if _WAITING.match(leaf_name) and ("/selectors.py" in leaf_file or "/threading.py" in leaf_file or
                                          "/multiprocessing/" in leaf_file or "/queue.py" in leaf_file):  # fmt: skip
            continue
        pid = int(processes[-1].split()[1].split(":")[0]) if processes else 0
        if pid == server_pid:
            threads["feed server process (not the poller)"] += n
            continue
        where = "parse worker process" if len(processes) > 1 else "poller: " + thread.split(": ", 1)[-1]
        threads[re.sub(r"_\d+$", "_*", where)] += n
        total += n
        joined = ";".join(code)
        bucket = next((b for b, marks in BUCKETS if any(m in joined for m in marks)), "other")
        buckets[bucket] += n
        own[f"{leaf_name} ({short_path(leaf_file)})"] += n
    return {
        "samples": total,
        "threads": threads.most_common(),
        "buckets": buckets.most_common(),
        "self": own.most_common(top),
    }


class Profile:
    """py-spy over this process and its children; pyinstrument (event loop + DB thread) without it."""

    def __init__(self, out_dir: Path, poller: Poller, kind: str) -> None:
        self.out_dir, self.poller = out_dir, poller
        self.spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        self.raw = out_dir / f"replywatch-poll-profile-{time.strftime('%Y%m%d-%H%M%S')}-round-{kind}.txt"
        self.proc: subprocess.Popen[bytes] | None = None
        self.pyinstrument: list[Any] = []

    def start(self) -> None:
        if Path(self.spy).exists():
            command = [self.spy, "record", "--pid", str(os.getpid()), "--subprocesses", "--threads", "--gil"]
            command += ["--full-filenames", "--format", "raw", "--rate", "100", "-o", str(self.raw)]
            self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(1.0)  # let it attach
            return
        from pyinstrument import Profiler

        loop, db = Profiler(async_mode="disabled"), Profiler(async_mode="disabled")
        self.poller._db.submit(db.start).result()
        loop.start()
        self.pyinstrument = [loop, db]

    def stop(self) -> str:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.communicate(timeout=120)
            return "py-spy --gil, 100 Hz"
        loop, db = self.pyinstrument
        loop.stop()
        self.poller._db.submit(db.stop).result()
        text = "EVENT LOOP THREAD\n" + loop.output_text(color=False) + "\nDB THREAD\n" + db.output_text(color=False)
        self.raw = self.raw.with_suffix(".pyinstrument.txt")
        self.raw.write_text(text)
        return "pyinstrument (py-spy not installed): event loop and DB threads only"


def print_profile(prof: dict[str, Any]) -> None:
    if "buckets" not in prof:
        print(f"\n  profile: {prof['note']}; see {prof['raw']}")
        return
    total = max(1, prof["samples"])
    print()
    print(f"  profile of one more round {prof['round']}: {prof['polls']} polls in {prof['round_seconds']:.1f} s")
    print(f"  under py-spy --gil at 100 Hz: {total} samples (1 sample = 10 ms holding a GIL);")
    print(f"  raw stacks: {prof['raw']}")
    print("  by thread:")
    for name, n in prof["threads"]:
        print(f"    {n / 100:7.1f} s  {name}")
    print("  by activity (the poller process and its parse workers):")
    for name, n in prof["buckets"]:
        print(f"    {n / 100:7.1f} s {100 * n / total:5.1f} %  {name}")
    print("  top functions by own time:")
    for name, n in prof["self"][:15]:
        print(f"    {n / 100:7.1f} s {100 * n / total:5.1f} %  {name[:110]}")
