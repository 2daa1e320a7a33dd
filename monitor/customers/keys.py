"""The register's blocking index: the keys a customer is filed under, and the keys a mention looks up.

Finding a complaint's customer must not scan the register (a million names cost
seconds to compare one by one), so every customer is filed under a few short keys
(`CustomerKey` rows, an index on brand, kind, value) and a mention looks up only
the keys its own evidence produces. The same functions make both sides, so a key
written at import is exactly the key asked for at lookup.

Kinds, with what a customer "Петров Иван Сергеевич", ivan.petrov@mail.example,
8 912 345-67-89, order 7731-220, alias "vanya_p" is filed under:

  email    the address, lower-case                      ivan.petrov@mail.example
  phone    E.164 (phonenumbers, brand country default)   +79123456789
  order    letters and digits, upper-case                7731220
  name     each folded word, and its given-name group     petrov, ivan, sergeevich
  nick     a name written as one word: an alias as        vanyap, ivanpetrov, ipetrov
           written, given+family, initial+family
  initial  initial of a given name . sound of another     a.ptrv ("I. Petrov", "Petrov I.")
  sound    two name words by sound, in alphabetical       avn|ptrv, avn|ptr, avn|trv, ...
           order; the word that is not a known given
           name also with one letter deleted

`sound(word)` is where spelling variants meet (rules of this module, not
monitor.core.text, because they are stored): zh, sh/sch/shch, ch/tsch as one letter
each, ts/tz/z together, c/q/ck = k, x = ks, h = g = kh (Ukrainian Г, Russian Х,
German H), f = v = w = ph, y = j = i, vowels dropped after the first letter (any
first vowel is "a"), doubled letters once: Petrov/Petrof/Petrova → "ptrv",
Jürgen/Juergen/Юрген → "argn", Гончаренко/Honcharenko → "gnCrnk",
Alexander/Aleksandr/Олександр → "alksndr".
A given name listed in monitor.customers.given_names stands for its group (Ваня, Vanya → ivan).

A pair key holds its two sounds in alphabetical order, so "Петров Иван" and "Ivan
Petrov" meet on one key ("avn|ptrv").

Typos: a pair key is also filed with each one-letter deletion of a word that is not a
known given name (the family name, a patronymic-less unknown first name, a pet name
the table does not know), and a lookup asks for the deletions of its own words, so a
single insertion, deletion, substitution or swap in that word still meets (the
symmetric-deletion idea of SymSpell, over a pair so that the block stays small).
A known given name's typos are met at lookup instead: an author's word that is not a
known given name is also tried as every known given name within one such typo of it
("Svetlama" → svetlana), from a deletion index of the table's hundred-odd sounds held
in memory. That meets the same customers without filing each customer's given name
in every misspelling (measured: a third of all keys). Given name + patronymic is filed
without typo variants: people sign so («Валерий Андреевич»), but a mistyped
patronymic alone is not worth four keys per customer.

Changing any rule here changes the keys: existing registers must then be re-indexed
(`replywatch customers reindex`, monitor.customers.register.reindex_customers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import phonenumbers

from monitor.core.text import words
from monitor.customers.given_names import given_forms, groups_of

__all__ = [
    "KEY_MAX",
    "NameWord",
    "customer_keys",
    "given_groups",
    "given_name_typos",
    "is_e164",
    "is_handle",
    "lookup_keys",
    "name_word",
    "name_words",
    "normalise_email",
    "normalise_order",
    "normalise_phone",
    "pair_key",
    "sound",
    "spelling",
]

KEY_MAX = 200  # CustomerKey.value
# Words of a name used for keys: "Петров Иван Сергеевич" has three; longer strings are
# usually not a person's name (a company, a note), and would only add noise.
MAX_NAME_WORDS = 4

_EMAIL = re.compile(r"^[\w.%+'-]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]+")
_DIGITS = re.compile(r"\d+")
# These rules are this module's own (not monitor.core.text.skeleton): the keys they make are
# stored, so they change only together with a re-import of every register.
_SPELLING_DIGRAPHS = (("tsch", "ch"), ("sch", "sh"), ("kh", "h"), ("ck", "k"), ("ph", "f"), ("x", "ks"))
_SPELLING_LETTERS = str.maketrans("qyjw", "kiiv")
_SOUND_DIGRAPHS = (("shch", "S"), ("tsch", "C"), ("sch", "S"), ("zh", "J"), ("sh", "S"), ("ch", "C"), ("kh", "g"),
                   ("ck", "k"), ("ph", "v"), ("tz", "z"), ("ts", "z"), ("x", "ks"))  # fmt: skip
_SOUND_LETTERS = str.maketrans("cqhfwyj", "kkgvvii", "")
_VOWELS = str.maketrans("", "", "aeiou")
_DOUBLED = re.compile(r"(.)(?=\1)")
# Russian, Ukrainian and Belarusian patronymics, folded ("Сергеевич", "Іванівна", "Ільініч").
_PATRONYMIC = re.compile(r"(?:ovich|evich|ovych|evych|ovna|evna|ivna|ichna|inich|ich)$")
# One- and two-letter initials: "D.", "Zh.", «Ю.» ("yu").
_INITIAL = re.compile(r"^(?:[a-z]|zh|sh|ch|kh|ts|ye|yu|ya|yo|iu|ia)$")


def normalise_email(text: str) -> str | None:
    """The address lower-cased, or None when it is not one (no "@", no dot in the domain, spaces)."""
    text = text.strip().strip("<>").lower()
    return text if _EMAIL.match(text) and len(text) <= KEY_MAX else None


def normalise_phone(text: str, region: str | None) -> str | None:
    """E.164 ("+79123456789") of a number phonenumbers calls valid, else None.

    A number without a country code is read in `region` (the brand's country); without
    a region only "+..." numbers can be read.
    """
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_e164(text: str) -> bool:
    return bool(_E164.match(text))


def normalise_order(text: str) -> str:
    """Order numbers compare by letters and digits only: "ac-55120", "AC 55120" → "AC55120"."""
    return _NOT_ALNUM.sub("", text).upper()


def spelling(word: str) -> str:
    """A folded word with the usual transliteration variants met (vanja/vanya → "vania"); vowels kept."""
    for digraph, replacement in _SPELLING_DIGRAPHS:
        word = word.replace(digraph, replacement)
    word = word.translate(_SPELLING_LETTERS)
    word = "ch".join(part.replace("c", "k") for part in word.split("ch"))
    return _DOUBLED.sub("", word)


@lru_cache(maxsize=1 << 17)
def sound(word: str) -> str:
    """The sound key of a folded word (see the module docstring); "" for a word with no letters."""
    s = _DIGITS.sub("", word)
    for digraph, replacement in _SOUND_DIGRAPHS:
        s = s.replace(digraph, replacement)
    s = s.translate(_SOUND_LETTERS)
    if not s:
        return ""
    # Any first vowel is "a": Ivan/Yvan, Elena/Alena/Olena, Yevgeny/Evgeny keep one key.
    first = "a" if s[0] in "aeiou" else s[0]
    return _DOUBLED.sub("", first + s[1:].translate(_VOWELS))


@lru_cache(maxsize=1)
def _groups_by_spelling() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for form, groups in given_forms().items():
        index.setdefault(spelling(form), set()).update(groups)
    return {key: frozenset(groups) for key, groups in index.items()}


# name_word is cached per word and place in the name; a word seen at another place (a family name first
# or last) asks again, and spelling() of a word not in the table is most of name_word's time.
@lru_cache(maxsize=1 << 16)
def given_groups(folded: str) -> frozenset[str]:
    """The given-name groups of a folded word, as written or in another transliteration ("vanja")."""
    return groups_of(folded) or _groups_by_spelling().get(spelling(folded), frozenset())


@dataclass(frozen=True, slots=True)
class NameWord:
    """One word of a person's name, with what matching needs to know about it."""

    word: str  # folded, digits removed
    groups: frozenset[str]  # given-name groups ("vanya" → {"ivan"}); empty for other words
    sounds: tuple[str, ...]  # the sound of each group, else of the word itself
    initial: bool  # "D." / "Zh.": stands for a word starting so
    patronymic: bool

    def __hash__(self) -> int:
        # Name words are dictionary keys on the matching path (monitor.customers.name_match caches pairs
        # of them): the word's own cached hash, not a tuple of every field built each time.
        # Equal words have equal text, so this agrees with the generated __eq__.
        return hash(self.word)

    @property
    def head(self) -> str:
        """The first sound letter, what an initial of this word looks like."""
        return self.sounds[0][:1] if self.sounds else ""


@lru_cache(maxsize=1 << 16)
def name_word(word: str, position: int, count: int) -> NameWord | None:
    """One folded word at `position` of a name of `count` words; None when nothing of it is left."""
    folded = _DIGITS.sub("", word)
    if not folded:
        return None
    if _INITIAL.match(folded):
        return NameWord(folded, frozenset(), (sound(folded)[:1],), True, False)
    groups = given_groups(folded)
    sounds = tuple(sorted({sound(g) for g in groups})) if groups else (sound(folded),)
    # A patronymic stands after the given name: "Иван Сергеевич", "Петров Иван Сергеевич".
    patronymic = position > 0 and count >= 2 and not groups and bool(_PATRONYMIC.search(folded)) and len(folded) > 5
    return NameWord(folded, groups, tuple(s for s in sounds if s), False, patronymic)


def name_words(text: str) -> list[NameWord]:
    """The words of a name or nickname: "d.kuznetsov" → [d (initial), kuznetsov]; «Ваня Петров» → [vanya {ivan}, petrov]."""
    raw = words(text)[:MAX_NAME_WORDS]
    out = [name_word(w, i, len(raw)) for i, w in enumerate(raw)]
    return [w for w in out if w is not None and (w.sounds or w.initial)]


def _deletions(s: str) -> tuple[str, ...]:
    # Keys of two letters or fewer would be shared by half the register.
    if len(s) <= 2:
        return ()
    return tuple({s[:i] + s[i + 1 :] for i in range(len(s))})


def pair_key(x: str, y: str) -> str:
    """The key of two sounds, in either order: "avn|ptrv"."""
    return f"{x}|{y}" if x <= y else f"{y}|{x}"


# Names repeat (every Ivan Petrov has the same keys), so the keys of a pair are cached.
@lru_cache(maxsize=1 << 16)
def _sound_pair_keys(
    xs: tuple[str, ...], ys: tuple[str, ...], typos_x: bool, typos_y: bool
) -> frozenset[tuple[str, str]]:
    keys: set[str] = set()
    for x in xs:
        for y in ys:
            keys.add(pair_key(x, y))
            if typos_y:
                keys.update(pair_key(x, d) for d in _deletions(y))
            if typos_x:
                keys.update(pair_key(y, d) for d in _deletions(x))
    return frozenset(("sound", k) for k in keys)


def _pair_keys(a: NameWord, b: NameWord, *, typos: bool = True) -> frozenset[tuple[str, str]]:
    """A customer's keys for two words: typo variants of each word that is not a known given name."""
    return _sound_pair_keys(a.sounds, b.sounds, typos and not a.groups, typos and not b.groups)


@lru_cache(maxsize=1)
def _given_sounds_by_deletion() -> dict[str, frozenset[str]]:
    """Each known given name's sound, and each of its one-letter deletions → those sounds."""
    index: dict[str, set[str]] = {}
    for groups in given_forms().values():
        for group in groups:
            if g := sound(group):
                for key in (g, *_deletions(g)):
                    index.setdefault(key, set()).add(g)
    return {key: frozenset(sounds) for key, sounds in index.items()}


def given_name_typos(parts: Sequence[NameWord]) -> tuple[set[str], list[frozenset[str]]]:
    """The "sound" keys that meet customers whose known given name the author mistyped.

    The customer filed the name without typo variants, so the author's word w (not a
    known given name) is tried as every known given name g one typo away, meeting
    exactly the customers the filed variants would have met:

    - g one letter longer than w (w is a deletion of g: «Анрей» for Андрей) is as good
      as the name written, like a family name one letter short;
    - for each deletion d of w, the names g with d among {g and its deletions} form one
      block with the pair key of d itself, and a block of more than BLOCK_MAX customers
      in all says nothing, as one such filed key would not (monitor.customers.candidates).

    Returns (keys as good as written, blocks).
    """
    index = _given_sounds_by_deletion()
    close: set[str] = set()
    blocks: list[frozenset[str]] = []
    full = [w for w in parts if not w.initial]
    for a, b in combinations(full, 2):
        for typo, other in ((a, b), (b, a)):
            if typo.groups:
                continue
            for s in typo.sounds:
                for y in other.sounds:
                    close.update(pair_key(g, y) for g in index.get(s, ()) if g != s)
                    for d in _deletions(s):
                        if d in index:
                            blocks.append(frozenset({pair_key(d, y), *(pair_key(g, y) for g in index[d])}))
    return close, blocks


def _initial_keys(a: NameWord, b: NameWord) -> set[str]:
    """'Petrov I.' and 'I. Petrov' meet a customer Ivan Petrov: the initial is of a given name."""
    keys: set[str] = set()
    for given, other in ((a, b), (b, a)):
        if given.groups or not other.groups:  # the other word is not a known given name: it may be the family
            heads = {s[:1] for s in given.sounds} | {sound(given.word)[:1]}
            keys.update(f"{h}.{o}" for h in heads for o in other.sounds if len(o) > 2)
    return keys


def is_handle(alias: str) -> bool:
    """An alias that is a user name ("vanya_p88", "ivanpetrov"), not a pet name ("Vanya") nor a full name."""
    if len(alias.split()) != 1 or not words(alias):
        return False
    parts = name_words(alias)
    return not (len(parts) == 1 and parts[0].groups and not any(ch.isdigit() for ch in alias))


def customer_keys(
    *, full_name: str, names: Iterable[str], emails: Iterable[str], phones: Iterable[str], orders: Iterable[str]
) -> set[tuple[str, str]]:
    """Every (kind, value) a customer is filed under; identifiers must already be normalised."""
    keys: set[tuple[str, str]] = set(_name_keys(full_name, tuple(names)))
    keys.update(("email", e) for e in emails)
    keys.update(("phone", p) for p in phones)
    keys.update(("order", normalise_order(o)) for o in orders if normalise_order(o))
    return {(kind, value) for kind, value in keys if value and len(value) <= KEY_MAX}


# A register repeats names (every Ivan Petrov files the same name keys). Measured on a
# 20,000-customer import: building them was a third of the import's CPU time.
@lru_cache(maxsize=1 << 16)
def _name_keys(full_name: str, names: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    primary = name_words(full_name)
    spellings = [primary]
    known = {s for w in primary for s in w.sounds}
    family = [w for w in primary if not w.groups and not w.patronymic and not w.initial]
    for alias in names:
        alias_words = name_words(alias)
        if is_handle(alias):
            keys.add(("nick", "".join(words(alias))))  # "vanya_p88" as one word
        if len(alias_words) >= 2:
            spellings.append(alias_words)
        elif alias_words and not alias_words[0].initial and not set(alias_words[0].sounds) & known:
            # A pet name the table does not know ("Zhorik"): filed with the family name.
            spellings.extend([alias_words[0], f] for f in family[:1])
    for spelling in spellings:
        full = [w for w in spelling if not w.initial]
        for w in full:
            keys.add(("name", w.word))
            keys.update(("name", g) for g in w.groups)
        for a, b in combinations(full, 2):
            if not (a.patronymic or b.patronymic):
                keys |= _pair_keys(a, b)
                keys.update(("initial", k) for k in _initial_keys(a, b))
            elif (other := b if a.patronymic else a).groups and not other.patronymic:
                # Given + patronymic is how people sign («Валерий Андреевич»); family + patronymic is not.
                keys |= _pair_keys(a, b, typos=False)
    plain = [w for w in primary if not w.initial and not w.patronymic]
    if len(plain) >= 2:
        given = next((w for w in plain if w.groups), plain[0])
        for other in (w for w in plain if w is not given):
            keys.add(("nick", given.word + other.word))
            keys.add(("nick", given.word[:1] + other.word))
    return frozenset(keys)


def lookup_keys(author: str) -> set[tuple[str, str]]:
    """The (kind, value) pairs to look up for a mention's author (a name or a nickname)."""
    keys: set[tuple[str, str]] = set()
    folded = words(author)
    if not folded:
        return keys
    joined = "".join(folded)
    keys.add(("nick", joined))
    keys.add(("nick", _DIGITS.sub("", joined)))
    if len(folded) == 2:
        # "Петров Иван" meets the customer filed as "ivanpetrov" too: among many namesakes and
        # near namesakes sharing a pair key, that ranks the exact ones first (monitor.customers.candidates).
        keys.add(("nick", folded[1] + folded[0]))
    parts = name_words(author)
    full = [w for w in parts if not w.initial]
    for a, b in combinations(full, 2):
        # Every word's typo variants: the customer's word may be one that is filed with them.
        keys |= _sound_pair_keys(a.sounds, b.sounds, True, True)
    # A known given name the author mistyped: the customer filed it without typo variants.
    close, blocks = given_name_typos(parts)
    keys.update(("sound", k) for k in close.union(*blocks))
    initials = [w for w in parts if w.initial]
    for i in initials:
        keys.update(("initial", f"{i.head}.{o}") for w in full for o in w.sounds)
    return {(kind, value) for kind, value in keys if value and len(value) <= KEY_MAX}
