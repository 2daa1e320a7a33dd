"""Language of a complaint: ru, uk, be, hy, de, en (and a few neighbours).

lingua ships its models in the wheel (no download) and tells Belarusian from
Russian and Ukrainian. Its low-accuracy mode is used on purpose: here it gave
the same answers on our multilingual samples while using 25 MB instead of
177 MB and loading in 0.1 s instead of 2 s (docs/PERFORMANCE.md). When the
detector is unsure, the source's declared language decides.

The model is asked only when letters cannot settle it (`settle_without_model`), which
costs ~0.8 ms of CPU per text against ~0.05 ms: text with hardly any letters takes the
declared language; Armenian script is Armenian; when the source declares a language and
the text fits it (its script, none of the letters only a neighbour of that script uses,
and for Latin script more of its common words than of the others'), the declared
language is taken as is; otherwise the text is settled when exactly one language fits
stricter rules (Russian must show ы, э, ъ or ё; English, German or Polish two of its
common words and four times as many as of the others'). They settled 79 of the demo's 85
complaints, each as labelled, and 96 % of 2,000 benchmark texts, each as the model says.
Polling runs all of it in the parse workers (`detect_languages`), never inside a
database transaction.
"""

from __future__ import annotations

import re
from functools import cache
from itertools import islice

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

__all__ = ["SUPPORTED", "detect_language", "detect_languages", "settle_without_model"]

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


# What a text in each language looks like without a model: (its script, letters of which it
# needs one, or "" for none, letters it never uses). Russian is the Cyrillic text without the
# letters of its neighbours; Ukrainian lacks ы э ъ ё; Belarusian lacks и щ ъ.
_CYRILLIC = re.compile("[\u0400-\u04ff]+")
_ARMENIAN = re.compile("[\u0531-\u058f]")
_LATIN = re.compile("[a-zA-Z\u00c0-\u024f]+")
_OTHER_SCRIPT = re.compile("[\u0370-\u03ff\u0500-\u052f\u0590-\u1fff\u2c00-\ud7ff\uf900-\ufdcf\ufe70-\ufeff]")
_NON_ASCII_LATIN = re.compile("[\u00c0-\u024f]")
_FITS: dict[str, tuple[re.Pattern[str], str, str]] = {
    "ru": (_CYRILLIC, "", "іїєґўәғқңөұүһ"),
    "uk": (_CYRILLIC, "іїєґ", "ыэъёўәғқңөұүһ"),
    "be": (_CYRILLIC, "ўі", "ищъїєґәғқңөұүһ"),
    "kk": (_CYRILLIC, "әғқңөұүһ", "їєґў"),
    "de": (_LATIN, "äöüß", "ąćęłńśźż"),
    "pl": (_LATIN, "ąćęłńśźż", "äöüß"),
    "en": (_LATIN, "", ""),  # and no letter outside ASCII, checked below
}
# Common words that tell the Latin-script languages apart (none is common in two of them).
_COMMON_WORDS = {
    "en": "the and of my is it for not on with they have that this me you but at be are been from",
    "de": "der die das und ich nicht ist mit zu ein eine auf den es sich von im dem mir mein meine wurde hat habe "
    "seit noch kein keine aber auch nach bei für wird sind",
    "pl": "w nie na się że z jest jak mi mnie po ale od za już tak było został bardzo",
}
_WORDS = {code: frozenset(words.split()) for code, words in _COMMON_WORDS.items()}
_LANGUAGE_OF_WORD = {word: code for code, words in _WORDS.items() for word in words}
# Runs of the letters the common words are written in: all a word needs to be looked up.
_WORD = re.compile("[a-zäöüßąćęłńóśźż]+")
# Share of the letters that must be in the declared language's script (brand names and
# addresses in Latin letters are common in Cyrillic complaints).
_SCRIPT_SHARE = 0.8


def settle_without_model(text: str, *, hint: str | None = None) -> tuple[bool, str | None]:
    """(True, language) when letters alone settle the language of `text`; (False, None) when the
    model must decide. See the module docstring for the rules."""
    return _settle(_sample(text), hint)


