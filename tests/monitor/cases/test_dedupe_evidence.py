"""Evidence that two posts are one complaint: authors, contacts, word rarity, length, no chaining, published dates."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from monitor.cases.brands import BrandMatcher
from monitor.cases.dedupe import PostFacts, signature
from monitor.cases.dedupe_evidence import MIN_DOCS, Rarity, Verdict, author_relation, body_of, judge
from monitor.cases.pipeline import process_pending
from monitor.core.db import SessionFactory, session_scope
from monitor.ingest.store import store_mentions
from monitor.models import Brand, CaseEvent, Mention
from tests.support.clock import NOW
from tests.support.dedupe import COMPLAINTS, SETTINGS, check, store
from tests.support.factories import feed_config, raw, synced

YOUNG = Rarity([])  # a stream with nothing in it yet: every word counts as rare, the length rules hold alone

# One complaint in seven sentences: A is its first four, B adds two, C drops the first two and adds one.
S = [
    "Ordered a washing machine from Acme on the fifth, order 77312.",
    "The courier dropped it at the entrance and drove off before I could check it.",
    "The door glass is cracked and the drum rattles when it spins.",
    "Support keeps sending template answers and asks for more photos every day.",
    "I want a replacement or my money back, nothing else.",
    "Already filed a written claim at the pickup point, they just shrug.",
    "If nothing moves this week I am going to the consumer protection office.",
]
A, B, C = " ".join(S[0:4]), " ".join(S[0:6]), " ".join(S[2:7])


def verdict(a: str, b: str, fa: PostFacts = PostFacts(), fb: PostFacts = PostFacts(), *,
            rarity: Rarity = YOUNG, ta: str | None = None, tb: str | None = None) -> Verdict:  # fmt: skip
    x, y = signature(ta, a, brand_id=1), signature(tb, b, brand_id=1)
    return judge(x.text, x.marks, fa, y.text, y.marks, fb, rarity=rarity, confirm_score=SETTINGS.confirm_score)


def test_the_issues_short_praise_never_joins_on_text_alone() -> None:
    v = verdict("Easy to submit claim", "easy to submit claims")
    assert not v.join and "short" in v.reasons
    # A title in front no longer makes a short review long.
    v = verdict("Easy to submit claim", "easy to submit claims", ta="Great pet insurance, fast and friendly",
                tb="Great pet insurance, fast and friendly")  # fmt: skip
    assert not v.join and "short" in v.reasons


@pytest.mark.parametrize("language", sorted(COMPLAINTS))
def test_identical_complaints_of_two_people_stay_apart_and_of_one_person_join(language: str) -> None:
    body = COMPLAINTS[language][0]
    apart = verdict(body, body, PostFacts("Saleigh", 1), PostFacts("Lawdragon", 1))
    assert (apart.join, apart.reasons) == (False, ("author differs",))
    joined = verdict(body, body, PostFacts("Ольга Светлова", 1), PostFacts("Olga Svetlova", 2))
    assert joined.join and "same author on another site" in joined.reasons
    assert verdict(body, body, PostFacts("Ольга С.", 1), PostFacts("olga1985", 2)).join  # names that fit: no conflict


def test_a_short_complaint_joins_with_its_author_or_contact_and_not_without() -> None:
    short, repost = "Акме, где мой заказ? Жду уже неделю.", "Акме где мой заказ??? Жду уже неделю!"
    assert not verdict(short, repost).join
    assert verdict(short, repost, PostFacts("Мария К.", 1), PostFacts("Мария К.", 2)).join
    with_phone = " Мой номер +7 912 345-67-89."
    v = verdict(short + with_phone, repost + with_phone)
    assert v.join and "same contact" in v.reasons


def test_the_same_author_with_another_order_number_is_another_complaint() -> None:
    body = COMPLAINTS["ru"][0]
    v = verdict(body, body.replace("7731-220", "7731-221"), PostFacts("Ольга С.", 1), PostFacts("Ольга С.", 2))
    assert (v.join, v.method) == (False, "marks")


def test_formulaic_praise_of_different_customers_is_not_distinctive() -> None:
    stream = [
        f"Great insurance, easy to file claims and the reimbursement was fast. Customer service was friendly and "
        f"helpful, highly recommend to every pet owner {n}."
        for n in range(MIN_DOCS * 2)
    ]
    rarity = Rarity(signature(None, t, brand_id=1).text for t in stream)
    assert rarity.docs == 2 * MIN_DOCS and 0 <= rarity.of("insurance") < 0.05 and rarity.of("tplo") == 1.0
    one = ("Great insurance, easy to file claims and the reimbursement was fast. Customer service was friendly and "
           "helpful, I highly recommend it to every pet owner.")  # fmt: skip
    two = ("Great insurance! Easy to file claims, the reimbursement was fast, customer service was friendly and "
           "helpful. Highly recommend to every pet owner.")  # fmt: skip
    v = verdict(one, two, rarity=rarity)
    assert v.score >= SETTINGS.confirm_score and not v.join and "not distinctive" in v.reasons
    complaint = ("My dog needed TPLO surgery after a fall in the park and the claim was denied as a pre-existing "
                 "condition, although the vet records from March show no knee problem at all.")  # fmt: skip
    v = verdict(complaint, complaint.replace("at all.", "at all!!") + " Appealing now.", rarity=rarity)
    assert v.join, v.reasons


@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        ("Мария Ковалёва", "Maria Kovaleva", "same"),
        ("Արամ Պետրոսյան", "Aram Petrosyan", "same"),
        ("Андрій Бондаренко", "Andrii Bondarenko", "same"),
        ("Jürgen B.", "Jurgen Becker", "fits"),
        ("tom", "Tom W.", "fits"),
        ("Tom", "Tom", "fits"),  # a first name alone is shared by too many people to be evidence
        ("Tom W.", "Anna K.", "differs"),
        ("olga1985", "Olga1985", "same"),
        (None, "Anna", "unknown"),
        ("", "Anna", "unknown"),
        ("Anonymous", "Anna", "unknown"),
        ("Гость", "Anna", "unknown"),
        ("😡😡😡", "Anna", "unknown"),
        ("\x00\x1b[31m", "Anna", "unknown"),
        ("x" * 100_000, "Anna", "unknown"),  # one word longer than any name: not a name
        ("Anna " * 20_000, "Anna", "fits"),  # huge: read up to a bound
    ],
)
def test_author_relation(a: str | None, b: str, relation: str) -> None:
    assert author_relation(a, b) == relation
    assert author_relation(b, a) == relation


def test_body_of_a_prepared_text_leaves_the_title_out() -> None:
    text = signature("Ужасный сервис", "Заказ не привезли, деньги не вернули.", brand_id=1).text
    assert body_of(text) == "заказ не привезли деньги не вернули"
    assert body_of(signature("Только заголовок", "", brand_id=1).text) == "только заголовок"
    assert body_of("") == ""


def test_rarity_of_a_young_or_empty_stream_is_bounded() -> None:
    assert YOUNG.docs == 0 and YOUNG.of("anything") == 1.0 and YOUNG.shared("", "") == 0
    rarity = Rarity(["a b c", "", "\n"])
    assert all(0 < rarity.of(w) <= 1 for w in ("a", "b", "zzz"))


# -- with a database: the case as a whole, published dates, the pipeline ------------------------------------


@pytest.fixture
def brand_id(sessions: SessionFactory) -> int:
    synced(sessions, feed_config({"board": "https://board.example/feed"}), NOW)
    with session_scope(sessions) as session:
        return session.scalar(sa.select(Brand.id).where(Brand.key == "acme"))


def test_a_post_that_fits_one_member_but_not_the_case_does_not_join(sessions: SessionFactory, brand_id: int) -> None:
    assert verdict(B, C).join and not verdict(A, C).join  # the premise: C is like B, not like A
    _, case_id = store(sessions, brand_id, A, at=NOW - timedelta(days=2))
    store(sessions, brand_id, B, at=NOW - timedelta(days=1), case_id=case_id)
    assert check(sessions, brand_id, C) is None  # single link would have joined it through B
    found = check(sessions, brand_id, B + " Photos attached.")
    assert found is not None and found.case_id == case_id
    assert "fits the first post" in found.reasons and any(r.startswith("text ") for r in found.reasons)


def test_the_window_runs_on_published_dates(sessions: SessionFactory, brand_id: int) -> None:
    body = COMPLAINTS["en"][0]
    # Stored just now, but published long ago (a backfill): a post published today is outside its window.
    store(sessions, brand_id, body, published=NOW - SETTINGS.window - timedelta(days=1))
    assert check(sessions, brand_id, body) is None
    # A re-post published near that date (the same backfill) is inside it, whenever it is processed.
    long_ago = PostFacts(published_at=NOW - SETTINGS.window - timedelta(days=3))
    assert check(sessions, brand_id, body, facts=long_ago) is not None


def test_the_case_step_keeps_two_authors_apart_and_notes_why_one_joined(sessions: SessionFactory) -> None:
    config = feed_config({"board": "https://board.example/f", "forum": "https://forum.example/f"})
    sources = synced(sessions, config, NOW)
    body = COMPLAINTS["ru"][0]
    posts = {
        "board": [raw(1, body, author="Ольга Светлова"), raw(2, body, author="Пётр Иванов")],
        "forum": [raw(3, body + " Фото приложила.", author="Olga Svetlova", title=None)],
    }
    with session_scope(sessions) as session:
        brand = session.scalar(sa.select(Brand.id))
        for key, items in posts.items():
            store_mentions(session=session, source_id=sources[key], items=items, now=NOW, brand_id=brand)
    with session_scope(sessions) as session:
        counts = process_pending(session=session, config=config, matcher=BrandMatcher(config.brands), now=NOW)
    assert (counts.opened, counts.joined) == (2, 1)
    with session_scope(sessions) as session:
        by_author = dict(session.execute(sa.select(Mention.author, Mention.case_id)).all())
        joined = session.scalar(sa.select(CaseEvent).where(CaseEvent.kind == "mention.joined"))
    assert by_author["Olga Svetlova"] == by_author["Ольга Светлова"] != by_author["Пётр Иванов"]
    assert joined is not None and "same author on another site" in joined.data["reasons"]
