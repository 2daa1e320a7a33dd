"""Grouping on real review text: the labelled stream of bench/data (origin and licence in its README.md).

The stream, in published order, per brand:
  - real reviews of three pet insurers from a public Trustpilot dump, and of a dry shampoo from a
    public retailer dump; in the latter two reviews were captured five times each (the page's
    featured reviews, shown on every page): those copies are the real re-posts, labelled by hand
    (groups "featured-best", "featured-hated"), every other review is its own complaint;
  - constructed from those real texts and labelled as such: a cross-post of each longer Trustpilot
    review on a second site a few days later, edited as re-posts are (bench/dedupe_pairs EDITS),
    by the same author; the same short praise posted by two different reviewers ("identical
    short praise"); a short complaint posted again by its author on another site.
Authors: the Trustpilot dump has none; the retailer dump's names do not belong to the texts (one
name stands under four different reviews, five names under one text), so they are left out.

Two groupings of the same stream are scored:
  - "now": the case step as it runs (monitor.worker.jobs.process_cases on a fresh SQLite database);
  - "before": the rules before issue 17, in memory: a post joins the case of the first earlier
    post of its brand that shares the LSH bands and reaches confirm_score by `compare()` on
    title + body (single link, no window on published dates, no authors, no rarity).
Figures: joins and how many joined another customer's case (precision of joins), labelled
re-posts joined to their own case (recall), pairs of identical short praise put in one case.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.database import prepare_database
from bench.dedupe_pairs import EDITS, Post
from monitor.cases.dedupe import compare, min_shared_bands, signature
from monitor.config import DedupeConfig, parse_config
from monitor.core.db import make_engine, make_session_factory, session_scope
from monitor.ingest.polling import sync_config
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Mention, Source
from monitor.worker.jobs import process_cases
from sources.base import RawMention

DATA = Path(__file__).resolve().parent / "data"
NOW = datetime(2024, 4, 10, tzinfo=UTC)
SITES = ("trustpilot", "retailer", "forum")
MANDO = "tp-6608577d95132e3a68c190af"  # the real complaint its author posts again, cut short
CONFIG = parse_config(
    """
brands:
  - {key: aspca, name: ASPCA Pet Insurance, names: [ASPCA]}
  - {key: figo, name: Figo Pet Insurance, names: [Figo]}
  - {key: healthypaws, name: Healthy Paws, names: [Healthy Paws]}
  - {key: nym, name: Not Your Mother's, names: [Not Your Mother's, NYM]}
sources:
  - {key: trustpilot, kind: feed, url: 'https://trustpilot.example/f', interval: 15m}
  - {key: retailer, kind: feed, url: 'https://retailer.example/f', interval: 15m}
  - {key: forum, kind: feed, url: 'https://forum.example/f', interval: 15m}
cases:
  # Grouping is what is measured, so every post is placed: by default praise opens no case (issue 15),
  # and most of the stream's re-posts are praise.
  tone: {open_case_for: [complaint, question, praise]}
