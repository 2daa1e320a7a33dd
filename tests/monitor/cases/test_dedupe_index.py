"""The stored side of near-duplicate grouping: band keys, prepared texts, the migration, the bench's bulk load."""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from datasketch import MinHash

from bench import dedupe_fill
from bench.dedupe_pairs import Filler, templated
from monitor.cases import dedupe
from monitor.cases.dedupe import find_duplicate, index_mention, signature, stored_marks
from monitor.cases.dedupe_batch import _rarity_texts
from monitor.cases.dedupe_evidence import Rarity
from monitor.cases.dedupe_fit import brand_rarity
from monitor.core.db import SessionFactory, make_engine, make_session_factory, session_scope
from monitor.core.revisions import upgrade
from monitor.models import Brand, Mention, MentionBand, MentionSignature, Source
from tests.support.clock import NOW
from tests.support.dedupe import COMPLAINTS, SETTINGS, check, store
from tests.support.factories import feed_config, synced


@pytest.fixture
def brand_id(sessions: SessionFactory) -> int:
    synced(sessions, feed_config({"board": "https://board.example/feed"}), NOW)
    with session_scope(sessions) as session:
        return session.scalar(sa.select(Brand.id).where(Brand.key == "acme"))


def _stored(sessions: SessionFactory, mention_id: int) -> tuple[str, str, str] | None:
    with session_scope(sessions, read_only=True) as session:
        row = session.execute(
            sa.select(MentionSignature.text, MentionSignature.marks, MentionSignature.content_hash).where(
                MentionSignature.mention_id == mention_id
            )
        ).first()
        return tuple(row) if row else None


def test_minhash_is_datasketchs_bit_for_bit() -> None:
    """Stored band keys stay valid only while the MinHash values do not change."""
    rnd, filler = random.Random(3), Filler(pool=200)
    texts = [signature(None, filler.complaint(rnd, lang).body, brand_id=1).text for lang in ("ru", "hy", "de") * 20]
    texts += ["коротко", "a" * 3, signature(None, templated(rnd, "uk").body, brand_id=1).text]
    a, b = MinHash(num_perm=dedupe.NUM_PERM, seed=dedupe.SEED, scheme="affine32").permutations
    for text in texts:
        hashes = dedupe._shingle_hashes(text)
        reference = MinHash(num_perm=dedupe.NUM_PERM, hashfunc=int, permutations=(a, b), scheme="affine32")
        reference.update_batch(hashes.tolist())
        assert np.array_equal(reference.hashvalues.astype(np.uint32), dedupe._minhash(hashes)), text


def test_the_stored_prepared_text_follows_the_indexed_text(sessions: SessionFactory, brand_id: int) -> None:
    body = COMPLAINTS["ru"][0]
    mention_id, _ = store(sessions, brand_id, body, "Жалоба")
    sig = signature("Жалоба", body, brand_id=brand_id)
    with session_scope(sessions) as session:
        content_hash = session.scalar(sa.select(Mention.content_hash).where(Mention.id == mention_id))
    assert _stored(sessions, mention_id) == (sig.text, stored_marks(sig.marks), content_hash)
    assert frozenset(stored_marks(sig.marks).split()) == sig.marks and "n:7731220" in sig.marks
    # Indexed again after an edit: one row, the new text and its hash.
    edited = body.replace("7731-220", "7731-999")
    with session_scope(sessions) as session:
        mention = session.get(Mention, mention_id)
        mention.body, mention.content_hash = edited, "e" * 64
        index_mention(session=session, mention_id=mention_id, signature=signature(None, edited, brand_id=brand_id))
    new = signature(None, edited, brand_id=brand_id)
    assert _stored(sessions, mention_id) == (new.text, stored_marks(new.marks), "e" * 64)
    # Too short to group: no bands and no prepared text left behind.
    with session_scope(sessions) as session:
        index_mention(session=session, mention_id=mention_id, signature=signature(None, "Ужас!", brand_id=brand_id))
    assert _stored(sessions, mention_id) is None


