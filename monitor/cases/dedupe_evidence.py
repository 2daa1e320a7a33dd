"""Evidence that two posts are one complaint, not one opinion (step 5 of monitor.cases.dedupe).

Text similarity alone says two posts *read alike*; short praise ("Easy to submit claim") and
formulaic reviews read alike across hundreds of different customers. So a pair joins only on
evidence, weighed in this order; the first rule that decides ends the weighing:

1. Identity. Authors are compared as folded name words (monitor.core.text: Cyrillic,
   Armenian and Latin spellings meet; digits and placeholders such as "Anonymous" dropped).
   Both known and incompatible ("Saleigh" / "Lawdragon"; "Tom W." / "Anna K.") → apart,
   reason "author differs": two people are two complaints, however alike their words. Words
   that fit each other ("Ольга С." / "Olga Svetlova", "tom" / "Tom W.") are no conflict;
   the same name of two or more words, or the same distinctive handle, is "same author";
   a shared e-mail or phone in the texts is "same contact". Either is strong evidence.
2. Marks (monitor.cases.dedupe_text): another order number, amount, date, phone → apart.
3. A replaced word in one template → apart.
4. Similarity: the bodies' score (fuzz.ratio, or token_set_ratio when the shorter body is at
   least half as long as the longer) must reach `confirm_score`. Titles are left out: a site
   may make one from the body, and a title made a three-word review look longer.
5. Distinctiveness, for joins on text alone (no strong evidence): each body needs at least
   `MIN_BODY_WORDS` words, and the words both share must carry `MIN_DISTINCT` of rarity, where
   a word's rarity is its inverse document frequency in the brand's recent stream scaled to
   0-1 (`Rarity`: 1 for a word no recent post used, ~0.1 for one in half of them); a shared
   number mark of four or more digits (an order, a contract) counts `MARK_WEIGHT`. With
   strong evidence the bar is `MIN_DISTINCT_KNOWN` and short bodies may join.

Every verdict carries its reasons, so the timeline can say why a post joined or did not.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz

from monitor.cases.dedupe_text import marks_conflict, replaced_word
from monitor.core.text import skeleton, words

__all__ = [
    "MIN_BODY_WORDS",
    "MIN_DISTINCT",
    "PostFacts",
    "Rarity",
    "Verdict",
    "author_relation",
    "body_of",
    "judge",
    "text_score",
]

MIN_BODY_WORDS = 10  # a body shorter than this says too little to be told from another customer's
LONG_BODY_WORDS = 20  # from here a body tells more; below, text alone needs MIN_DISTINCT_SHORT
MIN_DISTINCT = 4.0  # shared rarity needed on text alone: about four words few recent posts used
MIN_DISTINCT_SHORT = 6.0  # the same for bodies of MIN_BODY_WORDS to LONG_BODY_WORDS words
MIN_DISTINCT_KNOWN = 1.5  # with the same author or contact: the texts must still share something of their own
MARK_WEIGHT = 2.0  # a shared order or contract number (four digits or more)
MIN_DOCS = 200  # a young stream counts as this many posts, so its first words are not all "rare"
_ANONYMOUS = frozenset(
    {"anonymous", "anonim", "anonimno", "gost", "guest", "user", "customer", "client", "klient", "polzovatel",
     "pokupatel", "kunde", "gast", "nutzer", "koristuvach", "hyur", "hyurr", "unknown", "na", "none"}
)  # fmt: skip
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class PostFacts:
    """What is known of a post beside its text: who wrote it, where, and when it was published."""

    author: str | None = None
    source_id: int | None = None
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    join: bool
    score: float
    method: str
    reasons: tuple[str, ...]


class Rarity:
    """How rare each word is in a brand's recent stream: idf scaled to 0-1 (module docstring, rule 5)."""

    def __init__(self, texts: Iterable[str]) -> None:
        df: Counter[str] = Counter()
        docs = 0
        for text in texts:
            df.update(document_terms(text))
            docs += 1
        self.docs = docs
        self._df: Mapping[str, int] = df
        self._log_n = math.log(max(docs, MIN_DOCS) + 1)

    @classmethod
    def from_counts(cls, df: Mapping[str, int], docs: int) -> Rarity:
        """The same as Rarity(texts) from its counts: `df[word]` = how many of the `docs` texts use it
        (`document_terms` of each text), as monitor.cases.dedupe_rarity keeps them between batches."""
        rarity = cls(())
        rarity.docs, rarity._df = docs, df
        rarity._log_n = math.log(max(docs, MIN_DOCS) + 1)
        return rarity

    def of(self, word: str) -> float:
        return math.log((max(self.docs, MIN_DOCS) + 1) / (self._df.get(word, 0) + 1)) / self._log_n

    def shared(self, a: str, b: str) -> float:
        common = set(_terms(a)) & set(_terms(b))
        return sum(self.of(w) for w in common)


