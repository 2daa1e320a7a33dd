"""Word rarity kept between the case step's batches (dedupe_evidence.Rarity, rule 5 of monitor.cases.dedupe).

Each batch's first duplicate check needs the rarity of words among the brand's newest 2,000 prepared
texts, and building it from scratch (splitting every text into words, counting) cost ~12 % of the
step's CPU. Consecutive batches see almost the same texts: the newest few hundred are new, as many
old ones fell out of the sample. So the counts are kept per brand and moved by the difference
between the texts they were counted from and the texts of this batch's sample: a text gone is
subtracted, a text come is added. The texts are still read from the database every batch, so the
counts always equal those of Rarity(texts) for exactly the sample one-by-one processing would read:
whatever changed the sample (another worker's commit, an edited mention's new text, a rolled-back
batch) shows up in the difference, there is nothing to invalidate by hand.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from itertools import chain

from monitor.cases.dedupe_evidence import Rarity, document_terms

__all__ = ["kept_rarity", "offer_terms"]

_KEEP = 32  # (database, brand) pairs kept: a worker serves one database and a few brands
_kept: OrderedDict[tuple[str, int | None], _Counts] = OrderedDict()
_guard = threading.Lock()  # tests run two sessions in threads of one process
# Words of texts worked out ahead by the case step's helper process (monitor.cases.batch_ahead), taken
# when a text enters a sample: a batch's own posts enter the next sample. Bounded: one not taken is dropped.
_offered: OrderedDict[str, set[str]] = OrderedDict()
_OFFERED = 4000


class _Counts:
    __slots__ = ("df", "terms", "texts")

    def __init__(self) -> None:
        self.texts: Counter[str] = Counter()  # the sample the counts are of (a multiset: re-posts repeat)
        self.terms: dict[str, set[str]] = {}  # words of each text in it
        self.df: Counter[str] = Counter()

    def move_to(self, texts: Sequence[str]) -> None:
        wanted = Counter(texts)
        gone, come = self.texts - wanted, wanted - self.texts
        # Each word's change counted at once (in C): a word most texts use changes once, not once a text.
        fewer = Counter(chain.from_iterable(self.terms[text] for text, n in gone.items() for _ in range(n)))
        for text in gone:
            if text not in wanted:
                del self.terms[text]
        self.df.update(chain.from_iterable(self._words(text) for text, n in come.items() for _ in range(n)))
        df = self.df
        for word, n in fewer.items():
            left = df[word] - n
            if left:
                df[word] = left
            else:
                del df[word]  # a word no text uses: dropped, so the counts never outgrow the sample
        self.texts = wanted

    def _words(self, text: str) -> set[str]:
        words = self.terms.get(text)
        if words is None:
            words = _offered.pop(text, None)
            words = self.terms[text] = words if words is not None else document_terms(text)
        return words


def kept_rarity(database: str, brand_id: int | None, texts: Sequence[str]) -> Rarity:
    """Rarity(texts), from the counts kept for (database, brand) moved to `texts`."""
    key = (database, brand_id)
    with _guard:
        counts = _kept.pop(key, None) or _Counts()
        _kept[key] = counts
        while len(_kept) > _KEEP:
            _kept.popitem(last=False)
        counts.move_to(texts)
        # A copy: the kept counts move on with the next batch.
        return Rarity.from_counts(dict(counts.df), len(texts))


def offer_terms(terms: dict[str, set[str]]) -> None:
    """`document_terms` of texts about to enter a sample, worked out elsewhere (they must be exactly that)."""
    with _guard:
        _offered.update(terms)
        while len(_offered) > _OFFERED:
            _offered.popitem(last=False)
