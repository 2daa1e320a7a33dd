"""The case step per batch (monitor.cases.batch): the same result as one mention at a time, and the fallback."""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from structlog.testing import capture_logs

import monitor.cases.batch as batch_module
from monitor.cases import batch_write
from monitor.cases.batch_state import CaseState, Post
from monitor.cases.dedupe_batch import BatchIndex
from monitor.cases.pipeline import process_pending
from monitor.core.db import SessionFactory, session_scope
from monitor.customers.register import import_customers
from monitor.customers.register_file import read_register
from monitor.models import Brand, Case, CaseCandidate, CaseEvent, Event, Mention, MentionBand, MentionSignature
from tests.monitor.cases.test_cases import CONFIG, FRIDGE, FRIDGE_REPOST, MATCHER, WASHER, ingest
from tests.support.clock import NOW
from tests.support.factories import raw, synced

HEADPHONES = (
    "Ordered wireless headphones from Acme on March 3rd, the left earbud died after a week. Support promised "
    "a replacement twice and then closed my ticket without a word. I want a refund."
)
HEADPHONES_REPOST = (
    "Ordered wireless headphones from Acme on March 3rd - the left earbud died after a week!! Support promised "
    "a replacement twice, then closed my ticket without a word. I want a refund.\nTom W."
)
ARMENIAN = (
    "Ակմե խանութից գնել եմ սառնարան, մեկ շաբաթ անց դադարեց սառեցնել։ Սպասարկման կենտրոնը երեք անգամ "
    "հետաձգել է վարպետի այցը, զանգերին չեն պատասխանում։"
)


@pytest.fixture
def ids(sessions: SessionFactory) -> dict[str, int]:
    return synced(sessions, CONFIG, NOW)


def stream(ids: dict[str, int]) -> list[tuple[int, object]]:
    """(source id, item): complaints in three languages, each re-posted later in the same batch on another
    source, and one templated complaint about another order (marks differ: it must open its own case)."""
    return [
        (ids["fixed"], raw(1, FRIDGE)),
        (ids["fixed"], raw(2, HEADPHONES, title="Broken headphones", author="Tom Walker")),
        (ids["fixed"], raw(3, WASHER + " Заказ 7731-245.")),
        (ids["other"], raw(4, FRIDGE_REPOST, title=None)),
        (ids["other"], raw(5, WASHER + " Заказ 7731-246.", author="Пётр Иванов")),
        (ids["other"], raw(6, HEADPHONES_REPOST, title=None, author="Tom Walker")),
        (ids["fixed"], raw(7, ARMENIAN, title=None, author="Արամ")),
        (ids["other"], raw(8, ARMENIAN + " Շատ վատ է։", title=None, author="Արամ")),
    ]


def store(sessions: SessionFactory, items: list[tuple[int, object]]) -> None:
    for source_id, item in items:
        ingest(sessions, source_id, [item])


def run(sessions: SessionFactory, *, limit: int) -> int:
    """process_pending until the queue is empty, `limit` mentions a batch; returns how many batches failed."""
    with capture_logs() as logs:
        while True:
            with session_scope(sessions) as session:
                counts = process_pending(session=session, config=CONFIG, matcher=MATCHER, now=NOW, limit=limit)
            if counts.processed == 0:
                break
    return sum(1 for e in logs if e["event"] == "case.batch_failed")


