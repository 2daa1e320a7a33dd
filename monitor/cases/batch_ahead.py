"""The next batch's text work, done in a second process while this one places and writes the batch.

Steps 1-2 of the case step (brand, tone) and the near-duplicate signature read nothing but the
mention's own row and the config: about 40 % of the step's CPU. `Lookahead` hands the pending
mentions that follow the batch being placed to one helper process (forked once per
`process_cases` run, so it starts with the loaded config, tone model and brand map) and keeps
its answers by the mention's row. The next batch is still claimed as before (FOR UPDATE SKIP
LOCKED): an answer is used only for a claimed mention whose row is the one the helper read,
value for value; any other mention (taken by another worker meanwhile, edited, tied to a brand
by staff) is worked out in this process as before. Nothing here writes, so a helper that dies
or answers late costs time, never a mention: its batch is done here.

Used only when the queue holds more than one batch (a full first batch), and only where
processes can be forked (Linux); the results are the ones this process would compute.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import structlog
from sqlmodel import Session

from monitor.cases.batch_state import POST_COLUMNS, Post
from monitor.cases.brands import BrandMatcher
from monitor.cases.dedupe import Signature, signature
from monitor.cases.dedupe_evidence import document_terms
from monitor.cases.tone import tone_classifier
from monitor.config import Config
from monitor.models import Brand, Mention, Source

__all__ = ["Decided", "Lookahead", "decide"]

log = structlog.get_logger("replywatch.cases")

# A pending mention as POST_COLUMNS reads it: the key of the helper's answers.
Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Decided:
    """Steps 1-2 for one post and, for a post that goes on to a case, its signature and triage reading."""

    outcome: str  # "unassigned", "kept" or "place"
    tone: str | None
    tone_reasons: tuple[str, ...]
    brand_id: int | None
    brand_rule: str | None
    signature: Signature | None = None
    triage: tuple[str, dict[str, str]] | None = None  # Triager.read of the post's own text
    terms: set[str] | None = None  # dedupe_evidence.document_terms of its prepared text, if it is indexed


def decide(
    config: Config,
    matcher: BrandMatcher,
    post: Post | Mention,
    source_brand: str | None,
    brand_ids: dict[str, int],
    source_key: str | None = None,
) -> Decided:
    """Steps 1-2 in memory (pipeline._brand_and_tone), and the signature of a post to place. Reads and
    changes nothing: the caller applies the result. `source_key` picks the source's tone domain."""
    text = f"{post.title or ''}\n{post.body}"
    classifier = tone_classifier(config, config.tone_domain(source_key))
    tone = classifier.classify(text, rating=post.rating, language=post.language)
    brand_id, rule = post.brand_id, post.brand_rule
    if brand_id is None:
        hits = matcher.match(text, source_brand=source_brand)
        if not hits or hits[0].brand not in brand_ids:
            return Decided("unassigned", tone.tone, tuple(tone.reasons), None, rule)
        brand_id, rule = brand_ids[hits[0].brand], hits[0].rule
    else:
        rule = rule or "source"
    if tone.tone not in config.cases.tone.open_case_for:
        return Decided("kept", tone.tone, tuple(tone.reasons), brand_id, rule)
    return Decided("place", tone.tone, tuple(tone.reasons), brand_id, rule)


# -- the helper process ------------------------------------------------------------------------

_HELPER: dict[str, Any] = {}


def _start_helper(config: Config, matcher: BrandMatcher) -> None:
    _HELPER.update(config=config, matcher=matcher)
    # Forked while a batch holds the cyclic collector paused (pipeline._collector_paused), the helper would
    # keep it paused for good. It runs again, over what the helper makes: what it inherited (config,
    # models, the parent's heap) lives as long as it does and is moved out of the collector's sight.
    gc.freeze()
    gc.enable()


def _work(
    rows: list[Row], sources: dict[int, tuple[str | None, str | None]], brand_ids: dict[str, int]
) -> list[Decided]:
    """In the helper: `decide`, the signature and the triage reading of each row."""
    from monitor.cases.lifecycle import desk_rules

    config, matcher = _HELPER["config"], _HELPER["matcher"]
    triager = desk_rules(config).triager
    out = []
    for row in rows:
        post = Post(*row)
        brand_key, source_key = sources.get(post.source_id, (None, None))
        decided = decide(config, matcher, post, brand_key, brand_ids, source_key)
        if decided.outcome == "place":
            assert decided.brand_id is not None
            sig = signature(post.title, post.body, brand_id=decided.brand_id)
            reading = triager.read(post.text)
            terms = document_terms(sig.text) if sig.band_keys else None
            decided = Decided(*(getattr(decided, f) for f in _PLAIN), signature=sig, triage=reading, terms=terms)
        out.append(decided)
    return out


