"""The `cases.tone:` section of sources.yaml: which tones open an SLA case, the shipped model, added cue words."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from monitor.config.tone_words import TONE_LANGUAGES
from monitor.config.types import Strict

__all__ = ["TONES", "ToneConfig"]

TONES = ("complaint", "question", "praise")
Tone = Literal["complaint", "question", "praise"]
_WORD_KINDS = ("complaint", "praise", "question", "request", "warning", "praise_phrase")


class ToneConfig(Strict):
    """How a mention is told complaint, question or praise (monitor.cases.tone) and what follows."""

    # Mentions of these tones open (or join) an SLA case; the others are kept, listed with their tone,
    # and staff can still open a case for one by hand (PUT /mentions/{id}/brand).
    open_case_for: list[Tone] = Field(default_factory=lambda: ["complaint", "question"], min_length=1)
    # The n-gram model shipped in the package weighs texts the cue words leave open (and rule 4's cue-less ones).
    model: bool = True
    # A text with no cue word (and no rating of 1-2 or 4-5) is praise only when the model's praise probability
    # is at least this; below it, or null, it is a complaint, so it is answered. A complaint taken for praise
    # opens no case, hence a bar well above 0.5: 0.8 was the lowest of 0.5-0.9 that lost no complaint in the
    # cross-validation of bench/tone_cv.py (docs/PERFORMANCE.md, session 7). Null: the model never decides alone.
    praise_without_cues: float | None = Field(default=0.8, gt=0.5, le=1.0)
    # What the watched sources review: `health` reads English texts with the model trained on reviews of
    # medicines (they tell the symptoms before the verdict; the general model, trained on service
    # complaints, takes those for complaints). Other languages keep the general model. One setting for
    # every source: a desk that watches health and service sites alike keeps `general` (docs/PERFORMANCE.md).
    domain: Literal["general", "health"] = "general"
    # More cue words per kind and language: {complaint: {ru: ["развели"]}}; "=word" matches the whole word.
    # warning / praise_phrase: phrases read as a whole, a negator inside them kept ("don't waste").
    words: dict[str, dict[str, list[str]]] = Field(default_factory=dict)

    @field_validator("open_case_for")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each tone may be named once")
        return value

    @field_validator("words")
    @classmethod
    def _known(cls, value: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        for kind, by_language in value.items():
            if kind not in _WORD_KINDS:
                raise ValueError(f"unknown kind of cue word {kind!r}; kinds are {', '.join(_WORD_KINDS)}")
            for language, words in by_language.items():
                if language not in TONE_LANGUAGES:
                    raise ValueError(
                        f"{kind}: unknown language {language!r}; languages are {', '.join(TONE_LANGUAGES)}"
                    )
                if any(not w.strip("= ") for w in words):
                    raise ValueError(f"{kind}.{language}: a cue word cannot be empty")
        return value