def outcome(sessions: SessionFactory) -> dict[str, object]:
    """What the step decided, with each case named by its first mention's external id."""
    with session_scope(sessions) as session:
        mentions = list(session.scalars(sa.select(Mention).order_by(Mention.id)))
        first = {}
        for m in mentions:
            first.setdefault(m.case_id, m.external_id)
        timeline = [
            (first[e.case_id], e.kind, e.data.get("similar_to") is not None)
            for e in session.scalars(sa.select(CaseEvent).order_by(CaseEvent.id))
        ]
        cases = [
            (first[c.id], c.mention_count, c.places_unanswered, c.priority, c.category, c.response_due_at)
            for c in session.scalars(sa.select(Case).order_by(Case.id))
        ]
        return {
            "mentions": [
                (m.external_id, first.get(m.case_id), m.case_method, m.case_score, m.place_due_at) for m in mentions
            ],
            "timeline": timeline,
            "cases": cases,
            "events": sorted((e.kind, first[e.payload["case_id"]]) for e in session.scalars(sa.select(Event))),
            "bands": session.scalar(sa.select(sa.func.count()).select_from(MentionBand)),
            "texts": session.scalar(sa.select(sa.func.count()).select_from(MentionSignature)),
        }


def reset(sessions: SessionFactory) -> None:
    """Undo the case step, keeping the stored mentions: the same queue can be processed again."""
    with session_scope(sessions) as session:
        for model in (MentionBand, MentionSignature, CaseEvent, Event, CaseCandidate):
            session.execute(sa.delete(model))
        session.execute(
            sa.update(Mention).values(
                case_id=None,
                processed_at=None,
                case_method=None,
                case_score=None,
                tone=None,
                tone_reasons=None,
                place_state=None,
                place_since=None,
                place_sla=None,
                place_due_at=None,
                place_risk_at=None,
            )
        )
        session.execute(sa.delete(Case))


