"""Do two trees of the code find the same customers for the same mentions? The check behind every matching speed-up.

    .venv/bin/python bench/match_same.py REGISTER BASE_TREE [OTHER_TREE] [--limit 3] [--count N]

REGISTER is a register kept by bench/match.py --keep: its SQLite file (/tmp/match/reg100k.db), or a
PostgreSQL URL followed by `--mentions` and the kept mentions file (<keep>.mentions.json). Each tree
(a checkout: `git archive main | tar -x -C /tmp/base`) runs in its own process and writes, for every
mention, the candidates `find_candidates` returns: customer id, probability and every reason. With two
trees the answers are compared mention by mention; the first differences are printed and the exit
status is 1 when any differs. The public sets are compared by `bench/match.py --public`'s figures.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, sys
from monitor.core.db import make_engine, make_session_factory
from monitor.customers.candidates import find_candidates

url, mentions, out, limit, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
items = json.loads(open(mentions, encoding="utf-8").read())[:count]
engine = make_engine(url)
with make_session_factory(engine)() as session, open(out, "w", encoding="utf-8") as f:
    for it in items:
        found = find_candidates(session=session, brand_id=1, texts=[it["text"]], authors=[it["author"]],
                                order_pattern=None, default_region="RU", limit=limit)
        f.write(json.dumps([[c.customer_id, c.score, list(c.reasons)] for c in found], ensure_ascii=False) + "\n")
engine.dispose()
"""


def answers(tree: Path, url: str, mentions: Path, limit: int, count: int) -> list[str]:
    """Each mention's candidates as one JSON line, from `tree`'s code in a process of its own."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as out:
        path = Path(out.name)
    try:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        args = [sys.executable, "-c", _CHILD, url, str(mentions), str(path), str(limit), str(count)]
        subprocess.run(args, check=True, cwd=tree, env=env)
        return path.read_text(encoding="utf-8").splitlines()
    finally:
        path.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("register", help="a kept SQLite register file, or a database URL (with --mentions)")
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument(
        "--mentions", type=Path, default=None, help="the kept mentions (default <register>.mentions.json)"
    )
    parser.add_argument("--limit", type=int, default=3)
    parser.add_argument("--count", type=int, default=1_000_000, help="match only the first N mentions")
    args = parser.parse_args()
    if "://" in args.register:
        url, mentions = args.register, args.mentions
        if mentions is None:
            parser.error("a database URL needs --mentions")
    else:
        url = f"sqlite:///{args.register}"
        mentions = args.mentions or Path(args.register).with_suffix(".mentions.json")
    runs = [answers(tree.resolve(), url, mentions, args.limit, args.count) for tree in args.trees]
    base = runs[0]
    linked = sum(1 for line in base if json.loads(line))
    print(f"{args.trees[0]}: {len(base)} mentions, {linked} with candidates")
    status = 0
    for tree, other in zip(args.trees[1:], runs[1:], strict=True):
        differ = [i for i, (x, y) in enumerate(zip(base, other, strict=True)) if x != y]
        print(f"{tree}: {len(differ)} of {len(other)} mentions differ")
        for i in differ[:5]:
            print(f"  mention {i}:\n    {base[i]}\n    {other[i]}")
        status |= bool(differ)
    sys.exit(status)


if __name__ == "__main__":
    main()
