"""The service's jobs, one function each: a unit of work that owns its transaction.

The pipeline is one-way. Storing a poll (monitor.ingest) returns what it stored and calls
nothing above it; `record_poll` hands that on, in the same transaction, to the steps that
follow (`hand_on`): the cases re-index edited complaints, the desk checks its replies
against what the page shows, the coverage report forgets the day rows the poll made stale.

The worker (monitor.worker.service) runs these on its schedule in its database thread;
the CLI and tests call them directly. Each takes the session factory and `now`, and
opens its own transaction(s) with `session_scope`: the job, not its steps, commits.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import structlog
from sqlmodel import Session

from monitor.cases.batch_ahead import Lookahead
from monitor.cases.lifecycle import backfill_deadlines, desk_rules
from monitor.cases.pipeline import ProcessCounts, brand_matcher, follow_edits, process_pending
from monitor.cases.rematch import (
    TRAIN_MIN_CASES,
    cases_to_rematch,
    mark_rematched,
    registers_changed,
    registers_to_train,
    rematch_cases,
    train_register,
)
from monitor.cases.sla import SweepCounts, sweep
from monitor.config import Config
from monitor.config.reports import ReportDefinition
from monitor.core.db import SessionFactory, refresh_statistics, session_scope
from monitor.desk.promising import offer_interim_drafts
from monitor.desk.replies import check_shown_replies, sweep_unverified
from monitor.ingest.polling import Claim, Outcome, claim_due, claim_one, finish_poll, reap_abandoned
from monitor.ingest.store import StoredMentions
from monitor.reports.coverage import forget_days, roll_up
from monitor.reports.schedule import ReportRun, run_report

__all__ = [
    "PollResult",
    "RematchCounts",
    "claim_polls",
    "claim_source",
    "hand_on",
    "process_cases",
    "record_poll",
    "rematch_customers",
    "roll_up_polls",
    "run_scheduled_report",
    "sweep_sla",
    "train_customers",
]

log = structlog.get_logger("replywatch.worker")


# What one poll did; also the API's answer to "poll now" (api/routers/sources.py). A comment, not a
# docstring: pydantic would put a docstring in the OpenAPI document.
@dataclass(frozen=True, slots=True)
class PollResult:
    source: str  # the source's key, named as in every other view of a source's rows (PollRow, MentionRow)
    poll_id: int
    outcome: str
    http_status: int | None
    items_seen: int
    items_new: int
    items_updated: int
    error: str | None
    duration_ms: int


def claim_polls(*, sessions: SessionFactory, worker: str, limit: int, lease: timedelta, now: datetime) -> list[Claim]:
    """Close the polls of dead workers, then lease up to `limit` due sources to `worker`."""
    with session_scope(sessions) as session:
        forget_days(session, reap_abandoned(session=session, now=now), now)
        return claim_due(session=session, now=now, worker=worker, limit=limit, lease=lease)


def claim_source(*, sessions: SessionFactory, key: str, worker: str, lease: timedelta, now: datetime) -> Claim | None:
    """Lease one source now, due or not ("poll now"); None while another worker holds it."""
    with session_scope(sessions) as session:
        return claim_one(session=session, key=key, now=now, worker=worker, lease=lease)


def record_poll(
    *,
    sessions: SessionFactory,
    claim: Claim,
    outcome: Outcome,
    config: Config,
    now: datetime,
    rng: random.Random | None = None,
) -> PollResult:
    """Store what one fetch found, close its poll and hand the result on: one transaction."""
    with session_scope(sessions) as session:
        recorded = finish_poll(
            session=session, claim=claim, outcome=outcome, now=now, settings=config.scheduler, rng=rng
        )
        hand_on(session=session, stored=recorded.stored, now=now)
        poll = recorded.poll
        forget_days(session, [(claim.source_id, poll.started_at)], now)
        return PollResult(
            source=claim.key,
            poll_id=poll.id or 0,
            outcome=poll.outcome,
            http_status=poll.http_status,
            items_seen=poll.items_seen,
            items_new=poll.items_new,
            items_updated=poll.items_updated,
            error=poll.error_message,
            duration_ms=poll.duration_ms or 0,
        )


def hand_on(*, session: Session, stored: StoredMentions, now: datetime) -> None:
    """The steps after storing, in the caller's transaction: edited complaints of cases are
    re-indexed and noted on their timelines; replies are checked against what pages show."""
    if stored.edited:
        follow_edits(session=session, edited=stored.edited, now=now)
    if stored.shown_replies:
        check_shown_replies(session=session, shown=stored.shown_replies, now=now)


def process_cases(
    *, sessions: SessionFactory, config: Config, now: datetime, batch: int = 200, helper: bool = True
) -> ProcessCounts:
    """Tie pending mentions to brands, cases and customers until none are left, a transaction a batch.
    `helper`: when more than one batch is pending, a second process works out the next batch's text
    (monitor.cases.batch_ahead) while this one places and writes the current one."""
    matcher = brand_matcher(config)
    total = ProcessCounts()
    with Lookahead(config, matcher) as ahead:
        use = ahead if helper and Lookahead.available() else None
        while True:
            with session_scope(sessions) as session:
                counts = process_pending(session=session, config=config, matcher=matcher, now=now, limit=batch,
                                         ahead=use)  # fmt: skip
            for count in fields(ProcessCounts):  # every count, so a new one is never left out of the total
                setattr(total, count.name, getattr(total, count.name) + getattr(counts, count.name))
            if counts.processed < batch:
                break
    if total.processed:
        log.info("cases.processed", mentions=total.processed, opened=total.opened, joined=total.joined,
                 unassigned=total.unassigned, kept=total.kept, failed=total.failed)  # fmt: skip
    return total


@dataclass(slots=True)
class RematchCounts:
    registers: int = 0
    cases: int = 0
    linked: int = 0


def rematch_customers(
    *,
    sessions: SessionFactory,
    config: Config,
    now: datetime,
    batch: int = 100,
    on_progress: Callable[[int, int], None] | None = None,
) -> RematchCounts:
    """Match open cases without a customer again for each register changed since (monitor.cases.rematch),
    a transaction a batch; `on_progress(done, total)` after each. A register changed again meanwhile
    is gone through once more on the next run."""
    counts = RematchCounts()
    with session_scope(sessions) as session:
        changed = registers_changed(session)
    for brand_id, version in changed:
        with session_scope(sessions) as session:
            ids = cases_to_rematch(session, brand_id)
        log.info("customers.rematch.started", brand_id=brand_id, cases=len(ids))
        for start in range(0, len(ids), batch):
            with session_scope(sessions) as session:
                counts.linked += rematch_cases(session=session, config=config, case_ids=ids[start : start + batch],
                                               now=now)  # fmt: skip
            done = min(len(ids), start + batch)
            log.info("customers.rematch.progress", brand_id=brand_id, done=done, total=len(ids))
            if on_progress is not None:
                on_progress(done, len(ids))
        with session_scope(sessions) as session:
            mark_rematched(session, brand_id, version)
        counts.registers += 1
        counts.cases += len(ids)
    if counts.registers:
        log.info("customers.rematched", registers=counts.registers, cases=counts.cases, linked=counts.linked)
    return counts


def sweep_sla(*, sessions: SessionFactory, config: Config, now: datetime) -> SweepCounts:
    """Flip SLA clocks (cases, places, promises) past their marks, offer interim updates for promises at risk,
    age unverified replies, give deadlines to cases without."""
    with session_scope(sessions) as session:
        rules = desk_rules(config)
        backfilled = backfill_deadlines(session=session, rules=rules, now=now)
        counts = sweep(session=session, now=now)
        interim = offer_interim_drafts(session=session, rules=rules, promise_ids=counts.promises_at_risk, now=now)
        unverified = sweep_unverified(session=session, verify_within=config.sla.verify_within, now=now)
    flips = (counts.at_risk, counts.breached, counts.place_at_risk, counts.place_breached, counts.promise_at_risk,
             counts.promise_broken)  # fmt: skip
    if backfilled or any(flips) or unverified:
        log.info("sla.swept", at_risk=counts.at_risk, breached=counts.breached, place_at_risk=counts.place_at_risk,
                 place_breached=counts.place_breached, promise_at_risk=counts.promise_at_risk,
                 promise_broken=counts.promise_broken, interim_drafts=interim, replies_unverified=unverified,
                 backfilled=backfilled)  # fmt: skip
    return counts


def roll_up_polls(*, sessions: SessionFactory, now: datetime) -> int:
    """Sum up the days just over into poll_day rows, so coverage reports read days, not polls."""
    with session_scope(sessions) as session:
        rows = roll_up(session=session, now=now)
    if rows:
        log.info("coverage.rolled_up", rows=rows)
    return rows


def refresh_db_statistics(*, sessions: SessionFactory) -> bool:
    """The planner's statistics brought up to date (monitor.core.db.refresh_statistics)."""
    with session_scope(sessions) as session:
        ran = refresh_statistics(session)
    if ran:
        log.info("db.statistics_refreshed")
    return ran


