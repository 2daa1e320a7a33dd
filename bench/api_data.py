"""The case queue bench/api.py measures: N cases with their mentions, timelines and replies, bulk-loaded.

The rows look like what the desk makes (monitor.cases.pipeline, monitor.cases.lifecycle, monitor.desk.replies), so the
API reads realistic shapes, but they are written straight into the tables: executemany on
SQLite, COPY on PostgreSQL. Building them through the services would take an hour for 200,000
cases.

What the generator makes, all from one seed, at a fixed moment NOW:

- texts in ru, en, de, uk, hy and be (weights 40/20/12/10/9/9): a demo complaint
  (monitor/demo/complaints.json) of that language with a fresh order number, or one of the
  bench/dedupe_pairs.py templates with an added sentence and a signature. A third of the cases
  have a second mention on another site, an edited copy, as a cross-post looks;
- statuses: 50% new, 15% acknowledged, 15% in_progress (80% open), 6% resolved, 10% closed,
  3% dismissed, 1% merged. Priorities 15/55/22/8% low/normal/high/urgent, the seven
  categories, twelve assignees (40% unassigned), a customer on 20% of the cases;
- new cases were opened 0-4 days before NOW, the other open ones 0-12 days, the rest up to 60. Deadlines are
  the priority's targets stretched 1-3x in wall time (nights and weekends). Resolution
  deadlines fall about 10 days either side of NOW; first-response ones fall from 12 days
  before to 3 days after;
- clock states as a sweep at NOW leaves them: a sweep at NOW flips nothing.
- places: each mention a place with its own clock (its deadline the priority's first-response
  target stretched 1-3x from when it was found); the first place is answered with the case's
  first reply, a cross-post is left unanswered. Every case with a first reply made a promise then
  (its date half to twice the resolution target later), kept or broken by the resolution, or open.
- search_text is built as monitor.cases.pipeline builds it (`searchable`, capped at SEARCH_CAP).
"""

from __future__ import annotations

import collections
import hashlib
import json
import multiprocessing
import random
import re
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.bulk_rows import encode_rows, reset_sequences, write_rows
from bench.dedupe_langs import LANGS
from bench.dedupe_pairs import CORPUS, EDITS, Post, _person, templated
from monitor.cases.pipeline import SEARCH_CAP, searchable
from monitor.config import Config, parse_config
from monitor.core.db import make_session_factory, session_scope
from monitor.ingest.polling import sync_config
from monitor.models import Brand, Case, CaseEvent, Customer, Mention, Promise, Source
from monitor.models.desk import Reply

__all__ = ["NOW", "FillStats", "bench_config", "config_text", "fill"]

NOW = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # a Wednesday: the queue as it stands mid-week
LANG_WEIGHTS = {"ru": 40, "en": 20, "de": 12, "uk": 10, "hy": 9, "be": 9}
STATUSES = {"new": 50, "acknowledged": 15, "in_progress": 15, "resolved": 6, "closed": 10, "dismissed": 3, "merged": 1}
PRIORITIES = {"low": 15, "normal": 55, "high": 22, "urgent": 8}
CATEGORIES = {"delivery": 30, "defect": 22, "refund": 18, "staff": 8, "billing": 8, "website": 6, "other": 8}
# Wall-clock spans of the default SLA targets (monitor.cases.sla.SlaConfig): first response, resolution.
TARGETS = {
    "urgent": (timedelta(hours=1), timedelta(days=1)),
    "high": (timedelta(hours=2), timedelta(days=2)),
    "normal": (timedelta(hours=4), timedelta(days=3)),
    "low": (timedelta(days=1), timedelta(days=5)),
}
ASSIGNEES = ["anna", "boris", "chen", "dmitri", "eva", "farid", "gayane", "hanna", "igor", "julia", "karen", "lena"]
CUSTOMERS = 5_000
SITES = {  # source key → brand; several sites per brand, so cross-posts land on another site
    "otzovik": "acme", "irecommend": "acme", "pikabu": "acme", "trustpilot": "acme", "reddit": "acme",
    "zhalobnik": "acme", "kununu": "acme", "spr": "beta", "yell": "beta", "vk": "beta", "forum": "beta",
    "sitejabber": "beta",
}  # fmt: skip
ORDER = re.compile(r"\b\d{4}-\d{3}\b|\bAC-\d{5}\b")