_PLAIN = ("outcome", "tone", "tone_reasons", "brand_id", "brand_rule")


class Lookahead:
    """One helper process working on the batch after the current one (module docstring)."""

    # A batch's text work takes the helper a fraction of a second. One that has not answered in this long
    # is stuck (a process forked from a threaded one can inherit a lock held by another thread): it is
    # ended and this process does the work, so a stuck helper never stops the case step.
    TIMEOUT_S = 60.0

    def __init__(self, config: Config, matcher: BrandMatcher, *, timeout: float = TIMEOUT_S) -> None:
        self.config, self.matcher = config, matcher
        self.timeout = timeout
        self._pool: ProcessPoolExecutor | None = None
        self._pending: tuple[list[Row], Future[list[Decided]]] | None = None
        self._broken = False

    @staticmethod
    def available() -> bool:
        return "fork" in multiprocessing.get_all_start_methods()

    def submit(self, session: Session, after_id: int, limit: int) -> None:
        """Send the `limit` pending mentions after `after_id` to the helper (read, not claimed)."""
        if self._broken or self._pending is not None:
            return
        query = (
            sa.select(*POST_COLUMNS)
            .where(Mention.processed_at.is_(None), Mention.id > after_id)
            .order_by(Mention.id)
            .limit(limit)
        )
        rows = [tuple(row) for row in session.execute(query)]
        if not rows:
            return
        source_ids = {row[1] for row in rows}
        query = sa.select(Source.id, Source.brand_key, Source.key).where(Source.id.in_(source_ids))
        sources = {source_id: (brand_key, key) for source_id, brand_key, key in session.execute(query)}
        brand_ids = {key: bid for key, bid in session.execute(sa.select(Brand.key, Brand.id)) if bid is not None}
        try:
            if self._pool is None:
                # Forked: the helper starts with this process's loaded config, model and brand map at no
                # cost; it never touches this process's connections (a spawned one imported for seconds).
                self._pool = ProcessPoolExecutor(
                    1,
                    mp_context=multiprocessing.get_context("fork"),
                    initializer=_start_helper,
                    initargs=(self.config, self.matcher),
                )
            self._pending = (rows, self._pool.submit(_work, rows, sources, brand_ids))
        except Exception:  # no helper: this process does the work, as without one
            log.warning("case.lookahead_failed", exc_info=True)
            self._broken = True

    def take(self, posts: Sequence[Post], rows: Sequence[Row]) -> dict[int, Decided]:
        """The helper's answers for the claimed `posts` (their `rows` as read), by mention id: only for
        rows the helper read exactly so. Waits for the helper's batch if these posts are in it."""
        if self._pending is None:
            return {}
        sent, future = self._pending
        first, last = sent[0][0], sent[-1][0]
        if not any(first <= post.id <= last for post in posts):
            if future.done():
                self._pending = None  # an answer nobody claimed (another worker's): dropped
            return {}
        self._pending = None
        try:
            answers = future.result(timeout=self.timeout)
        except FutureTimeout:
            log.warning("case.lookahead_failed", reason=f"no answer within {self.timeout:g} s: the helper is ended")
            self._end_stuck_helper()
            return {}
        except Exception:
            log.warning("case.lookahead_failed", exc_info=True)
            self._broken = True
            return {}
        by_row = dict(zip(sent, answers, strict=True))
        out = {}
        for post, row in zip(posts, rows, strict=True):
            decided = by_row.get(row)
            if decided is not None:
                out[post.id] = decided
        return out

    def _end_stuck_helper(self) -> None:
        self._broken = True
        if self._pool is None:
            return
        # ProcessPoolExecutor can cancel work not started, not stop a process that hangs: end it. SIGKILL, as
        # the helper inherits the worker's SIGTERM handling (monitor.cli.polling: asyncio's handler, which only
        # wakes a loop the helper does not run), and it never writes, so nothing is left half done.
        for process in list((getattr(self._pool, "_processes", None) or {}).values()):
            process.kill()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            pending = self._pending
            if pending is not None and not pending[1].done():
                wait([pending[1]], timeout=self.timeout)  # an answer nobody took: let it finish
            if pending is not None and not pending[1].done():
                self._end_stuck_helper()
            else:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        self._pending = None

    def __enter__(self) -> Lookahead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
