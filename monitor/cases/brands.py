"""Brand matching: which of the watched brands a mention is about.

`BrandMatcher(brands).match(text, source_brand=...)` returns one `BrandHit` per
brand the mention names, best first. An empty list means the mention names no
brand: the caller keeps it and lists it as unassigned, it is never dropped.

Words are compared by their key (monitor.core.text: folded to ASCII, then reduced
to a skeleton), so case, script and transliteration do not matter: «Акме»,
«Акмэ», "ACME", "Akme" and "Ակմե" all have the key "akme".

Rules, in order; for each brand the first rule that fires decides the hit:

1. source (score 1.0). The source is fixed to a brand in sources.yaml
   (`brand: acme`): that brand comes first whatever the text says; its evidence
   is the brand's best match in the text, or "" when the text does not name it.
   Other brands the text names follow.

2. domain (1.0). One of the brand's domains written as a host name:
   "acme.example", "www.acme.example", "https://shop.acme.example/cart",
   "support@acme.example", "ACME.example." at the end of a sentence. Not
   "notacme.example" nor "acme.example.org" (another site). An internationalised
   domain is found in both spellings ("акме.рф" and "xn--80akoi.xn--p1ai").

3. name (1.0). A name, alias or display name, word for word: "Acme" in "Acme
   chat says wait", «Акме» in «Больше в Акме ни ногой», "Ակմե" in
   "Շնորհակալություն, Ակմե". Word-bounded, so "Acme" does not fire in
   "acmeist", nor «Акме» in «Аккредитация». A name of several words matches
   when its words follow each other, joined by spaces, hyphens, quotes or "&"
   ("Сеть Плюс" matches «Сеть-Плюс»), or by one of . / : @ with no space (as
   in a web address), never across the end of a sentence or a line.

4. inflected (0.9). A word of the name with a case ending of Russian,
   Ukrainian, Belarusian or Armenian: «Акмы», «Акмой», «Ласточке», «Ласточкой»,
   «Ластівці», «Ластаўцы», «Լաստոչկայից», «Ակմեի»; also "Acme's" and "Acmes".
   The forms are generated once, from a closed list of endings (brand_forms.SLAVIC on the
   stem, the name without its final vowel; ARMENIAN on the whole name; к/г/х →
   ц/з/с before -е/-и as in «Ластаўцы»), and looked up in a dictionary. Only
   those exact forms fire, never a prefix, so «Акмеисты», "acmeist" or the
   surname «Ласточкин» do not. A form that is some brand's name as written is
   kept for that brand only. Words shorter than 4 letters are never inflected:
   a short name needs an exact match.

5. fuzzy (0.72-0.81). One typo (an insertion, deletion, substitution or swap of
   neighbours: rapidfuzz OSA distance 1, in the folded spelling or in the key) in
   a name of at least 5 letters: "Lastocka", «Ластчка», "Lastochak"; for a
   one-word name also in its stem before a case ending from rule 4: «в Ластачке».
   The typo must lie in the stem, not in the ending, so the surname «Ласточкин»
   (two letters from "lastochka") stays out. Word n-grams of the name's length
   are compared, only for brands that nothing above matched, and the first
   letter must be right: typos there are rare, and this keeps the Belarusian
   «дастаўка» (delivery) off «Ластаўка». Score: 0.9 × normalised similarity.

6. exclusions. Each phrase of BrandConfig.exclude is matched like a name (folded,
   inflected). A hit whose evidence lies inside an excluded phrase is dropped,
   whatever its rule (except source). The matcher cannot know what a text is
   about: a brand called «Ласточка» also matches a text about swallows («ласточка
   свила гнездо»); list such phrases in `exclude` («ласточка свила», «ласточкино
   гнездо»). A brand with other occurrences outside the excluded phrases still
   matches.

Among brands, hits are ordered by rule (in the order above), then score, then
where the evidence starts in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from monitor.cases.brand_forms import SLAVIC, VOWELS, domain_spellings, host_start, name_words, word_forms
from monitor.config import BrandConfig
from monitor.core.text import Scan, scan

__all__ = ["RULES", "BrandHit", "BrandMatcher"]

RULES = ("source", "domain", "name", "inflected", "fuzzy")
_RANK = {rule: i for i, rule in enumerate(RULES)}
_INFLECTED_SCORE = 0.9
_FUZZY_FACTOR = 0.9
# Names shorter than this (letters as written) get no fuzzy match.
_MIN_FUZZY = 5
# What may separate the words of a several-word name: up to three spaces, hyphens, quotes
# or &, or one character of a web address ("acme.example/cartoons" in an exclusion).
_JOINER = re.compile(r"[\s\-\u2010-\u2015_&+'\"\u2019\u00ab\u00bb\u201e\u201c\u201d]{1,3}|[./:@]")
_LINE_BREAK = re.compile(r"[\n\r\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class BrandHit:
    """A brand a mention names: brand key, the rule that fired, the words as written, 0-1."""

    brand: str
    rule: str
    evidence: str
    score: float


@dataclass(frozen=True, slots=True)
class _Phrase:
    """A compiled name or exclusion: per word, its forms (key → True when exact)."""

    brand: int
    words: tuple[Mapping[str, bool], ...]


@dataclass(frozen=True, slots=True)
class _Found:
    brand: int
    rule: str
    start: int
    end: int
    score: float

    def order(self) -> tuple[int, float, int]:
        return (_RANK[self.rule], -self.score, self.start)


def _index(phrases: Iterable[_Phrase]) -> dict[str, list[tuple[_Phrase, bool]]]:
    index: dict[str, list[tuple[_Phrase, bool]]] = {}
    for phrase in phrases:
        for form, exact in phrase.words[0].items():
            index.setdefault(form, []).append((phrase, exact))
    return index


class BrandMatcher:
    """Finds the watched brands a text names; built once per config, then shared (read-only)."""

    def __init__(self, brands: Sequence[BrandConfig]) -> None:
        self._keys = [b.key for b in brands]
        self._position = {key: i for i, key in enumerate(self._keys)}
        names: list[_Phrase] = []
        exclusions: list[_Phrase] = []
        # Fuzzy targets, by first letter of the key: (brand, joined keys, joined folded words,
        # word count) and (brand, stem key).
        self._fuzzy_plain: dict[str, set[tuple[int, str, str, int]]] = {}
        self._fuzzy_stems: dict[str, set[tuple[int, str]]] = {}
        domains: dict[str, int] = {}
        # Brands with exclusions: every occurrence counts, as any may lie outside the excluded phrases.
        self._excluding: set[int] = set()
        for i, brand in enumerate(brands):
            compiled: set[tuple[str, ...]] = set()
            for name in dict.fromkeys([brand.name, *brand.names]):  # keep order, drop repeats
                parts = name_words(name)
                if not parts:
                    continue  # a name with no letters or digits (an emoji) cannot be matched in text
                keys = tuple(key for key, _, _ in parts)
                if keys not in compiled:  # "Acme", «Акме», «Акмэ» and "Ակմե" are one key: look it up once
                    compiled.add(keys)
                    names.append(_Phrase(i, tuple(word_forms(key, n) for key, n, _ in parts)))
                if sum(n for _, n, _ in parts) >= _MIN_FUZZY:
                    joined = " ".join(keys)
                    folded = " ".join(word for _, _, word in parts)
                    self._fuzzy_plain.setdefault(joined[0], set()).add((i, joined, folded, len(parts)))
                    key = parts[0][0]
                    if len(parts) == 1 and key[-1].isalpha():
                        stem = key[:-1] if key[-1] in VOWELS else key
                        self._fuzzy_stems.setdefault(stem[0], set()).add((i, stem))
            for phrase in brand.exclude:
                parts = name_words(phrase)
                if parts:
                    exclusions.append(_Phrase(i, tuple(word_forms(key, n) for key, n, _ in parts)))
                    self._excluding.add(i)
            for domain in brand.domains:
                for spelling in domain_spellings(domain):
                    domains.setdefault(spelling, i)
        # A form that is a name as written belongs to that name alone: «Акма» of one
        # brand must not be an inflection of another brand called «Акме».
        exact = {form for p in names for forms in p.words for form, is_exact in forms.items() if is_exact}
        names = [
            _Phrase(p.brand, tuple({f: e for f, e in forms.items() if e or f not in exact} for forms in p.words))
            for p in names
        ]
        self._names = _index(names)
        self._exclusions = _index(exclusions)
        self._domains = domains
        # Longest first, so "shop.acme.example" wins over "acme.example" at the same place.
        alternatives = "|".join(re.escape(d) for d in sorted(domains, key=len, reverse=True))
        self._domain_re = (
            re.compile(rf"(?<![\w-])({alternatives})(?![\w-]|\.[^\W_])", re.IGNORECASE) if domains else None
        )
        self._fuzzy_endings: dict[str, list[str]] = {}
        for ending in SLAVIC:
            self._fuzzy_endings.setdefault(ending[-1], []).append(ending)

    def match(self, text: str | None, *, source_brand: str | None = None) -> list[BrandHit]:
        """All brands `text` names, best first; `source_brand` first when the source is fixed to one.

        `source_brand` is trusted as given, even when it is not one of the
        configured brands: the source's config said so.
        """
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        words = scan(text)
        found = self._domain_hits(text)
        found.extend(self._phrase_hits(self._names, words, text, first_only=True))
        best: dict[int, _Found] = {}
        for f in self._without_excluded(found, words, text):
            if f.brand not in best or f.order() < best[f.brand].order():
                best[f.brand] = f
        wanted = {i for i in range(len(self._keys)) if i not in best}
        if wanted and (self._fuzzy_plain or self._fuzzy_stems):
            for f in self._without_excluded(self._fuzzy_hits(words, text, wanted), words, text):
                if f.brand not in best or f.order() < best[f.brand].order():
                    best[f.brand] = f

        hits: list[BrandHit] = []
        if source_brand is not None:
            own = best.pop(self._position[source_brand], None) if source_brand in self._position else None
            hits.append(BrandHit(source_brand, "source", self._evidence(text, own), 1.0))
        for f in sorted(best.values(), key=_Found.order):
            hits.append(BrandHit(self._keys[f.brand], f.rule, self._evidence(text, f), round(f.score, 3)))
        return hits

    @staticmethod
    def _evidence(text: str, found: _Found | None) -> str:
        if found is None:
            return ""
        start = host_start(text, found.start) if found.rule == "domain" else found.start
        return text[start : found.end]

    def _domain_hits(self, text: str) -> list[_Found]:
        if self._domain_re is None or "." not in text:
            return []
        out = []
        seen: set[int] = set()
        for m in self._domain_re.finditer(text):
            brand = self._domains[m.group(1).lower()]
            if brand not in seen or brand in self._excluding:
                seen.add(brand)
                # Subdomains are added to the evidence at the end, for the one hit shown.
                out.append(_Found(brand, "domain", m.start(), m.end(), 1.0))
        return out

    def _phrase_hits(
        self,
        index: Mapping[str, list[tuple[_Phrase, bool]]],
        words: Scan,
        text: str,
        *,
        first_only: bool,
    ) -> list[_Found]:
        """Occurrences of indexed phrases: one dictionary look-up per word of the text.

        With `first_only`, a brand without exclusions gets only its first occurrence
        per rule: the others cannot change the result (a text repeating a name
        100,000 times stays cheap).
        """
        keys, starts, ends = words.keys, words.starts, words.ends
        present = index.keys() & set(keys)
        if not present:
            return []  # the usual case for exclusions, and for texts naming no brand
        out = []
        seen: set[tuple[int, bool]] = set()
        for i in [i for i, key in enumerate(keys) if key in present]:
            for phrase, first_exact in index[keys[i]]:
                exact = first_exact
                last = i
                for forms in phrase.words[1:]:
                    nxt = last + 1
                    if nxt >= len(keys) or keys[nxt] not in forms or not _joined(text, ends[last], starts[nxt]):
                        break
                    exact = exact and forms[keys[nxt]]
                    last = nxt
                else:
                    if first_only and phrase.brand not in self._excluding:
                        if (phrase.brand, exact) in seen:
                            continue
                        seen.add((phrase.brand, exact))
                    rule, score = ("name", 1.0) if exact else ("inflected", _INFLECTED_SCORE)
                    out.append(_Found(phrase.brand, rule, starts[i], ends[last], score))
        return out

    def _without_excluded(self, found: list[_Found], words: Scan, text: str) -> list[_Found]:
        if not found or not self._exclusions:
            return found
        spans: dict[int, list[tuple[int, int]]] = {}
        for e in self._phrase_hits(self._exclusions, words, text, first_only=False):
            spans.setdefault(e.brand, []).append((e.start, e.end))
        return [f for f in found if not any(s <= f.start and f.end <= e for s, e in spans.get(f.brand, ()))]

    def _fuzzy_hits(self, words: Scan, text: str, wanted: set[int]) -> list[_Found]:
        """One-typo matches for the `wanted` brands, each distinct word or n-gram compared once.

        A typo is looked for both in the folded spelling ("Lastocka" is one letter
        from "lastochka") and in the skeleton ("Lastocshka"), whichever is closer.
        """
        out: list[_Found] = []
        sizes = {n for targets in self._fuzzy_plain.values() for b, _, _, n in targets if b in wanted}
        folded, keys, starts, ends = words
        # Each distinct word at its first position (built in C: reversed, the first one wins);
        # every position for brands with exclusions, where the first may be an excluded one.
        first = dict(zip(reversed(folded), range(len(folded) - 1, -1, -1), strict=True))
        for i in range(len(folded)) if wanted & self._excluding else first.values():
            word, key, start, end = folded[i], keys[i], starts[i], ends[i]
            if key in self._names or not key[0].isalpha():
                continue  # a known form is rule 3 or 4, never a typo
            for brand, target, target_folded, n in self._fuzzy_plain.get(key[0], ()):
                if n == 1 and brand in wanted:
                    _fuzzy_one(out, brand, (key, word), (target, target_folded), start, end)
            for brand, stem in self._fuzzy_stems.get(key[0], ()):
                if brand not in wanted:
                    continue
                for ending in self._fuzzy_endings.get(key[-1], ()):
                    if key.endswith(ending) and len(key) > len(ending):
                        _fuzzy_one(out, brand, (key[: -len(ending)],), (stem,), start, end)
        seen: set[str] = set()
        for n in sorted(sizes - {1}):
            for i in range(len(keys) - n + 1):
                gram_folded = " ".join(folded[i : i + n])
                if gram_folded in seen or not all(_joined(text, ends[j], starts[j + 1]) for j in range(i, i + n - 1)):
                    continue
                seen.add(gram_folded)
                gram = " ".join(keys[i : i + n])
                for brand, target, target_folded, size in self._fuzzy_plain.get(gram[0], ()):
                    if size == n and brand in wanted:
                        _fuzzy_one(out, brand, (gram, gram_folded), (target, target_folded), starts[i], ends[i + n - 1])
        return out


def _fuzzy_one(out: list[_Found], brand: int, candidates: tuple, targets: tuple, start: int, end: int) -> None:
    """Record a fuzzy hit when a candidate spelling is at most one typo from its target."""
    for candidate, target in zip(candidates, targets, strict=True):
        if abs(len(candidate) - len(target)) <= 1 and OSA.distance(candidate, target, score_cutoff=1) <= 1:
            score = _FUZZY_FACTOR * OSA.normalized_similarity(candidate, target)
            out.append(_Found(brand, "fuzzy", start, end, score))
            return


def _joined(text: str, left_end: int, right_start: int) -> bool:
    """Whether two words are close enough to be one name: "Acme Shop", not "Acme. Shop"."""
    gap = text[left_end:right_start]
    return _JOINER.fullmatch(gap) is not None and _LINE_BREAK.search(gap) is None
