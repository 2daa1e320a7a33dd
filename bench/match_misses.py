"""Where customer matching's recall goes on the public sets: the missed authors, and what FEBRL did to the name
words that "differ" from the customer's.

    PYTHONPATH=. .venv/bin/python bench/match_misses.py [--sets febrl3,febrl4] [--examples 8]

For each set (the open-world split of bench/match_public.py, name + city only) every complaint is matched
and m estimated by EM over them, as `bench/match.py --public` does. Each present author not linked at
`link_at` is counted by what the matcher did: no candidate in the top 3, another customer first, or the right
customer first with a probability under `link_at` (by the levels of its weights). The right-customer-first
misses with a name word that differs are then looked at word by word: the author's and the customer's name
words that do not agree (a ratio under 70) are classified as a space typed inside a word ("brac ci" for
Bracci), one given name in the project's table (Jon/Jonathan), one or two edits (Damerau-Levenshtein),
the same phonetic code (metaphone, NYSIIS or Soundex, jellyfish), Jaro-Winkler ≥ 0.85, or unrelated.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path
from typing import Any

import jellyfish
import sqlalchemy as sa
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.match_public import PUBLIC_SETS, _text, import_register, split
from monitor.config import CustomerLinkConfig
from monitor.core.revisions import upgrade
from monitor.customers.candidates import compare_case, probabilities
from monitor.customers.given_names import groups_of
from monitor.customers.training import estimate
from monitor.models import Customer


def word_pair(a: str, c: str) -> str:
    """What relates an author's word to the customer's word it stands where."""
    if groups_of(a) & groups_of(c):
        return "one given name (table)"
    if DamerauLevenshtein.distance(a, c) <= 2:
        return "one or two edits"
    codes = (jellyfish.metaphone, jellyfish.nysiis, jellyfish.soundex)
    if any(code(a) == code(c) for code in codes):
        return "same phonetic code"
    if JaroWinkler.similarity(a, c) >= 0.85:
        return "Jaro-Winkler >= 0.85"
    return "unrelated"


def differing(author: str, customer: str) -> tuple[str, tuple[str, ...]]:
    """(class, example) of the words of `author` and `customer` left once alike words are paired."""
    left_a, left_c = author.lower().split(), customer.lower().split()
    for a in list(left_a):
        best = max(left_c, key=lambda c: fuzz.ratio(a, c), default=None)
        if best is not None and fuzz.ratio(a, best) >= 70:
            left_a.remove(a)
            left_c.remove(best)
    words = author.lower().split()
    joined = {words[k] + words[k + 1] for k in range(len(words) - 1)}
    theirs = customer.lower().split()
    if len(words) > len(theirs) and any(fuzz.ratio(j, c) >= 85 for j in joined for c in theirs):
        return "a space inside a word", (author, customer)
    if len(left_a) == 1 and len(left_c) == 1:
        return word_pair(left_a[0], left_c[0]), (left_a[0], left_c[0])
    return f"other ({len(left_a)} author words, {len(left_c)} customer words left)", (author, customer)


def misses(name: str, seed: int, tmp: str) -> dict[str, Any]:
    register, complaints = split(name, seed)
    url = f"sqlite:///{tmp}/{name}.db"
    upgrade(url)
    engine, factory, brand_id = import_register(url, register)
    compared = []
    with factory() as session:
        ids = dict(session.execute(sa.select(Customer.id, Customer.external_id)).all())
        for c in complaints:
            found, freq = compare_case(session=session, brand_id=brand_id, texts=[_text(c, False)],
                                       authors=[c["author"]] if c["author"] else [], order_pattern=None,
                                       default_region=None)  # fmt: skip
            compared.append(found)
    engine.dispose()
    model = estimate(compared, freq.customers).model
    link_at = CustomerLinkConfig().link_at
    people = {p["id"]: f"{p['given']} {p['family']}".strip() for p in register}
    outcome: collections.Counter[str] = collections.Counter()
    words: collections.Counter[str] = collections.Counter()
    examples: dict[str, list[tuple[str, ...]]] = collections.defaultdict(list)
    for c, found in zip(complaints, compared, strict=True):
        if c["truth"] is None:
            continue
        ranked = probabilities(found, freq, model)[:3]
        top = ranked[0] if ranked else None
        if top is not None and ids[top.customer_id] == c["truth"] and top.score >= link_at:
            continue
        if not any(ids[x.customer_id] == c["truth"] for x in ranked):
            outcome["not in the top 3"] += 1
        elif top is None or ids[top.customer_id] != c["truth"]:
            outcome["another customer first"] += 1
        else:
            levels = sorted({w.level for f in found if ids[f.customer_id] == c["truth"] for w in f.weights})
            outcome["right one first, under link_at: " + ", ".join(levels)] += 1
            if "name differs" in levels:
                kind, example = differing(c["author"], people[c["truth"]])
                words[kind] += 1
                examples[kind].append(example)
    present = sum(1 for c in complaints if c["truth"])
    return {"present": present, "outcome": outcome, "words": words, "examples": examples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sets", default=",".join(PUBLIC_SETS))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--examples", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="replywatch-misses-") as tmp:
        for name in args.sets.split(","):
            r = misses(name, args.seed, tmp)
            print(f"\n{name}: {sum(r['outcome'].values())} of {r['present']} present authors not linked (m by EM)")
            for kind, n in r["outcome"].most_common(12):
                print(f"  {n:5}  {kind}")
            print(f"  right customer first, a name word differs ({sum(r['words'].values())}), the words:")
            for kind, n in r["words"].most_common():
                print(f"  {n:5}  {kind}: {r['examples'][kind][: args.examples]}")


if __name__ == "__main__":
    main()
