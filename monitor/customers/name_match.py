"""Author names prepared for matching, and one-word authors read as handles.

`author()` splits an author string into name words once per case (monitor.customers.keys.name_word:
folded to ASCII, given names tied to their group, patronymics and initials marked); how two
words compare is monitor.customers.name_words.word_similarity, and what the comparison is
worth monitor.customers.weights.

A one-word author is also compared whole (`handle_match`): equal to an alias of the customer
that is a user name of its own ("vanya_p88") it is that customer's ("nick"); equal to the
name run together it is that name ("ivanpetrov" first + family, "ipetrov" initial + family).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

from monitor.core.text import scan, words
from monitor.customers.keys import NameWord, is_handle, name_word, pair_key
from monitor.customers.name_words import family_forms, spelling_variant

__all__ = [
    "COVERAGE_WEIGHT",
    "Author",
    "NameMatch",
    "author",
    "exact_pair_keys",
    "handle_match",
    "joined_variants",
    "spell_all",
    "spelled",
]

COVERAGE_WEIGHT = {
    "full": 0.92,  # first and family name, or a handle the register lists
    "patronymic": 0.70,  # first name and patronymic, no family name («Валерий Андреевич»)
    "initial": 0.66,  # family name and the first name's initial ("d.kuznetsov")
    "family": 0.55,  # the family name (or one name word) only
    "handle": 0.70,  # an alias that is a name word with digits ("klimova93")
    "relative": 0.40,  # the family name, but another first name
    "given": 0.35,  # the first name only (and perhaps the family's initial: «Марина К.»)
}
# A word of a name as people write it: capitalised letters (and - or '), or an initial "S."
_NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’-]*\.?$")
# What makes an author a user name rather than a person's name: digits, "_", "@", "a.b".
_HANDLE = re.compile(r"[\d_@]|\.\w")
Words = tuple[tuple[NameWord, str], ...]  # each name word with the word as written


@dataclass(frozen=True, slots=True)
class Author:
    """An author string prepared once per case: its name words and its handle form."""

    text: str
    words: Words
    joined: str  # all folded words run together: "vanyap88"
    named: bool  # signed with a person's name, not a nickname
    # Positions in `words` of a word made by joining two written ones ("brac ci" → bracci): `joined_variants`.
    rejoined: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class NameMatch:
    score: float  # what the name alone is worth (0-95)
    similarity: float  # S
    coverage: str  # a COVERAGE_WEIGHT key, "nick", or "none"
    clashes: bool  # the author gave a full name and not one word of it fits
    reasons: tuple[str, ...]
    # What makes this name rare enough to link on: (key kind, values) groups; the name is
    # shared when, for every group, another customer has one of the values (monitor.customers.candidates).
    rarity: tuple[tuple[str, tuple[str, ...]], ...] = ()
    shown: str = ""  # the rare part as written, for reasons ("Петров", "vanya_p88")

    @property
    def agrees(self) -> bool:
        return self.coverage in ("full", "nick")


# name → its words (spelled). Cleared when full rather than evicted one by one: the names of
# the next cases refill it at once.
_SPELLED_MAX = 1 << 16
_spelled: dict[str, Words] = {}


def spelled(text: str) -> Words:
    """The name words of `text` with each as written («Ваня», not "vanya"), for reasons."""
    found = _spelled.get(text)
    return found if found is not None else spell_all((text,))[text]


def spell_all(texts: Iterable[str]) -> dict[str, Words]:
    """The words of each name, those not seen yet split all in one scan (monitor.core.text).

    A case's candidates are mostly names never seen before; folding them together
    costs less than one by one (measured: about half, per name, at 8 names). The answer
    is returned, not only cached: the poller matches from several threads, and another
    thread may clear the cache between a caller's split and its read.
    """
    out: dict[str, Words] = {}
    todo = []
    for text in dict.fromkeys(texts):
        found = _spelled.get(text)
        if found is None:
            todo.append(text)
        else:
            out[text] = found
    if not todo:
        return out
    if len(_spelled) + len(todo) > _SPELLED_MAX:
        _spelled.clear()
    # A line break is never part of a word, so no word runs from one name into the next.
    folded, _, starts, ends = scan("\n".join(todo))
    t = 0
    offset = 0
    for text in todo:
        end = offset + len(text)
        found: list[tuple[str, int, int]] = []
        while t < len(starts) and starts[t] < end:
            if len(found) < 4:
                found.append((folded[t], starts[t] - offset, ends[t] - offset))
            t += 1
        parts = []
        for i, (word, start, stop) in enumerate(found):
            name = name_word(word, i, len(found))
            if name is not None and (name.sounds or name.initial):
                parts.append((name, text[start:stop]))
        out[text] = _spelled[text] = tuple(parts)
        offset = end + 1
    return out


def author(text: str) -> Author:
    parts = spelled(text)
    full = [w for w, _ in parts if not w.initial]
    written = text.split()
    handle = bool(_HANDLE.search(text))
    capitalised = 0 < len(written) <= 4 and all(_NAME_WORD.match(w) and w[0].isupper() for w in written)
    named = bool(full) and not handle and (capitalised or any(w.groups for w in full))
    return Author(text, parts, "".join(words(text)), named)


@lru_cache(maxsize=1 << 14)
def joined_variants(who: Author) -> tuple[Author, ...]:
    """The author with one space taken out between two adjacent name words: "blake brac ci" → "blake bracci".

    A space typed inside a word ("andr ew renfrey", «Ива нов») splits it into two that each fit
    nothing; run together they are the word. One variant per adjacent pair of whole words; the
    joined word is marked so that it weighs as a typo (monitor.customers.weights), not as written.
    """
    if who.rejoined or len(who.words) < 2:
        return ()
    out = []
    for k in range(len(who.words) - 1):
        (x, x_written), (y, y_written) = who.words[k], who.words[k + 1]
        if x.initial or y.initial:
            continue
        word = name_word(x.word + y.word, k, len(who.words) - 1)
        if word is None:
            continue
        parts = (*who.words[:k], (word, f"{x_written} {y_written}"), *who.words[k + 2 :])
        out.append(Author(who.text, parts, who.joined, who.named, frozenset((k,))))
    return tuple(out)


def exact_pair_keys(parts: Sequence[NameWord]) -> set[str]:
    """The "sound" keys of a name's word pairs as written (no typo variants)."""
    full = [w for w in parts if not w.initial]
    return {pair_key(x, y) for a, b in combinations(full, 2) for x in a.sounds for y in b.sounds}


