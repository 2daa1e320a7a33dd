"""The case step: brand → open or join a case → look for the customer; and the staff decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.cases.brands import BrandMatcher
from monitor.cases.pipeline import CaseError, assign_brand, process_pending
from monitor.config import parse_config
from monitor.core.db import SessionFactory, session_scope
from monitor.core.errors import NotFound
from monitor.desk.decisions import merge_cases, split_case
from monitor.ingest.mentions import MentionFilter, list_mentions
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Case, CaseEvent, Event, Mention
from monitor.worker.jobs import hand_on
from tests.support.clock import NOW
from tests.support.factories import raw, synced

CONFIG = parse_config(
    """
brands:
  - {key: acme, name: Acme, names: [Акме, Acme, Ակմե], domains: [acme.example], country: RU,
     order_pattern: '\\b\\d{4}-\\d{3}\\b', timezone: Europe/Moscow}
  - {key: lastochka, name: Lastochka, names: [Ласточка, Lastochka, Ластаўка], domains: [lastochka.example]}
sources:
  - {key: fixed, kind: feed, url: 'https://fixed.example/f', interval: 15m, brand: acme}
  - {key: other, kind: feed, url: 'https://other.example/f', interval: 15m, brand: acme}
  - {key: open, kind: feed, url: 'https://open.example/f', interval: 15m}