""",
    env={},
)


@dataclass(frozen=True, slots=True)
class RealPost:
    key: str
    brand: str
    site: str
    title: str | None
    body: str
    author: str | None
    published: datetime
    group: str  # posts of one group are one complaint
    kind: str  # "real", "re-post (real)", "cross-post (constructed)", "short praise (constructed)", ...


def _trustpilot() -> list[RealPost]:
    with (DATA / "trustpilot_pet_insurance.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [
        RealPost(
            f"tp-{r['id']}",
            r["company"],
            "trustpilot",
            r["title"].strip() or None,
            r["text"],
            None,
            datetime.fromisoformat(r["published"].replace("Z", "+00:00")),
            f"tp-{r['id']}",
            "real",
        )
        for r in rows
    ]


def _retailer() -> list[RealPost]:
    with (DATA / "nym_reviews.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    featured = {"By far the Best Dry Shampoo": "featured-best", "I hated the fragrance.": "featured-hated"}
    posts = []
    for r in rows:
        group = next((g for start, g in featured.items() if r["review"].startswith(start)), f"nym-{r['row']}")
        # The dump has no dates: one review an hour, in file order (the copies days apart, as pages are).
        at = datetime(2024, 3, 1, tzinfo=UTC) + timedelta(hours=6 * int(r["row"]))
        kind = "re-post (real)" if group.startswith("featured") else "real"
        posts.append(RealPost(f"nym-{r['row']}", "nym", "retailer", None, r["review"], None, at, group, kind))
    return posts


SHORT_PRAISE = [  # real short reviews of the dumps, each posted by two different reviewers
    ("figo", "The turnaround on our last claim was very quick… very much appreciated!"),
    ("figo", "Making claims are very simple and easy."),
    ("aspca", "Easy to submit claim"),
    ("aspca", "So far so good, easy to use and affordable."),
    ("nym", "Great price and nice smelling. No white residue on dark hair."),
    ("figo", "Quick and easy to file a claim."),
]


def constructed(real: list[RealPost], seed: int) -> list[RealPost]:
    rnd = random.Random(seed)
    posts: list[RealPost] = []
    longer = [p for p in real if p.site == "trustpilot" and len(p.body.split()) >= 15 and p.key != MANDO]
    for i, p in enumerate(rnd.sample(longer, min(12, len(longer)))):
        edit = EDITS[sorted(EDITS)[i % len(EDITS)]](Post(p.title, p.body), "en", rnd)
        author = f"{rnd.choice(['Dana', 'Mike', 'Priya', 'Tom', 'Olga'])} {chr(65 + i)}."
        posts += [
            RealPost(f"{p.key}-a", p.brand, "trustpilot", p.title, p.body, author, p.published, p.group, "real"),
            RealPost(f"{p.key}-x", p.brand, "forum", edit.title, edit.body, author,
                     p.published + timedelta(days=rnd.randint(1, 9)), p.group, "cross-post (constructed)"),
        ]  # fmt: skip
    for i, (brand, text) in enumerate(SHORT_PRAISE):
        at = NOW - timedelta(days=30 - i)
        for n, who in enumerate((f"reviewer{i}a", f"reviewer{i}b")):
            posts.append(RealPost(f"praise-{i}-{n}", brand, SITES[n], None, text if n == 0 else text.lower(),
                                  None if i % 2 else who, at + timedelta(days=3 * n), f"praise-{i}-{n}",
                                  "short praise (constructed)"))  # fmt: skip
    # A real complaint, its author named, posted again cut to its first sentence on two more sites.
    (mando,) = [p for p in real if p.key == MANDO]
    short = mando.body.split("?")[0] + "?"
    posts.append(replace(mando, key=f"{mando.key}-a", author="Dana M."))
    for n, site in enumerate(("forum", "retailer"), 1):
        posts.append(replace(mando, key=f"short-{n}", site=site, title=None, body=short + "!" * n,
                             published=mando.published + timedelta(days=n), kind="short re-post by its author (constructed)",
                             author="Dana M."))  # fmt: skip
    return posts


def stream(seed: int = 7) -> list[RealPost]:
    real = _trustpilot() + _retailer()
    crossposted = {p.key.rsplit("-", 1)[0] for p in constructed(real, seed) if p.key.endswith("-a")}
    posts = [p for p in real if p.key not in crossposted] + constructed(real, seed)
    assert len({p.key for p in posts}) == len(posts), "every post of the stream has its own key"
    return sorted(posts, key=lambda p: (p.published, p.key))


def _run_now(posts: list[RealPost]) -> dict[str, int | None]:
    with tempfile.TemporaryDirectory(prefix="dedupe-real-") as tmp:
        url = prepare_database(None, Path(tmp))
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with session_scope(sessions) as session:
            sync_config(session=session, config=CONFIG, now=NOW)
            sources = {s.key: s.id for s in session.scalars(sa.select(Source))}
            brands = {b.key: b.id for b in session.scalars(sa.select(Brand))}
        for p in posts:  # one poll per post, in published order, as a watch would see them
            item = RawMention(external_id=p.key, url=None, title=p.title, body=p.body, author=p.author,
                              published_at=p.published)  # fmt: skip
            with session_scope(sessions) as session:
                store_mentions(session=session, source_id=sources[p.site], items=[item], now=NOW,
                               brand_id=brands[p.brand], language_hint="en")  # fmt: skip
        process_cases(sessions=sessions, config=CONFIG, now=NOW)
        with session_scope(sessions) as session:
            rows = session.execute(sa.select(Mention.external_id, Mention.case_id)).all()
        engine.dispose()
    return dict(rows)  # type: ignore[arg-type]


def _run_before(posts: list[RealPost]) -> dict[str, int | None]:
    settings = DedupeConfig()
    need = min_shared_bands(settings)
    brand_ids = {b: i for i, b in enumerate(sorted({p.brand for p in posts}), 1)}
    seen: list[tuple[str, Any, int]] = []  # (brand, signature, case)
    cases: dict[str, int | None] = {}
    for n, p in enumerate(posts):
        sig = signature(p.title, p.body, brand_id=brand_ids[p.brand])
        case = n
        for brand, other, other_case in seen:
            shares = len(set(sig.band_keys) & set(other.band_keys)) >= need and sig.band_keys
            if brand == p.brand and shares and compare(sig, other)[0] >= settings.confirm_score:
                case = other_case
                break
        seen.append((p.brand, sig, case))
        cases[p.key] = case
    return cases


def score(posts: list[RealPost], cases: dict[str, Any]) -> dict[str, Any]:
    """Joins (a post put in a case an earlier post opened) and whether each was right."""
    # A post left without a case (none should be, with every tone placed) counts as a case of its own,
    # not as one big case of all such posts.
    cases = {key: case if case is not None else f"none:{key}" for key, case in cases.items()}
    first_of_case: dict[object, RealPost] = {}
    joins = wrong = 0
    wrong_examples: list[str] = []
    for p in posts:
        case = cases[p.key]
        if case not in first_of_case:
            first_of_case[case] = p
            continue
        joins += 1
        if first_of_case[case].group != p.group:
            wrong += 1
            if len(wrong_examples) < 5:
                wrong_examples.append(f"{p.key} → case of {first_of_case[case].key}")
    by_group: dict[str, list[RealPost]] = defaultdict(list)
    for p in posts:
        by_group[p.group].append(p)
    reposts = sum(len(g) - 1 for g in by_group.values())
    found = sum(1 for g in by_group.values() for p in g[1:] if cases[p.key] == cases[g[0].key])
    missed = [
        f"{p.key} not with {g[0].key}" for g in by_group.values() for p in g[1:] if cases[p.key] != cases[g[0].key]
    ]
    praise = [p for p in posts if p.kind.startswith("short praise")]
    praise_pairs = {p.key.rsplit("-", 1)[0] for p in praise}
    praise_joined = sum(1 for k in praise_pairs if cases[f"{k}-0"] == cases[f"{k}-1"])
    sizes: dict[object, int] = defaultdict(int)
    placed = sum(1 for case in cases.values() if not str(case).startswith("none:"))
    for case in cases.values():
        sizes[case] += 1
    return {
        "posts": len(posts), "placed": placed, "cases": len(sizes), "largest_case": max(sizes.values()), "joins": joins,
        "wrong_joins": wrong, "precision": (joins - wrong) / joins if joins else 1.0,
        "reposts": reposts, "reposts_joined": found, "recall": found / reposts if reposts else 1.0,
        "praise_pairs": len(praise_pairs), "praise_pairs_joined": praise_joined, "wrong_examples": wrong_examples,
        "missed_examples": missed[:5],
    }  # fmt: skip


def real_accuracy(seed: int = 7) -> dict[str, Any]:
    posts = stream(seed)
    kinds = defaultdict(int)
    for p in posts:
        kinds[p.kind] += 1
    report = {"kinds": dict(kinds), "now": score(posts, _run_now(posts)), "before": score(posts, _run_before(posts))}
    print(f"\nreal review stream: {len(posts)} posts ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})")
    for name in ("before", "now"):
        r = report[name]
        print(f"  {name:6} joins {r['joins']:3} of which wrong {r['wrong_joins']:3} (precision {r['precision']:.3f}); "
              f"re-posts joined {r['reposts_joined']}/{r['reposts']} (recall {r['recall']:.3f}); identical short "
              f"praise in one case {r['praise_pairs_joined']}/{r['praise_pairs']}; largest case {r['largest_case']}")  # fmt: skip
        for example in r["wrong_examples"]:
            print(f"         wrong: {example}")
        for example in r["missed_examples"]:
            print(f"         missed: {example}")
    return report
