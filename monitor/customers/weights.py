"""Fellegi-Sunter weights: what each piece of evidence says about "this customer wrote it".

Each comparison of a case with a customer falls in a level: each word of the customer's
name agrees exactly (or as a form of one given name), in another transliteration, with a
typo, with two, as an initial, or differs; the customer's city is named, or another
register city is named instead; an order number, e-mail or phone in the texts is the
customer's, or the customer has others of that kind. A level adds the weight

    log2(m / u)

where m is the chance of that level when the customer did write it, and u the chance when
the author is someone else drawn from the same population. u comes from the register
(monitor.customers.frequencies): agreeing on 'smith' has u = the share of customers called
Smith, on a city the share living there. m comes from DEFAULT_M until `replywatch customers
train` has estimated it by EM over the stream and the desk's decisions (monitor.customers.training).
A level left out (the author gave no city, the customer has no phone) adds nothing.

The weights add up per customer (W); with the share of authors who are customers (λ) and
the register's size N, the probability that customer j wrote it (monitor.customers.candidates)
is

    p_j = r · 2^W_j / (1 + r · Σ_i 2^W_i),     r = λ / ((1 − λ) · N)

over the customers found: two namesakes split what one would have had, and an author who
is not a customer stays possible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from monitor.customers.frequencies import RegisterFrequencies
from monitor.customers.keys import NameWord
from monitor.customers.name_match import Author, Words, handle_match, joined_variants, spelled
from monitor.customers.name_words import family_forms, word_similarity

__all__ = ["DEFAULT_M", "NAME_LEVELS", "Weight", "identifier_weight", "name_weights", "prior_weight", "weight"]

NAME_LEVELS = ("name exact", "name form", "name typo", "name typos", "name initial", "name differs")
# m: the chance of each level when the customer wrote it. Name levels are per word of the
# customer's name that the author's name can be compared with, and sum to 1; so do each
# other comparison's agree/differ pair. "customer share" is λ.
DEFAULT_M: dict[str, float] = {
    "name exact": 0.64, "name form": 0.12, "name typo": 0.08, "name typos": 0.03, "name initial": 0.10,
    "name differs": 0.03, "handle": 0.95, "city agrees": 0.9, "city typo": 0.05, "city differs": 0.05,
    "order agrees": 0.97, "order differs": 0.03, "email agrees": 0.97, "email differs": 0.03,
    "phone agrees": 0.97, "phone differs": 0.03, "customer share": 0.5,
}  # fmt: skip
# u of the levels that are not one word's share of the register: the chance that two names of
# different people pair words so (measured on the FEBRL registers: a word within one typo of a
# random other person's, 0.3%; two, 1%; the same initial, 6%). A city written with a typo ("franwton")
# is taken to be as unlikely by chance as a name word's typo, plus the city's own share.
GENERIC_U = {"name typo": 0.003, "name typos": 0.01, "name initial": 0.06, "name differs": 0.93, "city typo": 0.003}
# u of an identifier: the chance that someone else's complaint quotes this one. An order number
# is one of the values its format allows (10 per digit, 26 per letter: "7731-220" one of 10^7),
# and a stranger's made-up or mistyped number hits a real one that often times how many hold it
# (at a million customers with two orders each, one in five: bench/match.py). A phone number is
# written by its owner or a relative; an e-mail address hardly ever by anyone else.
STRANGER_U = {"phone": 1e-8, "email": 1e-10}
# Word similarity (monitor.customers.name_words, 0-100) → level.
FORM, TYPO, TYPOS = 96.0, 85.0, 70.0
# One letter swapped, replaced, added or left out is one typo whatever the similarity says: in a short word
# it falls under TYPO ("sophoe" for Sophie is 83, "hude" for Hudd 75). Measured on FEBRL 3 and 4: a
# third of the one-letter typos in name words were weighed as two.
ONE_TYPO_MIN = 4


@dataclass(frozen=True, slots=True)
class Weight:
    """One comparison's level and its u; the bits follow from the model's m (`bits`)."""

    level: str
    u: float
    reason: str

    def bits(self, m: Mapping[str, float]) -> float:
        """log2(m / u)."""
        return math.log2(max(1e-9, m.get(self.level, DEFAULT_M[self.level])) / self.u)

    def explained(self, m: Mapping[str, float]) -> str:
        return f"{self.reason}: {self.bits(m):+.1f}"


def weight(m: Mapping[str, float], level: str, u: float, reason: str) -> Weight:
    """The evidence of `level` with this u (clamped to a probability)."""
    return Weight(level, min(1.0, max(1e-12, u)), reason)


def prior_weight(m: Mapping[str, float], customers: int) -> float:
    """log2 r: the odds, before any evidence, that one given customer of N wrote a complaint."""
    share = min(0.999, max(0.001, m.get("customer share", DEFAULT_M["customer share"])))
    return math.log2(share / ((1 - share) * max(1, customers)))


def _word_share(freq: RegisterFrequencies, c: NameWord) -> tuple[float, int]:
    """(share, customers) with this word: its given-name group's, or the family name's in either gender."""
    forms = c.groups or family_forms(c.word)
    best = max(forms, key=lambda w: freq.words.get(w, 0))
    return freq.share(best), freq.words.get(best, 0)


def _pair(a_words: Words, c_words: Words) -> list[tuple[int, int, float, bool]]:
    """Author word i ↔ customer word j, best pairs first, whole words before initials."""
    # Pairs below TYPOS are never taken: they are left out before the sort, not skipped after it.
    pairs = []
    for i, (a, _) in enumerate(a_words):
        for j, (c, _) in enumerate(c_words):
            sim, same = word_similarity(a, c)
            if sim >= TYPOS:
                pairs.append((a.initial, -sim, i, j, same))
    pairs.sort()
    used_a: set[int] = set()
    used_c: set[int] = set()
    out = []
    for _, minus, i, j, same in pairs:
        if i in used_a or j in used_c:
            continue
        used_a.add(i)
        used_c.add(j)
        out.append((i, j, -minus, same))
    return out


def _one_typo(a: str, c: str) -> bool:
    return min(len(a), len(c)) >= ONE_TYPO_MIN and DamerauLevenshtein.distance(a, c, score_cutoff=1) == 1


def _spelling_weights(
    who: Author, c_words: Words, freq: RegisterFrequencies, m: Mapping[str, float]
) -> list[Weight] | None:
    a_words = who.words
    paired = _pair(a_words, c_words)
    if not paired:
        return None
    out: list[Weight] = []
    for i, j, sim, same in paired:
        a, written = a_words[i]
        c, shown = c_words[j]
        share, count = _word_share(freq, c)
        holders = f"{count} of {freq.customers} customers"
        if a.initial:
            out.append(weight(m, "name initial", GENERIC_U["name initial"], f"'{written}' is the initial of '{shown}'"))
        elif i in who.rejoined:
            # Two written words run together ("brac ci"): the space is one typo, a typo in the letters another.
            level = "name typo" if sim >= FORM else "name typos"
            u = GENERIC_U[level] + share
            out.append(weight(m, level, u, f"'{written}' ~ '{shown}', a space in the word ({sim:.0f})"))
        elif sim >= 100.0 and (a.word == c.word or not same):
            out.append(weight(m, "name exact", share, f"'{written}' = '{shown}' ({holders})"))
        elif sim >= FORM:
            out.append(weight(m, "name form", share, f"'{written}' is a form of '{shown}' ({holders})"))
        elif sim >= TYPO or _one_typo(a.word, c.word):
            u = GENERIC_U["name typo"] + share
            out.append(weight(m, "name typo", u, f"'{written}' ~ '{shown}', a typo ({sim:.0f})"))
        else:
            u = GENERIC_U["name typos"] + share
            out.append(weight(m, "name typos", u, f"'{written}' ~ '{shown}', typos ({sim:.0f})"))
    # Words on both sides left unpaired are two different words: the author gave a word where
    # the customer has another. A word only one side has (no family name given) says nothing.
    left_a = [w for k, (w, _) in enumerate(a_words) if k not in {i for i, _, _, _ in paired} and not w.initial]
    left_c = [w for k, (w, _) in enumerate(c_words) if k not in {j for _, j, _, _ in paired} and not w.initial]
    for _ in range(min(len(left_a), len(left_c))):
        out.append(weight(m, "name differs", GENERIC_U["name differs"], "a name word differs"))
    return out


def name_weights(
    authors: Sequence[Author], full_name: str, aliases: Sequence[str], freq: RegisterFrequencies, m: Mapping[str, float]
) -> list[Weight]:
    """The name evidence of the best-fitting author and spelling of the customer's name (most bits)."""
    best: list[Weight] | None = None
    best_bits = -math.inf
    spellings = [spelled(s) for s in (full_name, *aliases) if s]
    for who in authors:
        found: list[list[Weight]] = []
        handle = handle_match(who, full_name, aliases) if (aliases or len(who.words) <= 1) else None
        if handle is not None:
            found.append(_handle_weights(who, handle.coverage, handle.shown, freq, m))
        for c_words in spellings:
            if (w := _spelling_weights(who, c_words, freq, m)) is not None:
                found.append(w)
            # More words written than the customer has: perhaps a space typed inside one of them.
            for variant in joined_variants(who) if len(who.words) > len(c_words) else ():
                if (w := _spelling_weights(variant, c_words, freq, m)) is not None:
                    found.append(w)
        if not found and spellings and _signed(who):
            # Signed with a name of which no word fits: every word differs.
            n = min(len([w for w, _ in who.words if not w.initial]), len(spellings[0]))
            found.append(
                [weight(m, "name differs", GENERIC_U["name differs"], f"name '{who.text}' differs")] * max(1, n)
            )
        for option in found:
            bits = sum(w.bits(m) for w in option)
            if bits > best_bits:
                best, best_bits = option, bits
    return best or []


