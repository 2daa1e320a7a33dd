from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from monitor.core.db import SessionFactory, session_scope
from monitor.ingest.store import (
    canonical_url,
    changed_keys,
    content_hash,
    language_text,
    normalise,
    prepare_mentions,
    store_mentions,
)
from monitor.models import Brand, Mention, MentionRevision
from tests.support.clock import NOW
from tests.support.factories import feed_config, raw, synced


@pytest.fixture
def source_id(sessions: SessionFactory) -> int:
    return synced(sessions, feed_config({"board": "https://board.example/feed"}), NOW)["board"]


def store(sessions: SessionFactory, source_id: int, items: list, now=NOW, **kw):
    with session_scope(sessions) as session:
        return store_mentions(session=session, source_id=source_id, items=items, now=now, **kw)


def mentions(sessions: SessionFactory) -> list[Mention]:
    with session_scope(sessions) as session:
        return list(session.scalars(sa.select(Mention).order_by(Mention.id)))


def test_new_items_are_stored_once_and_re_polling_stores_nothing(sessions: SessionFactory, source_id: int) -> None:
    items = [raw(i) for i in range(30)]
    first = store(sessions, source_id, items)
    assert (first.seen, first.new, first.updated, first.unchanged) == (30, 30, 0, 0)
    again = store(sessions, source_id, items, now=NOW + timedelta(minutes=15))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 30)
    stored = mentions(sessions)
    assert len(stored) == 30
    assert first.new_ids == [m.id for m in stored] and again.new_ids == []
    assert stored[0].first_seen_at == NOW and stored[0].last_seen_at == NOW + timedelta(minutes=15)
    assert stored[0].language == "ru"


def test_an_edit_is_a_new_revision_with_the_old_text_kept(sessions: SessionFactory, source_id: int) -> None:
    store(sessions, source_id, [raw(1, "Холодильник привезли с вмятиной.")])
    later = NOW + timedelta(hours=2)
    counts = store(
        sessions, source_id, [raw(1, "Холодильник привезли с вмятиной. Обещали перезвонить — тишина.")], now=later
    )
    assert (counts.new, counts.updated) == (0, 1)
    (mention,) = mentions(sessions)
    assert mention.revision == 2 and "тишина" in mention.body and mention.revised_at == later
    with session_scope(sessions) as session:
        (old,) = session.scalars(sa.select(MentionRevision)).all()
    assert (old.revision, old.body, old.seen_from, old.replaced_at) == (
        1,
        "Холодильник привезли с вмятиной.",
        NOW,
        later,
    )


def test_whitespace_and_case_changes_are_not_edits(sessions: SessionFactory, source_id: int) -> None:
    store(sessions, source_id, [raw(1, "Деньги  не вернули.\nУжас")])
    counts = store(sessions, source_id, [raw(1, "деньги не вернули. ужас")])
    assert (counts.updated, counts.unchanged) == (0, 1)


def test_keys_fall_back_from_id_to_canonical_url_to_text_hash(sessions: SessionFactory, source_id: int) -> None:
    by_url = raw(1, external_id=None, url="https://board.example/c/1?utm_source=tg&b=2&a=1#comments")
    same_url = raw(1, external_id=None, url="https://board.example/c/1?a=1&b=2&fbclid=xyz")
    by_text = raw(2, external_id=None, url=None)
    assert normalise(by_url).dedup_key == normalise(same_url).dedup_key == "url:https://board.example/c/1?a=1&b=2"
    assert normalise(by_text).dedup_key.startswith("hash:")
    counts = store(sessions, source_id, [by_url, same_url, by_text, by_text])
    assert counts.new == 2
    assert store(sessions, source_id, [same_url, by_text]).new == 0


def test_the_same_key_on_two_sources_is_two_mentions(sessions: SessionFactory) -> None:
    ids = synced(sessions, feed_config({"a": "https://a.example/f", "b": "https://b.example/f"}), NOW)
    assert store(sessions, ids["a"], [raw(1)]).new == 1
    assert store(sessions, ids["b"], [raw(1)]).new == 1


def test_items_without_text_are_not_stored_and_huge_ids_are_hashed(sessions: SessionFactory, source_id: int) -> None:
    empty = raw(1, body=" ", title=None)
    huge = raw(2, external_id="x" * 5000)
    counts = store(sessions, source_id, [empty, huge])
    assert counts.new == 1
    (mention,) = mentions(sessions)
    assert mention.dedup_key.startswith("id#sha256:") and len(mention.dedup_key) < 300


def test_multilingual_text_is_detected_and_a_hint_decides_when_the_text_says_nothing(
    sessions: SessionFactory, source_id: int
) -> None:
    items = [
        raw("de", "Die Lieferung kam nach drei Wochen und der Fernseher war kaputt."),
        raw("be", "Заказ прывезлі праз тры тыдні, тэлевізар быў разбіты, грошы не вяртаюць."),
        raw("uk", "Замовлення привезли через три тижні, телевізор був розбитий, гроші не повертають."),
        raw("hy", "Պատվերը բերեցին երեք շաբաթ անց, հեռուստացույցը կոտրված էր։", title=None),
        raw("en", "The order arrived three weeks late and the TV was broken.", title=None),
        raw("emoji", "😡😡😡👎", title=None),
    ]
    store(sessions, source_id, items, language_hint="ru")
    assert {m.external_id: m.language for m in mentions(sessions)} == {
        "ext-de": "de", "ext-be": "be", "ext-uk": "uk", "ext-hy": "hy", "ext-en": "en", "ext-emoji": "ru",
    }  # fmt: skip


