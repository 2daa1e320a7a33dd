"""The poll record and the source's polling state: when a source is due, who polls it, what happened.

A poll goes through three steps, each its own short transaction:
  1. `claim_due`: pick due sources (`next_poll_at <= now`, no live lease), lease them
     to this worker and open a `running` poll row for each. On PostgreSQL the pick
     uses FOR UPDATE SKIP LOCKED, so several workers never take the same source.
  2. the fetch itself (sources/, no database);
  3. `finish_poll`: store the mentions, close the poll row, set the source's health
     and next poll time, release the lease: one transaction, so it is all or nothing.
     It returns what it recorded and stored; the worker hands that on in the same
     transaction (monitor.worker.jobs): nothing here calls the steps that follow.
A worker that dies between 1 and 3 leaves a `running` poll and a lease that expires;
`reap_abandoned` marks such polls `abandoned` and the source becomes due again.

`plan_next_poll` and `health_after` are pure functions of the source, the outcome and `now`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from monitor.ingest.fill_watch import FillCheck, compare_fill, reason_for_skips
from monitor.ingest.store import Normalised, StoredMentions, store_mentions
from monitor.models import Brand, Poll, Source
from monitor.models.events import emit
from sources.base import Collected, PageWarning, RawMention, Validators
from sources.errors import Gone, RateLimited, SourceError

if TYPE_CHECKING:  # only annotations: polling needs no part of the config loader at run time
    from monitor.config import Config, SchedulerConfig

__all__ = [
    "Claim",
    "Outcome",
    "RecordedPoll",
    "claim_due",
    "claim_one",
    "finish_poll",
    "health_after",
    "plan_next_poll",
    "reap_abandoned",
    "sync_config",
]

HEALTH_OK, HEALTH_DEGRADED, HEALTH_FAILING, HEALTH_GONE, HEALTH_NEW = (
    "ok",
    "degraded",
    "failing",
    "gone",
    "new",
)
# Consecutive transient failures before a source counts as failing rather than degraded.
FAILING_AFTER = 3
_MESSAGE_MAX = 1000


@dataclass(frozen=True, slots=True)
class Claim:
    """A leased source, ready to be fetched."""

    poll_id: int
    source_id: int
    key: str
    validators: Validators
    started_at: datetime


@dataclass(slots=True)
class Outcome:
    """What one fetch produced: items and facts, or an error."""

    collected: Collected | None = None
    error: SourceError | None = None
    # An unexpected exception (a bug, not the source's fault): recorded, never raised past the loop.
    crash: str | None = None
    warnings: list[str] = field(default_factory=list)
    # The collected items already normalised, and their languages by dedup key, when the poller
    # did that CPU work before the write transaction (None: store_mentions normalises them).
    prepared: list[Normalised] | None = None
    languages: dict[str, str | None] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.collected is not None


@dataclass(frozen=True, slots=True)
class RecordedPoll:
    """What `finish_poll` wrote: the closed poll row and what storing its items did."""

    poll: Poll
    stored: StoredMentions


def sync_config(*, session: Session, config: Config, now: datetime) -> dict[str, int]:
    """Make the brand and source rows follow sources.yaml.

    A new source is due at once; a changed interval re-plans it; a source that left
    the file is deactivated, never deleted, so its poll history stays for reports.
    """
    brands = {b.key: b for b in session.scalars(sa.select(Brand))}
    for bc in config.brands:
        brand = brands.get(bc.key) or Brand(key=bc.key, created_at=now)
        brand.name, brand.names, brand.domains = bc.name, list(bc.names), list(bc.domains)
        brand.language, brand.timezone, brand.updated_at = bc.language, bc.timezone, now
        session.add(brand)

    rows = {s.key: s for s in session.scalars(sa.select(Source))}
    counts = {"added": 0, "updated": 0, "deactivated": 0}
    for sc in config.sources:
        interval = int(sc.interval.total_seconds())
        row = rows.pop(sc.key, None)
        if row is None:
            row = Source(key=sc.key, next_poll_at=now, created_at=now, interval_seconds=interval)
            counts["added"] += 1
        elif (row.url, row.interval_seconds, row.active) != (sc.url, interval, sc.enabled):
            counts["updated"] += 1
            if row.url != sc.url:
                row.etag = row.last_modified = None  # validators belong to the old URL
            if interval < row.interval_seconds or not row.active:
                row.next_poll_at = min(row.next_poll_at, now + timedelta(seconds=interval))
        row.kind, row.url, row.brand_key, row.language = sc.kind, sc.url, sc.brand, sc.language
        row.weight, row.interval_seconds, row.active, row.updated_at = sc.weight, interval, sc.enabled, now
        session.add(row)
    for row in rows.values():
        if row.active:
            row.active, row.updated_at = False, now
            counts["deactivated"] += 1
    session.flush()
    return counts


def _lease_filter(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(Source.lease_until.is_(None), Source.lease_until < now)


def claim_due(*, session: Session, now: datetime, worker: str, limit: int, lease: timedelta) -> list[Claim]:
    """Lease up to `limit` due sources to `worker`, oldest due first."""
    query = (
        sa.select(Source)
        .where(Source.active.is_(True), Source.next_poll_at <= now, _lease_filter(now))
        .order_by(Source.next_poll_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [_lease(session, source, now, worker, lease) for source in session.scalars(query)]


def claim_one(*, session: Session, key: str, now: datetime, worker: str, lease: timedelta) -> Claim | None:
    """Lease one source now, due or not (a "poll now" request); None if another worker holds it."""
    query = sa.select(Source).where(Source.key == key, _lease_filter(now)).with_for_update(skip_locked=True)
    source = session.scalars(query).first()
    return _lease(session, source, now, worker, lease) if source else None


def _lease(session: Session, source: Source, now: datetime, worker: str, lease: timedelta) -> Claim:
    source.lease_owner, source.lease_until = worker, now + lease
    poll = Poll(source_id=source.id, started_at=now, worker=worker)
    session.add(poll)
    session.flush()
    return Claim(
        poll_id=poll.id,
        source_id=source.id,
        key=source.key,
        validators=Validators(etag=source.etag, last_modified=source.last_modified),
        started_at=now,
    )


def reap_abandoned(*, session: Session, now: datetime) -> list[tuple[int, datetime]]:
    """Close polls whose worker died (lease expired while still running); return each one's
    (source id, start), whose days' coverage figures are then stale."""
    expired = sa.select(Source.id).where(Source.lease_until.is_not(None), Source.lease_until < now).scalar_subquery()
    # A poll is still alive only while its worker holds the source's lease. Besides expired leases,
    # this catches a dead worker's poll whose source another worker has leased since: that lease is
    # not the poll's, and when it is released the old row would otherwise stay "running" for ever.
    held = (
        sa.select(Source.id)
        .where(Source.id == Poll.source_id, Source.lease_owner == Poll.worker, Source.lease_until >= now)
        .exists()
    )
    reaped = session.execute(
        sa.update(Poll)
        .where(Poll.outcome == "running", sa.or_(Poll.source_id.in_(expired), sa.and_(Poll.worker.is_not(None), ~held)))
        .values(outcome="abandoned", finished_at=now, error_class="abandoned",
                error_message="the worker stopped before the poll finished; the source was polled again")
        .returning(Poll.source_id, Poll.started_at)
    ).all()  # fmt: skip
    session.execute(
        sa.update(Source)
        .where(Source.lease_until.is_not(None), Source.lease_until < now)
        .values(lease_owner=None, lease_until=None)
    )
    return [(source_id, started_at) for source_id, started_at in reaped]


