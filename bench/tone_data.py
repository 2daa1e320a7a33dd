"""The rated public reviews under bench/data/tone, read as (language, text, label) for bench/tone.py
and bench/tone_train.py: stars 1-2 are complaints, 4-5 praise, 3 is left out (README.md there says
where each file comes from)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from monitor.cases.tone import ToneClassifier

__all__ = ["BRANDS", "DATASETS", "DATA_DIR", "Review", "model_text", "read_reviews"]

DATA_DIR = Path(__file__).with_name("data") / "tone"
# data set → (language, training files, held-out file); several training files are read one after the other
DATASETS = {
    "ru-wildberries": ("ru", "ru_wildberries.tsv ru_wildberries_more.tsv", "ru_wildberries_test.tsv"),
    "de-trustpilot": (
        "de",
        "de_trustpilot.tsv de_trustpilot_more.tsv de_trustpilot_more2.tsv",
        "de_trustpilot_test.tsv",
    ),
    "en-trustpilot": ("en", "en_trustpilot.tsv en_trustpilot_more.tsv", "en_trustpilot_test.tsv"),
    "en-drugs": ("en", "en_drugs.tsv", "en_drugs_test.tsv"),
}


# The companies the reviews are about, as an operator watching them would configure the brand (name, other
# names, domain; config.brands): the tone classifier does not read them (monitor.cases.tone), and the model
# is trained on the texts with them blanked too. Per file; the Wildberries reviews name no seller.
BRANDS: dict[str, tuple[str, ...]] = {
    "de_trustpilot.tsv": ("ÖRAG", "OERAG", "ÖRAG Rechtsschutz", "oerag.de"),
    "en_trustpilot.tsv": ("ASPCA Pet Insurance", "ASPCA", "aspcapetinsurance.com"),
    "en_trustpilot_test.tsv": ("Pets Best", "petsbest.com"),
    "en_trustpilot_more.tsv": ("Figo", "Figo Pet Insurance", "figopetinsurance.com", "Healthy Paws", "HealthyPaws",
                               "Healthy Paws Pet Insurance", "healthypawspetinsurance.com"),
}  # fmt: skip
for _name in ("de_trustpilot_more.tsv", "de_trustpilot_more2.tsv", "de_trustpilot_test.tsv"):
    BRANDS[_name] = BRANDS["de_trustpilot.tsv"]


@dataclass(frozen=True, slots=True)
class Review:
    language: str
    text: str
    label: str  # complaint | praise
    brands: tuple[str, ...] = ()  # the brand the review is about (BRANDS)


def _label(row: dict[str, str]) -> str | None:
    if "label" in row:  # already mapped from a 1-10 rating by the data's publisher
        return {"negative": "complaint", "positive": "praise"}.get(row["label"])
    stars = int(row["stars"])
    return "complaint" if stars <= 2 else "praise" if stars >= 4 else None


def read_reviews(dataset: str, *, held_out: bool) -> list[Review]:
    language, train, test = DATASETS[dataset]
    out = []
    for name in (test if held_out else train).split():
        with (DATA_DIR / name).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                label = _label(row)
                if label is None:
                    continue
                text = "\n".join(p for p in (row.get("title"), row["text"]) if p).replace("\\n", "\n")
                out.append(Review(language, text, label, BRANDS.get(name, ())))
    return out


@cache
def _blanker(brands: tuple[str, ...]) -> ToneClassifier:
    return ToneClassifier(model=None, brands=brands)


def model_text(review: Review) -> str:
    """The text as the shipped classifier hands it to the model: the review's brand names blanked out."""
    return _blanker(review.brands).without_brands(review.text) if review.brands else review.text
