"""Cases: every new mention is tied to a brand, then opens a case or joins one, then the case looks for its customer.

This runs as its own step after ingest (`process_pending`), on mentions whose
`processed_at` is still NULL, so a poll stays fast and a crash between the two
steps loses nothing: the mention is stored, and the step picks it up next time.

For each pending mention, in order:
  1. Brand. The source's fixed brand, else the first brand its text names
     (monitor.cases.brands). No brand: the mention stays unassigned, listed for staff,
     never dropped.
  2. Tone. The mention is classed complaint, question or praise (monitor.cases.tone); the class
     and its reasons are kept on it. A tone not in `cases.tone.open_case_for` (praise, by
     default) opens no case and joins none: the mention is kept, listed with its tone, and
     staff can still open a case for it (assign_brand).
  3. Case. A near-duplicate in a recent case of the same brand (monitor.cases.dedupe)
     means "join it" (method "duplicate", with the score); otherwise it opens a new
     case. The mention's LSH bands are indexed either way, so later posts find it.
  4. Customer. The case's texts and authors are matched against the register
     (monitor.customers.candidates): the best candidate at or above `link_at` is linked
     ("auto"), candidates at or above `suggest_at` are suggested; below, nothing.

Staff decisions (monitor.desk.decisions: split, merge, confirm or reject a
customer) always win, and the automation never undoes them: it never moves a
mention that is already in a case, never replaces a linked customer, and never
suggests a rejected one again. Each change is written to the case timeline; a
case opening is also an outbox event.

Edits (`follow_edits`): when ingest revises the text of a mention that is part of a
case, the case's near-duplicate index follows the new text (a later cross-post of the
edited complaint finds it) and the timeline gets `mention.edited`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import structlog
from sqlmodel import Session

from monitor.cases.batch import CaseBatch
from monitor.cases.batch_ahead import Decided, Lookahead, decide
from monitor.cases.batch_state import POST_COLUMNS, SEARCH_CAP, Post, searchable
from monitor.cases.brands import BrandMatcher
from monitor.cases.dedupe import PostFacts, find_duplicate, index_mention, signature
from monitor.cases.dedupe_rarity import offer_terms
from monitor.cases.lifecycle import CaseConflict, CaseError, CaseInvalid, desk_rules, triage_case
from monitor.cases.locks import lock_brands
from monitor.cases.places import add_place
from monitor.cases.timeline import SYSTEM, append, note
from monitor.config import BrandConfig, Config
from monitor.core.errors import NotFound
from monitor.customers.candidates import find_candidates
from monitor.ingest.store import EditedMention
from monitor.models import Brand, Case, CaseCandidate, Mention, Source
from monitor.models.events import emit

__all__ = [
    "SEARCH_CAP",
    "CaseError",
    "ProcessCounts",
    "assign_brand",
    "brand_matcher",
    "follow_edits",
    "process_pending",
    "searchable",
]

log = structlog.get_logger("replywatch.cases")


@dataclass(slots=True)
class ProcessCounts:
    processed: int = 0
    unassigned: int = 0
    opened: int = 0
    joined: int = 0
    # Mentions whose tone opens no case (cases.tone.open_case_for): kept and listed, no SLA clock.
    kept: int = 0
    failed: int = 0


def brand_matcher(config: Config) -> BrandMatcher:
    """The brand map of `config`, built once per loaded config (Config.derived)."""
    return config.derived("brand_matcher", lambda c: BrandMatcher(c.brands))


def process_pending(
    *,
    session: Session,
    config: Config,
    matcher: BrandMatcher,
    now: datetime,
    limit: int = 200,
    ahead: Lookahead | None = None,
) -> ProcessCounts:
    """Run steps 1-4 on up to `limit` pending mentions, oldest first, as one batch.

    The batch is placed in memory and written with one statement a table (monitor.cases.batch),
    inside a savepoint. If anything in it raises, the savepoint is rolled back and the same
    mentions are processed one by one, each in its own savepoint: one that fails (a bug, a bad
    text) is logged, marked processed and left unassigned for staff, so it cannot block the queue.
    Rows are claimed with FOR UPDATE SKIP LOCKED, so several workers on PostgreSQL share the queue;
    the placing holds a lock on each brand it places posts of (monitor.cases.locks), so a re-post in
    one worker's batch finds its original in another's once that one is committed.

    `ahead` (monitor.cases.batch_ahead): a helper process that works out the next batch's brand,
    tone and signatures while this one is placed; its answers for this batch are used where they fit.
    """
    query = (
        sa.select(*POST_COLUMNS)
        .where(Mention.processed_at.is_(None))
        .order_by(Mention.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = [tuple(row) for row in session.execute(query)]
    if not rows:
        return ProcessCounts()
    posts = [Post(*row) for row in rows]
    decided = ahead.take(posts, rows) if ahead is not None else {}

    def read_ahead() -> None:
        # After this batch's text work: a helper forked now starts with its models loaded, and works on the
        # next batch while this one is placed and written (a full batch: more are likely pending).
        if ahead is not None and len(posts) == limit:
            ahead.submit(session, posts[-1].id, limit)

    savepoint = session.begin_nested()
    try:
        with _collector_paused():
            counts = _process_batch(session, config, matcher, posts, now, decided, read_ahead)
        savepoint.commit()
        return counts
    except Exception:
        savepoint.rollback()
        log.warning("case.batch_failed", mentions=len(posts), first_id=posts[0].id, exc_info=True)
        session.info.pop("dedupe_rarity", None)  # it may hold the failed batch's texts
    return _one_by_one(session, config, matcher, [p.id for p in posts], now)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is placed and written: the batch makes ~100,000 small
    objects (rows, tuples, dicts) that reference counting frees, and the collector's passes over them and
    over everything the process keeps (the tone model, the kept word counts) were ~15 % of the step's CPU.
    Whatever cycles the batch leaves are collected by the next pass after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _process_batch(
    session: Session, config: Config, matcher: BrandMatcher, posts: list[Post], now: datetime,
    decided: dict[int, Decided], read_ahead: Callable[[], None] = lambda: None,
) -> ProcessCounts:  # fmt: skip
    counts = ProcessCounts(processed=len(posts))
    sources = {s.id: s for s in session.scalars(sa.select(Source).where(Source.id.in_({p.source_id for p in posts})))}
    brands = {b.key: b for b in session.scalars(sa.select(Brand))}
    batch = CaseBatch(session, config, desk_rules(config), now, {b.id: b.key for b in brands.values() if b.id},
                      {s.id: s.weight for s in sources.values() if s.id})  # fmt: skip
    to_place: list[Post] = []
    others: list[Post] = []
    brand_ids = {key: b.id for key, b in brands.items() if b.id is not None}
    terms: dict[str, set[str]] = {}
    for post in posts:
        ready = decided.get(post.id)
        if ready is None:
            source = sources[post.source_id]
            ready = decide(config, matcher, post, source.brand_key, brand_ids, source.key)
        outcome = _apply(post, ready)
        if outcome == "place":
            to_place.append(post)
            post.signature, post.triage = ready.signature, ready.triage
            if ready.signature is not None and ready.terms is not None:
                terms[ready.signature.text] = ready.terms
        else:
            others.append(post)
            setattr(counts, outcome, getattr(counts, outcome) + 1)
    if terms:
        offer_terms(terms)  # for the word rarity of this batch or the next (dedupe_rarity)
    for post in to_place:  # text work only, before the lock: another worker may be placing meanwhile
        assert post.brand_id is not None
        if post.signature is None:
            post.signature = signature(post.title, post.body, brand_id=post.brand_id)
    read_ahead()
    # Taken inside the batch's savepoint: if the batch is rolled back, so are its locks, and the
    # fallback takes them again in order (holding some while waiting for others could deadlock).
    lock_brands(session, (p.brand_id for p in to_place if p.brand_id is not None))
    batch.index.prefetch(
        [p.signature for p in to_place if p.signature is not None],
        [p.published_at or p.first_seen_at for p in to_place],
    )
    for post in to_place:
        outcome = batch.place(post)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
    batch.write(others)
    return counts


def _one_by_one(
    session: Session, config: Config, matcher: BrandMatcher, ids: list[int], now: datetime
) -> ProcessCounts:
    counts = ProcessCounts()
    pending = list(session.scalars(sa.select(Mention).where(Mention.id.in_(ids)).order_by(Mention.id)))
    sources = {s.id: s for s in session.scalars(sa.select(Source).where(Source.id.in_({m.source_id for m in pending})))}
    brands = {b.key: b for b in session.scalars(sa.select(Brand))}
    # Outside the mentions' savepoints, every brand a mention could be tied to (the batch's brands
    # are not known before each mention's brand step); a rare path, only after a failed batch.
    lock_brands(session, (b.id for b in brands.values() if b.id is not None))
    for mention in pending:
        try:
            with session.begin_nested():
                outcome = _process(session, config, matcher, mention, sources[mention.source_id], brands, now)
        except Exception:
            log.exception("case.process_failed", mention_id=mention.id)
            counts.failed += 1
            outcome = "failed"
        mention.processed_at = now
        counts.processed += 1
        if outcome in ("unassigned", "opened", "joined", "kept"):
            setattr(counts, outcome, getattr(counts, outcome) + 1)
    session.flush()
    return counts


def follow_edits(*, session: Session, edited: Sequence[EditedMention], now: datetime) -> None:
    """Re-index edited mentions of cases and note each edit on its case's timeline (module docstring)."""
    for edit in edited:
        # Edits are rare (a handful per poll at most), so the MinHash is made here, in the transaction.
        sig = signature(edit.title, edit.body, brand_id=edit.brand_id)
        index_mention(session=session, mention_id=edit.mention_id, signature=sig)
        append(session, edit.case_id, at=now, kind="mention.edited", mention_id=edit.mention_id,
               data={"revision": edit.revision})  # fmt: skip


