"""The spellings a brand is found in (rules 2 and 4 of monitor.cases.brands): each word of a name
with its case endings, each domain in its Unicode and punycode spelling."""

from __future__ import annotations

import contextlib
import re

from monitor.core.text import skeleton, tokens

__all__ = ["MIN_INFLECTED", "SLAVIC", "VOWELS", "domain_spellings", "host_start", "name_words", "word_forms"]

# Name words shorter than this (letters as written) are matched exactly only.
MIN_INFLECTED = 4
# Case endings on the stem, as skeletons (ы/і/и/й → i, я → ia, ю → iu, х → h).
# ru: а и ы е у о ой ою ей ею ом ем ов ев ам ям ами ями ах ях я ю;
# uk adds ові еві and the vocative о; be adds ай аю.
SLAVIC = (
    "a", "i", "e", "u", "o", "oi", "oiu", "ei", "eiu", "ai", "aiu", "om", "em", "ov", "ev",
    "ovi", "evi", "am", "iam", "ami", "iami", "ah", "iah", "ia", "iu",
)  # fmt: skip
# Endings on the whole name: Armenian -ի -ից -ով -ում -ին -ն (with the glide յ
# after a vowel: -յից, -յով, -յում) and the German/English genitive -s.
ARMENIAN = ("i", "its", "ov", "iov", "um", "ium", "in", "n", "s")
# Stem-final consonants that soften before -е/-і in the dative and locative:
# к → ц (Ластівка → Ластівці, Ластаўка → Ластаўцы), г → з, х → с.
SOFTENED = {"k": "ts", "g": "z", "h": "s"}
VOWELS = frozenset("aeiou")
# The longest host name DNS allows: how far back "www." and other subdomains are looked for.
MAX_HOST = 253


def name_words(phrase: str) -> list[tuple[str, int, str]]:
    """(key, letters as written, folded word) for each word of a configured name or phrase."""
    return [(t.key, sum(ch.isalnum() for ch in phrase[t.start : t.end]), t.word) for t in tokens(phrase)]


def word_forms(key: str, letters: int) -> dict[str, bool]:
    """Every form of one name word: itself (exact) and its inflections."""
    forms = {key: True}
    if letters < MIN_INFLECTED or not key[-1].isalpha():
        return forms
    stem = key[:-1] if key[-1] in VOWELS else key
    for ending in SLAVIC:
        forms.setdefault(skeleton(stem + ending), False)
    if stem[-1] in SOFTENED:
        soft = stem[:-1] + SOFTENED[stem[-1]]
        for ending in ("e", "i"):
            forms.setdefault(skeleton(soft + ending), False)
    for ending in ARMENIAN:
        forms.setdefault(skeleton(key + ending), False)
    return forms


def domain_spellings(domain: str) -> set[str]:
    """A configured domain, normalised, in its Unicode and its punycode spelling."""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", domain.strip().lower()).split("/")[0].strip(".")
    host = host.removeprefix("www.")
    if not host:
        return set()
    spellings = {host}
    for convert in (lambda h: h.encode("idna").decode(), lambda h: h.encode().decode("idna")):
        with contextlib.suppress(UnicodeError):  # not an IDN, or not a valid one: the plain spelling will do
            spellings.add(convert(host).lower())
    return spellings


def host_start(text: str, start: int) -> int:
    """Where the host name around a domain found at `start` begins: "www." and other subdomains."""
    floor = max(0, start - MAX_HOST)
    i = start
    while i > floor and (text[i - 1].isalnum() or text[i - 1] in ".-"):
        i -= 1
    if i == floor and i > 0 and (text[i - 1].isalnum() or text[i - 1] in ".-"):
        i = text.index(".", i, start) + 1  # cut inside a label: show whole labels only
    while i < start and text[i] in ".-":
        i += 1
    return i
