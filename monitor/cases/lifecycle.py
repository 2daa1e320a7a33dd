"""The response desk: a case's lifecycle, triage and SLA clocks, and the staff changes to it.

Lifecycle (`MOVES` lists every allowed move; anything else is refused with the allowed ones):

    new ──first public reply──► acknowledged ──► in_progress ──closing reply──► resolved ──► closed
     │                               │                 │                          │           │
     └──────────── dismissed ◄───────┴─────────────────┘          reopen: ◄───────┴───────────┘ in_progress

Two moves need a published reply rather than a word from staff: a case is
acknowledged when its first public reply is recorded, and resolved when a closing
reply is recorded (monitor.desk.replies does both). Dismissing needs a reason (spam,
not_about_us, duplicate) and a lead; a dismissed case can be restored to new.

Every change (status, assignee, priority, category) is written to the append-only
case timeline with who and when. Priority changes recompute the SLA deadlines; a
raise is also an outbox event (case.priority_raised).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases.places import place_deadlines, restart_places, stop_places
from monitor.cases.sla import apply_deadlines
from monitor.cases.timeline import note
from monitor.cases.triage import Assessment, Evidence, Triager, raised
from monitor.config import Config
from monitor.config.business_hours import BusinessCalendar
from monitor.config.sla import PRIORITIES
from monitor.config.triage_keywords import CATEGORIES as TRIAGE_CATEGORIES
from monitor.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from monitor.models import Brand, Case, Customer, Mention, Source
from monitor.models.events import emit

if TYPE_CHECKING:
    from monitor.cases.batch_state import CaseState

__all__ = [
    "CATEGORIES",
    "DISMISS_REASONS",
    "MOVES",
    "OPEN_STATUSES",
    "CaseChange",
    "CaseConflict",
    "CaseError",
    "CaseInvalid",
    "DeskRules",
    "apply_assessment",
    "backfill_deadlines",
    "change_case",
    "desk_rules",
    "triage_case",
]

OPEN_STATUSES = ("new", "acknowledged", "in_progress")
DISMISS_REASONS = ("spam", "not_about_us", "duplicate")
CATEGORIES = (*TRIAGE_CATEGORIES, "other")  # "other": what no keyword list claims
MOVES: dict[str, tuple[str, ...]] = {
    "new": ("dismissed",),  # acknowledged: by recording the first public reply
    "acknowledged": ("in_progress", "dismissed"),  # resolved: by recording a closing reply
    "in_progress": ("dismissed",),
    "resolved": ("closed", "in_progress"),
    "closed": ("in_progress",),
    "dismissed": ("new",),
    "merged": (),
}
BY_REPLY = {"acknowledged": "record the first public reply on a place", "resolved": "record a closing reply"}


@dataclass(frozen=True, slots=True)
class DeskRules:
    """What the desk derives from the config once: the triage rules, and each brand's calendar."""

    config: Config
    triager: Triager

    def calendar(self, brand_key: str, priority: str | None = None) -> BusinessCalendar:
        """The brand's business calendar, or the one the SLA of `priority` counts (sla.<priority>.calendar)."""
        if priority is None:
            return self.config.calendar(brand_key)
        return self.config.calendar(brand_key, self.config.sla.calendar_of(priority))


class CaseError(DomainError):
    """A staff change of a case that cannot be carried out as asked: always one of the two below."""

    conflict = False  # which of the two, for callers written when CaseError(…, conflict=True) was the 409


class CaseConflict(CaseError, Conflict):
    """Refused by the case's state (its status, a merge): the message lists what is allowed."""

    conflict = True


class CaseInvalid(CaseError, Invalid):
    """Refused for its values: a priority, category or reason that does not exist, a mention of another case."""


def desk_rules(config: Config) -> DeskRules:
    """The desk's rules of `config`, built once per loaded config (Config.derived)."""
    return config.derived("desk_rules", lambda c: DeskRules(config=c, triager=Triager(c.triage)))


def _brand_key(session: Session, case: Case) -> str:
    cache = session.info.setdefault("brand_keys", {})
    if case.brand_id not in cache:
        cache[case.brand_id] = session.scalar(sa.select(Brand.key).where(Brand.id == case.brand_id))
    return cache[case.brand_id]