def _process(
    session: Session,
    config: Config,
    matcher: BrandMatcher,
    mention: Mention,
    source: Source,
    brands: dict[str, Brand],
    now: datetime,
) -> str:
    outcome = _brand_and_tone(config, matcher, mention, source, brands)
    if outcome != "place":
        return outcome
    return _place(session, config, mention, now, actor=SYSTEM)


def _brand_and_tone(
    config: Config, matcher: BrandMatcher, mention: Mention | Post, source: Source, brands: dict[str, Brand]
) -> str:
    """Steps 1-2 in memory: "unassigned", "kept", or "place" (go on to the case)."""
    brand_ids = {key: b.id for key, b in brands.items() if b.id is not None}
    return _apply(mention, decide(config, matcher, mention, source.brand_key, brand_ids, source.key))


def _apply(mention: Mention | Post, decided: Decided) -> str:
    """What steps 1-2 decided, on the mention: "unassigned", "kept", or "place" (go on to the case)."""
    mention.tone, mention.tone_reasons = decided.tone, list(decided.tone_reasons)
    if decided.outcome == "unassigned":
        return "unassigned"
    mention.brand_id, mention.brand_rule = decided.brand_id, decided.brand_rule
    if decided.outcome == "kept":
        log.info("case.not_opened", mention_id=mention.id, tone=mention.tone)
    return decided.outcome


