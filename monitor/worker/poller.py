"""Runs polls: a short APScheduler tick claims due sources and polls them concurrently.

Each tick leases as many due sources as there are free slots (`max_concurrency`
minus polls still in flight) and starts them as tasks; the tick itself returns at
once, so one slow source never holds up the others. While more sources are due than
there are slots, a quarter of the slots falling free claims again at once instead of
waiting for the next tick. Fetching is async (one shared httpx client); parsing,
normalising and language detection run in the CPU executor (`scheduler.parse_workers`
processes, or threads); database work runs in a dedicated executor (one thread on
SQLite, which has one writer anyway), so the write transaction of a poll holds only SQL.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel import Session

from monitor.alerts.runner import AlertRunner
from monitor.cases.brands import BrandMatcher
from monitor.cases.lifecycle import backfill_deadlines, desk_rules
from monitor.cases.pipeline import ProcessCounts, process_pending
from monitor.cases.sla import SweepCounts, sweep
from monitor.config import Config
from monitor.config.reports import ReportDefinition
from monitor.core import metrics
from monitor.core.db import SessionFactory, session_scope
from monitor.desk.replies import sweep_unverified
from monitor.ingest.language import detect_languages
from monitor.ingest.parse_workers import parse_pool
from monitor.ingest.polling import Claim, Outcome, claim_due, claim_one, finish_poll, reap_abandoned, sync_config
from monitor.ingest.store import Normalised, changed_keys, language_text, prepare_mentions
from monitor.reports.coverage import roll_up
from monitor.reports.schedule import ReportRun, run_report, trigger_of
from sources import feed, html, json
from sources.base import ParsedPage, RawMention, collect
from sources.errors import SourceError
from sources.http import Fetcher

__all__ = ["PARSERS", "PollResult", "Poller", "utcnow"]

log = structlog.get_logger("replywatch.scheduler")
T = TypeVar("T")

PARSERS: dict[str, Callable[..., ParsedPage]] = {"feed": feed.parse, "html": html.parse, "json": json.parse}


def _refill_at(limit: int) -> int:
    # Free slots worth a claim transaction: a quarter of them, so claims stay few and slots stay full.
    return max(1, limit // 4)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PollResult:
    key: str
    poll_id: int
    outcome: str
    http_status: int | None
    items_seen: int
    items_new: int
    items_updated: int
    error: str | None
    duration_ms: int


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
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.clock = clock
        self.rng = rng or random.Random()
        sqlite = sessions.kw["bind"].dialect.name == "sqlite"
        self._db = ThreadPoolExecutor(max_workers=1 if sqlite else 4, thread_name_prefix="replywatch-db")
        workers = config.scheduler.parse_workers
        self._own_cpu = cpu is None and workers > 0
        self.cpu = cpu or (parse_pool(workers) if workers > 0 else None)
        self._inflight: set[asyncio.Task[PollResult]] = set()
        self._tick_lock = asyncio.Lock()
        self._more_due = False
        self._refill: asyncio.Task[None] | None = None
        self._scheduler: AsyncIOScheduler | None = None
        self._matcher: BrandMatcher | None = None
        self.alerts = AlertRunner(config=config, sessions=sessions, worker=self.worker, db=self._db, clock=clock)

    # -- running -------------------------------------------------------------------------

    async def sync(self) -> dict[str, int]:
        return await self._in_db(lambda s: sync_config(session=s, config=self.config, now=self.clock()))

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

        Only while the worker runs (`start`) and only when the last claim suggested more is due:
        otherwise every finished poll would cost a claim transaction that finds nothing.
        """
        self._inflight.discard(task)
        if self._scheduler is None or not self._more_due or self._refill is not None:
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

    async def process_cases(self, batch: int = 200) -> ProcessCounts:
        """Tie pending mentions to brands, cases and customers until none are left."""
        if self._matcher is None:
            self._matcher = BrandMatcher(self.config.brands)
        matcher = self._matcher
        total = ProcessCounts()
        while True:
            counts = await self._in_db(
                lambda s: process_pending(session=s, config=self.config, matcher=matcher, now=self.clock(), limit=batch)
            )
            for name in ("processed", "unassigned", "opened", "joined", "failed"):
                setattr(total, name, getattr(total, name) + getattr(counts, name))
            if counts.processed < batch:
                break
        if total.processed:
            log.info("cases.processed", mentions=total.processed, opened=total.opened, joined=total.joined,
                     unassigned=total.unassigned, failed=total.failed)  # fmt: skip
        return total

    async def sweep_sla(self) -> SweepCounts:
        """Flip SLA clocks past their marks, age unverified replies, give deadlines to cases without."""
        now = self.clock()
        rules = desk_rules(self.config)

        def work(session: Session) -> SweepCounts:
            backfilled = backfill_deadlines(session=session, rules=rules, now=now)
            counts = sweep(session=session, now=now)
            unverified = sweep_unverified(session=session, verify_within=self.config.sla.verify_within, now=now)
            if backfilled or counts.at_risk or counts.breached or unverified:
                log.info("sla.swept", at_risk=counts.at_risk, breached=counts.breached, replies_unverified=unverified,
                         backfilled=backfilled)  # fmt: skip
            return counts

        return await self._in_db(work)

    async def run_report(self, definition: ReportDefinition) -> list[ReportRun]:
        """Make one scheduled report now: files in its folder, a report.ready event for its channels."""
        now = self.clock()
        rules = desk_rules(self.config)
        calendars = {b.key: rules.calendar(b.key) for b in self.config.brands}
        runs = await self._in_db(lambda s: run_report(session=s, definition=definition, now=now, calendars=calendars))
        for run in runs:
            log.info("report.ready", report=run.key, brand=run.brand, files=[str(f) for f in run.files])
        return runs

    async def roll_up_polls(self) -> int:
        """Sum up the days just over into poll_day rows, so coverage reports read days, not polls."""
        now = self.clock()
        rows = await self._in_db(lambda s: roll_up(session=s, now=now))
        if rows:
            log.info("coverage.rolled_up", rows=rows)
        return rows

    async def poll_now(self, key: str) -> PollResult | None:
        """Poll one source at once, due or not; None when another worker is polling it."""
        claim = await self._claim_key(key)
        return await self._run(claim) if claim else None

    def start(self) -> None:
        """Drive `tick` from APScheduler on the running event loop."""
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.config.scheduler.tick.total_seconds(),
            id="poll-tick",
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.add_job(
            self.process_cases,
            "interval",
            seconds=self.config.scheduler.tick.total_seconds(),
            id="cases",
            max_instances=1,
            coalesce=True,
        )
        self._scheduler.add_job(
            self.sweep_sla, "interval", seconds=60, id="sla-sweep", max_instances=1, coalesce=True,
            next_run_time=datetime.now(UTC),
        )  # fmt: skip
        # Hourly, not nightly: a day is summed up once it has been over for an hour (coverage.SETTLE),
        # and a run that finds nothing missing costs one small query.
        self._scheduler.add_job(self.roll_up_polls, "interval", hours=1, id="poll-roll-up", max_instances=1,
                                coalesce=True, next_run_time=datetime.now(UTC) + timedelta(minutes=5))  # fmt: skip
        for definition in self.config.reports:
            # A report missed while no worker ran is still made within the hour, once.
            self._scheduler.add_job(self.run_report, trigger_of(definition), args=[definition],
                                    id=f"report:{definition.key}", misfire_grace_time=3600, coalesce=True)  # fmt: skip
        if self.config.channels:
            self.alerts.schedule(self._scheduler)
        self._scheduler.start()

    async def aclose(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None  # no more refills from finishing polls
        if self._refill is not None:
            await asyncio.gather(self._refill, return_exceptions=True)
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        await self.alerts.aclose()
        if self._own_fetcher:
            await self.fetcher.aclose()
        if self._own_cpu and self.cpu is not None:
            self.cpu.shutdown(wait=False, cancel_futures=True)
        self._db.shutdown(wait=True)

    # -- steps -----------------------------------------------------------------------------

    async def _claim(self, limit: int) -> list[Claim]:
        settings = self.config.scheduler

        def work(session: Any) -> list[Claim]:
            now = self.clock()
            reap_abandoned(session=session, now=now)
            return claim_due(session=session, now=now, worker=self.worker, limit=limit, lease=settings.lease)

        return await self._in_db(work)

    async def _claim_key(self, key: str) -> Claim | None:
        lease = self.config.scheduler.lease
        return await self._in_db(
            lambda s: claim_one(session=s, key=key, now=self.clock(), worker=self.worker, lease=lease)
        )

    async def _run(self, claim: Claim) -> PollResult:
        started = time.perf_counter()
        outcome = await self._fetch(claim)
        fetch_ms = (time.perf_counter() - started) * 1000

        def work(session: Any) -> PollResult:
            poll = finish_poll(
                session=session,
                claim=claim,
                outcome=outcome,
                now=self.clock(),
                settings=self.config.scheduler,
                rng=self.rng,
            )
            return PollResult(
                key=claim.key,
                poll_id=poll.id or 0,
                outcome=poll.outcome,
                http_status=poll.http_status,
                items_seen=poll.items_seen,
                items_new=poll.items_new,
                items_updated=poll.items_updated,
                error=poll.error_message,
                duration_ms=poll.duration_ms or 0,
            )

        try:
            result = await self._in_db(work)
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
                parser=PARSERS[source.kind],
                validators=claim.validators,
                cpu=self.cpu,
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
        fresh = await self._in_db(lambda s: changed_keys(session=s, source_id=claim.source_id, hashes=hashes))
        texts = {item.dedup_key: language_text(item) for item in prepared.items if item.dedup_key in fresh}
        if texts:
            found = await loop.run_in_executor(self.cpu, detect_languages, list(texts.values()), hint)
            prepared.languages.update(zip(texts, found, strict=True))
        return prepared.items, prepared.languages

    async def _in_db(self, fn: Callable[[Any], T]) -> T:
        def unit() -> T:
            with session_scope(self.sessions) as session:
                return fn(session)

        return await asyncio.get_running_loop().run_in_executor(self._db, unit)
