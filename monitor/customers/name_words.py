"""How alike two name words are (the word table of monitor.customers.name_match), and the
forms of a family name: Petrov/Petrova, Kovalskiy/Kovalskaya, Müller/Mueller."""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

from monitor.customers.keys import NameWord

__all__ = ["family_base", "family_forms", "feminine_forms", "spelling_variant", "word_similarity"]

_ENDINGS = (("tskaya", "tskiy"), ("skaya", "skiy"), ("skii", "skiy"), ("skyi", "skiy"), ("sky", "skiy"),
            ("ski", "skiy"), ("yova", "yov"), ("ova", "ov"), ("eva", "ev"), ("ina", "in"))  # fmt: skip
_VARIANT_DIGRAPHS = (("tsch", "ch"), ("sch", "sh"), ("kh", "h"), ("ck", "k"), ("ph", "f"), ("x", "ks"),
                     ("ue", "u"), ("oe", "o"), ("ae", "a"), ("yo", "e"), ("io", "e"), ("ie", "e"))  # fmt: skip
_VARIANT_LETTERS = str.maketrans("qyjw", "kiiv")
_DOUBLED = re.compile(r"(.)(?=\1)")


@lru_cache(maxsize=1 << 16)
def family_base(word: str) -> str:
    """The masculine form of a family name: Petrova → petrov, Kovalskaya → kovalskiy."""
    for ending, masculine in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            return word[: -len(ending)] + masculine
    return word


def feminine_forms(base: str) -> set[str]:
    """The other forms of a masculine family name: petrov → {petrova}; kovalskiy → {kovalskaya, kovalsky, …}."""
    return {base[: -len(m)] + f for f, m in _ENDINGS if base.endswith(m) and len(base) > len(m) + 2}


@lru_cache(maxsize=1 << 16)
def family_forms(word: str) -> tuple[str, ...]:
    """A family name in both genders, as the register's "name" keys hold them."""
    base = family_base(word)
    return tuple(sorted({word, base, *feminine_forms(base)}))


@lru_cache(maxsize=1 << 16)
def spelling_variant(word: str) -> str:
    """One name in different transliterations: Müller/Mueller, Kovalyova/Kovaleva, Fyodor/Fedor."""
    for digraph, replacement in _VARIANT_DIGRAPHS:
        word = word.replace(digraph, replacement)
    word = "ch".join(part.replace("c", "k") for part in word.translate(_VARIANT_LETTERS).split("ch"))
    return _DOUBLED.sub("", word)


def _vowel_class(word: str) -> str:
    """How a name starting with a vowel begins: "ya", "yu", "ye", "yo" for an iotated start (Я, Ю, Е, Ё
    in any spelling: ya/ja/ia), "y" for a bare "Y."/"J." initial, else the first letter."""
    first, second = word[:1], word[1:2]
    if first in "yji" and second and second in "aeou":
        return "y" + second
    return "y" if first in "yj" else first


def _initial_fits(a: NameWord, c: NameWord) -> bool:
    """Whether the initial `a` ("D.", «Ж.», "Yu.") can stand for the word `c`.

    Consonants meet by sound (Х./Kh./H.), but every vowel has the sound "a", so a vowel
    initial must start the same way: "I." is Ирина, not Елена; "E." or "Ye." is Елена
    (either spelling), "Yu." or "J." is Юлия.
    """
    if c.word.startswith(a.word):
        return True
    if c.head != a.head:
        return False
    if a.head != "a":
        return True
    x, y = _vowel_class(a.word), _vowel_class(c.word)
    return x == y or {x, y} == {"e", "ye"} or ("y" in (x, y) and x[:1] == y[:1] == "y")


# Name words repeat across cases (common given and family names): each pair is compared once.
@lru_cache(maxsize=1 << 18)
def word_similarity(a: NameWord, c: NameWord) -> tuple[float, bool]:
    """(similarity 0-100, whether they are two forms of one given name)."""
    if a.initial:
        return (100.0 if _initial_fits(a, c) else 0.0), False
    if c.initial:
        return 0.0, False
    if a.word == c.word:
        return 100.0, False
    if a.groups and c.groups:
        return (100.0, True) if a.groups & c.groups else (min(50.0, fuzz.ratio(a.word, c.word)), False)
    if not a.groups and not c.groups and (base := family_base(a.word)) == family_base(c.word):
        return (98.0 if base.endswith("skiy") and a.word[-1] != "a" and c.word[-1] != "a" else 60.0), False
    if spelling_variant(a.word) == spelling_variant(c.word):
        return 98.0, False
    ratio = fuzz.ratio(a.word, c.word)
    short, long = sorted((a.word, c.word), key=len)
    if long.startswith(short) and len(long) - len(short) >= 2:
        return min(ratio, 60.0), False  # Kirill/Kirillov, Ivan/Ivanova: a name and one made from it
    if set(a.sounds) & set(c.sounds):
        return max(ratio, 90.0), False
    by_sound = max((fuzz.ratio(x, y) for x in a.sounds for y in c.sounds), default=0.0) * 0.95
    return max(ratio, by_sound), False
