"""The rated public reviews under bench/data/tone, read as (language, text, label) for bench/tone.py
and bench/tone_train.py: stars 1-2 are complaints, 4-5 praise, 3 is left out (README.md there says
where each file comes from)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DATASETS", "DATA_DIR", "Review", "read_reviews"]

DATA_DIR = Path(__file__).with_name("data") / "tone"
# data set → (language, training files, held-out file); several training files are read one after the other
DATASETS = {
    "ru-wildberries": ("ru", "ru_wildberries.tsv ru_wildberries_more.tsv", "ru_wildberries_test.tsv"),
    "de-trustpilot": ("de", "de_trustpilot.tsv de_trustpilot_more.tsv", "de_trustpilot_test.tsv"),
    "en-trustpilot": ("en", "en_trustpilot.tsv", "en_trustpilot_test.tsv"),
    "en-drugs": ("en", "en_drugs.tsv", "en_drugs_test.tsv"),
}


@dataclass(frozen=True, slots=True)
class Review:
    language: str
    text: str
    label: str  # complaint | praise


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
                out.append(Review(language, text, label))
    return out
