"""The server side of bench/api.py: `replywatch serve --workers N` in a child process, and the CPU
its processes (and, on PostgreSQL, the backends serving it) have used."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from monitor.core.db import make_engine

__all__ = ["Server", "backend_pids", "cpu_by_pid", "cpu_seconds"]

HERE = Path(__file__).resolve().parent


class Server:
    """`replywatch serve --workers N` in a child process (uvicorn, the app from api.app.create_app, no poller)."""

    def __init__(self, url: str, config_path: Path, workers: int, log_path: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {**os.environ, "REPLYWATCH_LOG_LEVEL": "WARNING", "PYTHONPATH": str(HERE.parent)}
        self.log = log_path.open("w")
        command = [sys.executable, "-c", "from monitor.cli.main import main; main()", "serve", "--config", str(config_path),
                   "--database", url, "--port", str(self.port), "--workers", str(workers)]  # fmt: skip
        self.proc = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = url
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    # Each worker process answers /healthz alike; give the others time to finish starting.
                    time.sleep(1.0 if workers > 1 else 0)
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not answer /healthz within 120 s; see {log_path}")

    def pids(self) -> list[int]:
        """The uvicorn process and its children (the worker processes)."""
        out = [self.proc.pid]
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                out += [int(p) for p in (task / "children").read_text().split()]
        return out

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pids())

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each of `pids` so far (those still alive)."""
    out = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_by_pid(pids).values())


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL backends serving the API's connections to the bench database (the server is local)."""
    if url.startswith("sqlite"):
        return []
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            return [int(pid) for pid in conn.exec_driver_sql(query).scalars()]
    finally:
        engine.dispose()
