"""Language of a complaint: ru, uk, be, hy, de, en (and a few neighbours).

lingua ships its models in the wheel (no download) and tells Belarusian from
Russian and Ukrainian. Its low-accuracy mode is used on purpose: here it gave
the same answers on our multilingual samples while using 25 MB instead of
177 MB and loading in 0.1 s instead of 2 s (docs/PERFORMANCE.md). When the
detector is unsure, the source's declared language decides.
"""

from __future__ import annotations

import re
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

__all__ = ["SUPPORTED", "detect_language"]

_LANGUAGES = {
    "ru": Language.RUSSIAN,
    "uk": Language.UKRAINIAN,
    "be": Language.BELARUSIAN,
    "hy": Language.ARMENIAN,
    "de": Language.GERMAN,
    "en": Language.ENGLISH,
    "pl": Language.POLISH,
    "kk": Language.KAZAKH,
}
SUPPORTED = tuple(_LANGUAGES)
_CODES = {lang: code for code, lang in _LANGUAGES.items()}
# Below this confidence the source's declared language (if any) is trusted instead.
_MIN_CONFIDENCE = 0.5
# lingua's cost grows with the text; 400 characters decide the language of a complaint as well as
# 2,000 do, and profiling bench/poll.py showed detection on 2,000 was half of all polling CPU.
_MAX_CHARS = 400
# Links and e-mail addresses say nothing about the language and fool the detector.
_NOISE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+")


@cache
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*_LANGUAGES.values()).with_low_accuracy_mode().build()


def detect_language(text: str, *, hint: str | None = None) -> str | None:
    """ISO 639-1 code of `text`, or `hint` when the text says too little, or None."""
    sample = _NOISE.sub(" ", text[:_MAX_CHARS])
    if sum(ch.isalpha() for ch in sample[:200]) < 3:
        return hint
    if any("\u0531" <= ch <= "\u058f" for ch in sample[:200]):
        return "hy"  # the Armenian script is used by one language only
    values = _detector().compute_language_confidence_values(sample)
    if not values:
        return hint
    best = values[0]
    if best.value < _MIN_CONFIDENCE and hint:
        return hint
    return _CODES.get(best.language, hint)