@lru_cache(maxsize=1 << 14)
def _nicks(full_name: str, aliases: tuple[str, ...]) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """A one-word handle → (what it matches, coverage, the family words in it).

    The name run together is that name: given+family ("ivanpetrov") "full",
    initial+family ("ipetrov", also an alias "i.petrov") "initial", one name word
    ("petrov") "family". An alias that is a user name of its own ("vanya_p88") is
    "nick", a full match; an alias that is a name word with digits ("klimova93") is
    "handle", a suggestion: another Klimova born in 93 may use it too.
    """
    plain = [w for w, _ in spelled(full_name) if not w.initial and not w.patronymic]
    nicks: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for given in [w for w in plain if w.groups] or plain:
        for family in (w for w in plain if w is not given):
            g, f, found = given.word, family.word, (family.word,)
            for handle, coverage in ((g + f, "full"), (f + g, "full"), (g[:1] + f, "initial"), (f + g[:1], "initial")):
                nicks.setdefault(handle, (full_name, coverage, found))
    for word in plain:
        nicks.setdefault(word.word, (full_name, "family", (word.word,)))
    # Made from the name in another transliteration ("fyodorov66" for «Фёдоров»).
    # Made only when an alias is a user name (most customers have none): each handle's variant is a new string.
    spellings: dict[str, tuple[str, str, tuple[str, ...]]] | None = None
    for alias in aliases:
        joined = "".join(words(alias))
        if not is_handle(alias) or joined in nicks:
            continue
        if spellings is None:  # before any alias is added, as if made before the loop
            spellings = {spelling_variant(handle): found for handle, found in nicks.items()}
        derived = spellings.get(spelling_variant(joined.rstrip("0123456789")))
        nicks[joined] = (alias, "handle", derived[2]) if derived else (alias, "nick", ())
    return nicks


def _nick_match(who: Author, nicks: dict[str, tuple[str, str, tuple[str, ...]]]) -> NameMatch | None:
    bare = "".join(ch for ch in who.joined if not ch.isdigit())
    found = nicks.get(who.joined) or nicks.get(bare)
    if found is None or not who.joined:
        return None
    shown, coverage, family = found
    if coverage in ("nick", "handle"):
        reason = f"nickname '{who.text}' matches '{shown}'"
        score = COVERAGE_WEIGHT["full" if coverage == "nick" else "handle"] * 100
        return NameMatch(score, 100.0, coverage, False, (reason,), (("nick", (who.joined,)),), shown)
    # "ivanpetrov": the name run together; only a single word, else the words say more.
    if len(who.words) > 1:
        return None
    reason = f"nickname '{who.text}' ~ '{shown}'"
    rarity = tuple(("name", family_forms(f)) for f in family)
    return NameMatch(COVERAGE_WEIGHT[coverage] * 100, 100.0, coverage, False, (reason,), rarity, family[0])


def handle_match(who: Author, full_name: str, aliases: Sequence[str]) -> NameMatch | None:
    """A one-word author (or any author, against the customer's user-name aliases) read as a handle:
    "ivanpetrov", "i.petrov", "vanya_p88"; None when it is not one of the customer's."""
    if not aliases and len(who.words) > 1:
        return None
    return _nick_match(who, _nicks(full_name, tuple(aliases)))
