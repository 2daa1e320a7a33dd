"""Train the shipped tone model (monitor/cases/tone_model.npz) on the training halves of bench/data/tone.

    PYTHONPATH=. python bench/tone_train.py [--c 4.0] [--out monitor/cases/tone_model.npz]
    PYTHONPATH=. python bench/tone_train.py --domain health    # monitor/cases/tone_model_health.npz, C=64

Trained on the complaint-site reviews (ru Wildberries, de and en Trustpilot). The drug reviews are left
out: they are about medicines, not service, and would be two thirds of the data; with or without them the
cross-validated accuracy on the others moves by at most 2.4 points, either way (bench/tone_cv.py). A logistic
regression (scikit-learn, liblinear, classes weighted to balance) on the hashed character and word n-grams of
monitor.cases.tone_model, read with the reviewed company's names blanked out (bench/tone_data.BRANDS), as
monitor.cases.tone hands texts to the model. The held-out files are never read here;
bench/tone.py measures the model on them. Deterministic: the same data gives the same file.

`--domain health` trains the model of `cases.tone.domain: health` on the drug reviews' training half alone
(en_drugs.tsv; never en_drugs_test.tsv), with C=64: the C and the domain's join were chosen by 5-fold
cross-validation on that half (`bench/tone_cv.py --health`, docs/PERFORMANCE.md session 8).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

from bench.tone_data import DATA_DIR, DATASETS, model_text, read_reviews
from monitor.cases.tone_model import (
    DOMAIN_MODELS,
    MAX_CHARS,
    N_FEATURES,
    NGRAMS,
    WORD_NGRAMS,
    WORD_PATTERN,
    ToneModel,
    vectorizer,
)

# per domain of cases.tone.domain: the data sets trained on, and the default C
TRAINING = {"general": (("ru-wildberries", "de-trustpilot", "en-trustpilot"), 4.0), "health": (("en-drugs",), 64.0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", choices=tuple(TRAINING), default="general")
    parser.add_argument("--c", type=float, help="inverse regularisation strength (default: the domain's)")
    parser.add_argument("--out", type=Path, help="default: the domain's file in monitor/cases")
    args = parser.parse_args(argv)
    train_sets, default_c = TRAINING[args.domain]
    args.c = default_c if args.c is None else args.c
    args.out = args.out or DOMAIN_MODELS[args.domain]
    reviews = [r for name in train_sets for r in read_reviews(name, held_out=False)]
    texts = [model_text(r)[:MAX_CHARS] for r in reviews]  # brand names blanked, as the classifier does
    labels = np.array([r.label == "praise" for r in reviews], dtype=int)
    features = vectorizer().transform(texts)
    fit = LogisticRegression(C=args.c, class_weight="balanced", solver="liblinear", max_iter=1000)
    fit.fit(features, labels)
    digests = {
        file: hashlib.sha256((DATA_DIR / file).read_bytes()).hexdigest()[:16]
        for name, (_, train, _) in DATASETS.items()
        if name in train_sets
        for file in train.split()
    }
    meta = {
        "domain": args.domain,
        "languages": sorted({r.language for r in reviews}),
        "what": "logistic regression, praise (1) against complaint (0), on hashed character and word n-grams",
        "features": [{"analyzer": "char_wb", "ngram_range": list(NGRAMS), "n_features": N_FEATURES,
                      "alternate_sign": False, "norm": "l2", "max_chars": MAX_CHARS},
                     {"analyzer": "word", "ngram_range": list(WORD_NGRAMS), "token_pattern": WORD_PATTERN,
                      "n_features": N_FEATURES, "alternate_sign": False, "norm": "l2", "max_chars": MAX_CHARS}],
        "training": {"C": args.c, "class_weight": "balanced", "solver": "liblinear",
                     "scikit_learn": sklearn.__version__},
        "data": {"files_sha256_16": digests, "reviews": len(reviews),
                 "per_data_set": {name: len(read_reviews(name, held_out=False)) for name in train_sets},
                 "brand_names_blanked": True, "praise": int(labels.sum()), "complaint": int(len(labels) - labels.sum()),
                 "origin": "bench/data/tone/README.md"},
    }  # fmt: skip
    model = ToneModel(fit.coef_[0].astype(np.float32), float(fit.intercept_[0]), meta)
    model.save(args.out)
    print(f"trained on {len(reviews)} reviews {meta['data']['per_data_set']}; wrote {args.out} "
          f"({args.out.stat().st_size // 1024} KiB)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
