"""The shipped tone model: a logistic regression on hashed character and word n-grams, praise against complaint.

Character n-grams (2 to 4 letters inside word boundaries) carry stems and endings alike in every
language, so one small model serves ru, uk, be, de and en without a tokenizer or a download; word
unigrams and bigrams add what a phrase says that its letters do not ("not bad", «не рвутся»). Each
is a block of hashed features, l2-normalised on its own, the two blocks side by side. The hashing
trick needs no vocabulary: the file holds the weights (float16, one per hash bucket of each block),
the bias and the settings, and scikit-learn's HashingVectorizer (murmurhash3, stable across
versions) rebuilds the features. `bench/tone_train.py` trains it on the public rated reviews under
bench/data/tone (their origin and licences are listed there); `tone_model.json` beside the weights
records what it was trained on and how.

A second model of the same form serves one domain (`cases.tone.domain`): `tone_model_health.npz`, trained
on English reviews of medicines, whose writers describe symptoms before they praise what helped; the
general model, trained on service complaints, reads those symptoms as complaint (docs/PERFORMANCE.md,
session 8).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

__all__ = ["DOMAIN_MODELS", "SHIPPED_MODEL", "ToneModel", "ToneModelError", "shipped_model", "vectorizer"]

SHIPPED_MODEL = Path(__file__).with_name("tone_model.npz")
# The domains of cases.tone.domain and their model files (the general one serves every domain's other languages).
DOMAIN_MODELS = {"general": SHIPPED_MODEL, "health": SHIPPED_MODEL.with_name("tone_model_health.npz")}
N_FEATURES = 2**17  # hash buckets per block: character n-grams, then words
NGRAMS = (2, 4)
WORD_NGRAMS = (1, 2)
WORD_PATTERN = r"(?u)\b\w+\b"  # one-letter words too: «не» and "no" carry the tone
# The model reads the head of a text: tone is set early, and the cost stays flat for a 1 MB post.
MAX_CHARS = 4000


class ToneModelError(Exception):
    """A model file that cannot be read or does not fit these settings; names the file."""


class Features:
    """The model's features of many texts: the two hashed blocks side by side (training and batch scoring)."""

    def __init__(self) -> None:
        self.blocks = (
            HashingVectorizer(analyzer="char_wb", ngram_range=NGRAMS, n_features=N_FEATURES, alternate_sign=False,
                              norm="l2", lowercase=True),
            HashingVectorizer(analyzer="word", ngram_range=WORD_NGRAMS, n_features=N_FEATURES, alternate_sign=False,
                              norm="l2", lowercase=True, token_pattern=WORD_PATTERN),
        )  # fmt: skip

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        return sp.hstack([block.transform(texts) for block in self.blocks]).tocsr()


def vectorizer() -> Features:
    return Features()


class ToneModel:
    """Weights and bias of the trained model; `praise_probability` scores one text."""

    def __init__(self, weights: np.ndarray, bias: float, meta: dict[str, Any] | None = None) -> None:
        if weights.shape != (2 * N_FEATURES,):
            raise ToneModelError(f"expected {2 * N_FEATURES} weights ({N_FEATURES} per block), got {weights.shape}")
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)
        self.meta = meta or {}
        # The languages it was trained on: the classifier does not ask it about others (Armenian script
        # shares no n-gram with them, and a guess from the bias alone is no evidence).
        self.languages = frozenset(self.meta.get("languages", ()))
        self._vectorizer = vectorizer()
        self._analyzers = [block.build_analyzer() for block in self._vectorizer.blocks]

    @classmethod
    def load(cls, path: Path = SHIPPED_MODEL) -> ToneModel:
        try:
            with np.load(path) as data:
                weights, bias = data["weights"], float(data["bias"])
        except (OSError, KeyError, ValueError) as exc:
            raise ToneModelError(f"{path}: cannot read the tone model ({exc})") from None
        meta_path = path.with_suffix(".json")
        meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
        return cls(weights, bias, meta)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, weights=self.weights.astype(np.float16), bias=np.float32(self.bias))
        path.with_suffix(".json").write_text(json.dumps(self.meta, indent=2, ensure_ascii=False) + "\n", "utf-8")

    def praise_probabilities(self, texts: list[str]) -> np.ndarray:
        features = self._vectorizer.transform([t[:MAX_CHARS] for t in texts])
        scores = features @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.asarray(scores, dtype=np.float64)))

    def praise_probability(self, text: str) -> float:
        """One text, without scikit-learn's per-call checks (~13 ms of the ~14 a `transform` of one
        text costs): the same n-grams, the same murmurhash3 buckets and the same l2 norm per block as
        HashingVectorizer, which `praise_probabilities` uses and a test holds this equal to."""
        head, score = text[:MAX_CHARS], self.bias
        for offset, analyze in zip((0, N_FEATURES), self._analyzers, strict=True):
            counts: dict[int, int] = {}
            for gram in analyze(head):
                h = murmurhash3_32(gram, seed=0)
                index = (2147483647 if h == -2147483648 else abs(h)) % N_FEATURES
                counts[index] = counts.get(index, 0) + 1
            if counts:
                indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts)) + offset
                values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
                score += float(values @ self.weights[indices]) / float(np.sqrt(values @ values))
        return float(1.0 / (1.0 + np.exp(-score)))


@cache
def shipped_model(domain: str = "general") -> ToneModel:
    """The model of `domain` shipped in the package (DOMAIN_MODELS), read once per process."""
    return ToneModel.load(DOMAIN_MODELS[domain])
