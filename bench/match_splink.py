"""splink (duckdb backend) on one FEBRL split of bench/match_public.py, scored like replywatch (issue 14, point 3).

splink is not a dependency of replywatch: it runs in a venv of its own, so the three steps
hand JSON over (the split and the scoring use the project's venv, the linking splink's):

    PYTHONPATH=. .venv/bin/python bench/match_splink.py split febrl3 /tmp/match/febrl3.json
    /tmp/match/sv/bin/python bench/match_splink.py link /tmp/match/febrl3.json /tmp/match/febrl3-splink.json
    PYTHONPATH=. .venv/bin/python bench/match_splink.py score /tmp/match/febrl3.json /tmp/match/febrl3-splink.json

(`python3 -m venv /tmp/match/sv && /tmp/match/sv/bin/pip install splink` made the second venv:
splink 5.0.0, duckdb 2.0.1.) The linker is splink's usual recipe for names and a town, on the same
fields replywatch sees (given name, family name, suburb; a complaint's name words are split as
the complaint signs, given name first or, for a quarter, family name first, so splink gets the
words in the split's order, as replywatch does): ForenameSurnameComparison (which has a level for
the two names crossed), JaroWinkler levels on the city, blocking on any one exact field or the names crossed, λ from a deterministic rule (exact given and family
name), u by random sampling, m by EM blocked on the city (for the names) and on both names (for the city). Each complaint's best match
probability is its score: the figures at link_at 0.99 and the recall against false-link curve.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def _split(name: str, path: str) -> None:
    from bench.match_public import split

    register, complaints = split(name, 7)
    Path(path).write_text(json.dumps({"register": register, "complaints": complaints}))


def _link(path: str, out: str) -> None:
    import pandas as pd
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.internals.duckdb.database_api import DuckDBAPI

    data = json.loads(Path(path).read_text())
    register = pd.DataFrame(
        [
            {
                "unique_id": p["id"],
                "given": p["given"] or None,
                "family": p["family"] or None,
                "city": p["city"] or None,
            }
            for p in data["register"]
        ]
    )
    rows = []
    for i, c in enumerate(data["complaints"]):
        words = c["author"].split()
        rows.append({"unique_id": f"c{i}", "given": words[0] if words else None,
                     "family": " ".join(words[1:]) or None, "city": c["city"] or None})  # fmt: skip
    complaints = pd.DataFrame(rows)
    started = time.process_time()
    wall = time.perf_counter()
    db = DuckDBAPI()
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[cl.ForenameSurnameComparison("given", "family"), cl.JaroWinklerAtThresholds("city", [0.9, 0.8])],
        # Any one field as written, and the two names crossed (a quarter of complaints sign family name first).
        blocking_rules_to_generate_predictions=[
            block_on("given"),
            block_on("family"),
            block_on("city"),
            "l.given = r.family",
            "l.family = r.given",
        ],
    )
    linker = Linker([db.register(register, table_name="register"), db.register(complaints, table_name="complaints")],
                    settings)  # fmt: skip
    linker.training.estimate_probability_two_random_records_match([block_on("given", "family")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=7)
    # Blocked on the city, EM trains the names; blocked on both names, the city.
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("city"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("given", "family"))
    pairs = linker.inference.predict(threshold_match_probability=0.001).as_pandas_dataframe()
    best: dict[str, list[tuple[str, float]]] = {}
    for r in pairs.itertuples():
        left, right = (r.unique_id_l, r.unique_id_r)
        reg, comp = (left, right) if str(right).startswith("c") else (right, left)
        best.setdefault(comp, []).append((reg, float(r.match_probability)))
    found = [sorted(best.get(f"c{i}", []), key=lambda x: -x[1])[:3] for i in range(len(rows))]
    Path(out).write_text(json.dumps({"found": found, "cpu seconds": time.process_time() - started,
                                     "wall seconds": time.perf_counter() - wall}))  # fmt: skip


def _score(path: str, linked: str) -> None:
    from bench.match_public import RATES, curve, figures

    complaints = json.loads(Path(path).read_text())["complaints"]
    result: dict[str, Any] = json.loads(Path(linked).read_text())
    found = [[(cid, p) for cid, p in cands] for cands in result["found"]]
    f = figures(complaints, found, 0.99, 0.02)
    print(f"splink at 0.99: precision {f['precision']} recall {f['recall']} top-3 {f['top-3']} "
          f"false links {f['false links of absent']} of {f['absent']}")  # fmt: skip
    print(
        f"  recall at false-link rate ≤ {', '.join(f'{r:g}' for r in RATES)}: "
        + ", ".join(f"{p['recall']:.4f}" for p in curve(complaints, found))
    )
    print(f"  linking: {result['cpu seconds']:.1f} s CPU (client process), {result['wall seconds']:.1f} s wall")


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    {"split": _split, "link": _link, "score": _score}[mode](*args)