def test_the_brand_given_is_stored_and_none_means_unassigned(sessions: SessionFactory, source_id: int) -> None:
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == "acme"))
    store(sessions, source_id, [raw(1)], brand_id=brand_id)
    store(sessions, source_id, [raw(2)], brand_id=None)
    assert [m.brand_id for m in mentions(sessions)] == [brand_id, None]


def test_text_up_to_the_cap_round_trips_unchanged(sessions: SessionFactory, source_id: int) -> None:
    body = ("Ղեկավարությունը չի պատասխանում։ Жах! Ärger. " * 2500)[:100_000]
    store(sessions, source_id, [raw(1, body)])
    assert mentions(sessions)[0].body == body.strip()


def test_canonical_url_and_hash_helpers() -> None:
    assert canonical_url(None) is None
    assert canonical_url("https://x.example/a#b") == "https://x.example/a"
    assert canonical_url("http://[broken") is not None
    assert content_hash("A", "b  c") == content_hash("a", "B c")


def test_the_hash_is_the_one_the_regex_version_stored() -> None:
    # Stored hashes must not change: a different hash makes every known mention look edited.
    def regex_hash(title: str | None, body: str) -> str:
        text = re.sub(r"\s+", " ", f"{title or ''}\n{body}").strip().casefold()
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    spaces = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2007\u200a\u2028\u2029\u202f\u205f\u3000"
    for title, body in [(None, "a"), ("Ä" + spaces, spaces + "ß x"), (spaces, spaces), ("İ\u200b", "Σ ς")]:
        assert content_hash(title, body) == regex_hash(title, body)


def test_prepare_settles_languages_without_the_model_and_dedupes() -> None:
    items = [
        raw(1, "Заказ не доставили уже неделю, деньги не вернули."),
        raw(1, "the same key again"),
        raw(2, "Замовлення не привезли, гроші не повертають уже тиждень."),
        raw(3, "😡", title=None),
        raw(4, "Refund pending since Monday", title=None),
    ]
    prepared = prepare_mentions(items, "ru")
    assert [i.dedup_key for i in prepared.items] == ["id:ext-1", "id:ext-2", "id:ext-3", "id:ext-4"]
    assert prepared.items[0] == normalise(items[0])
    assert prepared.languages == {"id:ext-1": "ru", "id:ext-2": "uk", "id:ext-3": "ru"}
    assert prepared.undecided == ["id:ext-4"]  # letters cannot tell: the model decides
    assert language_text(prepared.items[1]).startswith("Жалоба 2\nЗамовлення")


def test_languages_given_are_stored_and_missing_ones_detected(sessions: SessionFactory, source_id: int) -> None:
    items = [raw(1, "Die Lieferung kam nie an, der Kundendienst schweigt."), raw(2, "Заказ не привезли.")]
    prepared = prepare_mentions(items, None)
    store(sessions, source_id, prepared.items, languages={"id:ext-1": "pl"})  # a wrong one shows it is used
    assert {m.external_id: m.language for m in mentions(sessions)} == {"ext-1": "pl", "ext-2": "ru"}


def test_changed_keys_are_the_new_and_the_edited(sessions: SessionFactory, source_id: int) -> None:
    store(sessions, source_id, [raw(1), raw(2)])
    edited, new = normalise(raw(2, "Другой текст")), normalise(raw(3))
    same = normalise(raw(1))
    assert edited and new and same
    hashes = {x.dedup_key: x.content_hash for x in (same, edited, new)}
    with session_scope(sessions) as session:
        assert changed_keys(session=session, source_id=source_id, hashes=hashes) == {"id:ext-2", "id:ext-3"}
        assert changed_keys(session=session, source_id=source_id, hashes={}) == set()


def test_the_dates_precision_is_stored_with_it(sessions: SessionFactory, source_id: int) -> None:
    month = datetime(2019, 6, 1, tzinfo=UTC)
    store(sessions, source_id, [
        raw(1, published_at=month, published_precision="month"),  # "Reviewed in June 2019"
        raw(2, published_at=NOW - timedelta(hours=2), published_precision="hour"),  # "2 год тому"
        raw(3),  # a clock time: no precision
        raw(4, published_at=None, published_precision="day"),  # no date, no precision
    ])  # fmt: skip
    stored = mentions(sessions)
    assert [(m.published_at, m.published_precision) for m in stored] == [
        (month, "month"),
        (NOW - timedelta(hours=2), "hour"),
        (datetime(2026, 11, 1, tzinfo=UTC), None),
        (None, None),
    ]