def document_terms(text: str) -> set[str]:
    """The words a prepared text counts once towards their rarity."""
    return set(_terms(body_of(text)))


def _terms(body: str) -> list[str]:
    return [w for w in body.split() if len(w) > 1 and not w.isdigit()]


def body_of(text: str) -> str:
    """The body part of a prepared text (dedupe_text.prepare puts a title in front, after "\\n")."""
    title, _, body = text.rpartition("\n")
    return body or title


def text_score(a: str, b: str) -> tuple[float, str]:
    score, method = fuzz.ratio(a, b), "ratio"
    # token_set_ratio gives 100 to a short text contained in a long one: only for comparable lengths.
    if min(len(a), len(b)) >= 0.5 * max(len(a), len(b)):
        token_set = fuzz.token_set_ratio(a, b)
        if token_set > score:
            score, method = token_set, "tokenset"
    return round(score, 1), method


@functools.lru_cache(maxsize=8192)
def _name_words(author: str | None) -> tuple[str, ...]:
    # Cached: a batch compares each post's author with up to 50 candidates', mostly the same few hundred names.
    if not author:
        return ()
    found = [skeleton(w) for w in (_DIGITS.sub("", w) for w in words(author[:300])) if w and w not in _ANONYMOUS]
    # Initials count beside a name ("Ольга С."), not alone: "M" or the letters of an escape code are no name.
    return tuple(found) if any(len(w) >= 2 for w in found) else ()


def author_relation(a: str | None, b: str | None) -> str:
    """'same', 'fits' (no conflict), 'differs', or 'unknown' (rule 1 of the module docstring)."""
    wa, wb = _name_words(a), _name_words(b)
    if not wa or not wb:
        return "unknown"
    assert a is not None and b is not None
    raw_a, raw_b = " ".join(a.split()).casefold(), " ".join(b.split()).casefold()
    # A full name written alike in any script, or one handle character for character ("olga1985"):
    # a first name alone ("Tom") or a short handle is shared by too many people to be evidence.
    if (wa == wb and len(wa) >= 2) or (raw_a == raw_b and (len(raw_a) >= 6 or any(c.isdigit() for c in raw_a))):
        return "same"
    short, long = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    # Every word of the shorter name fits a word of the longer: equal, or an initial / a prefix of it.
    if all(any(v.startswith(w) or w.startswith(v) for v in long) for w in short):
        return "fits"
    return "differs"


def _strong_marks(a: frozenset[str], b: frozenset[str]) -> tuple[bool, float]:
    shared = a & b
    contact = any(m.startswith(("email:", "phone:")) for m in shared)
    numbers = sum(MARK_WEIGHT for m in shared if m.startswith("n:") and len(m) >= 6)
    return contact, numbers


def judge(
    a_text: str, a_marks: frozenset[str], a: PostFacts, b_text: str, b_marks: frozenset[str], b: PostFacts,
    *, rarity: Rarity, confirm_score: float,
) -> Verdict:  # fmt: skip
    """Whether two prepared posts are one complaint, with the reasons (module docstring)."""
    body_a, body_b = body_of(a_text), body_of(b_text)
    if not body_a or not body_b:
        return Verdict(False, 0.0, "empty", ("empty text",))
    who = author_relation(a.author, b.author)
    if who == "differs":
        return Verdict(False, 0.0, "author", ("author differs",))
    if marks_conflict(a_marks, b_marks):
        return Verdict(False, 0.0, "marks", ("marks differ",))
    if replaced_word(body_a, body_b):
        return Verdict(False, 0.0, "replaced", ("a word replaced",))
    score, method = text_score(body_a, body_b)
    reasons = [f"text {score:g} ({method})"]
    if score < confirm_score:
        return Verdict(False, score, method, (*reasons, "text below the bar"))
    contact, number_weight = _strong_marks(a_marks, b_marks)
    strong = who == "same" or contact
    if who == "same":
        reasons.append("same author" + (" on another site" if a.source_id != b.source_id else ""))
    if contact:
        reasons.append("same contact")
    distinct = round(rarity.shared(body_a, body_b) + number_weight, 1)
    reasons.append(f"distinct {distinct:g}")
    if strong:
        joined = distinct >= MIN_DISTINCT_KNOWN
    else:
        length = min(len(body_a.split()), len(body_b.split()))
        # A shortish body joins on text alone only where the stream is known well enough to say its words are rare.
        if length < MIN_BODY_WORDS or (length < LONG_BODY_WORDS and rarity.docs < MIN_DOCS):
            return Verdict(False, score, method, (*reasons, "short"))
        joined = distinct >= (MIN_DISTINCT if length >= LONG_BODY_WORDS else MIN_DISTINCT_SHORT)
    if not joined:
        reasons.append("not distinctive")
    return Verdict(joined, score, method, tuple(reasons))
