"""What a case's texts say about who wrote them: order numbers, e-mail addresses and
phone numbers (rule 1 of monitor.customers.candidates), and whether they name a city (rule 3)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from rapidfuzz import fuzz, process

from monitor.core.text import words
from monitor.customers.keys import normalise_email, normalise_order

__all__ = [
    "CITY_TYPO_LEN",
    "CITY_TYPO_RATIO",
    "DEFAULT_ORDER",
    "Evidence",
    "city_typo",
    "extends_named",
    "extract_evidence",
    "mentions_city",
]

# Without a brand pattern: a number of at least three digits right after a word for "order"
# (any case ending), «№» or "#": «заказ 7731-220», «заказа № 5561-903», "Bestellung AC-55120",
# "order #6620-031", «Замовлення 7815-330», «Պատվեր 5530-207».
DEFAULT_ORDER = re.compile(
    r"(?:\b(?:заказ|замовлен|замоўлен|order|bestell|auftrag|պատվեր)\w*|№|#)"
    r"\s*(?:(?:№|#|no\.?|nr\.?|number|nummer|номер)\s*)?:?\s*"
    r"(?P<order>(?:[^\W\d_]{1,4}[-/]?)?\d(?:[\d/-]*\d)?)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")
# Where a phone number may be: a run of digits with the usual separators; phonenumbers reads it.
_PHONE_RUN = re.compile(r"\+?\(?\d[\d\s().\-]{5,}\d")
# A city written with a typo ("franwton" for Frankston, "linudm" for Lindum, "ca mpsie"): its folded
# letters run together against every run of one to three words of the texts (rapidfuzz ratio, an
# indel similarity: one substitution or swap in six letters is 83). Shorter names only as written:
# one letter off, "ryde" is "ride".
CITY_TYPO_LEN = 6
CITY_TYPO_RATIO = 80.0
_SPAN_WORDS = 3


@dataclass(slots=True)
class Evidence:
    """What the texts say about who wrote them; orders and phones keep their written form for reasons."""

    orders: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: dict[str, str] = field(default_factory=dict)  # E.164 → as written
    texts: Sequence[str] = ()
    _folded: list[list[str]] | None = None
    _words: set[str] | None = None
    # Cities already looked for in the texts: namesakes in one household share one.
    cities: dict[str, bool] = field(default_factory=dict)
    # The texts' runs of one to three folded words joined, by length (for `city_typo`), built on first use.
    _spans: dict[int, list[str]] | None = None
    typos: dict[str, str | None] = field(default_factory=dict)  # city → the run that writes it with a typo

    @property
    def identifies(self) -> bool:
        """Whether the texts hold an order number, e-mail address or phone number."""
        return bool(self.orders or self.emails or self.phones)

    @property
    def folded(self) -> list[list[str]]:
        """Each text's folded words, in order; folded once, when the city rule first needs them."""
        if self._folded is None:
            self._folded = [words(text) for text in self.texts]
        return self._folded

    @property
    def words(self) -> set[str]:
        """The folded words of the texts (for the city rule), folded only when a candidate has a city."""
        if self._words is None:
            self._words = {w for folded in self.folded for w in folded}
        return self._words

    @property
    def spans(self) -> dict[int, list[str]]:
        if self._spans is None:
            self._spans = {}
            for folded in self.folded:
                for i in range(len(folded)):
                    for j in range(i + 1, min(i + _SPAN_WORDS, len(folded)) + 1):
                        span = "".join(folded[i:j])
                        self._spans.setdefault(len(span), []).append(span)
        return self._spans


def extract_evidence(texts: Sequence[str], *, order_pattern: str | None, region: str | None) -> Evidence:
    """Order numbers, e-mail addresses and phone numbers found in the texts, each once."""
    evidence = Evidence(texts=texts)
    pattern = re.compile(order_pattern) if order_pattern else DEFAULT_ORDER
    seen_orders: set[str] = set()
    for text in texts:
        for m in pattern.finditer(text):
            written = _order_group(m)
            if pattern is DEFAULT_ORDER and sum(ch.isdigit() for ch in written) < 3:
                continue  # "order 2", "#1": not an order number
            if written and (key := normalise_order(written)) and key not in seen_orders:
                seen_orders.add(key)
                evidence.orders.append(written)
        for m in _EMAIL.finditer(text):
            email = normalise_email(m.group().rstrip(".-"))
            if email and email not in evidence.emails:
                evidence.emails.append(email)
        for run in _PHONE_RUN.finditer(text):
            for found in phonenumbers.PhoneNumberMatcher(run.group(), region):
                e164 = phonenumbers.format_number(found.number, phonenumbers.PhoneNumberFormat.E164)
                evidence.phones.setdefault(e164, found.raw_string)
    return evidence


def _order_group(m: re.Match[str]) -> str:
    # A brand pattern may mark the number with a group named "order", or one plain group.
    if "order" in m.re.groupindex:
        return m.group("order") or ""
    return (m.group(1) or "") if m.re.groups == 1 else m.group()


def mentions_city(evidence: Evidence, city: str) -> bool:
    """Whether every word of `city` stands in the texts, allowing a case ending («в Москве», «из Казани»)."""
    stems = _city_stems(city)
    if not stems:
        return False
    return all(any(w.startswith(stem) and len(w) <= longest for w in evidence.words) for stem, longest in stems)


@lru_cache(maxsize=1 << 12)
def _city_stems(city: str) -> tuple[tuple[str, int], ...]:
    # A register names a few hundred cities; each candidate of each case asks again.
    return tuple((part if len(part) <= 4 else part[: max(4, len(part) - 2)], len(part) + 3) for part in words(city))


@lru_cache(maxsize=1 << 12)
def city_letters(city: str) -> str:
    """A city's folded words run together: «Ростов-на-Дону» → "rostovnadonu"."""
    return "".join(words(city))


def extends_named(city: str, named: Collection[str]) -> bool:
    """Whether `city` starts with the first word of a city the texts name, and is not that city: the texts
    name "Ballarat" (a register city) in "ballarat horth", and a customer lives in Ballarat North."""
    first = _first_word(city)
    return bool(first) and any(other != city and _first_word(other) == first for other in named)


@lru_cache(maxsize=1 << 12)
def _first_word(city: str) -> str:
    return next(iter(words(city)), "")


def writes_city(evidence: Evidence, city: str) -> bool:
    """Whether a run of the texts' words is `city` as written (spaces and case aside)."""
    letters = city_letters(city)
    return letters in evidence.spans.get(len(letters), ())


def city_typo(evidence: Evidence, city: str) -> str | None:
    """The run of the texts' words that writes `city` with a typo or a space out of place, or None.

    Only runs within two letters of the city's length are compared, so a long text costs a few
    comparisons per city, and only cities of CITY_TYPO_LEN letters or more are looked for.
    """
    if city in evidence.typos:
        return evidence.typos[city]
    joined = city_letters(city)
    found = None
    if len(joined) >= CITY_TYPO_LEN:
        spans = evidence.spans
        choices = [s for n in range(len(joined) - 2, len(joined) + 3) for s in spans.get(n, ())]
        best = process.extractOne(joined, choices, scorer=fuzz.ratio, score_cutoff=CITY_TYPO_RATIO)
        found = best[0] if best else None
    evidence.typos[city] = found
    return found
