"""Reading py-spy's raw output (`py-spy record --format raw`): one line per distinct stack, its
frames joined by ";", then the number of samples. Shared by the benchmarks that profile."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

__all__ = ["raw_samples", "short_path"]

REPOSITORY = Path(__file__).resolve().parent.parent


def raw_samples(raw: Path) -> Iterator[tuple[list[str], int]]:
    """(frames, samples) of each stack in a raw file; a line that is not a stack is skipped."""
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            yield stack.split(";"), int(count)


def short_path(where: str) -> str:
    """A frame's file without its line number, relative to site-packages, the standard library or the repository."""
    where = re.sub(r":\d+\)$", "", where)
    for marker in ("site-packages/", "/lib/python3.11/", f"{REPOSITORY}/"):
        if marker in where:
            return where.split(marker, 1)[1]
    return where
