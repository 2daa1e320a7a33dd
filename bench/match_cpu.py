"""Client CPU a mention of find_candidates, one process, on a register kept by bench/match.py --keep.

    PYTHONPATH=<tree> .venv/bin/python bench/match_cpu.py /tmp/match/reg100k.db [label]

Reads the register file and its mentions (<file>.mentions.json, written by bench/match.py --keep),
matches 200 mentions to warm up, then the rest three times, and prints each pass's process CPU a
mention and the best of the three (the pass least disturbed by other processes on a shared machine).
Run it for main's tree and a branch's alternately (PYTHONPATH chooses the tree) to compare them.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from monitor.core.db import make_engine, make_session_factory
from monitor.customers.candidates import find_candidates

WARM_UP, PASSES = 200, 3


def main() -> None:
    path = Path(sys.argv[1])
    label = sys.argv[2] if len(sys.argv) > 2 else "tree"
    items = json.loads(path.with_suffix(".mentions.json").read_text())
    engine = make_engine(f"sqlite:///{path}")
    with make_session_factory(engine)() as session:

        def run(batch: list[dict]) -> None:
            for it in batch:
                find_candidates(session=session, brand_id=1, texts=[it["text"]], authors=[it["author"]],
                                order_pattern=None, default_region="RU", limit=3)  # fmt: skip

        run(items[:WARM_UP])
        timed = items[WARM_UP:]
        passes = []
        for _ in range(PASSES):
            started = time.process_time()
            run(timed)
            passes.append((time.process_time() - started) / len(timed) * 1000)
    engine.dispose()
    print(f"{label}: client CPU ms a mention {' '.join(f'{x:.3f}' for x in passes)}, best {min(passes):.3f}; "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
