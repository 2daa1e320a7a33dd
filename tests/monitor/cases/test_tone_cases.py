"""Tone in the case step, on both databases: praise opens no case, a question does, the config decides,
staff can still open one, and praise gets a thank-you in its language."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from monitor.cases.brands import BrandMatcher
from monitor.cases.lifecycle import CaseConflict, desk_rules
from monitor.cases.pipeline import assign_brand, process_pending
from monitor.config import Config, parse_config
from monitor.core.db import SessionFactory, session_scope
from monitor.core.errors import NotFound
from monitor.desk.thanks import draft_thanks
from monitor.ingest.mentions import MentionFilter, list_mentions
from monitor.ingest.store import store_mentions
from monitor.models import Brand, Case, Mention
from tests.support.clock import NOW
from tests.support.factories import raw, synced

WATCH = """
brands:
  - {key: acme, name: Acme, names: [Акме, Acme], language: ru, contact: care@acme.example}
sources:
  - {key: reviews, kind: feed, url: 'https://reviews.example/f', interval: 15m, brand: acme}
"""
CONFIG = parse_config(WATCH, env={})
PRAISE = "Отличный магазин Акме: всё привезли быстро, курьер вежливый. Спасибо, рекомендую!"
PRAISE_DE = "Super Service bei Acme, schnelle Lieferung und freundliche Beratung. Sehr zufrieden!"
QUESTION = "Подскажите, пожалуйста, когда в Акме снова появятся холодильники?"
COMPLAINT = "Акме третий раз переносит доставку, на звонки не отвечают. Требую вернуть деньги!"


@pytest.fixture
def ids(sessions: SessionFactory) -> dict[str, int]:
    return synced(sessions, CONFIG, NOW)


def ingest(sessions: SessionFactory, source_id: int, items: list, *, language: str = "ru") -> None:
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == "acme"))
        store_mentions(session=session, source_id=source_id, items=items, now=NOW, brand_id=brand_id,
                       language_hint=language)  # fmt: skip


def process(sessions: SessionFactory, config: Config = CONFIG):
    with session_scope(sessions) as session:
        return process_pending(session=session, config=config, matcher=BrandMatcher(config.brands), now=NOW)


def tones(sessions: SessionFactory) -> dict[str, tuple[str | None, int | None]]:
    with session_scope(sessions) as session:
        return {m.external_id: (m.tone, m.case_id) for m in session.scalars(sa.select(Mention))}


def test_praise_opens_no_case_and_a_question_and_a_complaint_do(sessions: SessionFactory, ids: dict[str, int]) -> None:
    ingest(sessions, ids["reviews"], [
        raw(1, PRAISE, title=None, rating=5.0),
        raw(2, PRAISE, title="Спасибо!", rating=None),  # no rating: the text alone says praise
        raw(3, QUESTION, title=None),
        raw(4, COMPLAINT, title=None, rating=1.0),
    ])  # fmt: skip
    counts = process(sessions)
    assert (counts.processed, counts.opened, counts.kept, counts.unassigned) == (4, 2, 2, 0)
    found = tones(sessions)
    assert found["ext-1"] == ("praise", None) and found["ext-2"] == ("praise", None)
    assert found["ext-3"][0] == "question" and found["ext-3"][1] is not None
    assert found["ext-4"][0] == "complaint" and found["ext-4"][1] is not None
    with session_scope(sessions) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Case)) == 2
        praise = list_mentions(session=session, filters=MentionFilter(tone="praise"))
        assert [m.external_id for m in praise] == ["ext-2", "ext-1"]
        assert praise[1].tone_reasons[0] == "rated 5 of 5"  # the reasons are shown with the class
        assert any("praise words" in r for r in praise[0].tone_reasons)
    assert process(sessions).processed == 0  # praise is processed once, not retried


def test_the_config_decides_which_tones_open_a_case(sessions: SessionFactory, ids: dict[str, int]) -> None:
    every = parse_config(WATCH + "cases: {tone: {open_case_for: [complaint, question, praise]}}\n", env={})
    only_complaints = parse_config(WATCH + "cases: {tone: {open_case_for: [complaint]}}\n", env={})
    ingest(sessions, ids["reviews"], [raw(1, PRAISE, title=None, rating=5.0)])
    assert process(sessions, every).opened == 1
    ingest(sessions, ids["reviews"], [raw(2, QUESTION, title=None)])
    counts = process(sessions, only_complaints)
    assert (counts.opened, counts.kept) == (0, 1)
    assert tones(sessions)["ext-2"] == ("question", None)


def test_staff_can_open_a_case_for_a_praise_mention(sessions: SessionFactory, ids: dict[str, int]) -> None:
    ingest(sessions, ids["reviews"], [raw(1, PRAISE, title=None, rating=5.0)])
    process(sessions)
    with session_scope(sessions) as session:
        mention_id = session.scalar(sa.select(Mention.id))
        case = assign_brand(session=session, config=CONFIG, mention_id=mention_id, brand_key="acme", actor="lead",
                            now=NOW)  # fmt: skip
        assert case.mention_count == 1
        assert session.get(Mention, mention_id).tone == "praise"  # the tone is kept; the case is staff's call


def test_praise_gets_a_thank_you_in_its_language_and_other_tones_do_not(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    ingest(sessions, ids["reviews"], [raw(1, PRAISE, title=None, rating=5.0, author="Мария {{ 7*7 }}")])
    ingest(sessions, ids["reviews"], [raw(2, PRAISE_DE, title=None, rating=5.0, author=None)], language="de")
    ingest(sessions, ids["reviews"], [raw(3, COMPLAINT, title=None)])
    process(sessions)
    rules = desk_rules(CONFIG)
    with session_scope(sessions) as session:
        by_ext = {m.external_id: m.id for m in session.scalars(sa.select(Mention))}
        ru = draft_thanks(session=session, rules=rules, mention_id=by_ext["ext-1"])
        assert (ru.language, ru.template, ru.notes) == ("ru", "ru/thanks.j2", [])
        assert "Спасибо за тёплый отзыв" in ru.text and "care@acme.example" in ru.text
        assert "Мария {{ 7*7 }}" in ru.text and "49" not in ru.text  # the author stays text
        de = draft_thanks(session=session, rules=rules, mention_id=by_ext["ext-2"])
        assert de.language == "de" and de.text.startswith("Hallo,") and "Acme" in de.text
        with pytest.raises(CaseConflict, match="complaint, not praise"):
            draft_thanks(session=session, rules=rules, mention_id=by_ext["ext-3"])
        with pytest.raises(NotFound):
            draft_thanks(session=session, rules=rules, mention_id=999_999)


def test_a_thank_you_falls_back_to_the_brands_language_with_a_note(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    ingest(sessions, ids["reviews"], [raw(1, "Acme: très bon service, merci beaucoup!", title=None, rating=5.0)],
           language="fr")  # fmt: skip
    process(sessions)
    with session_scope(sessions) as session:
        mention = session.scalars(sa.select(Mention)).one()
        mention.language = "fr"  # no templates in French
        thanks = draft_thanks(session=session, rules=desk_rules(CONFIG), mention_id=mention.id)
        assert thanks.language == "ru" and "no templates in 'fr'" in thanks.notes[0]


# Two short reviews of medicines (from the drug reviews' training half, bench/data/tone/en_drugs.tsv): no cue
# word in either, so the model decides (rule 4), and only the health domain's model reads them right.
DRUG_PRAISE = "Pain disappears almost immediately after the first dose."
DRUG_COMPLAINT = "Medicine kept me from sleep. It had the opposite effect."


def test_the_health_domain_keeps_a_medicines_praise_out_of_the_queue_and_opens_its_complaint(
    sessions: SessionFactory, ids: dict[str, int]
) -> None:
    health = parse_config(WATCH + "cases: {tone: {domain: health}}\n", env={})
    ingest(sessions, ids["reviews"], [raw(1, DRUG_PRAISE, title=None), raw(2, DRUG_COMPLAINT, title=None)],
           language="en")  # fmt: skip
    counts = process(sessions, health)
    assert (counts.processed, counts.opened, counts.kept) == (2, 1, 1)
    found = tones(sessions)
    assert found["ext-1"] == ("praise", None)
    assert found["ext-2"][0] == "complaint" and found["ext-2"][1] is not None
    with session_scope(sessions) as session:
        reasons = {m.external_id: m.tone_reasons for m in session.scalars(sa.select(Mention))}
    assert all("the health text model's praise probability" in r[-1] for r in reasons.values()), reasons


MIXED = (
    WATCH
    + "  - {key: meds, kind: feed, url: 'https://meds.example/f', interval: 15m, brand: acme, tone_domain: health}\n"
)


@pytest.mark.parametrize("helper", [False, True], ids=["in-process", "helper-process"])
def test_a_source_of_its_own_tone_domain_reads_its_reviews_with_that_model(
    sessions: SessionFactory, helper: bool
) -> None:
    # A desk that watches a service board and a medicines site: the same cue-less review of a medicine is
    # praise on the medicines site (tone_domain: health) and, read with the service model, a complaint.
    from monitor.worker.jobs import process_cases

    config = parse_config(MIXED, env={})
    assert (config.tone_domain("meds"), config.tone_domain("reviews"), config.tone_domain(None)) == (
        "health",
        "general",
        "general",
    )
    ids = synced(sessions, config, NOW)
    for n in range(3):  # three of each, so the helper process (batches of 2) reads some of them
        ingest(sessions, ids["meds"], [raw(10 + n, DRUG_PRAISE, title=None)], language="en")
        ingest(sessions, ids["reviews"], [raw(20 + n, DRUG_PRAISE, title=None)], language="en")
    counts = process_cases(sessions=sessions, config=config, now=NOW, batch=2, helper=helper)
    assert counts.processed == 6
    found = tones(sessions)
    assert [found[f"ext-{10 + n}"] for n in range(3)] == [("praise", None)] * 3
    assert all(found[f"ext-{20 + n}"][0] == "complaint" for n in range(3)), found


def test_an_unknown_tone_domain_of_a_source_is_refused_with_its_place() -> None:
    from monitor.config import ConfigError

    with pytest.raises(ConfigError) as error:
        parse_config(MIXED.replace("tone_domain: health", "tone_domain: pharma"), env={})
    assert "tone_domain" in str(error.value)