def test_an_edit_not_yet_indexed_is_compared_as_it_reads_now(sessions: SessionFactory, brand_id: int) -> None:
    """Ingest stores an edit as a new revision with a new content hash; the stored prepared text is
    then older than the mention, and the check reads the mention's own text."""
    body = COMPLAINTS["en"][0]
    mention_id, case_id = store(sessions, brand_id, body)
    edited = body.replace("6620-031", "6620-777")
    with session_scope(sessions) as session:
        mention = session.get(Mention, mention_id)
        mention.body, mention.content_hash = edited, "f" * 64
    assert check(sessions, brand_id, body) is None  # the stored text still names 6620-031
    found = check(sessions, brand_id, edited + " Never again.")
    assert found is not None and (found.mention_id, found.case_id) == (mention_id, case_id)


def test_a_mention_indexed_before_texts_were_stored_is_still_found(sessions: SessionFactory, brand_id: int) -> None:
    mention_id, case_id = store(sessions, brand_id, COMPLAINTS["uk"][0])
    with session_scope(sessions) as session:
        session.execute(sa.delete(MentionSignature).where(MentionSignature.mention_id == mention_id))
    found = check(sessions, brand_id, COMPLAINTS["uk"][0] + "\n\nОлександр")
    assert found is not None and (found.mention_id, found.case_id, found.score) == (mention_id, case_id, 100)


def test_a_hundred_excluded_cases_are_all_skipped(sessions: SessionFactory, brand_id: int) -> None:
    body = COMPLAINTS["hy"][0]
    cases = [store(sessions, brand_id, body)[1] for _ in range(3)]
    assert check(sessions, brand_id, body, exclude=(*cases, *range(10_000, 10_100))) is None
    found = check(sessions, brand_id, body, exclude=tuple(cases[1:]))
    assert found is not None and found.case_id == cases[0]


def insert(conn: sa.Connection, table: str, **row: object) -> None:
    conn.execute(sa.text(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + c for c in row)})"), row)


def test_the_migration_keeps_the_bands_and_the_check_finds_them(old_url: str) -> None:
    upgrade(old_url, "0005")
    body = COMPLAINTS["be"][0]
    engine = make_engine(old_url)
    with engine.begin() as conn:
        # The schema at 0005, not today's models: plain rows.
        insert(conn, "brand", id=1, key="acme", name="Acme", names="[]", domains="[]", language="ru", timezone="UTC",
               created_at=NOW, updated_at=NOW)  # fmt: skip
        insert(conn, "source", id=1, key="a", kind="feed", url="https://a.example/f", weight=1, interval_seconds=900,
               active=True, next_poll_at=NOW, health="ok", error_count=0, created_at=NOW, updated_at=NOW)  # fmt: skip
        insert(conn, "cases", id=1, brand_id=1, status="new", opened_at=NOW, updated_at=NOW, last_mention_at=NOW,
               mention_count=1)  # fmt: skip
        insert(conn, "mention", id=1, source_id=1, dedup_key="id:1", body=body, first_seen_at=NOW, last_seen_at=NOW,
               revised_at=NOW, content_hash="h", revision=1, brand_id=1, replies="[]", case_id=1)  # fmt: skip
        keys = signature(None, body, brand_id=1).band_keys
        conn.execute(
            sa.text("INSERT INTO mention_band (mention_id, band_key) VALUES (1, :k)"),
            [{"k": k} for k in keys + keys[:3]],
        )  # fmt: skip  (an old duplicate row or three)
    upgrade(old_url)
    with engine.connect() as conn:
        assert sorted(conn.scalars(sa.text("SELECT band_key FROM mention_band WHERE mention_id = 1"))) == sorted(keys)
    sessions = make_session_factory(engine)
    with session_scope(sessions) as session:
        found = find_duplicate(
            session=session, signature=signature(None, body + " Жах!", brand_id=1), settings=SETTINGS, now=NOW
        )
    engine.dispose()
    assert found is not None and (found.mention_id, found.case_id) == (1, 1)