def _evidence(session: Session, case: Case, config: Config, now: datetime) -> tuple[str, Evidence]:
    rows = session.execute(
        sa.select(Mention.title, Mention.body, Mention.rating, Source.weight)
        .join(Source, Source.id == Mention.source_id)
        .where(Mention.case_id == case.id)
        .order_by(Mention.id)
        .limit(20)
    ).all()
    text = "\n".join(f"{t or ''}\n{b}" for t, b, _, _ in rows)
    ratings = [r for _, _, r, _ in rows if r is not None]
    tier = value = None
    repeats = 0
    if case.customer_id is not None:
        customer = session.get(Customer, case.customer_id)
        if customer is not None:
            tier, value = customer.tier, customer.lifetime_value
        since = now - config.triage.repeat_window
        repeats = session.scalar(
            sa.select(sa.func.count())
            .select_from(Case)
            .where(Case.customer_id == case.customer_id, Case.id != case.id, Case.opened_at >= since)
            .where(Case.status != "merged")
        )
    evidence = Evidence(
        rating=min(ratings) if ratings else None,
        source_weight=max((w for *_, w in rows), default=1),
        customer_tier=tier,
        customer_value=value,
        repeat_cases=repeats or 0,
    )
    return text, evidence


def apply_assessment(case: Case | CaseState, result: Assessment) -> tuple[bool, str]:
    """Take a triage result on a case (a Case, or the case step's in-memory CaseState): the category only
    when the case opens, the reasons always, the priority unless staff chose it. Returns whether the case
    was just opened (no deadline yet) and its priority before."""
    first = case.response_due_at is None
    if first:
        case.category = result.category
    case.priority_reasons = list(result.reasons)
    old = case.priority
    if case.priority_by != "staff" and result.priority != old:
        case.priority = result.priority
    return first, old


def triage_case(*, session: Session, rules: DeskRules, case: Case, now: datetime, actor: str = "system") -> None:
    """Assess the case from all its posts and its customer; set category, priority and deadlines.

    The category is set when the case opens and kept after (staff may change it); a
    priority staff chose is kept too, only its reasons are refreshed.
    """
    text, evidence = _evidence(session, case, rules.config, now)
    result = rules.triager.assess(text, evidence)
    first, old = apply_assessment(case, result)
    if first or case.priority != old:
        _set_priority_effects(session, rules, case, old, now, actor, reasons=list(result.reasons), first=first)
    else:  # a place that just joined gets its deadline on the case's calendar
        place_deadlines(session=session, case=case, calendar=rules.calendar(_brand_key(session, case), case.priority),
                        sla=rules.config.sla, now=now, every=False)  # fmt: skip