def run_scheduled_report(
    *, sessions: SessionFactory, config: Config, definition: ReportDefinition, now: datetime
) -> list[ReportRun]:
    """Make one scheduled report now: files in its folder, a report.ready event for its channels."""
    calendars = {b.key: config.calendar(b.key) for b in config.brands}
    with session_scope(sessions) as session:
        runs = run_report(session=session, definition=definition, now=now, calendars=calendars,
                          public_url=config.alerts.public_url)  # fmt: skip
    for run in runs:
        log.info("report.ready", report=run.key, brand=run.brand, files=[str(f) for f in run.files])
    return runs


def train_customers(
    *, sessions: SessionFactory, config: Config, now: datetime, min_cases: int = TRAIN_MIN_CASES
) -> int:
    """Estimate matching's weights by EM for each register due (monitor.cases.rematch.train_register),
    a transaction a brand; returns how many were trained. Off with `cases: {customers: {train: false}}`."""
    if not config.cases.customers.train:
        return 0
    with session_scope(sessions) as session:
        due = registers_to_train(session, now)
    done = 0
    for brand_id in due:
        with session_scope(sessions) as session:
            trained = train_register(session=session, config=config, brand_id=brand_id, now=now, min_cases=min_cases)
        if trained is not None:
            done += 1
            log.info("customers.trained", brand_id=brand_id, cases=trained.cases, labelled=trained.labelled,
                     comparisons=trained.comparisons, iterations=trained.iterations,
                     customer_share=round(trained.model["customer share"], 4))  # fmt: skip
    return done
