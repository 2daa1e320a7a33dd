"""Matching open cases again after the register changed: the worker's job and what it must never undo."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.cases.brands import BrandMatcher
from monitor.cases.pipeline import process_pending
from monitor.config import parse_config
from monitor.core.db import SessionFactory, session_scope
from monitor.customers.register import import_customers
from monitor.customers.register_file import read_register
from monitor.desk.decisions import decide_customer
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Case, CaseCandidate, Customer, CustomerRegisterState
from monitor.worker.jobs import rematch_customers, train_customers
from tests.support.clock import NOW
from tests.support.factories import raw, synced

CONFIG = parse_config(
    """
brands:
  - {key: acme, name: Acme, names: [Акме, Acme], country: RU}
sources:
  - {key: fixed, kind: feed, url: 'https://fixed.example/f', interval: 15m, brand: acme}
""",
    env={},
)
LATER = NOW + timedelta(hours=1)


@pytest.fixture
def source_id(sessions: SessionFactory) -> int:
    return synced(sessions, CONFIG, NOW)["fixed"]


def complain(sessions: SessionFactory, source_id: int, n: int, author: str, body: str) -> int:
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == "acme"))
        store_mentions(session=session, source_id=source_id, items=[raw(n, body, author=author)], now=NOW,
                       brand_id=brand_id, language_hint="ru")  # fmt: skip
        process_pending(session=session, config=CONFIG, matcher=BrandMatcher(CONFIG.brands), now=NOW)
        return session.scalars(sa.select(Case.id).order_by(Case.id.desc())).first()  # type: ignore[return-value]


def import_register(sessions: SessionFactory, csv: str) -> dict[str, int]:
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == "acme"))
        import_customers(session=session, brand_id=brand_id, rows=read_register(csv.encode(), default_region="RU"),
                         now=LATER, default_region="RU")  # fmt: skip
        return {c.external_id: c.id for c in session.scalars(sa.select(Customer))}  # type: ignore[misc]


def case(sessions: SessionFactory, case_id: int) -> Case:
    with session_scope(sessions) as session:
        return session.get(Case, case_id)  # type: ignore[return-value]


def test_a_customer_imported_after_the_complaint_is_found_by_the_next_run(
    sessions: SessionFactory, source_id: int
) -> None:
    import_register(sessions, "id,name,city\nx,Иванов Сергей,Москва\n")
    waiting = complain(sessions, source_id, 1, "Дмитрий Кузнецов", "Холодильник из Акме сломался, я из Самары.")
    assert case(sessions, waiting).customer_state is None  # not in the register yet
    progress: list[tuple[int, int]] = []
    first = rematch_customers(
        sessions=sessions, config=CONFIG, now=LATER, on_progress=lambda d, t: progress.append((d, t))
    )
    assert first.registers == 1 and first.linked == 0  # nothing new for it in that register
    ids = import_register(sessions, "id,name,city\nd,Кузнецов Дмитрий Андреевич,Самара\n")
    counts = rematch_customers(
        sessions=sessions, config=CONFIG, now=LATER, on_progress=lambda d, t: progress.append((d, t))
    )
    assert counts.registers == 1 and counts.cases == 1 and counts.linked == 1
    assert progress[-1] == (1, 1)
    found = case(sessions, waiting)
    assert found.customer_id == ids["d"] and found.customer_state == "auto"
    # Done once: the register's version is marked as gone through.
    assert rematch_customers(sessions=sessions, config=CONFIG, now=LATER).registers == 0
    with session_scope(sessions) as session:
        state = session.scalars(sa.select(CustomerRegisterState)).one()
        assert state.rematched_version == state.version


def test_staff_decisions_are_never_undone(sessions: SessionFactory, source_id: int) -> None:
    ids = import_register(sessions, "id,name,city\na,Петров Иван,Омск\nb,Петров Иван,Омск\n")
    confirmed = complain(sessions, source_id, 1, "Иван Петров", "Акме привезла сломанный чайник.")
    rejected = complain(sessions, source_id, 2, "Иван Петров", "Акме не вернула деньги за пылесос.")
    with session_scope(sessions) as session:
        decide_customer(session=session, case_id=confirmed, customer_id=ids["b"], confirm=True, actor="olga", now=NOW)
        decide_customer(session=session, case_id=rejected, customer_id=ids["a"], confirm=False, actor="olga", now=NOW)
    # Ivan Petrov of Omsk's namesake leaves the register's Omsk: one Ivan Petrov there now.
    import_register(sessions, "id,name,city\nb,Петров Иван,Томск\n")
    rematch_customers(sessions=sessions, config=CONFIG, now=LATER)
    kept = case(sessions, confirmed)
    assert kept.customer_id == ids["b"] and kept.customer_state == "confirmed"
    with session_scope(sessions) as session:
        states = dict(session.execute(
            sa.select(CaseCandidate.customer_id, CaseCandidate.state).where(CaseCandidate.case_id == rejected)
        ).all())  # fmt: skip
    assert states.get(ids["a"]) == "rejected"
    assert case(sessions, rejected).customer_id != ids["a"]


def test_closed_cases_are_left_alone(sessions: SessionFactory, source_id: int) -> None:
    closed = complain(sessions, source_id, 1, "Дмитрий Кузнецов", "Акме: холодильник сломался, я из Самары.")
    with session_scope(sessions) as session:
        session.get(Case, closed).status = "resolved"  # type: ignore[union-attr]
    import_register(sessions, "id,name,city\nd,Кузнецов Дмитрий,Самара\n")
    counts = rematch_customers(sessions=sessions, config=CONFIG, now=LATER)
    assert counts.cases == 0 and case(sessions, closed).customer_id is None


def test_training_reads_the_cases_and_the_desks_decisions(sessions: SessionFactory, source_id: int) -> None:
    from monitor.cases.rematch import training_cases
    from monitor.customers.frequencies import save_model
    from monitor.customers.training import estimate

    ids = import_register(sessions, "id,name,city\na,Петров Иван,Омск\nb,Петров Иван,Омск\n")
    first = complain(sessions, source_id, 1, "Иван Петров", "Акме привезла сломанный чайник, я из Омска.")
    with session_scope(sessions) as session:
        decide_customer(session=session, case_id=first, customer_id=ids["b"], confirm=True, actor="olga", now=NOW)
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == "acme"))
        compared, labels, customers = training_cases(session=session, config=CONFIG, brand_id=brand_id, limit=10)
        assert customers == 2 and len(compared) == 1 and {c.customer_id for c in compared[0]} == set(ids.values())
        assert labels == [{ids["b"]: True}]
        trained = estimate(compared, customers, labels)
        save_model(session, brand_id, trained.model, LATER)
    with session_scope(sessions) as session:
        state = session.get(CustomerRegisterState, brand_id)
        assert state is not None and state.trained_at == LATER and state.model["city agrees"] > 0.9


def test_the_worker_trains_a_register_once_it_has_cases_enough_and_again_a_day_later(
    sessions: SessionFactory, source_id: int
) -> None:
    import_register(sessions, "id,name,city\na,Петров Иван,Омск\nd,Кузнецов Дмитрий,Самара\nn,Нина Ким,Тверь\n")
    complain(sessions, source_id, 1, "Иван Петров", "Акме привезла сломанный чайник, я из Омска.")
    complain(sessions, source_id, 2, "Дмитрий Кузнецов", "Акме: холодильник сломался, я из Самары.")
    complain(sessions, source_id, 3, "Петров И.", "Акме, где мой заказ? Пишу из Омска.")

    def state() -> CustomerRegisterState:
        with session_scope(sessions) as session:
            found = session.scalars(sa.select(CustomerRegisterState)).one()
            session.expunge(found)
            return found

    assert train_customers(sessions=sessions, config=CONFIG, now=LATER, min_cases=4) == 0
    customers = CONFIG.cases.customers.model_copy(update={"train": False})
    off = CONFIG.model_copy(update={"cases": CONFIG.cases.model_copy(update={"customers": customers})})
    assert train_customers(sessions=sessions, config=off, now=LATER, min_cases=3) == 0
    assert state().trained_at is None and state().model == {}
    version = state().version
    assert train_customers(sessions=sessions, config=CONFIG, now=LATER, min_cases=3) == 1
    trained = state()
    assert trained.trained_at == LATER and trained.version != version
    # Three cases, each by a customer: EM says nearly every author is one.
    assert trained.model["customer share"] > 0.9 and set(trained.model) >= {"name exact", "city agrees", "city typo"}
    assert train_customers(sessions=sessions, config=CONFIG, now=LATER + timedelta(hours=23), min_cases=3) == 0
    assert train_customers(sessions=sessions, config=CONFIG, now=LATER + timedelta(days=1), min_cases=3) == 1
    assert state().trained_at == LATER + timedelta(days=1)
