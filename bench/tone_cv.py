"""How the cue words and the model are joined, chosen by 5-fold cross-validation on the training halves.

    PYTHONPATH=. python bench/tone_cv.py
    PYTHONPATH=. python bench/tone_cv.py --health   # the health domain's model (cases.tone.domain: health)

Out-of-fold model probabilities (the model of each fold never saw the review it scores), then each
way of joining them with the cue-word margin, per data set; once with the drug reviews in the
training data and once without. The held-out halves are not read. monitor.cases.tone uses
"one-sided words, else sum>0.5", trained without the drug reviews (bench/tone_train.py).

--health: the model of `cases.tone.domain: health`, trained on the drug reviews' training half alone, joined
with the cue words as shipped, per C and no-cue bar; 5-fold, three shuffles, out-of-fold scores averaged
over the shuffles' accuracies. The general model's score on the same half (it never trained on it) is the
line to beat.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from bench.tone_data import DATASETS, model_text, read_reviews
from monitor.cases.tone import Cues, ToneClassifier
from monitor.cases.tone_model import MAX_CHARS, shipped_model, vectorizer

JOINS = {
    "one-sided words, else sum>0.5": lambda c, lg: (
        c.margin > 0 if c.margin and not (c.complaint and c.praise) else c.margin + lg > 0.5
    ),
    "words": lambda c, lg: c.margin > 0,
    "model": lambda c, lg: lg >= 0,
    "model if |margin|<2": lambda c, lg: c.margin > 0 if abs(c.margin) >= 2 else lg >= 0,
    "model if margin=0": lambda c, lg: c.margin > 0 if c.margin else lg >= 0,
    "margin+logodds>0": lambda c, lg: c.margin + lg > 0,
    "margin+logodds>0.5": lambda c, lg: c.margin + lg > 0.5,
    "margin+logodds>1": lambda c, lg: c.margin + lg > 1,
}


def _shipped(bar: float | None) -> Callable[[Cues, float], bool]:
    """The shipped join, a text with no cue word praise at a model probability of `bar` (None: never)."""
    cut = None if bar is None else math.log(bar / (1 - bar))

    def join(c: Cues, lg: float) -> bool:
        if not c.complaint and not c.praise:
            return cut is not None and lg >= cut
        return JOINS["one-sided words, else sum>0.5"](c, lg)

    return join


# Rule 4's bar (cases.tone.praise_without_cues): the default is the lowest that loses no complaint here.
for _bar in (None, 0.5, 0.6, 0.7, 0.8, 0.9):
    JOINS[f"shipped, no-cue bar {_bar}"] = _shipped(_bar)


def health() -> int:
    """The health domain's C and bar (bench/tone_train.py --domain health uses the pick)."""
    reviews = read_reviews("en-drugs", held_out=False)
    x = vectorizer().transform([model_text(r)[:MAX_CHARS] for r in reviews])
    y = np.array([r.label == "praise" for r in reviews], dtype=int)
    cues = [ToneClassifier(model=None).cues(model_text(r)) for r in reviews]
    general = ToneClassifier(model=shipped_model())
    said = np.array([general.classify(r.text, language=r.language).tone == "praise" for r in reviews])
    print(f"en-drugs training half ({len(y)}), accuracy/complaint recall")
    print(
        f"  general model, as shipped (never trained on these): {np.mean(said == y):.3f}/{np.mean(~said[y == 0]):.2f}"
    )
    for c in (4.0, 16.0, 64.0, 256.0):
        oofs = []
        for seed in (0, 1, 2):
            oof = np.zeros(len(y))
            for train, test in StratifiedKFold(5, shuffle=True, random_state=seed).split(x, y):
                fit = LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=1000)
                oof[test] = fit.fit(x[train], y[train]).predict_proba(x[test])[:, 1]
            oofs.append(np.clip(oof, 1e-6, 1 - 1e-6))
        for bar in (0.5, 0.6, 0.7, 0.8):
            rule = _shipped(bar)
            runs = []
            for oof in oofs:
                out = np.array([0 if (q.asks and not q.complaint) else int(rule(q, math.log(p / (1 - p))))
                                for q, p in zip(cues, oof, strict=True)])  # fmt: skip
                runs.append((np.mean(out == y), np.mean(out[y == 0] == 0)))
            accuracy, recall = np.mean(runs, axis=0)
            print(f"  health model C={c:g}, no-cue bar {bar}: {accuracy:.3f}/{recall:.2f}")
    return 0


def main() -> int:
    if sys.argv[1:] == ["--health"]:
        return health()
    words = ToneClassifier(model=None)
    for sets in (list(DATASETS), [d for d in DATASETS if d != "en-drugs"]):
        reviews = [(name, r) for name in sets for r in read_reviews(name, held_out=False)]
        x = vectorizer().transform([model_text(r)[:MAX_CHARS] for _, r in reviews])
        y = np.array([r.label == "praise" for _, r in reviews], dtype=int)
        oof = np.zeros(len(y))
        for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
            fit = LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", max_iter=1000)
            oof[test] = fit.fit(x[train], y[train]).predict_proba(x[test])[:, 1]
        cues = [words.cues(model_text(r)) for _, r in reviews]
        print(f"trained on: {', '.join(sets)}")
        print(f"  {'join (accuracy/complaint recall)':<30}" + "".join(f"{name:>16}" for name in sets))
        for join, rule in JOINS.items():
            said = [
                0 if (c.asks and not c.complaint) else int(rule(c, math.log(p / (1 - p))))
                for c, p in zip(cues, np.clip(oof, 1e-6, 1 - 1e-6), strict=True)
            ]
            cells = []
            for name in sets:
                pairs = [(s, t) for s, t, (n, _) in zip(said, y, reviews, strict=True) if n == name]
                recall = np.mean([s == 0 for s, t in pairs if t == 0])  # complaints not taken for praise
                cells.append(f"{np.mean([s == t for s, t in pairs]):.3f}/{recall:.2f}")
            print(f"  {join:<30}" + "".join(f"{c:>16}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
