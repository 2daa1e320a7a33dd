"""`replywatch worker` in a child process, for the tests that kill it (kill -9) mid-work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def start_worker(config: Path, db_url: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """The worker on `config` and `db_url`, logging logfmt into `log`; `env` adds environment variables."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor.cli.main", "worker", "--config", str(config), "--database", db_url],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "REPLYWATCH_LOG_FORMAT": "logfmt", **env},
        )  # fmt: skip
