"""Routing: new outbox events become deliveries, one per channel whose rule matches.

A pass, in the caller's transaction:
  1. lock the cursor row (so two workers never route the same events);
  2. read events above the watermark that are not yet routed, oldest first;
  3. for each event and each enabled channel, take the channel's FIRST rule whose
     event patterns, brands and min_priority all match, and make a delivery:
       - digest rule: the event joins the channel's open digest for that rule and
         brand (or opens one that goes out when the window ends);
       - in the rule's quiet hours (unless the kind is in `bypass`): held until they end;
       - otherwise pending, due now;
  4. mark the events routed and move the watermark.
Event ids can commit out of order on PostgreSQL (two transactions, the later id
committing first), so the watermark only passes events that are routed and older
than SETTLE; routed ids above it are kept in alert_routed until it passes them.

`rule_for`, `in_quiet_hours` and `quiet_hours_end` are pure functions.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from monitor.alerts.messages import Facts
from monitor.config import Config
from monitor.config.alerts import ChannelConfig, ChannelRule, QuietHours, priority_rank
from monitor.models import Brand, Case, Event, Mention, Source
from monitor.models.alerts import AlertCursor, AlertDelivery, AlertDeliveryEvent, AlertRouted, DeliveryState

__all__ = [
    "RouteCounts",
    "in_quiet_hours",
    "load_facts",
    "quiet_hours_end",
    "route_events",
    "rule_for",
]

log = structlog.get_logger("replywatch.alerts")
CURSOR = "events"
# An event id older than this is taken as committed or never to be: the watermark may pass it.
SETTLE = timedelta(minutes=10)
_CHUNK = 500


@dataclass(slots=True)
class RouteCounts:
    events: int = 0
    deliveries: int = 0
    held: int = 0
    digested: int = 0


# The rule of a report announcement sent to a channel the report names: at once, whatever the hour.
ANNOUNCE = ChannelRule(events=["report.ready"])


def rule_for(channel: ChannelConfig, facts: Facts) -> tuple[int, ChannelRule] | None:
    """The first rule of the channel that takes the event, with its index; None when none does.

    An event without a brand passes only rules that name no brands; an event without a
    known priority (a source event) is not held back by min_priority.
    """
    if not channel.enabled:
        return None
    for index, rule in enumerate(channel.rules):
        if not rule.matches_kind(facts.kind):
            continue
        if rule.brands and facts.brand not in rule.brands:
            continue
        if rule.min_priority is not None:
            rank = priority_rank(facts.priority)
            if rank is not None and rank < (priority_rank(rule.min_priority) or 0):
                continue
        return index, rule
    return None


def _zone(quiet: QuietHours, facts: Facts) -> ZoneInfo:
    return ZoneInfo(quiet.timezone or facts.timezone or "UTC")


def in_quiet_hours(quiet: QuietHours, facts: Facts, now: datetime) -> bool:
    local = now.astimezone(_zone(quiet, facts)).time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end  # spans midnight


def quiet_hours_end(quiet: QuietHours, facts: Facts, now: datetime) -> datetime:
    """The next moment the quiet hours end, in UTC."""
    zone = _zone(quiet, facts)
    local = now.astimezone(zone)
    end = datetime.combine(local.date(), quiet.end, tzinfo=zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=zone)
    return end.astimezone(UTC)


def _lock_cursor(session: Session, now: datetime) -> AlertCursor:
    """The cursor row, locked: an UPDATE first, so SQLite takes its write lock now (waiting its busy
    timeout) rather than failing later when a read transaction tries to write."""
    touched = session.execute(sa.update(AlertCursor).where(AlertCursor.name == CURSOR).values(updated_at=now)).rowcount
    if not touched:
        try:
            with session.begin_nested():
                session.add(AlertCursor(name=CURSOR, event_id=0, updated_at=now))
        except IntegrityError:
            pass  # another worker made it first
    cursor = session.get(AlertCursor, CURSOR, with_for_update=True, populate_existing=True)
    assert cursor is not None
    return cursor


def route_events(*, session: Session, config: Config, now: datetime, limit: int = 1000) -> RouteCounts:
    """Turn up to `limit` unrouted events into deliveries (see the module docstring for the rules)."""
    counts = RouteCounts()
    cursor = _lock_cursor(session, now)
    routed = sa.select(AlertRouted.event_id).where(AlertRouted.event_id == Event.id).exists()
    events = list(
        session.scalars(sa.select(Event).where(Event.id > cursor.event_id, ~routed).order_by(Event.id).limit(limit))
    )
    counts.events = len(events)
    if events:
        facts = load_facts(session, events)
        digests: dict[tuple[str, int, str | None], AlertDelivery] = {}
        rows: list[dict] = []
        for event in events:
            named = set((event.payload or {}).get("channels") or ()) if event.kind == "report.ready" else set()
            for channel in config.channels:
                match = rule_for(channel, facts[event.id])
                if match is None and channel.key in named and channel.enabled:
                    # A scheduled report names the channels that get its announcement.
                    match = (-1, ANNOUNCE)
                if match is not None:
                    _deliver(session, channel, match, facts[event.id], now, digests, rows, counts)
        if rows:
            # Core inserts: building thousands of validated model objects cost more than the database did.
            session.execute(sa.insert(AlertDelivery), rows)
        session.execute(sa.insert(AlertRouted), [{"event_id": e.id, "routed_at": now} for e in events])
    _advance(session, cursor, now)
    session.flush()
    if counts.events:
        log.info("alerts.routed", events=counts.events, deliveries=counts.deliveries, held=counts.held,
                 digested=counts.digested, watermark=cursor.event_id)  # fmt: skip
    return counts


def _deliver(
    session: Session,
    channel: ChannelConfig,
    match: tuple[int, ChannelRule],
    facts: Facts,
    now: datetime,
    digests: dict[tuple[str, int, str | None], AlertDelivery],
    rows: list[dict],
    counts: RouteCounts,
) -> None:
    index, rule = match
    quiet = rule.quiet_hours
    hold_until = None
    if (
        quiet
        and not any(fnmatch.fnmatchcase(facts.kind, p) for p in quiet.bypass)
        and in_quiet_hours(quiet, facts, now)
    ):
        hold_until = quiet_hours_end(quiet, facts, now)
    if rule.digest is not None:
        key = (channel.key, index, facts.brand)
        digest = digests.get(key) or _open_digest(session, channel.key, index, facts.brand, now)
        if digest is None:
            digest = AlertDelivery(
                event_id=facts.event_id, event_kind="digest", channel=channel.key, rule=index,
                state=DeliveryState.HELD, hold_reason="digest", digest=True, event_count=0, brand=facts.brand,
                max_attempts=channel.max_attempts, next_attempt_at=now + rule.digest,
                idempotency_key=f"rw-{channel.key}-digest-{facts.event_id}", created_at=now, updated_at=now,
            )  # fmt: skip
            session.add(digest)
            session.flush()
            counts.deliveries += 1
        digests[key] = digest
        digest.event_count += 1
        digest.updated_at = now
        if hold_until is not None and hold_until > digest.next_attempt_at:
            digest.next_attempt_at = hold_until
        session.add(AlertDeliveryEvent(delivery_id=digest.id, event_id=facts.event_id))
        counts.digested += 1
        return
    rows.append({
        "event_id": facts.event_id, "event_kind": facts.kind, "channel": channel.key, "rule": index,
        "state": DeliveryState.HELD if hold_until else DeliveryState.PENDING,
        "hold_reason": "quiet_hours" if hold_until else None, "digest": False, "event_count": 1,
        "brand": facts.brand, "attempts": 0, "max_attempts": channel.max_attempts,
        "next_attempt_at": hold_until or now, "idempotency_key": f"rw-{channel.key}-{facts.event_id}",
        "created_at": now, "updated_at": now,
    })  # fmt: skip
    counts.deliveries += 1
    counts.held += hold_until is not None


def _open_digest(session: Session, channel: str, rule: int, brand: str | None, now: datetime) -> AlertDelivery | None:
    """The channel's digest still collecting for this rule and brand, locked so the dispatcher waits for us.

    A digest the dispatcher has claimed is no longer `held`, so an event never joins a message already sent.
    """
    query = (
        sa.select(AlertDelivery)
        .where(
            AlertDelivery.channel == channel,
            AlertDelivery.rule == rule,
            AlertDelivery.digest.is_(True),
            AlertDelivery.state == DeliveryState.HELD,
            AlertDelivery.next_attempt_at > now,
            AlertDelivery.brand.is_(None) if brand is None else AlertDelivery.brand == brand,
        )
        .order_by(AlertDelivery.id.desc())
        .limit(1)
        .with_for_update()
    )
    return session.scalars(query).first()


def _advance(session: Session, cursor: AlertCursor, now: datetime) -> None:
    """Move the watermark over routed events older than SETTLE; forget their alert_routed rows.

    It stops below the first visible event that is unrouted or recent, and only ever lands on
    an id this transaction can see: an id still uncommitted below it is assumed to be from a
    transaction older than SETTLE, which no replywatch transaction is.
    """
    routed = sa.select(AlertRouted.event_id).where(AlertRouted.event_id == Event.id).exists()
    blocker = session.scalar(
        sa.select(sa.func.min(Event.id)).where(
            Event.id > cursor.event_id, sa.or_(~routed, Event.created_at > now - SETTLE)
        )
    )
    below = sa.select(sa.func.max(Event.id)).where(Event.id > cursor.event_id)
    if blocker is not None:
        below = below.where(Event.id < blocker)
    new = session.scalar(below)
    if new is not None and new > cursor.event_id:
        cursor.event_id, cursor.updated_at = new, now
        session.execute(sa.delete(AlertRouted).where(AlertRouted.event_id <= new))


def load_facts(session: Session, events: list[Event]) -> dict[int, Facts]:
    """What messages and rules need to know about each event, read in a few queries."""
    case_ids = {int(e.payload["case_id"]) for e in events if isinstance(e.payload.get("case_id"), int)}
    mention_ids = {int(e.payload["mention_id"]) for e in events if isinstance(e.payload.get("mention_id"), int)}
    source_keys = {str(e.payload.get("source") or e.subject) for e in events if e.kind.startswith("source.")}
    cases = {c.id: c for c in _in(session, Case, Case.id, case_ids)}
    mentions = {m.id: m for m in _in(session, Mention, Mention.id, mention_ids)}
    sources = {s.key: s for s in _in(session, Source, Source.key, source_keys)}
    brands = list(session.scalars(sa.select(Brand)))
    by_id, by_key = {b.id: b for b in brands}, {b.key: b for b in brands}
    out: dict[int, Facts] = {}
    for event in events:
        p = event.payload or {}
        case = cases.get(p.get("case_id")) if isinstance(p.get("case_id"), int) else None
        mention = mentions.get(p.get("mention_id")) if isinstance(p.get("mention_id"), int) else None
        source_key = str(p.get("source") or event.subject) if event.kind.startswith("source.") else None
        source = sources.get(source_key) if source_key else None
        brand = by_key.get(p["brand"]) if isinstance(p.get("brand"), str) else None
        if brand is None and case is not None:
            brand = by_id.get(case.brand_id)
        if brand is None and source is not None and source.brand_key:
            brand = by_key.get(source.brand_key)
        brand_key = brand.key if brand else (p.get("brand") if isinstance(p.get("brand"), str) else None)
        priority = p.get("priority", getattr(case, "priority", None) if case is not None else None)
        detail = p.get("error") or p.get("warning") or p.get("reason") or p.get("summary")
        place = p.get("url") if isinstance(p.get("url"), str) else None
        out[event.id] = Facts(
            event_id=event.id,
            kind=event.kind,
            created_at=event.created_at,
            payload=dict(p),
            brand=brand_key,
            brand_name=brand.name if brand else None,
            timezone=brand.timezone if brand else None,
            priority=str(priority) if priority is not None else None,
            case_id=case.id if case is not None else (p["case_id"] if isinstance(p.get("case_id"), int) else None),
            source=source_key,
            title=(case.title if case is not None else None) or (mention.title if mention else None),
            url=(mention.url if mention else None) or place or (source.url if source else None),
            detail=str(detail) if detail else None,
        )
    return out


def _in(session: Session, model: type, column: sa.ColumnElement, values: set) -> list:
    rows: list = []
    ordered = sorted(values, key=str)
    for start in range(0, len(ordered), _CHUNK):
        rows.extend(session.scalars(sa.select(model).where(column.in_(ordered[start : start + _CHUNK]))))
    return rows