def _text(mention: Mention) -> str:
    return f"{mention.title or ''}\n{mention.body}"


def _place(session: Session, config: Config, mention: Mention, now: datetime, *, actor: str) -> str:
    """Open a case for the mention or join a near-duplicate's case; then look for the customer."""
    sig = signature(mention.title, mention.body, brand_id=mention.brand_id)
    facts = PostFacts(mention.author, mention.source_id, mention.published_at or mention.first_seen_at)
    duplicate = find_duplicate(session=session, signature=sig, settings=config.cases.dedupe, now=now, facts=facts)
    index_mention(session=session, mention_id=mention.id, signature=sig, content_hash=mention.content_hash, new=True)
    if duplicate is not None:
        case = session.get(Case, duplicate.case_id)
        assert case is not None
        _add_to_case(case, mention, now, method="duplicate", score=duplicate.score)
        note(session, case, now, actor, "mention.joined", mention,
               method=duplicate.method, score=round(duplicate.score, 1), similar_to=duplicate.mention_id,
               reasons=list(duplicate.reasons))  # fmt: skip
        outcome = "joined"
    else:
        case = Case(
            brand_id=mention.brand_id,
            title=(mention.title or " ".join(mention.body.split())[:120])[:300],
            language=mention.language,
            opened_at=now,
            updated_at=now,
            last_mention_at=now,
        )
        session.add(case)
        session.flush()
        _add_to_case(case, mention, now, method="opened", score=None)
        note(session, case, now, actor, "case.opened", mention, brand_rule=mention.brand_rule)
        emit(session, "case.opened", f"case:{case.id}", {"case_id": case.id, "mention_id": mention.id}, now=now)
        outcome = "opened"
    look_for_customer(session, config, case, now)
    triage_case(session=session, rules=desk_rules(config), case=case, now=now, actor=actor)
    return outcome


