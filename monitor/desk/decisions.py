"""Staff decisions on cases: split, merge, confirm or reject a customer. The automation never undoes them.

Each decision is written to the case timeline with who made it; with `config`, the
case is triaged again (its posts or its customer changed, so may its priority).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases.lifecycle import CaseConflict, CaseInvalid, desk_rules, triage_case
from monitor.cases.pipeline import SEARCH_CAP, searchable
from monitor.cases.places import recount_places
from monitor.cases.timeline import note
from monitor.config import Config
from monitor.core.errors import NotFound
from monitor.models import Case, CaseCandidate, Customer, Mention

__all__ = ["decide_customer", "merge_cases", "split_case"]


def split_case(
    *,
    session: Session,
    case_id: int,
    mention_ids: Sequence[int],
    actor: str,
    now: datetime,
    config: Config | None = None,
) -> Case:
    """Move the given mentions of a case into a new case of their own (a staff decision, kept).

    The new case's clocks start when its first post was found, not at the split: the
    customer has been waiting since then. With `config` it is triaged at once.
    """
    case = _live_case(session, case_id)
    wanted = set(mention_ids)
    mentions = list(session.scalars(sa.select(Mention).where(Mention.case_id == case.id).order_by(Mention.id)))
    moving = [m for m in mentions if m.id in wanted]
    if missing := wanted - {m.id for m in moving}:
        raise CaseInvalid(f"mentions {sorted(missing)} are not in case {case_id}")
    if not moving:
        raise CaseInvalid("name at least one mention to split off")
    if len(moving) == len(mentions):
        raise CaseConflict(f"that is every mention of case {case_id}; leave at least one")
    first = moving[0]
    opened = min(m.first_seen_at for m in moving)
    new = Case(brand_id=case.brand_id, title=case.title, language=first.language, opened_at=opened,
               updated_at=now, last_mention_at=max(m.first_seen_at for m in moving))  # fmt: skip
    session.add(new)
    session.flush()
    for m in moving:
        m.case_id, m.case_method, m.case_score = new.id, "staff", None
    new.search_text = searchable(new.title, *(f"{m.author or ''} {m.title or ''} {m.body}" for m in moving))[
        :SEARCH_CAP
    ]
    new.mention_count = len(moving)
    case.mention_count -= len(moving)
    case.updated_at = now
    ids = [m.id for m in moving]
    note(session, case, now, actor, "case.split", mention_ids=ids, new_case_id=new.id)
    note(session, new, now, actor, "case.opened", first, split_from=case.id, mention_ids=ids)
    recount_places(session, [case.id or 0, new.id or 0])  # each place keeps its state and clock
    if config is not None:
        triage_case(session=session, rules=desk_rules(config), case=new, now=now, actor=actor)
    return new


def merge_cases(
    *, session: Session, case_id: int, other_id: int, actor: str, now: datetime, config: Config | None = None
) -> Case:
    """Move every mention of `other_id` into `case_id`; the other case points to this one from now on.

    The merged case keeps the earlier opening (the customer waited since then); with
    `config` it is triaged again over all its posts.
    """
    if case_id == other_id:
        raise CaseInvalid("a case cannot be merged into itself")
    case, other = _live_case(session, case_id), _live_case(session, other_id)
    if case.brand_id != other.brand_id:
        raise CaseConflict(f"cases {case_id} and {other_id} are about different brands")
    moved = session.execute(
        sa.update(Mention)
        .where(Mention.case_id == other.id)
        .values(case_id=case.id, case_method="staff", case_score=None)
    ).rowcount
    case.mention_count += moved
    case.last_mention_at = max(case.last_mention_at, other.last_mention_at)
    case.opened_at = min(case.opened_at, other.opened_at)
    case.search_text = f"{case.search_text} {other.search_text}"[:SEARCH_CAP]
    case.updated_at = other.updated_at = now
    other.mention_count, other.status, other.merged_into_id = 0, "merged", case.id
    if case.customer_id is None and other.customer_id is not None:
        case.customer_id, case.customer_state, case.customer_score = (
            other.customer_id,
            other.customer_state,
            other.customer_score,
        )
    note(session, case, now, actor, "case.merged", merged_case_id=other.id, mentions=moved)
    note(session, other, now, actor, "case.merged_into", case_id=case.id, mentions=moved)
    for clock in ("response", "resolution"):
        setattr(other, f"{clock}_sla", "stopped")
    recount_places(session, [case.id or 0, other.id or 0])  # the moved places keep their states and clocks
    if config is not None:
        triage_case(session=session, rules=desk_rules(config), case=case, now=now, actor=actor)
    return case


def decide_customer(
    *,
    session: Session,
    case_id: int,
    customer_id: int,
    confirm: bool,
    actor: str,
    now: datetime,
    config: Config | None = None,
) -> Case:
    """Staff confirm a customer for the case (linking it), or reject one (never suggested again)."""
    case = _live_case(session, case_id)
    row = session.scalar(
        sa.select(CaseCandidate).where(CaseCandidate.case_id == case.id, CaseCandidate.customer_id == customer_id)
    )
    if row is None:
        customer = session.get(Customer, customer_id)
        if customer is None or customer.brand_id != case.brand_id:
            raise CaseInvalid(f"customer {customer_id} is not in the register of this case's brand")
        row = CaseCandidate(
            case_id=case.id, customer_id=customer_id, score=1.0, reasons=["chosen by staff"], created_at=now
        )
        session.add(row)
    row.decided_by, row.decided_at = actor, now
    if confirm:
        for other in session.scalars(
            sa.select(CaseCandidate).where(CaseCandidate.case_id == case.id, CaseCandidate.state == "linked")
        ):
            other.state = "suggested"
        row.state = "confirmed"
        case.customer_id, case.customer_state, case.customer_score = customer_id, "confirmed", row.score
        note(session, case, now, actor, "customer.confirmed", customer_id=customer_id)
    else:
        row.state = "rejected"
        if case.customer_id == customer_id:
            case.customer_id, case.customer_score = None, None
        remaining = session.scalar(
            sa.select(sa.func.count()).select_from(CaseCandidate)
            .where(CaseCandidate.case_id == case.id, CaseCandidate.state == "suggested")
        )  # fmt: skip
        if case.customer_id is None:
            case.customer_state = "suggested" if remaining else None
        note(session, case, now, actor, "customer.rejected", customer_id=customer_id)
    case.updated_at = now
    session.flush()
    if config is not None:  # the customer's tier, value and other cases weigh on the priority
        triage_case(session=session, rules=desk_rules(config), case=case, now=now, actor=actor)
    return case


def _live_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.merged_into_id is not None:
        raise CaseConflict(f"case {case_id} was merged into case {case.merged_into_id}; use that one")
    return case