def health_after(source: Source, outcome: Outcome) -> str:
    """ok → degraded (warnings, or a transient failure or two) → failing; gone on 404/410."""
    if outcome.ok:
        collected = outcome.collected
        return HEALTH_DEGRADED if collected and (collected.facts.warnings or collected.facts.skipped) else HEALTH_OK
    if isinstance(outcome.error, Gone):
        return HEALTH_GONE
    failures = source.error_count + 1
    transient = outcome.error is not None and outcome.error.transient
    return HEALTH_DEGRADED if transient and failures < FAILING_AFTER else HEALTH_FAILING


def plan_next_poll(
    source: Source,
    outcome: Outcome,
    now: datetime,
    settings: SchedulerConfig,
    rng: random.Random | None = None,
) -> datetime:
    """When to visit the source next.

    Success: the interval, shortened by up to `jitter` of it (spreads load without ever
    stretching the promised moderation period), then pushed out by Retry-After or
    Cache-Control max-age when the server asked for it, but never past
    max(interval, max_backoff).
    Failure: the interval doubled per consecutive failure, capped at `max_backoff`
    (1 h by default) so a broken source is still probed at least that often, and
    pushed out by Retry-After; never dropped.
    """
    rng = rng or random.Random()
    interval = float(source.interval_seconds)
    cap = max(interval, settings.max_backoff.total_seconds())
    jittered = interval * (1 - rng.uniform(0, settings.jitter))
    if outcome.ok:
        facts = outcome.collected.facts if outcome.collected else None
        hint = max((facts.retry_after or 0.0, facts.max_age or 0.0)) if facts else 0.0
        delay = min(max(jittered, hint), cap)
    else:
        failures = source.error_count + 1
        backoff = min(interval * 2 ** (failures - 1), settings.max_backoff.total_seconds())
        backoff *= 1 - rng.uniform(0, settings.jitter)
        retry_after = outcome.error.retry_after if isinstance(outcome.error, RateLimited) else None
        delay = min(max(backoff, retry_after or 0.0), cap)
    return now + timedelta(seconds=max(delay, 1.0))


