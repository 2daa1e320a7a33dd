"""Tone: is a mention a complaint, a question or praise? With the reasons staff read.

Read from the rating, the cue words of monitor.config.tone_words (ru, uk, be, hy, de, en; every
language is tried, as triage does) plus those added in sources.yaml and triage's safety signal (a
complaint word too), and the character n-gram
model shipped in the package (monitor.cases.tone_model) for texts the words leave open.

Before anything is read, the names, aliases and domains of the configured brands are blanked out:
a brand's name is no cue ("Pets Best is worst" holds no praise word), nor evidence for the model.
Then the fixed phrases (tone_words.WARNINGS, PRAISE_PHRASES) are read as a whole: "don't waste your
money" is one complaint point, not a negated complaint word; their words are not read again.

Counting: each complaint cue is one point for complaint, each praise cue one for praise; a cue
right after a negator («не рекомендую», "nicht empfehlenswert", «не рвутся») counts for the other
side. The text asks when it has a request word («подскажите», "please advise"), or a question mark
and a question word («когда», "wann", "how").

Rules, in this order:
  1. a rating of 1 or 2 (of 5) is a complaint, whatever the text says;
  2. a rating of 4 or 5 is praise, unless the text complains clearly (two complaint points more
     than praise points: a complaint), or it asks and has no complaint point (a question);
  3. no rating, or 3: a text that asks with no complaint point is a question; a text whose cue
     words are all on one side is that side (the model never overturns them: it learned that short
     reviews are mostly praise, which «Акме, где мой холодильник?!» is not); otherwise the margin
     (praise points less complaint points) plus the model's log-odds of praise decides: above 0.5
     is praise, a lean to complaint, since a missed complaint costs more than a praise answered
     as one. These were the best of the joins tried in 5-fold cross-validation on the training
     reviews (bench/tone_cv.py). The model is asked only about a text with cue words on both sides,
     with letters, in a language it was trained on or of unknown language; otherwise, and with the
     model off, the margin alone decides (above 0);
  4. no rating and no cue word: praise only when the model's praise probability reaches
     `cases.tone.praise_without_cues` (0.8 by default; null: never), else a complaint, so it gets
     answered. At an even bar the model alone called plain complaints ("The parcel never arrived
     and nobody answers the phone", 0.78 with the model of session 6) praise; a complaint taken
     for praise opens no case, so the bar leans far to complaint.
The model asked is the domain's (`cases.tone.domain`: health) for a language it was trained on, else the
general one. Texts are cut to 20,000 characters first: the tone is set early, and a 1 MB text must stay cheap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.cases.tone_model import ToneModel, shipped_model
from monitor.config import Config
from monitor.config.tone import ToneConfig
from monitor.config.tone_words import (
    AFTER_NEGATORS,
    COMPLAINT,
    NEGATORS,
    PRAISE,
    PRAISE_PHRASES,
    QUESTION,
    REQUEST,
    WARNINGS,
)
from monitor.config.triage_keywords import SIGNALS

__all__ = ["Cues", "ToneClassifier", "ToneResult", "tone_classifier"]

MAX_CHARS = 20_000
PRAISE_AT = 0.5  # the margin plus the model's log-odds above which a text is praise (rule 3)
MAX_REASON_HITS = 3  # cue words quoted per reason; the count says how many there were
_WORD = re.compile(r"\w+(?:['’]\w+)?")
_QUESTION_MARKS = ("?", "՞", "？")
_WORD_REST = re.compile(r"^\w*")
_LETTER = re.compile(r"[^\W\d_]")
_NEGATORS = frozenset(w for words in NEGATORS.values() for w in words)
_AFTER_NEGATORS = frozenset(w for words in AFTER_NEGATORS.values() for w in words)
_CLAUSE_END = re.compile(r"[.,;:!?()\n]|\s[-–—]\s")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})  # one character each: spans stay where they were
# Endings a brand name takes in ru/uk/be/hy text («Акме» → «Акмеовой» is not needed, «Акмеи», «Акмеով» are),
# and the genitive of de/en ("Acme's", "Acmes"): the matcher of monitor.cases.brands finds more, but a cue
# word inside an inflected name is what matters here, and these cover the short endings.
_NAME_ENDING = r"(?:['’]s|s|[^\W\d_a-z]{1,3})?"


@dataclass(frozen=True, slots=True)
class ToneResult:
    tone: str  # complaint | question | praise
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Cues:
    """What the words of a text say: the cue words found on each side, and the asking ones."""

    complaint: tuple[str, ...]
    praise: tuple[str, ...]
    asks: tuple[str, ...]

    @property
    def margin(self) -> int:
        return len(self.praise) - len(self.complaint)


def _pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    parts = []
    for word in sorted({w.strip().lower() for w in words if w.strip("= ")}, key=len, reverse=True):
        whole = word.startswith("=")
        word = " ".join(word.lstrip("=").split())
        parts.append(re.escape(word) + (r"(?!\w)" if whole else ""))
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")") if parts else None


def _merged(shipped: dict[str, list[str]], added: dict[str, list[str]] | None) -> list[str]:
    words = [w for ws in shipped.values() for w in ws]
    return words + [w for ws in (added or {}).values() for w in ws]


def _negator(text: str, start: int, end: int) -> str | None:
    """The negator among the two words before a cue, or the word right after it («нареканий нет»),
    within the cue's clause: a comma or a full stop ends a negation's reach («без задержки,
    хорошо упакован» is praise). 40 characters hold two words of any of the six languages."""
    before = _CLAUSE_END.split(text[max(0, start - 40) : start])[-1]
    found = next((w for w in reversed(_WORD.findall(before)[-2:]) if w in _NEGATORS), None)
    if found is None:
        # A cue is a word's beginning: the rest of that word is skipped («нарекани|й нет»).
        after = _CLAUSE_END.split(_WORD_REST.sub("", text[end : end + 30], count=1))[0]
        found = next((w for w in _WORD.findall(after)[:1] if w in _AFTER_NEGATORS), None)
    return found


def _quote(hits: tuple[str, ...]) -> str:
    unique = list(dict.fromkeys(hits))
    return f"{len(hits)}: " + ", ".join(f"«{h}»" for h in unique[:MAX_REASON_HITS])


def _brand_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    """The configured brand names as whole words (a name inside a longer word is not the brand), with the
    short endings of _NAME_ENDING; inner spaces match any run of spaces."""
    parts = sorted({" ".join(n.lower().split()) for n in names if n.strip()}, key=len, reverse=True)
    if not parts:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(w) for w in p.split(" ")) for p in parts)
    return re.compile(rf"(?<!\w)(?:{alternatives}){_NAME_ENDING}(?!\w)", re.IGNORECASE)


def _blank(text: str, pattern: re.Pattern[str] | None) -> tuple[str, list[str]]:
    """`text` with every match of `pattern` replaced by as many spaces (positions kept), and the matches."""
    if pattern is None:
        return text, []
    hits: list[str] = []

    def spaces(m: re.Match[str]) -> str:
        hits.append(m.group(0))
        return " " * len(m.group(0))

    return pattern.sub(spaces, text), hits


class ToneClassifier:
    """Compiled cue words and, when enabled, the model; build once per config (tone_classifier).

    `brands`: names, aliases and domains of the configured brands, never read as cue words or by the model.
    `domain_model`: the model of the config's domain, asked instead of `model` about the languages it knows."""

    def __init__(
        self,
        config: ToneConfig | None = None,
        model: ToneModel | None = None,
        brands: Iterable[str] = (),
        domain_model: ToneModel | None = None,
    ) -> None:
        self.config = config or ToneConfig()
        self.model = model
        self.domain_model = domain_model
        self._brands = _brand_pattern(brands)
        added = self.config.words
        self._warning = _pattern(_merged(WARNINGS, added.get("warning")))
        self._praise_phrase = _pattern(_merged(PRAISE_PHRASES, added.get("praise_phrase")))
        # Triage's safety signal is a complaint too: "the kettle caught fire" names no complaint word
        # and must never pass for praise. (Its legal signal is not: a legal insurer's happy customers
        # thank their lawyer, and on the training reviews counting it cost accuracy.)
        signals = [w for ws in SIGNALS["safety"].values() for w in ws]
        self._complaint = _pattern(_merged(COMPLAINT, added.get("complaint")) + signals)
        self._praise = _pattern(_merged(PRAISE, added.get("praise")))
        self._question = _pattern(_merged(QUESTION, added.get("question")))
        self._request = _pattern(_merged(REQUEST, added.get("request")))

    def without_brands(self, text: str) -> str:
        """The head of `text` with the configured brands' names blanked out (what the cues and the model read)."""
        return _blank(text[:MAX_CHARS], self._brands)[0]

    def cues(self, text: str) -> Cues:
        """The cue words of `text` on each side, negation applied (the module docstring)."""
        return self._cues(self.without_brands(text))

    def _cues(self, head: str) -> Cues:
        head = head.lower().translate(_APOSTROPHES)
        # The Armenian question mark sits on the stressed vowel inside a word («ինչպե՞ս»): noted, then dropped.
        asked = any(mark in head for mark in _QUESTION_MARKS)
        lowered = " ".join(head.replace("՞", "").split())
        # Fixed phrases first, then blanked: their words are not read again («не советую» is one complaint).
        lowered, complaint = _blank(lowered, self._warning)
        lowered, praise = _blank(lowered, self._praise_phrase)
        for pattern, side, other in ((self._complaint, complaint, praise), (self._praise, praise, complaint)):
            for hit in pattern.finditer(lowered) if pattern else ():
                negator = _negator(lowered, hit.start(), hit.end())
                if negator:
                    other.append(f"{negator} … {hit.group(0)}")
                else:
                    side.append(hit.group(0))
        asks = [h.group(0) for h in self._request.finditer(lowered)] if self._request else []
        if self._question and asked:
            asks += [h.group(0) for h in self._question.finditer(lowered)]
        return Cues(tuple(complaint), tuple(praise), tuple(asks))

    def classify(self, text: str, *, rating: float | None = None, language: str | None = None) -> ToneResult:
        """Complaint, question or praise, with reasons (the rules are in the module docstring)."""
        text = self.without_brands(text)
        cues = self._cues(text)
        reasons = self._cue_reasons(cues)
        if rating is not None and rating <= 2:
            return ToneResult("complaint", (f"rated {rating:g} of 5", *reasons))
        if rating is not None and rating >= 4:
            if cues.margin <= -2:
                return ToneResult("complaint", (f"rated {rating:g} of 5, but the text complains", *reasons))
            if cues.asks and not cues.complaint:
                return ToneResult("question", (f"rated {rating:g} of 5, and the text asks", *reasons))
            return ToneResult("praise", (f"rated {rating:g} of 5", *reasons))
        rated = (f"rated {rating:g} of 5",) if rating is not None else ()
        if cues.asks and not cues.complaint:
            return ToneResult("question", (*rated, *reasons))
        one_sided = cues.margin and not (cues.complaint and cues.praise)
        if one_sided:
            return ToneResult("praise" if cues.margin > 0 else "complaint", (*rated, *reasons))
        # Cue words on both sides: the model weighs them. A text with no cue word at all is praise only over
        # the config's bar (rule 4): a complaint kept out of the queue is the costly mistake.
        model = self._model_for(text, language)
        # Staff read which model spoke: the domain's ("the health text model's …") or the general one.
        named = "text model" if model is self.model else f"{self.config.domain} text model"
        if (cues.complaint or cues.praise) and model is not None:
            p = min(max(model.praise_probability(text[:MAX_CHARS]), 1e-6), 1 - 1e-6)
            tone = "praise" if cues.margin + math.log(p / (1 - p)) > PRAISE_AT else "complaint"
            why = f"the {named}'s praise probability {p:.2f}"
            return ToneResult(tone, (*rated, *reasons, why))
        if cues.margin:
            return ToneResult("praise" if cues.margin > 0 else "complaint", (*rated, *reasons))
        bar = self.config.praise_without_cues
        if bar is not None and model is not None:
            p = model.praise_probability(text[:MAX_CHARS])
            why = f"no cue word; the {named}'s praise probability {p:.2f} (praise from {bar:.2f})"
            if p >= bar:
                return ToneResult("praise", (*rated, *reasons, why))
            return ToneResult("complaint", (*rated, *reasons, f"{why}: taken as a complaint, so it is answered"))
        return ToneResult(
            "complaint", (*rated, *reasons, "nothing tells its tone; taken as a complaint, so it is answered")
        )

    def _model_for(self, text: str, language: str | None) -> ToneModel | None:
        """The model that reads `text`: the domain's for a language it was trained on, else the general one,
        none for a language neither was trained on (or with the model off, or no letter to read)."""
        if not self.config.model or not _LETTER.search(text[:MAX_CHARS]):
            return None
        for model in (self.domain_model, self.model):
            if model is not None and (language is None or language in model.languages):
                return model
        return None

    @staticmethod
    def _cue_reasons(cues: Cues) -> tuple[str, ...]:
        out = []
        if cues.complaint:
            out.append(f"complaint words {_quote(cues.complaint)}")
        if cues.praise:
            out.append(f"praise words {_quote(cues.praise)}")
        if cues.asks:
            out.append(f"asks {_quote(cues.asks)}")
        return tuple(out)


def tone_classifier(config: Config, domain: str | None = None) -> ToneClassifier:
    """The classifier of `config` for a `domain` (default `cases.tone.domain`; a source's own is
    Config.tone_domain), built once per loaded config and domain (Config.derived)."""
    tone = config.cases.tone
    domain = domain or tone.domain
    brands = [name for b in config.brands for name in (b.name, *b.names, *b.domains)]

    def build(_: Config) -> ToneClassifier:
        if not tone.model:
            return ToneClassifier(tone, None, brands)
        model = shipped_model(domain) if domain != "general" else None
        return ToneClassifier(tone, shipped_model(), brands, domain_model=model)

    return config.derived(f"tone_classifier:{domain}", build)