def _set_priority_effects(
    session: Session,
    rules: DeskRules,
    case: Case,
    old: str,
    now: datetime,
    actor: str,
    *,
    reasons: list[str],
    first: bool = False,
) -> None:
    calendar = rules.calendar(_brand_key(session, case), case.priority)
    apply_deadlines(case=case, calendar=calendar, sla=rules.config.sla, now=now)
    session.flush()  # the places just added are read back
    place_deadlines(session=session, case=case, calendar=calendar, sla=rules.config.sla, now=now, every=True)
    if first:
        note(session, case, now, actor, "case.triaged", category=case.category, priority=case.priority,
               reasons=reasons, response_due_at=case.response_due_at.isoformat() if case.response_due_at else None,
               resolution_due_at=case.resolution_due_at.isoformat() if case.resolution_due_at else None)  # fmt: skip
        return
    note(session, case, now, actor, "priority.changed", old=old, new=case.priority, reasons=reasons)
    if raised(old, case.priority):
        payload = {"case_id": case.id, "brand": _brand_key(session, case), "priority": case.priority, "old": old,
                   "reasons": reasons}  # fmt: skip
        emit(session, "case.priority_raised", f"case:{case.id}", payload, now=now)


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A staff PATCH: only the fields given are changed."""

    status: str | None = None
    assignee: str | None = None
    unassign: bool = False
    priority: str | None = None
    category: str | None = None
    dismissed_reason: str | None = None
    note: str | None = None
    fields: frozenset[str] = frozenset()


def change_case(
    *, session: Session, rules: DeskRules, case_id: int, change: CaseChange, actor: str, role: str, now: datetime
) -> Case:
    """Apply a staff change; refuse illegal moves (CaseError with the allowed ones, a 409)."""
    case = session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.status == "merged":
        raise CaseConflict(f"case {case_id} was merged into case {case.merged_into_id}; change that one")
    if change.priority is not None and change.priority != case.priority:
        if change.priority not in PRIORITIES:
            raise CaseInvalid(f"priority must be one of {', '.join(PRIORITIES)}")
        old = case.priority
        case.priority, case.priority_by = change.priority, "staff"
        _set_priority_effects(session, rules, case, old, now, actor, reasons=[f"set by {actor}"])
    elif change.priority is not None:
        case.priority_by = "staff"  # kept as chosen: triage no longer moves it
    if change.category is not None and change.category != case.category:
        if change.category not in CATEGORIES:
            raise CaseInvalid(f"category must be one of {', '.join(CATEGORIES)}")
        note(session, case, now, actor, "category.changed", old=case.category, new=change.category)
        case.category = change.category
    if change.unassign or (change.assignee is not None and change.assignee != case.assignee):
        new = None if change.unassign else change.assignee
        note(session, case, now, actor, "assignee.changed", old=case.assignee, new=new)
        case.assignee = new
    if change.status is not None and change.status != case.status:
        _move(session, case, change, actor, role, now)
    case.updated_at = now
    session.flush()
    return case


def _move(session: Session, case: Case, change: CaseChange, actor: str, role: str, now: datetime) -> None:
    target = change.status or ""
    allowed = MOVES.get(case.status, ())
    if target not in allowed:
        how = f"; to make it {target}, {BY_REPLY[target]}" if target in BY_REPLY else ""
        options = ", ".join(allowed) or "none"
        raise CaseConflict(f"a {case.status} case cannot move to {target}{how} (allowed: {options})")
    if target == "dismissed":
        if role not in ("lead", "admin"):
            raise Forbidden("only a lead or an admin may dismiss a case")
        if change.dismissed_reason not in DISMISS_REASONS:
            raise CaseInvalid(f"dismissed_reason must be one of {', '.join(DISMISS_REASONS)}")
        case.dismissed_reason = change.dismissed_reason
        for clock in ("response", "resolution"):
            if getattr(case, f"{clock}_sla") in ("running", "at_risk", "breached"):
                setattr(case, f"{clock}_sla", "stopped")
    if target in ("dismissed", "closed"):
        stop_places(session, case.id or 0)
    if case.status == "dismissed":  # restored: clocks run again from where the deadlines stand
        case.dismissed_reason = None
        _restart_clocks(case, now)
    if target == "closed":
        case.closed_at = now
    if target == "in_progress" and case.status in ("resolved", "closed"):  # reopened
        case.resolved_at = case.closed_at = None
        _restart_clocks(case, now, only="resolution")
    if case.status in ("dismissed", "closed"):
        restart_places(session, case.id or 0)
    note(session, case, now, actor, "status.changed", old=case.status, new=target, reason=change.dismissed_reason,
           note=change.note)  # fmt: skip
    case.status = target


def _restart_clocks(case: Case, now: datetime, only: str | None = None) -> None:
    for clock in (only,) if only else ("response", "resolution"):
        if clock == "response" and case.first_reply_at is not None:
            continue
        case_state = getattr(case, f"{clock}_sla")
        if case_state in ("stopped", "met", "missed"):
            # Running again; the sweep flips it at once if its marks have passed, with the events.
            setattr(case, f"{clock}_sla", "running")


def backfill_deadlines(*, session: Session, rules: DeskRules, now: datetime, limit: int = 500) -> int:
    """Triage live cases that have no deadlines yet (opened before the desk existed); returns how many."""
    cases = list(
        session.scalars(
            sa.select(Case)
            .where(Case.response_due_at.is_(None), Case.status.not_in(("merged", "dismissed")))
            .order_by(Case.id)
            .limit(limit)
        )
    )
    for case in cases:
        triage_case(session=session, rules=rules, case=case, now=now)
    return len(cases)