def config_text() -> str:
    """The watch list the API is started with: the two brands and the sites the mentions came from."""
    lines = [
        "contact_url: https://replywatch.example/bench",
        "http: {allow_networks: [127.0.0.0/8]}",
        "brands:",
        "  - {key: acme, name: Acme, names: [Акме, Acme Shop], language: ru, timezone: Europe/Moscow}",
        "  - {key: beta, name: Beta Markt, names: [Бета Маркет], language: de, timezone: Europe/Berlin}",
        "sources:",
    ]
    # Loopback URLs on a closed port: the API runs without the worker, so nothing is ever polled.
    lines += [
        f"  - {{key: {k}, kind: feed, url: 'http://127.0.0.1:9/{k}.rss', interval: 15m, brand: {b}}}"
        for k, b in SITES.items()
    ]
    return "\n".join(lines) + "\n"


def bench_config() -> Config:
    return parse_config(config_text(), path="bench-api.yaml", env={})


def _pick(rnd: random.Random, weights: dict[str, int]) -> str:
    return rnd.choices(list(weights), weights=list(weights.values()))[0]


class Texts:
    """Complaint texts per language: demo complaints (fresh order numbers) and filled templates."""

    def __init__(self) -> None:
        corpus = json.loads(CORPUS.read_text("utf-8"))["complaints"]
        self.demo: dict[str, list[Post]] = {lang: [] for lang in LANGS}
        for c in corpus:
            self.demo[c["language"]].append(Post(c.get("title"), c["body"]))

    def complaint(self, rnd: random.Random, lang: str) -> tuple[Post, str]:
        spec = LANGS[lang]
        if self.demo[lang] and rnd.random() < 0.3:
            base = rnd.choice(self.demo[lang])
            body = ORDER.sub(lambda m: f"{rnd.randint(1000, 9999)}-{rnd.randint(100, 999)}", base.body)
            post = Post(base.title, body)
        else:
            post = templated(rnd, lang)
            extra = " ".join(rnd.sample(spec["added"], rnd.randint(0, 2)))
            body = f"{post.body} {extra}".strip()
            if rnd.random() < 0.5:
                body += "\n" + _person(spec, rnd, rnd.choice(spec["closing"]))
            title = rnd.choice(spec["titles"]) if rnd.random() < 0.6 else None
            post = Post(title, body)
        return post, _person(spec, rnd, "{first} {last}")

    @staticmethod
    def crosspost(rnd: random.Random, post: Post, lang: str) -> Post:
        for name in rnd.sample(sorted(EDITS), rnd.randint(1, 2)):
            post = EDITS[name](post, lang, rnd)
        return post


@dataclass
class FillStats:
    cases: int = 0
    mentions: int = 0
    events: int = 0
    replies: int = 0
    customers: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Batch:
    cases: list[dict[str, Any]] = field(default_factory=list)
    mentions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    replies: list[dict[str, Any]] = field(default_factory=list)
    promises: list[dict[str, Any]] = field(default_factory=list)


