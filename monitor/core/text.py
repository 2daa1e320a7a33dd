"""Text folding shared by brand matching and customer-name matching.

Complaints name the same thing in many scripts and spellings: «Акме», «Акмэ»,
"Acme", "ACME", "Ակմե". Matching compares words after two steps:

1. fold: any script to lowercase ASCII with anyascii («Акме» → "akme",
   "Ակմե" → "akme", "Straße" → "strasse"). Before that, characters that change
   nothing for a reader are dropped: combining accents (stress marks in
   «Ла́сточка»), soft hyphens, zero-width and bidi control characters (which also
   hide a name from naive filters: «Ак\u200bме»), and apostrophes inside a word
   (Ukrainian «кур'єр», "Acme's", the "'" anyascii writes for ь and for Armenian
   aspirates). A word mixing Latin and Cyrillic lookalikes («Лаcточка» with a
   Latin c) is read in the script its other letters are in, and č š ž become
   ch sh zh (the scholarly spelling of ч ш ж, "Lastočka"). What is left is
   letters and digits only.

2. skeleton: transliteration schemes disagree on how to spell a sound, so the
   folded word is reduced to a key where the usual variants meet. In this order:
   tsch → ch and sch → sh (German), kh → h (Russian х), ck → k, ph → f, cz → ch
   and sz → sh (Polish), ow → u (anyascii writes Armenian ու as "ow"); then
   c/q → k, y/j → i, w → v, x → ks, with "ch" and "sh" kept whole (c → k must
   not turn «Ласточка» into "lastokhka"); then a doubled letter counts once
   ("Akkme" → "akme"). A skeleton is a comparison key, never shown to anyone.

A word is a run of letters and digits of any script (with the ignorable
characters above allowed inside it); everything else separates words, so
punctuation, emoji and symbols never reach a comparison. A run longer than 100
characters is not a word (base64, hashes, keyboard mashing; the longest
dictionary words are shorter) and is skipped.

Speed: anyascii is a Python loop over characters, slow when called word by
word. So the new words of a text are joined and folded in one pass of C-level
string operations (translate through a table filled from anyascii one character
at a time, NFC, regex substitutions), then split again; folded words are kept
in a bounded cache, because complaint texts repeat the same few thousand words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import accumulate
from typing import NamedTuple

from anyascii import anyascii

__all__ = ["Scan", "Token", "fold", "fold_word", "fold_words", "scan", "skeleton", "tokens", "word_key", "words"]

# Combining marks (accents, Cyrillic titlo, variation selectors): part of the letter before them.
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f\ufe00-\ufe0f"
# Soft hyphen, zero-width characters, bidi marks and embeddings, word joiner, BOM,
# and apostrophes (' ’ ʼ ʻ ` ´ and Armenian ՚): inside a word only when a letter follows,
# so that evidence shown as written does not end in an invisible character.
_INVISIBLE = "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_APOSTROPHES = "'\u2019\u02bc\u02bb`\u00b4\u055a"
_WORD = re.compile(rf"([^\W_](?:[^\W_]|[{_MARKS}]|[{_INVISIBLE}{_APOSTROPHES}]+(?=[^\W_]))*)")
_DROP = re.compile(rf"[{_MARKS}{_INVISIBLE}{_APOSTROPHES}]+")
_MAX_WORD = 100
# Separates words folded together in one pass; never part of a word.
_SEP = "\x00"
_NOT_ALNUM = re.compile(r"[^a-z0-9\x00]+")

# Letters with a caron are the scholarly and Czech/Baltic spelling of ч ш ж; anyascii would
# drop the caron ("Lastočka" → "lastocka") and lose the sound, so they become digraphs.
_OVERRIDES = {ord("č"): "ch", ord("Č"): "Ch", ord("š"): "sh", ord("Š"): "Sh", ord("ž"): "zh", ord("Ž"): "Zh"}
# Latin and Cyrillic letters that look alike. A word mixing the two scripts («Лаcточка»
# with a Latin c, "Acmе" with a Cyrillic е) is typed after a keyboard switch or written to
# dodge filters; the letters that only one script has decide how it is read.
_LOOKALIKE_LATIN = "aceopxyiABCEHKMOPTXYI"
_LOOKALIKE_CYRILLIC = "асеорхуіАВСЕНКМОРТХУІ"
_TO_CYRILLIC = str.maketrans(_LOOKALIKE_LATIN, _LOOKALIKE_CYRILLIC)
_TO_LATIN = str.maketrans(_LOOKALIKE_CYRILLIC, _LOOKALIKE_LATIN)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")
# A whole word (between separators) holding both a Latin and a Cyrillic letter.
_MIXED = re.compile(r"(?<![^\x00])(?=[^\x00]*[A-Za-z])(?=[^\x00]*[\u0400-\u04ff])[^\x00]+")

# Skeleton: digraphs first (ch and sh to the placeholders C and S, which no folded word
# contains, being lowercase, so that c → k cannot touch them), then single letters with a
# one-to-one table (the fast path of str.translate), then doubled letters.
_DIGRAPHS = (("tsch", "C"), ("sch", "S"), ("kh", "h"), ("ck", "k"), ("ph", "f"), ("ch", "C"),
             ("cz", "C"), ("sz", "S"), ("ow", "u"), ("x", "ks"))  # fmt: skip
_LETTERS = str.maketrans("cqyjw", "kkiiv")
# A letter followed by the same letter is deleted; an empty replacement keeps re.sub in C
# (a template such as r"\1" is expanded by Python code for every match in 3.11).
_DOUBLED = re.compile(r"([a-z])(?=\1)")

# word as written → (folded, key). Cleared when full rather than evicted one by one
# (cheaper, and the words of the next few texts refill it at once).
_CACHE_SIZE = 1 << 17
_cache: dict[str, tuple[str, str]] = {}


class _AsciiTable(dict[int, str]):
    """str.translate table: code point → anyascii of that one character, filled on first use."""

    def __missing__(self, codepoint: int) -> str:
        if len(self) > _CACHE_SIZE:
            self.clear()  # a text of every CJK character should not grow this without end
        value = self[codepoint] = _OVERRIDES.get(codepoint) or anyascii(chr(codepoint))
        return value


_ASCII = _AsciiTable()


class Scan(NamedTuple):
    """The words of a text as parallel lists: word i is words[i], written at text[starts[i]:ends[i]].

    Lists rather than a Token per word: on a 1 MB text building 150,000 small
    objects costs more than folding the words.
    """

    words: list[str]
    keys: list[str]
    starts: list[int]
    ends: list[int]


class Token(NamedTuple):
    """One word of a text: folded, its skeleton key, and where it was written (text[start:end])."""

    word: str
    key: str
    start: int
    end: int


def _unmix(word: str) -> str:
    """«ЛACTOЧKA» (Latin A C T O K) → «ЛАСТОЧКА», "Acmе" (Cyrillic е) → "Acme"."""
    cyrillic = sum(1 for ch in word if "\u0400" <= ch <= "\u04ff" and ch not in _LOOKALIKE_CYRILLIC)
    latin = sum(1 for ch in word if ch.isascii() and ch.isalpha() and ch not in _LOOKALIKE_LATIN)
    return word.translate(_TO_CYRILLIC if cyrillic >= latin else _TO_LATIN)


def _fold_joined(text: str) -> str:
    if _LATIN.search(text) and _CYRILLIC.search(text):
        text = _MIXED.sub(lambda m: _unmix(m.group()), text)
    # NFC first, so that "c" + combining caron is the letter č and a stress mark is one character.
    text = _DROP.sub("", unicodedata.normalize("NFC", text))
    return _NOT_ALNUM.sub("", text.translate(_ASCII).lower())


def _skeleton_joined(text: str) -> str:
    for digraph, replacement in _DIGRAPHS:
        text = text.replace(digraph, replacement)
    text = text.translate(_LETTERS).replace("C", "ch").replace("S", "sh")
    return _DOUBLED.sub("", text)


def _fold_and_key(written: list[str]) -> tuple[list[str], list[str]]:
    """(folded words, their keys) for words as written, through the cache."""
    known: dict[str, tuple[str, str]] = {}
    todo: list[str] = []
    for word in set(written):
        found = _cache.get(word)
        if found is None:
            todo.append(word)
        else:
            known[word] = found
    if todo:
        # The separator cannot be inside a word: the tokenizer never puts it there, and it is
        # removed from callers' words, so the splits below stay aligned with `todo`.
        folded = _fold_joined(_SEP.join(w.replace(_SEP, "") for w in todo))
        keys = _skeleton_joined(folded).split(_SEP)
        fresh = dict(zip(todo, zip(folded.split(_SEP), keys, strict=True), strict=True))
        known.update(fresh)
        if len(_cache) > _CACHE_SIZE:
            _cache.clear()
        _cache.update(fresh)
    pairs = [known[w] for w in written]
    return [f for f, _ in pairs], [k for _, k in pairs]


def fold_words(written: Iterable[str]) -> list[str]:
    """Each written word as lowercase ASCII letters and digits («Ла́сточка» → "lastochka").

    A word with no Latin rendering at all folds to "".
    """
    return _fold_and_key(list(written))[0]


def fold_word(word: str) -> str:
    """One written word folded: «Акмэ» → "akme", "Lastočka" → "lastochka"."""
    return _fold_and_key([word])[0][0]


def skeleton(word: str) -> str:
    """The comparison key of a folded word, where spelling variants meet.

    "acme", "akme", "akkme" → "akme"; "lastochka" stays "lastochka";
    "yandex" and "iandeks" → "iandeks". Expects fold_words() output.
    """
    return _skeleton_joined(word)


def word_key(word: str) -> str:
    """The key of one word as written: skeleton(fold_word(word)) («Акмэ», "ACME" → "akme")."""
    return _fold_and_key([word])[1][0]


def scan(text: str) -> Scan:
    """The words of `text`, their keys and positions, as parallel lists.

    One regex split gives words and the gaps between them; the offsets are the
    running sum of their lengths, which is cheaper than a match object per word.
    """
    parts = _WORD.split(text)
    if len(parts) == 1:
        return Scan([], [], [], [])
    offsets = list(accumulate(map(len, parts), initial=0))
    # parts alternate gap, word, gap, ..., word, gap.
    written, starts, ends = parts[1::2], offsets[1:-1:2], offsets[2::2]
    if max(map(len, written)) > _MAX_WORD:
        kept = [i for i, w in enumerate(written) if len(w) <= _MAX_WORD]
        written, starts, ends = [written[i] for i in kept], [starts[i] for i in kept], [ends[i] for i in kept]
    folded, keys = _fold_and_key(written)
    if "" in folded:  # a word with no Latin rendering
        kept = [i for i, w in enumerate(folded) if w]
        folded, keys = [folded[i] for i in kept], [keys[i] for i in kept]
        starts, ends = [starts[i] for i in kept], [ends[i] for i in kept]
    return Scan(folded, keys, starts, ends)


def tokens(text: str) -> list[Token]:
    """The words of `text` as Tokens: folded, key, and where they were written."""
    return list(map(Token, *scan(text)))


def words(text: str) -> list[str]:
    """The folded words of `text`, digits kept: "Заказ 7731-220 в Акме!" → ["zakaz", "7731", "220", "v", "akme"]."""
    written = [w for w in _WORD.findall(text) if len(w) <= _MAX_WORD]
    return [w for w in fold_words(written) if w]


def fold(text: str) -> str:
    """`text` as folded words joined by single spaces: the form to compare texts in.

    Punctuation, symbols and emoji are dropped because they differ between
    scripts and sites ("Acme's «shop» 😀" → "acmes shop").
    """
    return " ".join(words(text))
