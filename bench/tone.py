"""Tone accuracy on public rated reviews, text alone, per data set and method; and mentions per second.

    PYTHONPATH=. python bench/tone.py [--split test|train] [--repeat 3]

Ground truth is the reviewer's own rating (bench/data/tone/README.md: 1-2 stars complaint, 4-5
praise, 3 left out). Every method sees the text only, never the rating; a "question" answer counts
as not praise (both open a case). Methods:
  majority   the class most common in the training half (a rating-free baseline)
  plain      a plain count of the cue words, no negation, no clause (complaint unless more praise)
  words      the cue words as monitor.cases.tone reads them (negation within the clause, asking)
  model      the shipped model alone (praise at a probability of 0.5)
  combined   monitor.cases.tone as the pipeline runs it (words + model), with the shipped config and the
             reviewed company configured as the brand (bench/tone_data.BRANDS: its name is not read)
  nobrand    combined without the brand configured (main's code has no brands: there it is combined)
  never      combined with `praise_without_cues: null`: a text with no cue word is a complaint
  bar0.6 …   combined with `praise_without_cues` at that probability (rule 4 of monitor.cases.tone)
  health     combined with `cases.tone.domain: health` (the drug-review model for English, the general one
             for the rest; a code without domains has no such column)
Each cell: accuracy, complaint recall (share of 1-2 star reviews not taken for praise: those open a case)
and praise precision (share of texts called praise that were rated 4-5).
The held-out half (default) was never trained on; the cue words were committed before it was read.
Speed: the combined classifier over every text of the split, single process, best of --repeat runs,
in CPU time (less sensitive to a shared machine than the wall time, also printed) with os.getloadavg().
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import time
from collections import Counter
from collections.abc import Callable

from bench.tone_data import DATASETS, Review, read_reviews
from monitor.cases.tone import ToneClassifier, _merged, _pattern
from monitor.cases.tone_model import shipped_model
from monitor.config.tone import ToneConfig
from monitor.config.tone_words import COMPLAINT, PRAISE

Method = Callable[[Review], str]


def _plain() -> Method:
    complaint, praise = _pattern(_merged(COMPLAINT, None)), _pattern(_merged(PRAISE, None))
    assert complaint is not None and praise is not None

    def read(review: Review) -> str:
        text = review.text.lower()
        return "praise" if len(praise.findall(text)) > len(complaint.findall(text)) else "complaint"

    return read


def _binary(classifier: ToneClassifier) -> Method:
    return lambda r: "praise" if classifier.classify(r.text, language=r.language).tone == "praise" else "complaint"


BARS = (0.6, 0.7, 0.8, 0.9)  # praise_without_cues tried besides the shipped default and "never"


def methods(train_majority: dict[str, str], brands: tuple[str, ...]) -> dict[str, Method]:
    """The methods for one data set; `brands`: the reviewed company's names, configured as its brand."""
    model = shipped_model()
    # main's classifier knows no brands (the argument came with session 7's second tone branch)
    has_brands = "brands" in inspect.signature(ToneClassifier).parameters
    kw = {"brands": brands} if has_brands else {}

    def model_reads(text: str) -> str:
        return ToneClassifier(model=None, **kw).without_brands(text) if has_brands else text

    out = {
        "majority": lambda r: train_majority[r.language],
        "plain": _plain(),
        "words": _binary(ToneClassifier(model=None, **kw)),
        "model": lambda r: "praise" if model.praise_probability(model_reads(r.text)) >= 0.5 else "complaint",
        "combined": _binary(ToneClassifier(model=model, **kw)),
        "nobrand": _binary(ToneClassifier(model=model)),
    }
    if "domain" in ToneConfig.model_fields:  # session 8: the health domain's model
        health = ToneClassifier(ToneConfig(domain="health"), model=model, domain_model=shipped_model("health"), **kw)
        out["health"] = _binary(health)
    if "praise_without_cues" in ToneConfig.model_fields:  # the first tone branch's rule 4
        out["never"] = _binary(ToneClassifier(ToneConfig(praise_without_cues=None), model=model, **kw))
        for bar in BARS:
            out[f"bar{bar:g}"] = _binary(ToneClassifier(ToneConfig(praise_without_cues=bar), model=model, **kw))
    return out


def scores(read: Method, reviews: list[Review]) -> tuple[float, float, float]:
    """Accuracy, complaint recall (complaints not taken for praise) and praise precision."""
    said = [read(r) for r in reviews]
    right = sum(s == r.label for s, r in zip(said, reviews, strict=True))
    complaints = [s for s, r in zip(said, reviews, strict=True) if r.label == "complaint"]
    praised = [r.label for s, r in zip(said, reviews, strict=True) if s == "praise"]
    recall = sum(s == "complaint" for s in complaints) / len(complaints) if complaints else float("nan")
    precision = sum(label == "praise" for label in praised) / len(praised) if praised else float("nan")
    return right / len(reviews), recall, precision


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("test", "train"), default="test")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    held_out = args.split == "test"
    by_language: dict[str, Counter[str]] = {}
    for name in DATASETS:
        for r in read_reviews(name, held_out=False):
            by_language.setdefault(r.language, Counter())[r.label] += 1
    majority = {lang: counts.most_common(1)[0][0] for lang, counts in by_language.items()}
    print(f"tone accuracy, text alone, {args.split} split (complaint = 1-2 stars, praise = 4-5)")
    print("each cell: accuracy / complaint recall / praise precision")
    everything: list[Review] = []
    for i, name in enumerate(DATASETS):
        reviews = read_reviews(name, held_out=held_out)
        readers = methods(majority, reviews[0].brands)  # one company per file, hence per split of a data set
        if i == 0:
            print(f"{'data set':<16}{'n':>5}{'praise':>8}" + "".join(f"{m:>18}" for m in readers))
        everything += reviews
        share = sum(r.label == "praise" for r in reviews) / len(reviews)
        cells = ["{:.3f}/{:.2f}/{:.2f}".format(*scores(read, reviews)) for read in readers.values()]
        print(f"{name:<16}{len(reviews):>5}{share:>8.2f}" + "".join(f"{c:>18}" for c in cells))
    speeds = {"combined": ToneClassifier(model=shipped_model())}
    if "domain" in ToneConfig.model_fields:
        speeds["health"] = ToneClassifier(
            ToneConfig(domain="health"), model=shipped_model(), domain_model=shipped_model("health")
        )
    n = len(everything)
    chars = sum(len(r.text) for r in everything) / n
    for label, classifier in speeds.items():
        best_wall = best_cpu = float("inf")
        for _ in range(args.repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            for r in everything:
                classifier.classify(r.text, language=r.language)
            best_wall = min(best_wall, time.perf_counter() - wall)
            best_cpu = min(best_cpu, time.process_time() - cpu)
        print(f"speed, {label} ({n} texts, {chars:.0f} characters on average): {n / best_cpu:,.0f} mentions per CPU "
              f"second ({best_cpu / n * 1000:.2f} ms CPU each; wall {best_wall / n * 1000:.2f} ms), "
              f"loadavg {tuple(round(x, 2) for x in os.getloadavg())}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