class Generator:
    """Rows for a chunk of cases. Ids follow from the case id (mentions 2i-1 and 2i, events 8i-7.., reply i),
    so chunks are independent: they are made in a worker process while the previous one is written."""

    def __init__(self, seed: int, brands: dict[str, int], sources: dict[str, int], customers: list[tuple[int, str]]):
        self.rnd = random.Random(seed)
        self.texts = Texts()
        self.brands, self.sources, self.customers = brands, sources, customers
        self.sites = {b: [k for k, kb in SITES.items() if kb == b] for b in brands}
        self.mention_id = self.event_id = 0

    def _mention(self, case_id: int, brand: str, site: str, post: Post, author: str, lang: str,
                 seen: datetime, method: str, place: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        rnd = self.rnd
        self.mention_id += 1
        ext = f"{site}-{self.mention_id}"
        url = f"https://{site}.example/complaints/{self.mention_id}"
        return {
            "id": self.mention_id, "source_id": self.sources[site], "dedup_key": f"id:{ext}", "external_id": ext,
            "url": url, "canonical_url": url, "title": post.title, "body": post.body, "author": author,
            "published_at": seen - timedelta(minutes=rnd.randint(1, 120)), "first_seen_at": seen,
            "last_seen_at": NOW, "revised_at": seen, "rating": rnd.choice([1.0, 1.0, 2.0, 3.0, None]),
            "language": lang, "content_hash": hashlib.sha256(post.body.encode()).hexdigest(), "revision": 1,
            "brand_id": self.brands[brand], "replies": [], "brand_rule": "source", "case_id": case_id,
            "case_method": method, "case_score": None if method == "opened" else round(rnd.uniform(80, 99), 1),
            "processed_at": seen, **place,
        }  # fmt: skip

    def _event(self, batch: Batch, case_id: int, at: datetime, actor: str, kind: str, mention_id: int | None,
               **data: Any) -> None:  # fmt: skip
        self.event_id += 1
        batch.events.append({"id": self.event_id, "case_id": case_id, "at": at, "actor": actor, "kind": kind,
                             "mention_id": mention_id, "data": data})  # fmt: skip

    def _place(self, since: datetime, due: datetime, is_open: bool, replied: datetime | None) -> dict[str, Any]:
        return _place_row(since, due, is_open, replied)

    def _promise(self, case_id: int, mention_id: int, made: datetime, span: timedelta,
                 resolved: datetime | None) -> dict[str, Any]:  # fmt: skip
        return _promise_row(self.rnd, case_id, mention_id, made, span, resolved)

    def batch(self, first_id: int, count: int) -> Batch:
        batch = Batch()
        for case_id in range(first_id, first_id + count):
            self.mention_id, self.event_id = 2 * case_id - 2, 8 * case_id - 8
            self._case(batch, case_id)
        return batch

    def _case(self, batch: Batch, case_id: int) -> None:
        rnd = self.rnd
        lang = _pick(rnd, LANG_WEIGHTS)
        brand = "acme" if rnd.random() < 0.7 else "beta"
        status = _pick(rnd, STATUSES)
        priority, category = _pick(rnd, PRIORITIES), _pick(rnd, CATEGORIES)
        is_open = status in ("new", "acknowledged", "in_progress")
        # Unanswered cases are the recent ones; answered open ones go back 12 days, finished ones 60.
        days = 4 if status == "new" else 12 if is_open else 60
        opened = NOW - timedelta(seconds=rnd.uniform(60, days * 86400))
        first_span, resolution_span = TARGETS[priority]
        response_due = opened + first_span * rnd.uniform(1, 3)
        resolution_due = opened + resolution_span * rnd.uniform(1, 3)
        response_risk = opened + (response_due - opened) * 0.75
        resolution_risk = opened + (resolution_due - opened) * 0.75

        post, author = self.texts.complaint(rnd, lang)
        sites = rnd.sample(self.sites[brand], 2)
        answered = status not in ("new", "dismissed", "merged")
        places = [self._place(opened, response_due, is_open, None)]
        mentions = [self._mention(case_id, brand, sites[0], post, author, lang, opened, "opened", places[0])]
        if rnd.random() < 0.33:
            seen = min(NOW, opened + timedelta(minutes=rnd.uniform(5, 600)))
            copy = self.texts.crosspost(rnd, post, lang)
            places.append(self._place(seen, seen + first_span * rnd.uniform(1, 3), is_open, None))
            mentions.append(self._mention(case_id, brand, sites[1], copy, author, lang, seen, "duplicate", places[1]))
        title = (post.title or " ".join(post.body.split())[:120])[:300]
        text = ""
        for m in mentions:  # as monitor.cases.pipeline._add_to_case builds it
            if len(text) < SEARCH_CAP:
                more = searchable(title if not text else None, m["author"], m["title"], m["body"])
                text = f"{text} {more}".strip()[:SEARCH_CAP]

        first_reply = resolved = closed = None
        response_sla = resolution_sla = "running"
        if answered:
            first_reply = min(NOW - timedelta(minutes=1), opened + (response_due - opened) * rnd.uniform(0.1, 1.5))
            first_reply = max(first_reply, opened + timedelta(seconds=30))
            response_sla = "met" if first_reply <= response_due else "missed"
        else:
            response_sla = _clock(response_risk, response_due)
        if status in ("resolved", "closed"):
            resolved = min(NOW, max(first_reply or opened, opened + (resolution_due - opened) * rnd.uniform(0.3, 1.4)))
            resolution_sla = "met" if resolved <= resolution_due else "missed"
            if status == "closed":
                closed = min(NOW, resolved + timedelta(hours=rnd.uniform(1, 72)))
        elif status in ("dismissed", "merged"):
            response_sla = resolution_sla = "stopped"
        else:
            resolution_sla = _clock(resolution_risk, resolution_due)

        customer_id = customer_name = customer_state = None
        if rnd.random() < 0.2 and self.customers:
            customer_id, customer_name = rnd.choice(self.customers)
            customer_state = rnd.choice(["auto", "auto", "confirmed", "suggested"])
            if customer_state == "suggested":
                customer_id = None
        assignee = None if rnd.random() < 0.4 or (status == "new" and rnd.random() < 0.5) else rnd.choice(ASSIGNEES)
        reasons = [f"category {category}"] + (["1-star rating"] if mentions[0]["rating"] == 1.0 else [])
        updated = max([m["first_seen_at"] for m in mentions] + [t for t in (first_reply, resolved, closed) if t])
        batch.cases.append({
            "id": case_id, "brand_id": self.brands[brand], "status": status, "title": title, "language": lang,
            "opened_at": opened, "updated_at": updated, "last_mention_at": mentions[-1]["first_seen_at"],
            "mention_count": len(mentions), "customer_id": customer_id, "customer_state": customer_state,
            "customer_score": round(rnd.uniform(60, 100), 1) if customer_state else None,
            "merged_into_id": rnd.randint(1, case_id - 1) if status == "merged" and case_id > 1 else None,
            "category": category, "priority": priority, "priority_reasons": reasons, "priority_by": "triage",
            "assignee": assignee,
            "dismissed_reason": rnd.choice(["spam", "not_about_us", "duplicate"]) if status == "dismissed" else None,
            "response_due_at": response_due, "response_risk_at": response_risk, "response_sla": response_sla,
            "first_reply_at": first_reply, "resolution_due_at": resolution_due, "resolution_risk_at": resolution_risk,
            "resolution_sla": resolution_sla, "resolved_at": resolved, "closed_at": closed, "search_text": text,
            "places_unanswered": len(mentions) - (first_reply is not None),
        })  # fmt: skip
        if first_reply is not None:  # the first place was answered; a cross-post is left waiting, as often happens
            mentions[0].update(self._place(opened, response_due, is_open, first_reply))
            if status in ("acknowledged", "in_progress", "resolved", "closed"):
                batch.promises.append(self._promise(case_id, mentions[0]["id"], first_reply, resolution_span, resolved))
        batch.mentions += mentions

        first = mentions[0]["id"]
        self._event(batch, case_id, opened, "system", "case.opened", first, brand_rule="source")
        self._event(batch, case_id, opened, "system", "case.triaged", None, category=category, priority=priority,
                    reasons=reasons, response_due_at=response_due.isoformat(),
                    resolution_due_at=resolution_due.isoformat())  # fmt: skip
        for m in mentions[1:]:
            self._event(batch, case_id, m["first_seen_at"], "system", "mention.joined", m["id"], method="duplicate",
                        score=m["case_score"], similar_to=first)  # fmt: skip
        if customer_name:
            self._event(batch, case_id, opened, "system", "customer.linked", None, customer_id=customer_id)
        if assignee:
            self._event(batch, case_id, opened + timedelta(minutes=5), "lead", "assignee.changed", None, old=None,
                        new=assignee)  # fmt: skip
        if first_reply is not None:
            actor = assignee or "anna"
            batch.replies.append({
                "id": case_id, "case_id": case_id, "mention_id": first, "draft_id": None, "kind": "first",
                "text": f"{author.split()[0]}, thank you for telling us; we are on it (case #{case_id}).",
                "url": f"{mentions[0]['url']}#reply", "posted_at": first_reply, "recorded_by": actor,
                "recorded_at": first_reply, "verify_state": "unverifiable", "verified_at": None, "checked_at": None,
            })  # fmt: skip
            self._event(batch, case_id, first_reply, actor, "reply.recorded", first, reply="first")
            self._event(batch, case_id, first_reply, actor, "status.changed", None, old="new", new="acknowledged")
        if status not in ("new", "acknowledged"):
            at = closed or resolved or first_reply or updated
            self._event(batch, case_id, at, assignee or "lead", "status.changed", None, old="acknowledged", new=status)


def _place_row(since: datetime, due: datetime, is_open: bool, replied: datetime | None) -> dict[str, Any]:
    """A place's reply state and clock as monitor.cases.places leaves them at NOW."""
    risk = since + (due - since) * 0.75
    if replied is not None:
        state, clock = "replied", "met" if replied <= due else "missed"
    else:
        state, clock = "unanswered", _clock(risk, due) if is_open else "stopped"
    return {"place_state": state, "place_since": since, "place_due_at": due, "place_risk_at": risk,
            "place_sla": clock, "place_replied_at": replied}  # fmt: skip


def _promise_row(rnd: random.Random, case_id: int, mention_id: int, made: datetime, span: timedelta,
                 resolved: datetime | None) -> dict[str, Any]:  # fmt: skip
    """The promise of a case's first reply, as monitor.cases.promises leaves it at NOW."""
    due = made + span * rnd.uniform(0.5, 2)
    risk = made + (due - made) * 0.75
    settled = settled_by = None
    if resolved is not None:
        state, settled, settled_by = ("kept", resolved, "resolution") if resolved <= due else ("broken", due, "lapsed")
    else:
        state = "broken" if due <= NOW else "at_risk" if risk <= NOW else "open"
        settled, settled_by = (due, "lapsed") if state == "broken" else (None, None)
    return {"id": case_id, "case_id": case_id, "mention_id": mention_id, "reply_id": case_id, "made_at": made,
            "due_at": due, "risk_at": risk, "state": state, "origin": "phrase", "phrase": "within two working days",
            "made_by": "anna", "settled_at": settled, "settled_by": settled_by, "interim_draft_id": None}  # fmt: skip


def _clock(risk: datetime, due: datetime) -> str:
    """A running clock's state after a sweep at NOW (monitor.cases.sla.sweep)."""
    return "breached" if due <= NOW else "at_risk" if risk <= NOW else "running"


TABLES: list[Any] = [Case, Mention, CaseEvent, Reply, Promise]  # in the order they refer to each other


def make_chunk(
    seed: int, brands: dict[str, int], sources: dict[str, int], customers: list[tuple[int, str]], first: int,
    count: int, dialect: str,
) -> tuple[dict[str, int], list[list[tuple[Any, ...]] | str]]:  # fmt: skip
    """One chunk of cases, encoded for `dialect` (runs in the worker process)."""
    batch = Generator(seed * 1_000_003 + first, brands, sources, customers).batch(first, count)
    lists = [batch.cases, batch.mentions, batch.events, batch.replies, batch.promises]
    counts = {t.__tablename__: len(rows) for t, rows in zip(TABLES, lists, strict=True)}
    return counts, [encode_rows(t.__table__, rows, dialect) for t, rows in zip(TABLES, lists, strict=True)]


def _customers(rnd: random.Random, brands: dict[str, int]) -> Iterator[dict[str, Any]]:
    for i in range(1, CUSTOMERS + 1):
        lang = _pick(rnd, LANG_WEIGHTS)
        name = _person(LANGS[lang], rnd, "{first} {last}")
        yield {
            "id": i, "brand_id": brands["acme" if i % 10 < 7 else "beta"], "external_id": f"C{i:06d}",
            "full_name": name, "names": [name], "emails": [f"c{i}@mail.example"], "phones": [],
            "orders": [f"{rnd.randint(1000, 9999)}-{rnd.randint(100, 999)}"], "city": None,
            "tier": rnd.choice(["gold", "silver", None]), "lifetime_value": round(rnd.uniform(50, 5000), 2),
            "created_at": NOW - timedelta(days=90), "updated_at": NOW - timedelta(days=90),
        }  # fmt: skip


def fill(engine: sa.Engine, *, cases: int, seed: int = 2026, chunk: int = 10_000, log: Any = print) -> FillStats:
    """Brands and sources as the API syncs them, then customers and `cases` cases in chunks of `chunk`."""
    stats = FillStats()
    started = time.perf_counter()
    with session_scope(make_session_factory(engine)) as session:
        sync_config(session=session, config=bench_config(), now=NOW - timedelta(days=90))
    with engine.connect() as conn:
        brands = dict(conn.execute(sa.select(Brand.key, Brand.id)).all())
        sources = dict(conn.execute(sa.select(Source.key, Source.id)).all())
    rnd = random.Random(seed)
    customer_rows = list(_customers(rnd, brands))
    with engine.begin() as conn:
        write_rows(conn, Customer.__table__, encode_rows(Customer.__table__, customer_rows, engine.dialect.name))  # type: ignore[arg-type]
    stats.customers = len(customer_rows)
    people = [(c["id"], c["full_name"]) for c in customer_rows]
    dialect = engine.dialect.name
    pending: collections.deque[Future[Any]] = collections.deque()
    starts = iter(range(1, cases + 1, chunk))
    wait = 0.0
    # Fork: the workers inherit the imported modules. Generating costs twice what writing does: two workers, three
    # chunks ahead, keep both CPUs busy while this process writes.
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        while True:
            while len(pending) < 3 and (first := next(starts, None)) is not None:
                count = min(chunk, cases - first + 1)
                pending.append(pool.submit(make_chunk, seed, brands, sources, people, first, count, dialect))
            if not pending:
                break
            t0 = time.perf_counter()
            counts, payloads = pending.popleft().result()
            wait += time.perf_counter() - t0
            with engine.begin() as conn:  # one transaction per chunk
                for table, payload in zip(TABLES, payloads, strict=True):
                    write_rows(conn, table.__table__, payload)
            stats.cases += counts["cases"]
            stats.mentions += counts["mention"]
            stats.events += counts["case_event"]
            stats.replies += counts["reply"]
            if stats.cases % (chunk * 5) == 0:
                log(f"  {stats.cases:,} cases, {stats.mentions:,} mentions ({time.perf_counter() - started:.0f} s)")
    t0 = time.perf_counter()
    with engine.begin() as conn:
        reset_sequences(conn, [t.__table__ for t in (Customer, Case, Mention, CaseEvent, Reply, Promise)])  # type: ignore[attr-defined]
        if conn.dialect.name == "postgresql":
            # What autovacuum does within a minute of a bulk load; measured plans should not depend on its timing.
            conn.exec_driver_sql("ANALYZE")
    stats.seconds = {"waiting for the generator": wait, "finish": time.perf_counter() - t0,
                     "total": time.perf_counter() - started}  # fmt: skip
    return stats
