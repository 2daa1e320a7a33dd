"""Near-duplicate grouping: the same complaint posted in several places joins one case.

A signature is made once per mention (`signature`) and its LSH bands are stored
(`index_mention`); a new mention looks up its candidates by band and confirms them
(`find_duplicate`). The text rules (steps 1, 5b, 5c) live in monitor.cases.dedupe_text.
Steps, in order:

1. Normalise title and body: NFKC; links out; e-mails, phones, dates and numbers
   read out as *marks* (rule 5b), e-mails and phones then leave the text; the body
   loses a sign-off (a closing formula such as "С уважением, …" / "Mit freundlichen
   Grüßen" and what follows, or a last line or last sentence of at most four
   capitalised words: "Дмитрий К.", "Tom W."); casefold, ё→е, punctuation, symbols
   and emoji out, whitespace collapsed. A title the body does not already start
   with goes in front, separated by "\n". Only the first `MAX_RAW` characters of a
   field are read and the text is cut at `MAX_TEXT`: a 1 MB post costs what a long
   complaint does.
2. Shingle: the overlapping 6-character windows of that text. Characters, not
   words: a one- or two-sentence complaint has 60-150 windows but 10-25 words, so
   one edit moves the similarity a little instead of a lot; no tokeniser is needed
   for Cyrillic, Armenian or Latin; inflected forms (наушник/наушники, Акме/Акмы)
   share most windows. 6 rather than 5 halves how often two unrelated complaints
   of one language share a band (measured on the demo complaints), same recall.
3. MinHash (datasketch's scheme affine32 and its permutations, fixed seed, computed
   in numpy with the same values: windows hashed, fmix32, a * h + b mod 2**32, the
   minimum per permutation; `NUM_PERM` = 96), cut into `BANDS` = 32 bands of `ROWS` = 3 values. Texts of
   Jaccard similarity J share a band with probability 1 - (1 - J**3)**32: 0.95 at
   J = 0.45, 0.99 at 0.5, 0.004 at 0.05. Each band is hashed with the brand id and
   band number into a non-negative 63-bit `band_key`, so brands never meet. The
   geometry is fixed: changing it would orphan every stored key. The configured
   `candidate_threshold` t sets how many bands a candidate must share instead:
   ceil(32 * t**3), at least 1 (1 for the default 0.3).
4. Candidates, in one statement (`_candidates`): the newest `PER_BAND` rows of each
   of the 32 band keys, read backwards from the primary key (band_key, mention_id), so
   a band of a template shared by thousands of posts costs no more than a rare one;
   the 2 * `MAX_CANDIDATES` mentions among them sharing the most bands (then newest);
   of those the ones in a case with activity inside `window` and not in
   `exclude_case_ids`, best `MAX_CANDIDATES` by bands shared, then newest. Each comes
   with its prepared text and marks as `index_mention` stored them
   (mention_signature), or, when that row is missing or older than the mention's
   text (an edit not indexed yet), with the mention's own title and body.
5. Confirm each candidate, in that order:
   0. a candidate with only its raw text: a rough score of it (lower-cased,
      punctuation out; the higher of fuzz.ratio and token_set_ratio) under
      `confirm_score` - 15 skips it before it is cleaned (on the labelled pairs every
      true duplicate scored 84 or more); otherwise it is prepared as in step 1.
      Then, for every candidate, when fuzz.ratio and token_set_ratio of the two
      prepared texts are both under `confirm_score` the rules below cannot make it a
      duplicate (d takes one of the two) and are not run.
   Then the evidence (monitor.cases.dedupe_evidence.judge, which says why in its
   reasons): known authors who are different people → apart; then b and c below;
   then the bodies' score (d, titles left out) and distinctiveness: a short or
   formulaic body never joins on text alone, the same author or contact lets it.
   `compare` below is the text score alone, as grouping used it before (the bench's
   baseline):
   a. either text under `MIN_WORDS` words → never a duplicate: an emoji, a bare
      link or "Ужас!" cannot tell one complaint from another, so such posts open
      their own case and are not indexed;
   b. marks conflict → different complaints: for a kind of mark (a number of three
      or more digits or a sum of money, a date with a month name, a phone, an
      e-mail) present in both, neither set contains the other: order 7731-245 vs
      7731-246, "3 мая" vs "5 мая", "$45" vs "$78". An added phone or one more
      number is no conflict; "3 дня" or a "2/5" rating are not marks;
   c. a replaced word → different complaints: the bodies differ by a block of at
      most three words a side, all letters, whose content words are unlike each
      other (fuzz.ratio < 70 and partial_ratio < 90) and do not occur elsewhere in
      the other text ("холодильник" → "телевизор" in one template). A block at the
      very end is exempt (signatures). The price: a re-post that swaps a word for a
      synonym stays apart (kind "reword" below);
   d. score = fuzz.ratio of the texts, or fuzz.token_set_ratio when higher and the
      shorter text is at least half as long as the longer, so an added sentence,
      title or signature costs nothing; below that length ratio token_set_ratio
      would give 100 to a one-line complaint quoted in a long different one.
      A duplicate when score >= `confirm_score`.
6. The case as a whole: the best joining candidate (score, then bands shared, then
   newest) wins only if the post also fits its case's first post, or more than half
   of the case's first `FIT_SAMPLE` members (monitor.cases.dedupe_fit); else the next case is tried. So a case
   does not grow by chaining (A ~ B, B ~ C, but C is not A's complaint).

Measured with bench/dedupe.py (docs/PERFORMANCE.md, issue 17): on a stream of 118 real and
labelled review posts precision of joins 1.000 (0.733 by the text score alone), every re-post
joined, no identical short praise of two reviewers in one case; on 6,000 generated pairs in six
languages precision 1.0000, recall 0.9420 (0.9707 by the text score alone: the difference is
short complaints with no author known, which now stay apart). The scale figures (one check
against 1,000,000 stored mentions: ~620 pages read, ~2.7 ms of CPU) were taken before issue 17.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import struct
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from datasketch import MinHash
from rapidfuzz import fuzz
from rapidfuzz.utils import default_process
from sqlalchemy.orm import Session

from monitor.cases.dedupe_evidence import PostFacts, Rarity, judge
from monitor.cases.dedupe_fit import brand_rarity, fits_case
from monitor.cases.dedupe_text import MAX_RAW, MAX_TEXT, marks_conflict, prepare, replaced_word
from monitor.config import DedupeConfig
from monitor.models import Mention, MentionBand, MentionSignature, UtcDateTime

__all__ = [
    "BANDS",
    "ROWS",
    "Duplicate",
    "PostFacts",
    "Signature",
    "brand_rarity",
    "choose_duplicate",
    "compare",
    "find_duplicate",
    "index_mention",
    "min_shared_bands",
    "signature",
]

SHINGLE = 6
BANDS = 32
ROWS = 3
NUM_PERM = BANDS * ROWS
SEED = 1
# Mixed into every band key: bump it when normalisation or shingling changes, and re-index.
INDEX_VERSION = b"rw-lsh-1"
MIN_WORDS = 4
PER_BAND = 20
MAX_CANDIDATES = 50
ROUGH_MARGIN = 15

_MULTIPLIER = np.uint32(0x01000193)  # FNV-1 prime: odd, so no window collapses to another by the multiply
# MurmurHash3's 32-bit finaliser, as datasketch's affine32 scheme mixes each input before permuting it.
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


@dataclass(frozen=True, slots=True)
class Signature:
    """What grouping knows of a text: LSH band keys, the normalised text, distinguishing marks."""

    band_keys: tuple[int, ...]
    text: str
    marks: frozenset[str]
    brand_id: int | None = None


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The case a mention joins, through which stored mention, with the score and how it was found."""

    case_id: int
    mention_id: int
    score: float
    method: str
    reasons: tuple[str, ...] = ()


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    a, b = MinHash(num_perm=NUM_PERM, seed=SEED, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


def _shingle_hashes(text: str) -> np.ndarray:
    """32-bit polynomial hashes of every SHINGLE-character window, deduplicated, computed in numpy:
    per-shingle Python hashing cost more than the MinHash itself."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    width = min(SHINGLE, len(points))
    n = len(points) - width + 1
    hashes = np.zeros(n, dtype=np.uint32)
    for j in range(width):  # uint32 arithmetic wraps: the hash is mod 2**32
        hashes = hashes * _MULTIPLIER + points[j : j + n]
    return np.unique(hashes)


def _minhash(hashes: np.ndarray) -> np.ndarray:
    """datasketch's MinHash (affine32) of these 32-bit values, bit for bit, without its per-value
    Python list: fmix32, then a * h + b mod 2**32 for each permutation, the minimum per permutation."""
    s1, m1, s2, m2, s3 = _FMIX32
    h = hashes ^ (hashes >> s1)
    h = h * m1
    h = h ^ (h >> s2)
    h = h * m2
    h = h ^ (h >> s3)
    a, b = _permutations()
    return (h[:, None] * a + b).min(axis=0)


def _band_keys(text: str, brand_id: int) -> tuple[int, ...]:
    values = _minhash(_shingle_hashes(text)).astype("<u4").tobytes()
    keys = []
    for band in range(BANDS):
        data = struct.pack("<qH", brand_id, band) + values[band * ROWS * 4 : (band + 1) * ROWS * 4]
        digest = hashlib.blake2b(data, digest_size=8, person=INDEX_VERSION).digest()
        keys.append(int.from_bytes(digest, "little") >> 1)  # fits a signed BIGINT
    return tuple(keys)


def signature(title: str | None, body: str, *, brand_id: int) -> Signature:
    """The signature of a post; no band keys when it is too short to group (rule 5a)."""
    text, marks = prepare(title, body)
    if len(text.split()) < MIN_WORDS:
        return Signature(band_keys=(), text=text, marks=marks, brand_id=brand_id)
    return Signature(band_keys=_band_keys(text, brand_id), text=text, marks=marks, brand_id=brand_id)


def compare(a: Signature, b: Signature) -> tuple[float, str]:
    """Score 0-100 and method, or 0 and the rule that says these are different complaints (rules 5a-5d)."""
    if len(a.text.split()) < MIN_WORDS or len(b.text.split()) < MIN_WORDS:
        return 0.0, "short"
    if marks_conflict(a.marks, b.marks):
        return 0.0, "marks"
    if replaced_word(a.text, b.text):
        return 0.0, "replaced"
    score, method = fuzz.ratio(a.text, b.text), "minhash+ratio"
    if min(len(a.text), len(b.text)) >= 0.5 * max(len(a.text), len(b.text)):
        token_set = fuzz.token_set_ratio(a.text, b.text)
        if token_set > score:
            score, method = token_set, "minhash+tokenset"
    return round(score, 1), method


def min_shared_bands(settings: DedupeConfig) -> int:
    """Bands a candidate must share: texts of Jaccard similarity t share BANDS * t**ROWS on average."""
    return max(1, math.ceil(BANDS * settings.candidate_threshold**ROWS - 1e-9))


def index_mention(
    *, session: Session, mention_id: int, signature: Signature, content_hash: str | None = None, new: bool = False
) -> None:
    """Store the mention's bands and prepared text so later posts find it, replacing what it had (an
    edited text is indexed again). The stored text is stamped with the mention's content hash as it
    is now (pending changes are flushed first; `content_hash` saves reading it). `new`: the mention
    was never indexed (the case step's first look at it), so there is nothing to replace. Adds and
    deletes rows; the caller commits."""
    if not new:
        session.execute(sa.delete(MentionBand).where(MentionBand.mention_id == mention_id))
        session.execute(sa.delete(MentionSignature).where(MentionSignature.mention_id == mention_id))
    if not signature.band_keys:
        return
    connection = session.connection()  # flushes pending changes, as the content hash must be current
    connection.execute(_INSERT_BANDS, [{"mention_id": mention_id, "band_key": key} for key in signature.band_keys])
    if content_hash is None:
        content_hash = session.scalar(sa.select(Mention.content_hash).where(Mention.id == mention_id))
    connection.execute(
        _INSERT_SIGNATURE,
        {"mention_id": mention_id, "content_hash": content_hash, "text": signature.text,
         "marks": stored_marks(signature.marks)},
    )  # fmt: skip


_INSERT_BANDS = sa.insert(MentionBand)
_INSERT_SIGNATURE = sa.insert(MentionSignature)


def stored_marks(marks: Collection[str]) -> str:
    """Marks as mention_signature.marks keeps them: sorted, space-separated (a mark holds no space)."""
    return " ".join(sorted(marks))


def _rough_score(text: str, title: str | None, body: str | None) -> float:
    """An optimistic score on the raw text (lower-cased, punctuation out): cheap next to cleaning it."""
    raw = default_process(f"{title or ''} {(body or '')[: 2 * MAX_TEXT]}")
    return max(fuzz.ratio(text, raw), fuzz.token_set_ratio(text, raw))


# Rule 4 as one statement per engine, written once (from constants only; every value is bound): SQLAlchemy built 32 sub-selects for ~20 ms per
# check. `fresh` is 0 when the stored prepared text is missing (indexed before it was kept) or
# older than the mention's text (an edit not yet indexed): then the raw text comes instead.
_CANDIDATES_TAIL = """
SELECT m.id, m.case_id, hits.shared, m.author, m.source_id, COALESCE(m.published_at, m.first_seen_at),
       CASE WHEN s.content_hash = m.content_hash THEN 1 ELSE 0 END AS fresh, s.text, s.marks,
       CASE WHEN s.content_hash = m.content_hash THEN NULL ELSE substr(m.title, 1, 1000) END,
       CASE WHEN s.content_hash = m.content_hash THEN NULL ELSE substr(m.body, 1, :max_raw) END
FROM hits
JOIN mention m ON m.id = hits.mention_id
JOIN cases c ON c.id = m.case_id
LEFT JOIN mention_signature s ON s.mention_id = m.id
WHERE COALESCE(m.published_at, m.first_seen_at) BETWEEN :since AND :until AND {excluded}
ORDER BY hits.shared DESC, m.id DESC
LIMIT :max_candidates
"""
# Each band's newest PER_BAND rows are the last entries of its key in the primary key, read
# backwards: a crowded band costs what a rare one does. PostgreSQL takes the keys as one array.
_POSTGRES_CANDIDATES = """
WITH hits AS (
    SELECT band.mention_id, count(*) AS shared
    FROM unnest(CAST(:keys AS BIGINT[])) AS k (band_key)
    CROSS JOIN LATERAL (
        SELECT b.mention_id FROM mention_band b WHERE b.band_key = k.band_key
        ORDER BY b.mention_id DESC LIMIT :per_band
    ) AS band
    GROUP BY band.mention_id
    HAVING count(*) >= :min_shared
    ORDER BY shared DESC, band.mention_id DESC
    LIMIT :top
)""" + _CANDIDATES_TAIL.format(excluded="m.case_id <> ALL(CAST(:excluded AS INTEGER[]))")  # noqa: S608
# SQLite has neither arrays nor LATERAL: one arm per band, each in a sub-select (SQLite refuses
# LIMIT on the arms of a bare UNION ALL); excluded case ids come as a JSON array.
_SQLITE_CANDIDATES = (
    "WITH hits AS (SELECT mention_id, count(*) AS shared FROM ("  # noqa: S608
    + "\n UNION ALL ".join(
        f"SELECT mention_id FROM (SELECT mention_id FROM mention_band WHERE band_key = :key{i}"  # noqa: S608
        " ORDER BY mention_id DESC LIMIT :per_band)"
        for i in range(BANDS)
    )
    + ") GROUP BY mention_id HAVING count(*) >= :min_shared ORDER BY shared DESC, mention_id DESC LIMIT :top)"
    + _CANDIDATES_TAIL.format(excluded="m.case_id NOT IN (SELECT value FROM json_each(:excluded))")
)


@functools.cache
def _candidates(dialect: str) -> sa.TextClause:
    query = sa.text(_POSTGRES_CANDIDATES if dialect == "postgresql" else _SQLITE_CANDIDATES)
    return query.bindparams(sa.bindparam("since", type_=UtcDateTime()), sa.bindparam("until", type_=UtcDateTime()))


def _candidate_params(signature: Signature, settings: DedupeConfig, published: datetime, dialect: str,
                      exclude_case_ids: Collection[int]) -> dict[str, object]:  # fmt: skip
    params: dict[str, object] = {
        "per_band": PER_BAND, "min_shared": min_shared_bands(settings), "top": 2 * MAX_CANDIDATES,
        "max_raw": MAX_RAW, "since": published - settings.window, "until": published + settings.window,
        "max_candidates": MAX_CANDIDATES,
    }  # fmt: skip
    excluded = sorted(int(case_id) for case_id in exclude_case_ids)
    if dialect == "postgresql":
        params.update(keys=list(signature.band_keys), excluded=excluded)
    else:
        params.update({f"key{i}": key for i, key in enumerate(signature.band_keys)})
        params["excluded"] = json.dumps(excluded)
    return params


def find_duplicate(
    *,
    session: Session,
    signature: Signature,
    settings: DedupeConfig,
    now: datetime,
    exclude_case_ids: Collection[int] = (),
    facts: PostFacts | None = None,
) -> Duplicate | None:
    """The case this post repeats, or None (rules 4-6 of the module docstring). `facts` (author,
    source, published date) are the post's; without them the post is taken as published `now`."""
    if len(signature.band_keys) != BANDS:
        return None
    facts = facts or PostFacts()
    published = facts.published_at or now
    connection = session.connection()
    dialect = connection.dialect.name
    params = _candidate_params(signature, settings, published, dialect, exclude_case_ids)
    rows = connection.execute(_candidates(dialect), params)
    return choose_duplicate(signature, facts, rows, settings, lambda: brand_rarity(session, signature.brand_id),
                            lambda d: _fits_case(session, signature, facts, d, settings))  # fmt: skip


def choose_duplicate(
    signature: Signature,
    facts: PostFacts,
    candidates: Iterable[Sequence[Any]],
    settings: DedupeConfig,
    rarity: Callable[[], Rarity],
    fits: Callable[[Duplicate], str | None],
) -> Duplicate | None:
    """Rules 5 and 6 on candidate rows as rule 4's statement returns them (mention id, case id, bands
    shared, author, source id, published, fresh, text, marks, title, body), best first; `fits` is rule 6.
    `rarity` is asked only when a candidate reaches the evidence (it may read the database)."""
    # The judged score is on bodies, rounded to a tenth: a bound just under the bar must not skip one it would take.
    cutoff = settings.confirm_score - 0.05
    joins: list[tuple[tuple[float, int, int], Duplicate]] = []
    for mention_id, case_id, shared, author, source_id, at, fresh, text, marks, title, body in candidates:
        if fresh:
            other_text, other_marks = text, None  # its marks are parsed only if it passes the text bar
        elif _rough_score(signature.text, title, body) < settings.confirm_score - ROUGH_MARGIN:
            continue  # rule 5, step 0: most posts that share a band by chance stop here, uncleaned
        else:
            other_text, other_marks = prepare(title, body)
        # The score is ratio or token_set_ratio: when both are under the bar, the rules need not run.
        if not (fuzz.ratio(signature.text, other_text, score_cutoff=cutoff)
                or fuzz.token_set_ratio(signature.text, other_text, score_cutoff=cutoff)):  # fmt: skip
            continue
        if other_marks is None:
            other_marks = frozenset(marks.split())
        verdict = judge(signature.text, signature.marks, facts, other_text, other_marks,
                        PostFacts(author, source_id, at), rarity=rarity(), confirm_score=settings.confirm_score)  # fmt: skip
        if verdict.join:
            duplicate = Duplicate(case_id, mention_id, verdict.score, f"minhash+{verdict.method}", verdict.reasons)
            joins.append(((verdict.score, shared, mention_id), duplicate))
    tried: set[int] = set()
    for _, duplicate in sorted(joins, key=lambda j: j[0], reverse=True):
        if duplicate.case_id in tried:
            continue
        tried.add(duplicate.case_id)
        fits_why = fits(duplicate)
        if fits_why is not None:
            return replace(duplicate, reasons=(*duplicate.reasons, fits_why))
    return None


def _fits_case(session: Session, new: Signature, facts: PostFacts, duplicate: Duplicate,
               settings: DedupeConfig) -> str | None:  # fmt: skip
    return fits_case(session, text=new.text, marks=new.marks, facts=facts, case_id=duplicate.case_id,
                     via_mention_id=duplicate.mention_id, rarity=brand_rarity(session, new.brand_id),
                     confirm_score=settings.confirm_score)  # fmt: skip
