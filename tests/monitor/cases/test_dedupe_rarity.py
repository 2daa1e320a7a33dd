"""Word rarity kept between batches (monitor.cases.dedupe_rarity) equals the rarity counted afresh."""

from __future__ import annotations

from monitor.cases.dedupe_evidence import Rarity
from monitor.cases.dedupe_rarity import kept_rarity
from monitor.cases.dedupe_text import prepare

POSTS = [
    "Купил холодильник в Акме, через неделю перестал морозить. Сервис переносит визит мастера.",
    "Ordered wireless headphones, the left earbud died after a week. Support closed my ticket.",
    "Ակմե խանութից գնել եմ սառնարան, մեկ շաբաթ անց դադարեց սառեցնել։",
    "Стиральную машину привезли с разбитой дверцей, курьер уехал, не дождавшись проверки.",
    "Ласточка третий раз переносит доставку дивана, курьер не приезжает.",
    "Le colis est arrivé abîmé et le service client ne répond pas depuis dix jours.",
]


def _same(a: Rarity, b: Rarity, words: set[str]) -> bool:
    # The counts themselves too: a word no text of the sample uses is not kept at zero.
    return a.docs == b.docs and all(a.of(w) == b.of(w) for w in words) and dict(a._df) == dict(b._df)


def test_kept_counts_follow_every_change_of_the_sample() -> None:
    texts = [prepare(None, p)[0] for p in POSTS]
    words = {w for t in texts for w in t.split()} | {"нет-такого-слова"}
    edited = texts[1].replace("ticket", "order")
    samples = [
        texts[:3],
        texts[:4],  # one came
        [texts[4], *texts[:3]],  # one came, one went (the sample's cap)
        [texts[4], texts[4], texts[0], texts[2]],  # a repeated text counts twice; one went
        [edited, texts[5], texts[0]],  # an edited text replaces its old words
        [],
        texts,
    ]
    for sample in samples:
        kept = kept_rarity("sqlite:///test-rarity", 7, sample)
        assert _same(kept, Rarity(sample), words), sample
    # Another brand's counts are its own.
    assert _same(kept_rarity("sqlite:///test-rarity", 8, texts[:1]), Rarity(texts[:1]), words)
    assert _same(kept_rarity("sqlite:///test-rarity", 7, texts[2:]), Rarity(texts[2:]), words)
