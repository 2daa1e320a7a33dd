"""How far the drug reviews' own data carries a text model, and what the lexicons in packages say.

    PYTHONPATH=. python bench/tone_ceiling.py
    # the lexicon lines need vaderSentiment 3.3.2 (MIT) and afinn 0.1 (Apache-2.0, lexicon ODbL) importable,
    # e.g. pip install --no-deps --target /tmp/lex vaderSentiment==3.3.2 afinn==0.1; PYTHONPATH=.:/tmp/lex

On the drug reviews' training half only (bench/data/tone/en_drugs.tsv; the held-out file is not read): a richer
model than the shipped one (TF-IDF word 1-2-grams and character 2-5-grams, logistic regression and a linear
SVM), 5-fold cross-validation over three shuffles, and its learning curve (a quarter, half and all of each
fold's training part), to tell how much data 0.90 would take. Then the package lexicons (VADER, AFINN) on every
data set's training half, untrained, praise when the score is positive. Accuracy only (no complaint join).
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

from bench.tone_data import DATASETS, read_reviews


def _tfidf() -> object:
    return make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )


def main() -> int:
    reviews = read_reviews("en-drugs", held_out=False)
    texts, y = [r.text for r in reviews], np.array([r.label == "praise" for r in reviews], dtype=int)
    models = {
        "tfidf LR": lambda: make_pipeline(_tfidf(), LogisticRegression(C=10, max_iter=2000)),
        "tfidf SVM": lambda: make_pipeline(_tfidf(), LinearSVC(C=0.5)),
    }
    for name, share in [("tfidf LR", 0.25), ("tfidf LR", 0.5), ("tfidf LR", 1.0), ("tfidf SVM", 1.0)]:
        scores = []
        for seed in (0, 1, 2):
            for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(texts, y):
                train = np.random.default_rng(seed).permutation(train)[: int(len(train) * share)]
                fit = models[name]().fit([texts[i] for i in train], y[train])
                scores.append(np.mean(fit.predict([texts[i] for i in test]) == y[test]))
        n = int(len(y) * 0.8 * share)
        print(f"en-drugs training half, {name}, ~{n} training reviews: {np.mean(scores):.3f} ± {np.std(scores):.3f}")
    try:
        from afinn import Afinn
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        print("lexicons: vaderSentiment / afinn not importable, skipped")
        return 0
    vader, afinn = SentimentIntensityAnalyzer(), Afinn()
    for name in DATASETS:
        rows = read_reviews(name, held_out=False)
        truth = np.array([r.label == "praise" for r in rows])
        v = np.array([vader.polarity_scores(r.text)["compound"] > 0.05 for r in rows])
        a = np.array([afinn.score(r.text) > 0 for r in rows])
        print(f"{name} training half ({len(rows)}): VADER {np.mean(v == truth):.3f}/{np.mean(~v[~truth]):.2f}, "
              f"AFINN {np.mean(a == truth):.3f}/{np.mean(~a[~truth]):.2f} (accuracy/complaint recall)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