def finish_poll(
    *,
    session: Session,
    claim: Claim,
    outcome: Outcome,
    now: datetime,
    settings: SchedulerConfig,
    rng: random.Random | None = None,
) -> RecordedPoll:
    """Record one poll, store what it found and update the source, in the caller's transaction."""
    source = session.get(Source, claim.source_id, with_for_update=False)
    poll = session.get(Poll, claim.poll_id)
    if source is None or poll is None:
        raise LookupError(f"poll {claim.poll_id} of source {claim.key} vanished")
    previous_health, previous_items = source.health, source.last_items or 0
    # Findings only the database can make (a field gone since earlier polls) or that a caller's facts
    # lacked (a reason for skips): kept apart from the facts, so a retried transaction adds them once.
    check, found = FillCheck(), list[PageWarning]()
    if outcome.ok and outcome.collected is not None:
        facts = outcome.collected.facts
        check = compare_fill(source.last_fill, facts.fill, len(outcome.collected.items))
        found = [*facts.warnings, *reason_for_skips(facts), *check.warnings]
    # Both read error_count as it was before this poll.
    health = health_after(source, outcome)
    if health == HEALTH_OK and found:
        health = HEALTH_DEGRADED
    next_poll_at = plan_next_poll(source, outcome, now, settings, rng)
    poll.finished_at = now
    poll.duration_ms = int((now - claim.started_at).total_seconds() * 1000)
    counts = StoredMentions()
    if outcome.ok and outcome.collected is not None:
        counts = _store(session, source, outcome, now)
        facts = outcome.collected.facts
        poll.outcome = "not_modified" if facts.not_modified else "ok"
        poll.http_status, poll.pages, poll.bytes_read = facts.http_status, facts.pages, facts.bytes_read
        poll.items_skipped = facts.skipped
        poll.warnings = [str(w)[:500] for w in [*found, *outcome.warnings]][:20]
        poll.field_fill = check.record
        if not facts.not_modified:
            source.etag, source.last_modified = facts.validators.etag, facts.validators.last_modified
            source.last_items = counts.seen
            source.last_fill = check.memory
        source.error_count, source.last_error_class, source.last_error = 0, None, None
        source.last_success_at = now
        previous = session.scalar(
            sa.select(sa.func.max(Poll.started_at)).where(
                Poll.source_id == source.id, Poll.outcome.in_(("ok", "not_modified")), Poll.started_at < poll.started_at
            )
        )
        poll.gap_seconds = (poll.started_at - previous).total_seconds() if previous is not None else None
        source.last_warning = poll.warnings[0] if poll.warnings else None
        source.last_warning_kind = found[0].kind if found else None
    else:
        error = outcome.error
        poll.outcome = "error"
        poll.error_class = error.error_class if error else "internal"
        poll.error_message = (str(error) if error else outcome.crash or "unknown error")[:_MESSAGE_MAX]
        poll.http_status = error.http_status if error else None
        source.error_count += 1
        source.last_error_class, source.last_error = poll.error_class, poll.error_message
    poll.items_seen, poll.items_new, poll.items_updated = counts.seen, counts.new, counts.updated
    source.next_poll_at = next_poll_at
    source.health = health
    source.last_poll_at, source.last_http_status, source.updated_at = now, poll.http_status, now
    if source.lease_owner == poll.worker:
        source.lease_owner, source.lease_until = None, None
    # A layout change is news only once: when a page that used to yield items yields none, or when a
    # field filled on earlier polls is newly empty on every item.
    layout_warning = next((w.text for w in found if w.kind == PageWarning.NOTHING_MATCHED and previous_items > 0), None)
    if layout_warning is None and check.newly_emptied:
        layout_warning = check.warnings[0].text
    _health_events(session, source, previous_health, poll, now, layout_warning=layout_warning)
    session.flush()
    return RecordedPoll(poll=poll, stored=counts)


def _store(session: Session, source: Source, outcome: Outcome, now: datetime) -> StoredMentions:
    brand_id = None
    if source.brand_key:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == source.brand_key))
    items: Sequence[RawMention | Normalised] = outcome.collected.items if outcome.collected else []
    return store_mentions(
        session=session,
        source_id=source.id,
        items=outcome.prepared if outcome.prepared is not None else items,
        now=now,
        brand_id=brand_id,
        language_hint=source.language,
        languages=outcome.languages,
    )


def _health_events(
    session: Session, source: Source, previous: str, poll: Poll, now: datetime, *, layout_warning: str | None
) -> None:
    payload = {"source": source.key, "url": source.url, "health": source.health, "poll_id": poll.id}
    bad = (HEALTH_FAILING, HEALTH_GONE)
    if source.health in bad and previous not in bad:
        emit(session, "source.failing", source.key, {**payload, "error": poll.error_message}, now=now)
    elif previous in bad and source.health not in bad:
        emit(session, "source.recovered", source.key, payload, now=now)
    if layout_warning is not None:
        emit(session, "source.layout_changed", source.key, {**payload, "warning": layout_warning}, now=now)
