"""Near-duplicates for a whole batch of the case step, with the result one-by-one processing gives.

monitor.cases.dedupe looks a post's candidates up in one statement and expects every earlier post
to be indexed in the database already. The case step's batch (monitor.cases.batch) writes nothing
until its end, so `BatchIndex` does rule 4 for the batch itself:

1. `prefetch`: the newest `PER_BAND` stored rows of every band key of the batch (one statement on
   PostgreSQL; on SQLite, which has no LATERAL, one per `_SQLITE_CHUNK` keys), then the facts and
   prepared texts of every stored mention that shares enough bands with some post and was published
   from the earliest post's date minus the window to the latest's plus the window (one statement;
   `find` skips any other).
2. `find`, post by post in id order: each band's list is the stored rows merged with the batch's
   earlier posts of that key (`add`), cut to the newest `PER_BAND`, exactly what the database would
   hold had those posts been written one by one; then rule 4's counting, window and limits in
   Python, and rules 5-6 (monitor.cases.dedupe.choose_duplicate) on the same rows. A case's members
   for rule 6 are its stored ones plus the batch's. Candidates whose marks conflict with the post's
   (rule 5b: they never join) are dropped before their texts are scored, once word rarity is read.

Cases the batch opens have no id yet: they carry negative keys (`Duplicate.case_id` < 0) until the
batch writes them. Word rarity (rule 5) is read once per batch and brand, when the first post with
candidates needs it, over the stored texts and the batch's posts indexed so far, as one-by-one
processing reads it at its first use in the batch.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.cases.dedupe import (
    BANDS,
    MAX_CANDIDATES,
    PER_BAND,
    Duplicate,
    PostFacts,
    Signature,
    choose_duplicate,
    min_shared_bands,
    stored_marks,
)
from monitor.cases.dedupe_evidence import Rarity
from monitor.cases.dedupe_fit import BRAND_TEXTS, FIT_SAMPLE, RARITY_SAMPLE, case_members, fits_members
from monitor.cases.dedupe_rarity import kept_rarity
from monitor.cases.dedupe_text import MAX_RAW, marks_conflict
from monitor.config import DedupeConfig
from monitor.core.driver import DriverQuery, driver_rows, id_list, in_id_list
from monitor.models import Mention, MentionSignature, UtcDateTime

__all__ = ["BatchIndex"]

_SQLITE_CHUNK = 200  # band keys per statement on SQLite: one UNION ALL arm each (SQLite allows 500)

# Both read through the driver's cursor: 6,400 keys a batch, and SQLAlchemy's statement and row
# handling cost more than the reads (a third of the prefetch on SQLite). PER_BAND is a constant.
_POSTGRES_BANDS = f"""
SELECT k.band_key, band.mention_id
FROM unnest(%s::bigint[]) AS k (band_key)
CROSS JOIN LATERAL (
    SELECT b.mention_id FROM mention_band b WHERE b.band_key = k.band_key ORDER BY b.mention_id DESC LIMIT {PER_BAND}
) AS band
"""  # noqa: S608


@functools.cache
def _sqlite_bands(count: int) -> str:
    arm = (
        "SELECT ? AS band_key, mention_id FROM (SELECT mention_id FROM mention_band "  # noqa: S608
        f"WHERE band_key = ? ORDER BY mention_id DESC LIMIT {PER_BAND})"
    )
    return "\nUNION ALL ".join([arm] * count)


def _facts_query(dialect: str) -> sa.Select[Any]:
    fresh = MentionSignature.content_hash == Mention.content_hash
    return (
        sa.select(
            Mention.id,
            Mention.case_id,
            Mention.author,
            Mention.source_id,
            sa.func.coalesce(Mention.published_at, Mention.first_seen_at),
            fresh,
            MentionSignature.text,
            MentionSignature.marks,
            # The raw text only where the prepared one is stale (as dedupe's candidate query reads it): a
            # batch reads thousands of candidates' facts, and their bodies were most of the bytes.
            sa.case((fresh, None), else_=sa.func.substr(Mention.title, 1, 1000)),
            sa.case((fresh, None), else_=sa.func.substr(Mention.body, 1, MAX_RAW)),
        )
        .outerjoin(MentionSignature, MentionSignature.mention_id == Mention.id)
        .where(
            in_id_list(Mention.id, "ids", dialect),
            # What `find` skips whatever its counts: published outside every post's window. (Not "case_id IS
            # NOT NULL" too, which `find` also skips: with statistics taken while a backlog was pending,
            # PostgreSQL read the rows by ix_mention_case then, 181 ms against 9 ms by the ids.)
            sa.func.coalesce(Mention.published_at, Mention.first_seen_at).between(
                sa.bindparam("since", type_=UtcDateTime()), sa.bindparam("until", type_=UtcDateTime())
            ),
        )
    )


# Facts of stored mentions by id: hundreds to thousands of rows a batch, SQLAlchemy's row handling as costly as the read.
_FACTS = DriverQuery(_facts_query)
# dedupe_fit.BRAND_TEXTS read through the driver's cursor: 2,000 plain strings a batch, no row objects.
_BRAND_TEXTS = DriverQuery(BRAND_TEXTS)

# What `find` needs of a candidate: case id, author, source id, published, fresh, text, marks, title, body.
Facts = tuple[Any, ...]


class BatchIndex:
    """Rule 4 of monitor.cases.dedupe for the posts of one batch (module docstring)."""

    def __init__(
        self,
        session: Session,
        settings: DedupeConfig,
        now: datetime,
        stored_members: Callable[[int], list[tuple]] | None = None,
    ) -> None:
        """`stored_members(case_id)`: a stored case's members as dedupe_fit.case_members reads them (the
        batch reads them with the case's row, once); by default case_members."""
        self.session, self.settings, self.now = session, settings, now
        self._stored_members = stored_members or (lambda case_id: case_members(session, case_id))
        self._min_shared = min_shared_bands(settings)
        self._stored: dict[int, list[int]] = {}  # band key → stored mention ids, newest first
        self._facts: dict[int, Facts] = {}  # mention id → facts, stored ones and the batch's
        self._batch_bands: dict[int, list[int]] = defaultdict(list)  # band key → the batch's posts, in order
        self._batch_texts: list[tuple[int | None, str]] = []  # (brand id, prepared text) of the batch's indexed posts
        self._members: dict[int, list[tuple]] = {}  # case id → members as dedupe_fit reads them

    def prefetch(self, signatures: Sequence[Signature], published: Sequence[datetime | None]) -> None:
        """Read what `find` can need for these posts. `published`: the dates of the batch's posts, as their
        PostFacts have them (only the earliest and the latest matter)."""
        keys = sorted({key for sig in signatures if len(sig.band_keys) == BANDS for key in sig.band_keys})
        if not keys:
            return
        connection = self.session.connection()
        stored = self._stored = {key: [] for key in keys}
        for key, mention_id in _band_rows(connection, keys):
            stored[key].append(mention_id)
        for ids in stored.values():
            ids.sort(reverse=True)
        # Facts of every stored mention some post shares enough bands with (before the batch's own
        # posts push any out of a band: a superset of what `find` can pick).
        wanted: set[int] = set()
        for sig in signatures:
            if len(sig.band_keys) == BANDS:
                shared = Counter(chain.from_iterable([stored[key] for key in sig.band_keys]))
                wanted.update(m for m, n in shared.items() if n >= self._min_shared)
        if wanted:
            # Only those inside the span of the posts' windows: in a stream of months, most of a crowded
            # band's mentions are older (at 30,000 mentions over 120 days, ~4,500 rows a batch, now ~2,600).
            dates = [at or self.now for at in published] or [self.now]
            since, until = min(dates) - self.settings.window, max(dates) + self.settings.window
            self._read_facts(connection, sorted(wanted), since, until)

    def _read_facts(self, connection: sa.Connection, ids: list[int], since: datetime, until: datetime) -> None:
        params = {"ids": id_list(ids, connection.dialect.name), "since": since, "until": until}
        for mention_id, *facts in _FACTS.rows(connection, params):
            case_id, author, source_id, at, fresh, text, marks, title, body = facts  # raw text cut by the query
            self._facts[mention_id] = (
                case_id,
                author,
                source_id,
                at,
                bool(fresh),
                text,
                marks,
                *((None, None) if fresh else (title or "", body or "")),
            )

    def find(self, signature: Signature, facts: PostFacts) -> Duplicate | None:
        """The case this post repeats among stored posts and the batch's earlier ones, or None."""
        if len(signature.band_keys) != BANDS:
            return None
        # One count over all 32 lists (most of them empty): a Counter.update a band cost more than the counting.
        shared = Counter(chain.from_iterable([self._newest(key) for key in signature.band_keys]))
        hits = sorted(((n, m) for m, n in shared.items() if n >= self._min_shared), reverse=True)
        published = facts.published_at or self.now
        since, until = published - self.settings.window, published + self.settings.window
        rows = []
        for n, mention_id in hits[: 2 * MAX_CANDIDATES]:
            known = self._facts.get(mention_id)
            if known is None or known[0] is None or not since <= known[3] <= until:
                continue
            rows.append((mention_id, known[0], n, *known[1:]))
            if len(rows) == MAX_CANDIDATES:
                break
        brand_id = signature.brand_id
        # Rule 5b before the text scores: a candidate whose marks conflict with the post's never joins. Only
        # once the brand's word rarity is read in this batch: choose_duplicate reads it when the first
        # candidate passes the text bar, whatever its marks, and when it is read decides its sample.
        if brand_id in self._rarities():
            rows = [row for row in rows if not _marks_differ(signature, row)]
        if not rows:
            return None
        return choose_duplicate(
            signature,
            facts,
            rows,
            self.settings,
            lambda: self._rarity(brand_id),
            lambda d: self._fits(signature, facts, d),
        )

    def _newest(self, key: int) -> list[int]:
        """The band's newest PER_BAND mentions: the stored ones and the batch's indexed so far."""
        newest = self._stored.get(key, [])
        if key in self._batch_bands:
            return sorted([*newest, *self._batch_bands[key]], reverse=True)[:PER_BAND]
        return newest

    def add(
        self, mention_id: int, signature: Signature, facts: PostFacts, case_id: int, *, title: str | None, body: str
    ) -> None:
        """The post is now in case `case_id` (negative: opened by this batch) and indexed, as the
        batch will write it: later posts of the batch find it."""
        at = facts.published_at or self.now
        if signature.band_keys:
            row = (
                case_id,
                facts.author,
                facts.source_id,
                at,
                True,
                signature.text,
                stored_marks(signature.marks),
                None,
                None,
            )
            self._facts[mention_id] = row
            for key in signature.band_keys:
                self._batch_bands[key].append(mention_id)
            self._batch_texts.append((signature.brand_id, signature.text))
            member = (
                mention_id,
                facts.author,
                facts.source_id,
                at,
                signature.text,
                stored_marks(signature.marks),
                True,
                None,
                None,
            )
        else:  # a short post is not indexed: rule 6 prepares its raw text, as for a stored one
            member = (mention_id, facts.author, facts.source_id, at, None, None, False, title, body)
        self._members_of(case_id).append(member)

    def _members_of(self, case_id: int) -> list[tuple]:
        if case_id not in self._members:
            self._members[case_id] = list(self._stored_members(case_id)) if case_id > 0 else []
        return self._members[case_id]

    def _fits(self, signature: Signature, facts: PostFacts, duplicate: Duplicate) -> str | None:
        members = sorted(self._members_of(duplicate.case_id), key=lambda m: m[0])[:FIT_SAMPLE]
        rarity = self._rarity(signature.brand_id)
        return fits_members(
            members,
            text=signature.text,
            marks=signature.marks,
            facts=facts,
            via_mention_id=duplicate.mention_id,
            rarity=rarity,
            confirm_score=self.settings.confirm_score,
        )

    def _rarities(self) -> dict[int | None, Rarity]:
        """Word rarity by brand, read at its first use in the batch (kept on the session, as brand_rarity keeps it)."""
        return self.session.info.setdefault("dedupe_rarity", {})

    def _rarity(self, brand_id: int | None) -> Rarity:
        """dedupe_fit.brand_rarity as one-by-one processing reads it at its first use in the batch: the
        batch's posts indexed so far (the newest) and the stored ones."""
        cache = self._rarities()
        if brand_id not in cache:
            mine = [text for brand, text in reversed(self._batch_texts) if brand == brand_id]
            stored = _rarity_texts(self.session.connection(), brand_id)
            database = self.session.get_bind().url.render_as_string(hide_password=True)
            cache[brand_id] = kept_rarity(database, brand_id, [*mine, *stored][:RARITY_SAMPLE])
        return cache[brand_id]


def _marks_differ(signature: Signature, row: tuple[Any, ...]) -> bool:
    """The marks of a candidate row of `find` with its prepared text (fresh) conflict with the post's
    (dedupe_text.marks_conflict): dedupe_evidence.judge would keep them apart."""
    return bool(row[6]) and marks_conflict(signature.marks, frozenset(row[8].split()))


def _band_rows(connection: sa.Connection, keys: list[int]) -> list[tuple[int, int]]:
    """(band key, mention id) of the newest PER_BAND stored rows of each key."""
    if connection.dialect.name == "postgresql":
        return driver_rows(connection, _POSTGRES_BANDS, (id_list(keys, "postgresql"),))
    rows: list[tuple[int, int]] = []
    for start in range(0, len(keys), _SQLITE_CHUNK):
        chunk = keys[start : start + _SQLITE_CHUNK]
        rows += driver_rows(connection, _sqlite_bands(len(chunk)), [key for key in chunk for _ in (0, 1)])
    return rows


def _rarity_texts(connection: sa.Connection, brand_id: int | None) -> list[str]:
    """dedupe_fit.BRAND_TEXTS for the brand."""
    return [text for (text,) in _BRAND_TEXTS.rows(connection, {"brand_id": brand_id})]
