"""Matching open cases again when the register changes: an import or an edit may add the customer
a case was waiting for («Дмитрий Кузнецов» imported after his complaint came in).

A case is matched again when it is open (new, acknowledged, in progress), not merged, and has
no customer yet or only suggestions: a customer staff confirmed, and one linked automatically,
stay; candidates staff rejected never come back (monitor.cases.pipeline). The register's state
(`customer_register_state`) says which version was last gone through, so the worker's job
(monitor.worker.jobs.rematch_customers) does each change once, in batches, each its own transaction.

Training: matching's m-probabilities are estimated by EM over the brand's latest cases and the
desk's decisions (monitor.customers.training). The worker does it by itself (`train_register`
from monitor.worker.jobs.train_customers): once a brand has TRAIN_MIN_CASES cases, and again
every TRAIN_EVERY; `replywatch customers train` does it at once. Saving the model changes the
register's version, so the open cases without a customer are matched again with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases.pipeline import look_for_customer
from monitor.config import Config
from monitor.customers.candidates import Comparison, compare_case
from monitor.customers.frequencies import save_model
from monitor.customers.training import Trained, estimate
from monitor.models import Brand, Case, CaseCandidate, CustomerRegisterState, Mention

__all__ = [
    "OPEN",
    "TRAIN_CASES",
    "TRAIN_EVERY",
    "TRAIN_MIN_CASES",
    "cases_to_rematch",
    "mark_rematched",
    "registers_changed",
    "registers_to_train",
    "rematch_cases",
    "train_register",
    "training_cases",
]

OPEN = ("new", "acknowledged", "in_progress")
# EM needs cases enough that each level is seen among real authors: on the public sets (bench/match.py
# --public) 400-5,000 complaints gave stable m. Fewer, and the defaults of monitor.customers.weights stay.
TRAIN_MIN_CASES = 200
TRAIN_CASES = 5000  # the latest cases learned from: a few seconds of matching
TRAIN_EVERY = timedelta(days=1)


def registers_changed(session: Session) -> list[tuple[int, str]]:
    """(brand id, version) of each register changed since its open cases were last matched again."""
    rows = session.execute(
        sa.select(CustomerRegisterState.brand_id, CustomerRegisterState.version).where(
            sa.or_(
                CustomerRegisterState.rematched_version.is_(None),  # type: ignore[union-attr]
                CustomerRegisterState.rematched_version != CustomerRegisterState.version,
            )
        )
    )
    return [(r[0], r[1]) for r in rows]


def cases_to_rematch(session: Session, brand_id: int) -> list[int]:
    """Ids of the brand's open cases without a confirmed or automatic customer, oldest first."""
    query = (
        sa.select(Case.id)
        .where(Case.brand_id == brand_id, Case.status.in_(OPEN), Case.merged_into_id.is_(None))  # type: ignore[attr-defined,union-attr]
        .where(sa.or_(Case.customer_state.is_(None), Case.customer_state == "suggested"))  # type: ignore[union-attr]
        .order_by(Case.id)
    )
    return list(session.scalars(query))


def rematch_cases(*, session: Session, config: Config, case_ids: Sequence[int], now: datetime) -> int:
    """Look for each case's customer again; returns how many cases got a customer linked."""
    linked = 0
    for case in session.scalars(sa.select(Case).where(Case.id.in_(list(case_ids))).order_by(Case.id)):  # type: ignore[union-attr]
        if case.customer_state in ("confirmed", "auto"):
            continue  # decided since the list was read
        look_for_customer(session, config, case, now)
        linked += case.customer_state == "auto"
    return linked


def mark_rematched(session: Session, brand_id: int, version: str) -> None:
    state = session.get(CustomerRegisterState, brand_id)
    if state is not None:
        state.rematched_version = version
        session.flush()


def training_cases(
    *, session: Session, config: Config, brand_id: int, limit: int
) -> tuple[list[list[Comparison]], list[dict[int, bool]], int]:
    """The brand's latest `limit` cases compared with the register as matching does, with the
    desk's decisions (confirmed: True, rejected: False), for EM (monitor.customers.training);
    and the register's size."""
    key = session.scalar(sa.select(Brand.key).where(Brand.id == brand_id))
    brand = next((b for b in config.brands if b.key == key), None)
    cases = list(session.scalars(
        sa.select(Case).where(Case.brand_id == brand_id, Case.merged_into_id.is_(None))  # type: ignore[union-attr]
        .order_by(Case.id.desc()).limit(limit)  # type: ignore[union-attr]
    ))  # fmt: skip
    compared: list[list[Comparison]] = []
    labels: list[dict[int, bool]] = []
    customers = 0
    for case in cases:
        mentions = list(session.scalars(sa.select(Mention).where(Mention.case_id == case.id)))
        decided = {
            c.customer_id: c.state == "confirmed"
            for c in session.scalars(sa.select(CaseCandidate).where(CaseCandidate.case_id == case.id))
            if c.state in ("confirmed", "rejected")
        }
        found, freq = compare_case(
            session=session,
            brand_id=brand_id,
            texts=[f"{m.title or ''}\n{m.body}" for m in mentions],
            authors=[m.author for m in mentions if m.author],
            order_pattern=brand.order_pattern if brand else None,
            default_region=brand.country if brand else None,
        )
        customers = freq.customers
        compared.append(found)
        labels.append(decided)
    return compared, labels, customers


def registers_to_train(session: Session, now: datetime, every: timedelta = TRAIN_EVERY) -> list[int]:
    """Brand ids of the registers never trained, or last trained `every` ago or more."""
    rows = session.scalars(
        sa.select(CustomerRegisterState.brand_id)
        .where(sa.or_(CustomerRegisterState.trained_at.is_(None), CustomerRegisterState.trained_at <= now - every))  # type: ignore[union-attr,operator]
        .order_by(CustomerRegisterState.brand_id)
    )
    return list(rows)


def train_register(
    *, session: Session, config: Config, brand_id: int, now: datetime,
    min_cases: int = TRAIN_MIN_CASES, limit: int = TRAIN_CASES,
) -> Trained | None:  # fmt: skip
    """Estimate the brand's m by EM over its latest `limit` cases and keep it; None (nothing kept) while
    the brand has fewer than `min_cases` cases with candidates."""
    count = session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.brand_id == brand_id)) or 0
    if count < min_cases:
        return None
    compared, labels, customers = training_cases(session=session, config=config, brand_id=brand_id, limit=limit)
    if sum(1 for found in compared if found) < min_cases:
        return None
    trained = estimate(compared, customers, labels)
    save_model(session, brand_id, trained.model, now)
    return trained