""",
    env={},
)
MATCHER = BrandMatcher(CONFIG.brands)

FRIDGE = (
    "Купил холодильник в Акме 3 ноября, через неделю перестал морозить. Сервис третий раз переносит визит мастера, "
    "на звонки не отвечают. Требую замену или возврат денег."
)
FRIDGE_REPOST = (
    "Купил холодильник в Акме 3 ноября,\nчерез неделю перестал морозить!!! Сервис третий раз переносит визит мастера, "
    "на звонки не отвечают. Требую замену или возврат денег. 😡\n-- Иван"
)
WASHER = (
    "Стиральную машину привезли с разбитой дверцей, курьер уехал, не дождавшись проверки. В Акме говорят писать "
    "претензию, но ответа нет уже десять дней."
)


@pytest.fixture
def ids(sessions: SessionFactory) -> dict[str, int]:
    return synced(sessions, CONFIG, NOW)


def ingest(sessions: SessionFactory, source_id: int, items: list, *, brand: bool = True, now=NOW) -> None:
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == "acme")) if brand else None
        stored = store_mentions(
            session=session, source_id=source_id, items=items, now=now, brand_id=brand_id, language_hint="ru"
        )
        hand_on(session=session, stored=stored, now=now)  # what the worker's poll job does next


def process(sessions: SessionFactory, now=NOW):
    with session_scope(sessions) as session:
        return process_pending(session=session, config=CONFIG, matcher=MATCHER, now=now)


def cases(sessions: SessionFactory) -> list[Case]:
    with session_scope(sessions) as session:
        return list(session.scalars(sa.select(Case).order_by(Case.id)))


def timeline(sessions: SessionFactory, case_id: int) -> list[str]:
    with session_scope(sessions) as session:
        return [
            e.kind
            for e in session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
        ]


def test_a_cross_post_joins_the_case_and_a_different_complaint_opens_one(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    ingest(sessions, ids["fixed"], [raw(1, FRIDGE), raw(2, WASHER)])
    ingest(sessions, ids["other"], [raw(1, FRIDGE_REPOST, title=None)], now=NOW + timedelta(days=2))
    counts = process(sessions, now=NOW + timedelta(days=2))
    assert (counts.processed, counts.opened, counts.joined, counts.unassigned) == (3, 2, 1, 0)
    fridge, washer = cases(sessions)
    assert (fridge.mention_count, washer.mention_count) == (2, 1)
    with session_scope(sessions) as session:
        repost = session.scalars(sa.select(Mention).where(Mention.source_id == ids["other"])).one()
        assert (repost.case_id, repost.case_method) == (fridge.id, "duplicate") and repost.case_score >= 80
        assert [e.kind for e in session.scalars(sa.select(Event))] == ["case.opened", "case.opened"]
    assert timeline(sessions, fridge.id) == ["case.opened", "case.triaged", "mention.joined"]
    assert process(sessions).processed == 0  # nothing is processed twice


def test_an_edited_complaint_is_indexed_again_so_a_cross_post_of_the_new_text_joins_its_case(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    """The author first posts two lines, then edits in the whole story and cross-posts that: the cross-post
    shares almost nothing with the first text, so only the re-indexed edit can find the case."""
    ingest(sessions, ids["fixed"], [raw(1, "Акме, где мой холодильник?!", title=None)])
    process(sessions)
    (first,) = cases(sessions)
    later = NOW + timedelta(hours=3)
    ingest(sessions, ids["fixed"], [raw(1, FRIDGE, title=None)], now=later)  # the same post, edited
    assert timeline(sessions, first.id)[-1] == "mention.edited"
    ingest(sessions, ids["other"], [raw(7, FRIDGE_REPOST, title=None)], now=later)
    counts = process(sessions, now=later)
    assert (counts.processed, counts.joined, counts.opened) == (1, 1, 0)
    (case,) = cases(sessions)
    assert case.id == first.id and case.mention_count == 2
    with session_scope(sessions) as session:
        edit = session.scalars(sa.select(CaseEvent).where(CaseEvent.kind == "mention.edited")).one()
        assert edit.data == {"revision": 2} and edit.actor == "system"


def test_brands_come_from_the_source_or_the_text_and_the_rest_stays_unassigned(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    ingest(sessions, ids["open"], [
        raw("acme", "Заказ из Акмы так и не привезли, деньги не вернули.", title=None),
        raw("lastochka", "Ласточка опять опоздала с доставкой на три часа.", title=None),
        raw("none", "Интернет-провайдер не работает второй день, техподдержка молчит.", title=None),
    ], brand=False)  # fmt: skip
    counts = process(sessions)
    assert (counts.opened, counts.unassigned) == (2, 1)
    with session_scope(sessions) as session:
        rules = {m.external_id: (m.brand_id is not None, m.brand_rule) for m in session.scalars(sa.select(Mention))}
        assert rules["ext-acme"][0] and rules["ext-lastochka"][0] and rules["ext-none"] == (False, None)
        unassigned = list_mentions(session=session, filters=MentionFilter(unassigned=True))
        assert [m.external_id for m in unassigned] == ["ext-none"]
        case = assign_brand(
            session=session, config=CONFIG, mention_id=unassigned[0].id, brand_key="acme", actor="anna", now=NOW
        )
        assert case.brand_id is not None
        assert list_mentions(session=session, filters=MentionFilter(unassigned=True)) == []
        with pytest.raises(CaseError, match="already in case"):
            assign_brand(
                session=session, config=CONFIG, mention_id=unassigned[0].id, brand_key="acme", actor="anna", now=NOW
            )
        with pytest.raises(CaseError, match="no brand with key 'nope'"):
            assign_brand(
                session=session, config=CONFIG, mention_id=unassigned[0].id, brand_key="nope", actor="anna", now=NOW
            )


def test_split_and_merge_are_kept_and_never_undone(sessions: SessionFactory, ids: dict[str, int]) -> None:
    ingest(sessions, ids["fixed"], [raw(1, FRIDGE), raw(2, WASHER)])
    ingest(sessions, ids["other"], [raw(1, FRIDGE_REPOST, title=None)])
    process(sessions)
    fridge, washer = cases(sessions)
    with session_scope(sessions) as session:
        repost_id = session.scalar(sa.select(Mention.id).where(Mention.source_id == ids["other"]))
        new = split_case(session=session, case_id=fridge.id, mention_ids=[repost_id], actor="anna", now=NOW)
        new_id = new.id
        with pytest.raises(CaseError, match="leave at least one"):
            split_case(session=session, case_id=new_id, mention_ids=[repost_id], actor="anna", now=NOW)
        with pytest.raises(CaseError, match="not in case"):
            split_case(session=session, case_id=fridge.id, mention_ids=[999999], actor="anna", now=NOW)
    # The automation runs again and moves nothing back.
    assert process(sessions).processed == 0
    with session_scope(sessions) as session:
        assert session.get(Mention, repost_id).case_id == new_id
        assert session.get(Mention, repost_id).case_method == "staff"
    assert timeline(sessions, fridge.id)[-1] == "case.split"

    with session_scope(sessions) as session:
        merged = merge_cases(session=session, case_id=washer.id, other_id=new_id, actor="boris", now=NOW)
        assert merged.mention_count == 2
        with pytest.raises(CaseError, match="was merged into case"):
            merge_cases(session=session, case_id=washer.id, other_id=new_id, actor="boris", now=NOW)
        with pytest.raises(CaseError, match="into itself"):
            merge_cases(session=session, case_id=washer.id, other_id=washer.id, actor="boris", now=NOW)
        with pytest.raises(NotFound):
            merge_cases(session=session, case_id=washer.id, other_id=424242, actor="boris", now=NOW)
    with session_scope(sessions) as session:
        gone = session.get(Case, new_id)
        assert (gone.status, gone.merged_into_id, gone.mention_count) == ("merged", washer.id, 0)
        events = session.scalars(
            sa.select(CaseEvent).where(CaseEvent.case_id == washer.id, CaseEvent.kind == "case.merged")
        ).one()
        assert (events.actor, events.data["merged_case_id"]) == ("boris", new_id)


def test_one_bad_mention_does_not_block_the_others(
    sessions: SessionFactory, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitor.cases.pipeline as cases_module

    real = cases_module.signature

    def flaky(title, body, *, brand_id):
        if "BOOM" in body:
            raise RuntimeError("a bug in one mention")
        return real(title, body, brand_id=brand_id)

    monkeypatch.setattr(cases_module, "signature", flaky)
    ingest(
        sessions,
        ids["fixed"],
        [raw(1, FRIDGE), raw(2, "BOOM " + WASHER), raw(3, WASHER.replace("десять", "двенадцать") + " Заказ 1111-222.")],
    )
    counts = process(sessions)
    assert (counts.processed, counts.failed, counts.opened) == (3, 1, 2)
    with session_scope(sessions) as session:
        bad = session.scalars(sa.select(Mention).where(Mention.body.like("BOOM%"))).one()
        assert bad.case_id is None and bad.processed_at is not None  # kept, visible, not retried forever


def test_mentions_stored_before_this_step_existed_are_picked_up(sessions: SessionFactory, ids: dict[str, int]) -> None:
    ingest(sessions, ids["fixed"], [raw(i, f"{WASHER} Заказ {1000 + i}-{100 + i}.") for i in range(230)])
    assert process(sessions).processed == 200  # one batch; the scheduler loops until none are left
    assert process(sessions).processed == 30
    assert process(sessions).processed == 0