def test_a_repost_of_an_earlier_post_of_the_same_batch_joins_its_case_as_one_by_one_would(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    store(sessions, stream(ids))
    assert run(sessions, limit=200) == 0  # one batch, placed in memory: no fallback
    together = outcome(sessions)
    reset(sessions)
    assert run(sessions, limit=1) == 0  # a batch a mention: each finds the earlier ones in the database
    assert outcome(sessions) == together
    joined = {external: case for external, case, method, *_ in together["mentions"] if method == "duplicate"}
    assert joined == {"ext-4": "ext-1", "ext-6": "ext-2", "ext-8": "ext-7"}  # the other order opened its own case
    assert [kind for case, kind, _ in together["timeline"] if case == "ext-1"] == [
        "case.opened",
        "case.triaged",
        "mention.joined",
    ]
    assert together["events"] == [("case.opened", e) for e in ("ext-1", "ext-2", "ext-3", "ext-5", "ext-7")]
    assert together["bands"] == 32 * together["texts"] and together["texts"] == 8


def test_a_mention_failing_in_the_batch_falls_back_and_the_rest_are_processed(
    sessions: SessionFactory, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitor.cases.pipeline as pipeline

    real = pipeline.signature

    def flaky(title, body, *, brand_id):
        if "BOOM" in body:
            raise RuntimeError("a bug in one mention")
        return real(title, body, brand_id=brand_id)

    monkeypatch.setattr(pipeline, "signature", flaky)
    items = [*stream(ids), (ids["fixed"], raw(9, "BOOM " + HEADPHONES, author="Someone Else"))]
    store(sessions, items)
    with capture_logs() as logs, session_scope(sessions) as session:
        counts = process_pending(session=session, config=CONFIG, matcher=MATCHER, now=NOW)
    assert [e["event"] for e in logs if e["log_level"] in ("warning", "error")] == [
        "case.batch_failed",
        "case.process_failed",
    ]
    assert (counts.processed, counts.failed, counts.opened, counts.joined) == (9, 1, 5, 3)
    with session_scope(sessions) as session:
        bad = session.scalars(sa.select(Mention).where(Mention.body.like("BOOM%"))).one()
        assert bad.case_id is None and bad.processed_at is not None  # kept, visible, not retried forever
        assert session.scalar(sa.select(sa.func.count()).where(Mention.processed_at.is_(None))) == 0


def test_a_batch_that_fails_while_writing_leaves_nothing_behind(
    sessions: SessionFactory, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write fails after cases, bands and timeline rows went in: the savepoint takes them all back,
    and the one-by-one fallback writes each once (a band row left over would break its primary key)."""
    store(sessions, stream(ids))

    def broken(self: batch_module.CaseBatch) -> None:
        raise RuntimeError("the last statement of the batch failed")

    monkeypatch.setattr(batch_module.CaseBatch, "write_candidates", broken)
    assert run(sessions, limit=200) == 1
    fallback = outcome(sessions)
    monkeypatch.undo()
    reset(sessions)
    assert run(sessions, limit=200) == 0
    assert outcome(sessions) == fallback
    assert len(fallback["cases"]) == 5 and fallback["texts"] == 8


def test_a_later_batch_joins_a_stored_case_and_moves_its_counters(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    ingest(sessions, ids["fixed"], [raw(1, FRIDGE)])
    assert run(sessions, limit=200) == 0
    ingest(sessions, ids["other"], [raw(2, FRIDGE_REPOST, title=None), raw(3, WASHER)], now=NOW + timedelta(hours=1))
    with session_scope(sessions) as session:
        counts = process_pending(session=session, config=CONFIG, matcher=MATCHER, now=NOW + timedelta(hours=1))
    assert (counts.opened, counts.joined) == (1, 1)
    with session_scope(sessions) as session:
        fridge = session.scalars(sa.select(Case).order_by(Case.id)).first()
        assert (fridge.mention_count, fridge.places_unanswered, fridge.updated_at) == (2, 2, NOW + timedelta(hours=1))
        repost = session.scalars(sa.select(Mention).where(Mention.external_id == "ext-2")).one()
        assert repost.case_id == fridge.id and repost.place_since == NOW + timedelta(hours=1)
        assert repost.place_due_at is not None


def test_customers_are_linked_and_suggested_in_the_batch_as_one_by_one(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    """A register with one Иван Петров (linked) and two Tom Walkers (suggested, neither linked); each
    complaint is re-posted in the same batch, so the customer lookup runs again on the grown case."""
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == "acme"))
        csv = "id,name,city\na,Петров Иван,Москва\nb,Walker Tom,Омск\nc,Walker Tom,Томск\nd,Сидоров Пётр,Омск\n"
        import_customers(session=session, brand_id=brand_id, rows=read_register(csv.encode(), default_region="RU"),
                         now=NOW, default_region="RU")  # fmt: skip
    store(sessions, stream(ids))

    def customers() -> list[tuple]:
        with session_scope(sessions) as session:
            first = {}
            for m in session.scalars(sa.select(Mention).order_by(Mention.id)):
                first.setdefault(m.case_id, m.external_id)
            return [
                *sorted((first[c.case_id], c.customer_id, c.state, c.score) for c in session.scalars(sa.select(CaseCandidate))),
                *sorted((first[c.id], c.customer_id, c.customer_state, c.customer_score) for c in session.scalars(sa.select(Case))),
            ]  # fmt: skip

    assert run(sessions, limit=200) == 0
    together, found = outcome(sessions), customers()
    reset(sessions)
    assert run(sessions, limit=1) == 0
    assert (outcome(sessions), customers()) == (together, found)
    kinds = [kind for _, kind, _ in together["timeline"]]
    assert kinds.count("customer.linked") >= 1 and kinds.count("customer.suggested") >= 2


def _first_mentions(sessions: SessionFactory) -> list[tuple[int, int]]:
    """(case id, id of its first mention) of every case, by case id."""
    with session_scope(sessions) as session:
        rows = session.execute(
            sa.select(Mention.case_id, sa.func.min(Mention.id))
            .where(Mention.case_id.is_not(None))
            .group_by(Mention.case_id)
        )
        return sorted(tuple(row) for row in rows)


def test_new_cases_get_increasing_ids_in_the_order_they_were_opened(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    """As one by one would number them (on PostgreSQL drawn from the sequence before the rows go in),
    also across batches."""
    store(sessions, stream(ids))
    assert run(sessions, limit=3) == 0
    cases = _first_mentions(sessions)
    assert len(cases) == 5
    assert [first for _, first in cases] == sorted(first for _, first in cases)


def _a_case_of_no_brand(batch: batch_module.CaseBatch) -> None:
    next(c for c in batch.cases.values() if c.new).brand_id = 10**6  # the first statement after the ids


def _a_timeline_row_of_no_case(batch: batch_module.CaseBatch) -> None:
    ghost = CaseState(id=10**6, brand_id=1, opened_at=NOW, updated_at=NOW, last_mention_at=NOW, new=False)
    batch.timeline.insert(len(batch.timeline) // 2, (ghost, None, "case.ghost", {}))  # after the band rows


@pytest.mark.parametrize("spoil", [_a_case_of_no_brand, _a_timeline_row_of_no_case])
def test_a_row_refused_by_the_database_mid_write_fails_the_batch_which_is_then_done_one_by_one(
    sessions: SessionFactory,
    ids: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    spoil: Callable[[batch_module.CaseBatch], None],
) -> None:
    """A row its foreign key refuses, in the write's first statements or after the band rows. On PostgreSQL
    the write is pipelined, so the error comes back after later statements were sent; it still raises in
    the write (the candidates after it are not written), the savepoint takes back everything before it,
    and the fallback writes each mention once."""
    store(sessions, stream(ids))
    write, candidates = batch_module.CaseBatch.write, batch_module.CaseBatch.write_candidates
    reached: list[bool] = []

    def spoilt(self: batch_module.CaseBatch, others: list) -> None:
        spoil(self)
        write(self, others)

    def noted(self: batch_module.CaseBatch) -> None:
        reached.append(True)
        candidates(self)

    monkeypatch.setattr(batch_module.CaseBatch, "write", spoilt)
    monkeypatch.setattr(batch_module.CaseBatch, "write_candidates", noted)
    assert run(sessions, limit=200) == 1
    assert reached == []
    fallback = outcome(sessions)
    monkeypatch.undo()
    reset(sessions)
    assert run(sessions, limit=200) == 0
    assert outcome(sessions) == fallback
    assert len(fallback["cases"]) == 5 and fallback["bands"] == 32 * 8


def _indexed(mention_id: int, keys: tuple[int, ...]) -> tuple[Any, Any]:
    return SimpleNamespace(id=mention_id), SimpleNamespace(band_keys=keys)


def test_band_rows_are_stored_as_given_and_one_naming_no_mention_is_refused(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    """The batch's band rows (a binary COPY on PostgreSQL, checked by migration 0016's statement trigger
    as an INSERT is; SQLite's foreign key): every value as given, the widest key too."""
    store(sessions, stream(ids)[:2])
    with session_scope(sessions) as session:
        first, second = session.scalars(sa.select(Mention.id).order_by(Mention.id))
    rows = [_indexed(first, (2**63 - 1, 0, 7)), _indexed(second, (5, 2**62))]
    with session_scope(sessions) as session:
        batch_write._insert_bands(session, rows)
    with session_scope(sessions) as session:
        stored = sorted(tuple(r) for r in session.execute(sa.select(MentionBand.mention_id, MentionBand.band_key)))
    assert stored == sorted([(first, 2**63 - 1), (first, 0), (first, 7), (second, 5), (second, 2**62)])
    with (
        pytest.raises((sa.exc.IntegrityError, psycopg.errors.ForeignKeyViolation)) as refused,
        session_scope(sessions) as session,
    ):
        batch_write._insert_bands(session, [_indexed(first, (11,)), _indexed(second + 1000, (12,))])
    if sessions.kw["bind"].dialect.name == "postgresql":
        assert f"mention {second + 1000}" in str(refused.value)
    with session_scope(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(MentionBand)) == 5


def test_a_placed_batch_leaves_no_cycle_for_the_collector(sessions: SessionFactory, ids: dict[str, int]) -> None:
    """The batch, its index and what they hold go with the batch by reference counting: a cycle between
    them made every batch's ~13,000 lists and tuples wait for the cyclic collector."""
    store(sessions, stream(ids))
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert run(sessions, limit=200) == 0
        gc.collect()
        left = {type(o) for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not left & {batch_module.CaseBatch, BatchIndex, CaseState, Post}, left


def test_a_stored_post_edited_since_it_was_indexed_is_compared_as_it_reads_now(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    """A candidate whose stored prepared text is older than its body (an edit not indexed yet) is
    compared by its body as it is now: the batch reads the raw text of exactly those candidates."""
    before = WASHER + " Заказ 7731-245."
    store(sessions, [(ids["fixed"], raw(1, before, title=None))])
    assert run(sessions, limit=200) == 0
    edited = before.replace("7731-245", "7731-999")
    with session_scope(sessions) as session:  # the edit as ingest stores it, before the index follows it
        session.execute(
            sa.update(Mention).where(Mention.external_id == "ext-1").values(body=edited, content_hash="e" * 64)
        )
    store(sessions, [(ids["other"], raw(2, edited + " Жду ответа.", title=None))])
    assert run(sessions, limit=200) == 0
    with session_scope(sessions) as session:
        rows = session.execute(
            sa.select(Mention.external_id, Mention.case_id, Mention.case_method).order_by(Mention.id)
        )
        (_, first_case, _), (_, case_id, method) = rows.all()
    # Joined on the text as it reads now: by the stored text, order 7731-245 against 7731-999 kept them apart.
    assert (case_id, method) == (first_case, "duplicate")


_AT = raw(1, FRIDGE).published_at
_WINDOW = CONFIG.cases.dedupe.window
_MSK, _EKB = timezone(timedelta(hours=3)), timezone(timedelta(hours=5))
# (stored post's date, the later batch's re-post's date, joined?): the facts the batch reads of stored
# candidates are those published from its earliest post's date minus the window to its latest's plus it.
_WINDOW_EDGES = {
    "weeks later": (_AT, _AT + _WINDOW - timedelta(days=1), True),
    "the stored one is newer (an old review polled late)": (_AT + timedelta(days=30), _AT, True),
    "both long before now: the posts' dates count, not the clock": (NOW - timedelta(days=200),
                                                                     NOW - timedelta(days=199), True),
    "no published date: first seen counts": (None, None, True),
    "exactly a window later, other time zones": (_AT.astimezone(_MSK), (_AT + _WINDOW).astimezone(_EKB), True),
    "exactly a window earlier": (_AT + _WINDOW, _AT, True),
    "a microsecond past the window": (_AT, _AT + _WINDOW + timedelta(microseconds=1), False),
}  # fmt: skip


@pytest.mark.parametrize("one_by_one", [False, True], ids=["batch", "one by one"])
@pytest.mark.parametrize(("stored_at", "repost_at", "joined"), _WINDOW_EDGES.values(), ids=_WINDOW_EDGES.keys())
def test_a_repost_joins_a_stored_post_inside_the_window_and_only_there(
    sessions: SessionFactory, ids: dict[str, int], monkeypatch: pytest.MonkeyPatch, one_by_one: bool,
    stored_at: datetime | None, repost_at: datetime | None, joined: bool,
) -> None:  # fmt: skip
    """The batch gives what one-by-one processing gives at the window's edges (forced by a failing place)."""
    if one_by_one:
        monkeypatch.setattr(batch_module.CaseBatch, "place", lambda *_: 1 / 0)
    store(sessions, [(ids["fixed"], raw(1, FRIDGE, published_at=stored_at))])
    failed = run(sessions, limit=200)
    store(sessions, [(ids["other"], raw(2, FRIDGE_REPOST, title=None, published_at=repost_at))])
    failed += run(sessions, limit=200)
    assert failed == (2 if one_by_one else 0)
    with session_scope(sessions) as session:
        case_of = dict(session.execute(sa.select(Mention.external_id, Mention.case_id)).all())
    assert (case_of["ext-2"] == case_of["ext-1"]) is joined