def _add_to_case(case: Case, mention: Mention, now: datetime, *, method: str, score: float | None) -> None:
    mention.case_id, mention.case_method, mention.case_score = case.id, method, score
    # Its own first-reply clock: from the case's opening, or for a cross-post found later, from its finding.
    add_place(case, mention, since=case.opened_at if method == "opened" else mention.first_seen_at)
    if len(case.search_text or "") < SEARCH_CAP:
        more = searchable(case.title if not case.search_text else None, mention.author, mention.title, mention.body)
        case.search_text = f"{case.search_text or ''} {more}".strip()[:SEARCH_CAP]
    case.mention_count += 1
    case.last_mention_at = max(case.last_mention_at, now)
    case.updated_at = now


def _brand_config(config: Config, session: Session, brand_id: int) -> BrandConfig | None:
    # The map from brand id to its config is small and fixed for a session: built once, kept on it.
    cache = session.info.setdefault("brand_configs", {})
    if brand_id not in cache:
        key = session.scalar(sa.select(Brand.key).where(Brand.id == brand_id))
        cache[brand_id] = next((b for b in config.brands if b.key == key), None)
    return cache[brand_id]


def look_for_customer(session: Session, config: Config, case: Case, now: datetime) -> None:
    if case.customer_state in ("confirmed", "auto"):
        return  # a link is never replaced by the automation
    settings = config.cases.customers
    brand = _brand_config(config, session, case.brand_id)
    mentions = list(session.scalars(sa.select(Mention).where(Mention.case_id == case.id)))
    known = {
        c.customer_id: c for c in session.scalars(sa.select(CaseCandidate).where(CaseCandidate.case_id == case.id))
    }
    rejected = {cid for cid, c in known.items() if c.state == "rejected"}
    candidates = find_candidates(
        session=session,
        brand_id=case.brand_id,
        texts=[_text(m) for m in mentions],
        authors=[m.author for m in mentions if m.author],
        order_pattern=brand.order_pattern if brand else None,
        default_region=brand.country if brand else None,
        exclude_customer_ids=rejected,
        limit=settings.max_suggestions,
    )
    for rank, found in enumerate(c for c in candidates if c.score >= settings.suggest_at):
        row = known.get(found.customer_id)
        if row is None:
            row = CaseCandidate(case_id=case.id, customer_id=found.customer_id, score=found.score, created_at=now)
            session.add(row)
        row.score, row.reasons = found.score, list(found.reasons)
        reasons = list(found.reasons)
        if rank == 0 and found.score >= settings.link_at:
            row.state = "linked"
            case.customer_id, case.customer_state, case.customer_score = found.customer_id, "auto", found.score
            note(
                session,
                case,
                now,
                SYSTEM,
                "customer.linked",
                customer_id=found.customer_id,
                score=found.score,
                reasons=reasons,
            )
        elif row.state == "suggested" and found.customer_id not in known:
            case.customer_state = case.customer_state or "suggested"
            note(
                session,
                case,
                now,
                SYSTEM,
                "customer.suggested",
                customer_id=found.customer_id,
                score=found.score,
                reasons=reasons,
            )
    session.flush()


# -- staff decisions ----------------------------------------------------------------------


def assign_brand(
    *, session: Session, config: Config, mention_id: int, brand_key: str, actor: str, now: datetime
) -> Case:
    """Staff tie an unassigned mention to a brand; it then opens or joins a case as usual."""
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise NotFound(f"no mention {mention_id}")
    brand = session.scalar(sa.select(Brand).where(Brand.key == brand_key))
    if brand is None:
        raise CaseInvalid(f"no brand with key '{brand_key}'")
    if mention.case_id is not None:
        raise CaseConflict(f"mention {mention_id} is already in case {mention.case_id}; split it from there")
    assert brand.id is not None
    # Before any write of ours (a row lock held while waiting): a worker may be placing a re-post now.
    lock_brands(session, [brand.id])
    mention.brand_id, mention.brand_rule, mention.processed_at = brand.id, "staff", now
    _place(session, config, mention, now, actor=actor)
    session.flush()
    case = session.get(Case, mention.case_id)
    assert case is not None
    return case
