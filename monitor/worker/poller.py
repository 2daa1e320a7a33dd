"""Runs polls: each tick (driven by monitor.worker.service) claims due sources and polls them concurrently.

Each tick leases as many due sources as there are free slots (`max_concurrency`
minus polls still in flight) and starts them as tasks; the tick itself returns at
once, so one slow source never holds up the others. While more sources are due than
there are slots, a quarter of the slots falling free claims again at once instead of
waiting for the next tick. Fetching is async (one shared httpx client); parsing,
normalising and language detection run in the CPU executor (`scheduler.parse_workers`
processes, or threads); database work runs in a dedicated executor (one thread on
SQLite, which has one writer anyway), so the write transaction of a poll holds only SQL.
Storing a poll and handing on what it stored is one job (monitor.worker.jobs.record_poll).
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog

from monitor.config import Config
from monitor.core import metrics
from monitor.core.db import SessionFactory, session_scope
from monitor.ingest.language import detect_languages
from monitor.ingest.parse_workers import parse_pool
from monitor.ingest.polling import Claim, Outcome, sync_config
from monitor.ingest.store import Normalised, changed_keys, language_text, prepare_mentions
from monitor.worker.jobs import PollResult, claim_polls, claim_source, record_poll
from sources.base import RawMention, collect
from sources.browser import BrowserFetcher
from sources.errors import SourceError
from sources.http import Fetcher
from sources.registry import KINDS

__all__ = ["Poller", "utcnow"]

log = structlog.get_logger("replywatch.poller")
T = TypeVar("T")


def _refill_at(limit: int) -> int:
    # Free slots worth a claim transaction: a quarter of them, so claims stay few and slots stay full.
    return max(1, limit // 4)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Poller:
    """Polls the sources of one config against one database; safe to run in several processes."""

    def __init__(
        self,
        *,
        config: Config,
        sessions: SessionFactory,
        fetcher: Fetcher | None = None,
        worker: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        cpu: Executor | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.fetcher = fetcher or Fetcher(config.fetcher_settings())
        self._own_fetcher = fetcher is None
        # Chromium starts on the first `fetch: browser` poll, not here: most watch lists never need it.
        self.browser = BrowserFetcher(self.fetcher, config.browser_settings()) if config.uses_browser else None
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        self.rng = rng or random.Random()
        sqlite = sessions.kw["bind"].dialect.name == "sqlite"
        # The worker's jobs run in this executor too (monitor.worker.service).
        self.db = ThreadPoolExecutor(max_workers=1 if sqlite else 4, thread_name_prefix="replywatch-db")
        workers = config.scheduler.parse_workers
        self._own_cpu = cpu is None and workers > 0
        self.cpu = cpu or (parse_pool(workers) if workers > 0 else None)
        self._inflight: set[asyncio.Task[PollResult]] = set()
        self._tick_lock = asyncio.Lock()
        self._more_due = False
        self._refill: asyncio.Task[None] | None = None
        # Set while the worker's schedule runs: only then do finishing polls claim more at once.
        self.refilling = False

    # -- running -------------------------------------------------------------------------

    async def sync(self) -> dict[str, int]:
        def work() -> dict[str, int]:
            with session_scope(self.sessions) as session:
                return sync_config(session=session, config=self.config, now=self.clock())

        return await self.in_db(work)

    async def tick(self) -> int:
        """Claim due sources into the free slots and start polling them; return how many started."""
        async with self._tick_lock:
            free = self.config.scheduler.max_concurrency - len(self._inflight)
            if free <= 0:
                return 0
            claims = await self._claim(free)
            # Every slot asked for was filled, so more sources may be due: refill as polls finish.
            self._more_due = len(claims) == free
            for claim in claims:
                task = asyncio.create_task(self._run(claim), name=f"poll:{claim.key}")
                self._inflight.add(task)
                task.add_done_callback(self._poll_done)
            return len(claims)

    def _poll_done(self, task: asyncio.Task[PollResult]) -> None:
        """Start the next polls when a quarter of the slots is free, without waiting for the next tick.

        Only while the worker's schedule runs and only when the last claim suggested more is due:
        otherwise every finished poll would cost a claim transaction that finds nothing.
        """
        self._inflight.discard(task)
        if not self.refilling or not self._more_due or self._refill is not None:
            return
        limit = self.config.scheduler.max_concurrency
        if limit - len(self._inflight) >= _refill_at(limit):
            self._refill = asyncio.get_running_loop().create_task(self._refill_slots(), name="poll-refill")

    async def _refill_slots(self) -> None:
        try:
            await self.tick()
        except Exception:
            # The regular tick tries again; a failed claim must not end the worker.
            log.exception("poll.refill_failed")
        finally:
            self._refill = None

    async def run_due(
        self, *, keys: set[str] | None = None, on_result: Callable[[PollResult], Any] | None = None
    ) -> list[PollResult]:
        """Poll every due source (or the given ones, due or not) and wait for all of them.

        Up to `max_concurrency` polls are in flight: when a quarter of the slots is free, more due
        sources are claimed, so one slow poll holds up no batch and parsing overlaps storing. A claim
        that returns fewer sources than asked means nothing more is due.
        """

        async def run(claim: Claim) -> PollResult:
            result = await self._run(claim)
            if on_result is not None:
                on_result(result)
            return result

        if keys:
            claims = [c for key in sorted(keys) if (c := await self._claim_key(key)) is not None]
            return list(await asyncio.gather(*(run(c) for c in claims)))
        limit = self.config.scheduler.max_concurrency
        results: list[PollResult] = []
        running: set[asyncio.Task[PollResult]] = set()
        more_due = True
        try:
            while True:
                free = limit - len(running)
                if more_due and (free >= _refill_at(limit) or not running):
                    claims = await self._claim(free)
                    more_due = len(claims) == free
                    running.update(asyncio.create_task(run(c), name=f"poll:{c.key}") for c in claims)
                if not running:
                    return results
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                results.extend(task.result() for task in done)
        finally:
            if running:
                # A poll that raised (its store failed) must not orphan the others mid-transaction.
                await asyncio.gather(*running, return_exceptions=True)

    async def poll_now(self, key: str) -> PollResult | None:
        """Poll one source at once, due or not; None when another worker is polling it."""
        claim = await self._claim_key(key)
        return await self._run(claim) if claim else None

    async def aclose(self) -> None:
        self.refilling = False
        if self._refill is not None:
            await asyncio.gather(self._refill, return_exceptions=True)
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        if self.browser is not None:
            await self.browser.aclose()
        if self._own_fetcher:
            await self.fetcher.aclose()
        if self._own_cpu and self.cpu is not None:
            self.cpu.shutdown(wait=False, cancel_futures=True)
        self.db.shutdown(wait=True)

    # -- steps -----------------------------------------------------------------------------

    async def _claim(self, limit: int) -> list[Claim]:
        lease = self.config.scheduler.lease
        return await self.in_db(
            lambda: claim_polls(sessions=self.sessions, worker=self.worker, limit=limit, lease=lease, now=self.clock())
        )

    async def _claim_key(self, key: str) -> Claim | None:
        lease = self.config.scheduler.lease
        return await self.in_db(
            lambda: claim_source(sessions=self.sessions, key=key, worker=self.worker, lease=lease, now=self.clock())
        )

    async def _run(self, claim: Claim) -> PollResult:
        started = time.perf_counter()
        outcome = await self._fetch(claim)
        fetch_ms = (time.perf_counter() - started) * 1000

        def work() -> PollResult:
            return record_poll(sessions=self.sessions, claim=claim, outcome=outcome, config=self.config,
                               now=self.clock(), rng=self.rng)  # fmt: skip

        try:
            result = await self.in_db(work)
        except Exception:
            # The lease expires and the source is polled again: nothing is lost.
            log.exception("poll.store_failed", source=claim.key, poll_id=claim.poll_id)
            raise
        metrics.record_poll(result.outcome, result.items_new, fetch_ms / 1000)
        event = "poll.failed" if result.outcome == "error" else "poll.finished"
        log.info(
            event,
            source=claim.key,
            status=result.http_status,
            outcome=result.outcome,
            seen=result.items_seen,
            new=result.items_new,
            updated=result.items_updated,
            ms=round(fetch_ms),
            **({"error": (result.error or "")[:200]} if result.error else {}),
        )
        return result

    async def _fetch(self, claim: Claim) -> Outcome:
        source = self.config.source(claim.key)
        if source is None:
            return Outcome(crash=f"source '{claim.key}' is not in this worker's config ({self.config.path})")
        try:
            collected = await collect(
                source.spec(),
                fetcher=self.fetcher,
                parser=KINDS[source.kind].parse,
                validators=claim.validators,
                cpu=self.cpu,
                clock=self.clock,
                browser=self.browser,
            )
            outcome = Outcome(collected=collected)
            if collected.items:
                outcome.prepared, outcome.languages = await self._prepare(claim, collected.items, source.language)
        except SourceError as exc:
            return Outcome(error=exc)
        except Exception as exc:
            # A bug in an adapter must cost one poll, not the worker.
            log.exception("poll.crashed", source=claim.key)
            return Outcome(crash=f"{type(exc).__name__}: {exc}")
        return outcome

    async def _prepare(
        self, claim: Claim, items: list[RawMention], hint: str | None
    ) -> tuple[list[Normalised], dict[str, str | None]]:
        """Normalise the items and find the languages of the new and edited ones, all outside the
        write transaction: the model runs in the CPU executor, and only for keys the database
        does not know with this text (a short read-only query)."""
        loop = asyncio.get_running_loop()
        prepared = await loop.run_in_executor(self.cpu, prepare_mentions, items, hint)
        if not prepared.undecided:
            return prepared.items, prepared.languages
        undecided = set(prepared.undecided)
        hashes = {item.dedup_key: item.content_hash for item in prepared.items if item.dedup_key in undecided}

        def fresh_keys() -> set[str]:
            with session_scope(self.sessions, read_only=True) as session:
                return changed_keys(session=session, source_id=claim.source_id, hashes=hashes)

        fresh = await self.in_db(fresh_keys)
        texts = {item.dedup_key: language_text(item) for item in prepared.items if item.dedup_key in fresh}
        if texts:
            found = await loop.run_in_executor(self.cpu, detect_languages, list(texts.values()), hint)
            prepared.languages.update(zip(texts, found, strict=True))
        return prepared.items, prepared.languages

    async def in_db(self, fn: Callable[[], T]) -> T:
        """Run `fn` (a job, which owns its transaction) in the database executor."""
        return await asyncio.get_running_loop().run_in_executor(self.db, fn)