def _sample(text: str) -> str:
    sample = text[:_MAX_CHARS]
    # The noise pattern is slow to fail (it tries every position); what it needs is quick to look for.
    if "@" in sample or "://" in sample or "www." in sample:
        sample = _NOISE.sub(" ", sample)
    return sample


def _settle(sample: str, hint: str | None) -> tuple[bool, str | None]:
    head = sample[:200]
    if next(islice(filter(str.isalpha, head), 2, None), None) is None:  # fewer than 3 letters
        return True, hint
    if _ARMENIAN.search(head):
        return True, "hy"  # the Armenian script is used by one language only
    script = _script(sample)
    if script is None:
        return False, None
    letters = _Letters(sample.lower())
    if hint is not None and _fits(letters, hint, script, strict=False):
        return True, hint
    # Without a fitting hint: settled only when exactly one language fits, by stricter rules.
    found = [code for code, rule in _FITS.items() if rule[0] is script and _fits(letters, code, script, strict=True)]
    return (True, found[0]) if len(found) == 1 else (False, None)


def _script(sample: str) -> re.Pattern[str] | None:
    """The script (_CYRILLIC or _LATIN) of at least _SCRIPT_SHARE of the letters, if any; None too
    when letters of another script (Greek, Hebrew, Arabic, CJK, ...) are there at all."""
    if _OTHER_SCRIPT.search(sample):
        return None
    cyrillic, latin = _count(_CYRILLIC, sample), _count(_LATIN, sample)
    for script, letters in ((_CYRILLIC, cyrillic), (_LATIN, latin)):
        if letters and letters >= _SCRIPT_SHARE * (cyrillic + latin):
            return script
    return None


def _count(pattern: re.Pattern[str], text: str) -> int:
    # Characters matched by a run pattern; a sub makes one string where findall makes one per match.
    return len(text) - len(pattern.sub("", text))


class _Letters:
    """A lower-cased sample and, read once when asked, its counts of each language's common words."""

    def __init__(self, lower: str) -> None:
        self.lower = lower
        self._hits: dict[str, int] | None = None

    @property
    def hits(self) -> dict[str, int]:
        if self._hits is None:
            self._hits = dict.fromkeys(_WORDS, 0)
            for word in _WORD.findall(self.lower):
                if (code := _LANGUAGE_OF_WORD.get(word)) is not None:
                    self._hits[code] += 1
        return self._hits


def _fits(letters: _Letters, code: str, script: re.Pattern[str], *, strict: bool) -> bool:
    """Does the text look like `code`? Declared (not strict): the script, the letters, and more of the
    language's common words than of any other's. Undeclared (strict): Russian must show one of its own
    letters, a Latin-script language two of its common words and four times as many as the others'."""
    rule = _FITS.get(code)
    if rule is None or rule[0] is not script:
        return False
    _, needs, never = rule
    lower = letters.lower
    if strict and code == "ru":
        needs = "ыэъё"
    if needs and not any(ch in lower for ch in needs):
        return False
    if any(ch in lower for ch in never):
        return False
    if script is _LATIN:
        if code == "en" and _NON_ASCII_LATIN.search(lower):
            return False
        hits = letters.hits
        others = max(n for other, n in hits.items() if other != code)
        # Strict: a word shared by two languages ("nie" is Polish "not" and German "never") may
        # turn up, but the language's own words must outnumber the others' four to one.
        return hits[code] >= 2 and hits[code] >= 4 * others if strict else hits[code] > others
    return True


def detect_language(text: str, *, hint: str | None = None) -> str | None:
    """ISO 639-1 code of `text`, or `hint` when the text says too little, or None."""
    sample = _sample(text)
    settled, language = _settle(sample, hint)
    if settled:
        return language
    values = _detector().compute_language_confidence_values(sample)
    if not values:
        return hint
    best = values[0]
    if best.value < _MIN_CONFIDENCE and hint:
        return hint
    return _CODES.get(best.language, hint)


def detect_languages(texts: list[str], hint: str | None = None) -> list[str | None]:
    """`detect_language` of each text: one call for a batch, to run in the parse workers."""
    return [detect_language(text, hint=hint) for text in texts]