def test_the_bench_refuses_the_test_suites_database(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="refusing"):
        dedupe_fill.prepare_database("postgresql+psycopg://postgres@127.0.0.1:5432/test", tmp_path)


def test_the_bench_bulk_load_stores_what_index_mention_would(db_url: str) -> None:
    """The bench fills by COPY (PostgreSQL) or executemany (SQLite) with its keys set aside; the rows
    must be those the service writes, and the schema must end as migrated."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        before = sa.inspect(conn).get_indexes("mention_band"), sa.inspect(conn).get_pk_constraint("mention_band")
    args = argparse.Namespace(stored=40, brands=2, templated=0.3, seed=5, workers=1)
    figures = dedupe_fill.fill(db_url, args)
    sessions = make_session_factory(engine)
    with session_scope(sessions, read_only=True) as session:  # _stored reads beside it
        mentions = session.execute(sa.select(Mention.id, Mention.brand_id, Mention.title, Mention.body)).all()
        assert len(mentions) == 40
        for mention_id, brand, title, body in mentions:
            sig = signature(title, body, brand_id=brand)
            keys = session.scalars(sa.select(MentionBand.band_key).where(MentionBand.mention_id == mention_id))
            assert sorted(keys) == sorted(sig.band_keys)
            assert _stored(sessions, mention_id)[:2] == (sig.text, stored_marks(sig.marks))
            found = find_duplicate(session=session, signature=sig, settings=SETTINGS, now=dedupe_fill.NOW)
            if mention_id > 40 * 0.84:  # the newest sixth is inside the 60-day window
                assert found is not None and found.score == 100
    with engine.connect() as conn:
        after = sa.inspect(conn).get_indexes("mention_band"), sa.inspect(conn).get_pk_constraint("mention_band")
    engine.dispose()
    assert after == before
    assert figures["mention_band_rows"] == 40 * dedupe.BANDS and figures["mention_signature_rows"] == 40


def _bands_of(sessions: SessionFactory, mention_id: int) -> int:
    with session_scope(sessions, read_only=True) as session:
        return session.scalar(sa.select(sa.func.count()).where(MentionBand.mention_id == mention_id)) or 0


def test_band_rows_go_with_their_mention_and_their_source(sessions: SessionFactory, brand_id: int) -> None:
    """SQLite by its foreign key, PostgreSQL by migration 0016's triggers: the same cascade."""
    kept, _ = store(sessions, brand_id, COMPLAINTS["ru"][0])
    gone, _ = store(sessions, brand_id, COMPLAINTS["uk"][0])
    assert _bands_of(sessions, kept) == _bands_of(sessions, gone) == dedupe.BANDS
    with session_scope(sessions) as session:
        session.execute(sa.delete(Mention).where(Mention.id == gone))
    assert _bands_of(sessions, gone) == 0 and _bands_of(sessions, kept) == dedupe.BANDS
    with session_scope(sessions) as session:  # a source's mentions go by its cascade, and their bands with them
        session.execute(sa.text("DELETE FROM source"))
    with session_scope(sessions, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(MentionBand)) == 0


def test_a_band_row_for_no_mention_is_refused(sessions: SessionFactory, brand_id: int) -> None:
    mention_id, _ = store(sessions, brand_id, COMPLAINTS["de"][0])
    rows = [{"mention_id": mention_id, "band_key": 7}, {"mention_id": mention_id + 1000, "band_key": 8}]
    # One statement, as the case step writes them: a good row does not carry a bad one.
    with (
        pytest.raises(sa.exc.IntegrityError, match=r"mention_band|FOREIGN KEY") as refused,
        session_scope(sessions) as session,
    ):
        session.execute(sa.insert(MentionBand), rows)
    if sessions.kw["bind"].dialect.name == "postgresql":
        assert f"mention {mention_id + 1000}" in str(refused.value)
    assert _bands_of(sessions, mention_id) == dedupe.BANDS
    with pytest.raises(sa.exc.IntegrityError), session_scope(sessions) as session:
        session.execute(sa.update(MentionBand).where(MentionBand.mention_id == mention_id).values(mention_id=-5))
    # A mention named by band rows keeps its id.
    with pytest.raises(sa.exc.IntegrityError), session_scope(sessions) as session:
        session.execute(sa.update(Mention).where(Mention.id == mention_id).values(id=mention_id + 500))
    assert _bands_of(sessions, mention_id) == dedupe.BANDS