def _signed(who: Author) -> bool:
    """Whether the author wrote name words ("jare innis", «Олена»), not a user name ("kate_v88", "bargainhunter")."""
    return who.named or (len(who.words) >= 2 and not any(ch.isdigit() or ch in "_@" for ch in who.text))


def _handle_weights(
    who: Author, coverage: str, shown: str, freq: RegisterFrequencies, m: Mapping[str, float]
) -> list[Weight]:
    """A name run together or a user name: "nick" is the customer's own alias, the others are made from the name."""
    if coverage == "nick":
        # A user name is its owner's: someone else signing with it is about as rare as a phone number.
        return [weight(m, "handle", STRANGER_U["phone"], f"user name '{who.text}' is the customer's alias")]
    share = max(freq.share(w) for w in family_forms(shown)) if shown else 1.0
    out = [weight(m, "name exact", share, f"'{who.text}' holds the family name '{shown}'")]
    if coverage == "full":
        out.append(weight(m, "name exact", GENERIC_U["name initial"], f"'{who.text}' holds the given name"))
    elif coverage in ("initial", "handle"):
        out.append(weight(m, "name initial", GENERIC_U["name initial"], f"'{who.text}' holds the initial"))
    return out


def order_space(written: str) -> float:
    """1 / the number of values an order number's format allows ("AC-55120": 1 / (26² · 10⁵))."""
    digits = sum(ch.isdigit() for ch in written)
    letters = sum(ch.isalpha() for ch in written)
    return min(1.0, 10.0 ** (-digits) * 26.0 ** (-letters))


def identifier_weight(
    m: Mapping[str, float], kind: str, agrees: bool, holders: int, customers: int, shown: str
) -> Weight:
    """An order number, e-mail or phone: the customer's own (shared by `holders`), or the customer has others."""
    if agrees:
        u = holders * (STRANGER_U[kind] if kind in STRANGER_U else order_space(shown))
        extra = f", held by {holders} customers" if holders > 1 else ""
        return weight(m, f"{kind} agrees", u, f"{kind} {shown} matches exactly{extra}")
    return weight(m, f"{kind} differs", 1.0, f"{kind} {shown} is not this customer's")