def test_0016_takes_the_foreign_key_back(old_url: str) -> None:
    """The way down restores the key, after dropping band rows whose mention is gone."""
    from alembic import command

    from monitor.core.revisions import _alembic_config

    upgrade(old_url)
    engine = make_engine(old_url)
    with engine.begin() as conn:
        insert(conn, "source", id=1, key="a", kind="feed", url="https://a.example/f", weight=1, interval_seconds=900,
               active=True, next_poll_at=NOW, health="ok", error_count=0, created_at=NOW, updated_at=NOW)  # fmt: skip
        insert(conn, "mention", id=1, source_id=1, dedup_key="id:1", body="b", first_seen_at=NOW, last_seen_at=NOW,
               revised_at=NOW, content_hash="h", revision=1, replies="[]")  # fmt: skip
        insert(conn, "mention_band", mention_id=1, band_key=11)
    engine.dispose()
    command.downgrade(_alembic_config(old_url), "0015")
    engine = make_engine(old_url)
    with engine.begin() as conn:
        keys = sa.inspect(conn).get_foreign_keys("mention_band")
        assert [(k["referred_table"], k["options"].get("ondelete")) for k in keys] == [("mention", "CASCADE")]
        conn.execute(sa.text("DELETE FROM mention"))
        assert conn.scalar(sa.text("SELECT count(*) FROM mention_band")) == 0
    engine.dispose()


def test_word_rarity_reads_the_brands_newest_indexed_texts_above_a_backlog(
    sessions: SessionFactory, brand_id: int
) -> None:
    """The sample is bounded by the newest indexed mention (a backlog of pending ones is not walked):
    the rows must stay the brand's newest indexed texts, newest first, whichever brand is indexed last."""
    with session_scope(sessions) as session:
        other = Brand(key="other", name="Other", created_at=NOW, updated_at=NOW)
        session.add(other)
        session.flush()
        other_id = other.id
    ours = [store(sessions, brand_id, COMPLAINTS[lang][0])[0] for lang in ("ru", "be")]
    ours.append(store(sessions, brand_id, COMPLAINTS["de"][0], with_case=False)[0])  # below pending ones
    with session_scope(sessions) as session:
        source_id = session.scalar(sa.select(sa.func.min(Source.id)))
        for n, brand in enumerate((brand_id, brand_id, other_id)):  # pending: no signature yet
            session.add(Mention(source_id=source_id, dedup_key=f"pending:{n}", body=COMPLAINTS["uk"][0],
                                first_seen_at=NOW, last_seen_at=NOW, revised_at=NOW, content_hash=f"{n:064x}",
                                brand_id=brand))  # fmt: skip

    def sample() -> list[str]:
        with session_scope(sessions) as session:
            texts = _rarity_texts(session.connection(), brand_id)
            rarity = brand_rarity(session, brand_id)  # the one-by-one step's read: the same sample
            assert (rarity.docs, dict(rarity._df)) == (len(texts), dict(Rarity(texts)._df))
            return texts

    def texts(ids: list[int]) -> list[str]:
        with session_scope(sessions) as session:
            rows = {m: t for m, t in session.execute(sa.select(MentionSignature.mention_id, MentionSignature.text))}
        return [rows[mention_id] for mention_id in sorted(ids, reverse=True)]

    ours.append(store(sessions, brand_id, COMPLAINTS["en"][0])[0])
    store(sessions, other_id, COMPLAINTS["hy"][0])  # the newest indexed mention is another brand's
    assert sample() == texts(ours) and len(ours) == 4
    ours.append(store(sessions, brand_id, COMPLAINTS["uk"][0])[0])  # and now one of ours
    assert sample() == texts(ours)
