"""The text side of near-duplicate grouping (monitor.cases.dedupe): normalisation, marks, and the two
rules that tell look-alike complaints apart. Pure functions; steps 1 and 5b-5c of monitor.cases.dedupe.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

__all__ = ["MAX_RAW", "MAX_TEXT", "marks_conflict", "prepare", "replaced_word"]

MAX_RAW = 20_000  # characters of a title or body read: a 1 MB post costs what a long complaint does
MAX_TEXT = 4_000  # characters of normalised text kept for shingling and comparison
MIN_MARK_DIGITS = 3

_DIGIT = re.compile(r"\d")
_URL = re.compile(r"(?:\bhttps?://|\bwww\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])(?:\+|\b)\d[\d \u00a0().\-]{7,}\d\b")
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+\b")  # "12 490 ₽" is one number
_NUMBER = re.compile(r"\d+(?:[-./:,]\d+)*")  # 7731-245, 12.03.2026, 46,80: one number each
_CURRENCY_AFTER = re.compile(r"\s?(?:[₽€$£₴֏]|руб|р\.|грн|рубл|usd|eur|byn|rub|uah|amd|dram|դրամ)", re.IGNORECASE)
_CURRENCY_BEFORE = re.compile(r"[₽€$£₴֏]\s?$")
# Month names: Cyrillic and Armenian stems take inflection endings; Latin forms are whole words.
_MONTHS = {
    1: ("янв|січн|студз|հունվ", "jan|january|januar"),
    2: ("феврал|лют|փետր", "feb|february|februar"),
    3: ("март|березн|сакав|մարտ", "mar|march|märz|maerz"),
    4: ("апрел|квітн|красав|ապրիլ", "apr|april"),
    5: ("ма[йяе](?![^\\W\\d])|травн|մայիս", "may|mai"),  # not майка
    6: ("июн|червн|чэрвен|հունիս", "jun|june|juni"),
    7: ("июл|липн|ліпен|հուլիս", "jul|july|juli"),
    8: ("август|серпн|жні[вў]|օգոստ", "aug|august"),
    9: ("сентябр|вересн|верасн|սեպտ", "sep|sept|september"),
    10: ("октябр|жовтн|кастрычн|հոկտ", "oct|october|okt|oktober"),
    11: ("ноябр|листопад|лістапад|նոյ", "nov|november"),
    12: ("декабр|грудн|снеж|դեկտ", "dec|december|dez|dezember"),
}
_MONTH = re.compile(
    "|".join(f"(?P<m{n}>(?:{stem})[^\\W\\d]{{0,6}}|(?:{latin}))" for n, (stem, latin) in _MONTHS.items()),
    re.IGNORECASE,
)
_WORD_AFTER = re.compile(r"\.?\s+([^\W\d_]+)")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)\.?\s+$")
_CLOSING = re.compile(
    r"\b(с уважением|с наилучшими|всего доброго|best regards|kind regards|regards|sincerely|cheers|"
    r"mit freundlichen|viele grüße|liebe grüße|beste grüße|mfg|з повагою|з павагай|հարգանքով)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?։…]+\s+")


class _Noise(dict[int, str]):
    """str.translate's table: punctuation, symbols (emoji), separators, controls → space.

    Filled a character at a time, the first time each is met: a process meets a few hundred of the
    131,072 characters it covers, and building it whole took a tenth of a second of every process's
    first batch. A character it leaves alone maps to itself."""

    def __missing__(self, cp: int) -> str:
        self[cp] = _noise(cp)
        return self[cp]


# Inside a word these join rather than split: apostrophes (кур'єр), Armenian emphasis and question marks
# (որտե՞ղ), soft hyphen, zero-width joiners; emoji variation selectors, skin tones and flag tags vanish.
_JOINERS = frozenset(
    (*map(ord, "'’ʼ`´‘\u055a\u055b\u055c\u055e\u00ad\u200b\u200c\u200d"), *range(0xFE00, 0xFE10),
     *range(0x1F3FB, 0x1F400), *range(0xE0000, 0xE0080))
)  # fmt: skip


def _noise(cp: int) -> str:
    if cp in _JOINERS:
        return ""
    if cp == ord("ё"):
        return "е"
    category = unicodedata.category(chr(cp))
    if cp < 0x20000 and (category[0] in "PSZ" or category in ("Cc", "Cf", "Co", "Cs")):
        return " "
    return chr(cp)


_NOISE = _Noise()


def _strip_signature(body: str) -> str:
    """Drop a sign-off: a closing formula and what follows it, else a last line (or, where a
    site flattened the lines, a last sentence) of a few capitalised words: "Дмитрий К.", "Tom W."."""
    body = body.rstrip()
    for m in _CLOSING.finditer(body, max(0, len(body) - 160)):
        before = body[: m.start()].rstrip(" \t")
        if before and before[-1] in ".!?։…\n":
            return before
    ends = _SENTENCE_END.finditer(body, max(0, len(body) - 80))
    tail_at = max(body.rfind("\n"), max((m.end() for m in ends), default=-1))
    if tail_at <= 0:
        return body
    tail = body[tail_at:].strip(" ,;-—\n")  # e-mails and phones are already out
    words = [w for w in tail.replace(",", " ").split() if w[0].isalpha()]
    if not words or (
        len(words) <= 4
        and not tail.endswith(("!", "?"))
        and not any(c.isdigit() for c in tail)
        and all(w[0].isupper() for w in words)
    ):
        return body[:tail_at]
    return body


@functools.lru_cache(maxsize=4096)
def _month(word: str) -> int | None:
    m = _MONTH.fullmatch(word)
    return int(m.lastgroup[1:]) if m and m.lastgroup else None


def _marks(text: str) -> tuple[str, frozenset[str]]:
    """Read out e-mails, phones, dates and numbers; return the text without e-mails and phones."""
    marks: set[str] = set()

    def email(m: re.Match[str]) -> str:
        marks.add("email:" + m.group().casefold())
        return " "

    def phone(m: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", m.group())
        if not 9 <= len(digits) <= 15:
            return m.group()
        marks.add("phone:" + digits[-9:])  # +7 912 … and 8 912 … are one number
        return " "

    # The scans are skipped when they cannot match: most of a check's time goes into preparing candidates.
    if "@" in text:
        text = _EMAIL.sub(email, text)
    if not _DIGIT.search(text):
        return text, frozenset(marks)
    text = _THOUSANDS.sub(lambda m: re.sub(r"\D", "", m.group()), _PHONE.sub(phone, text))
    for m in _NUMBER.finditer(text):
        number = m.group()
        if len(number) <= 2:  # a day when a month name is right after or right before it
            after = _WORD_AFTER.match(text, m.end())
            before = _WORD_BEFORE.search(text, max(0, m.start() - 24), m.start())
            month = (after and _month(after.group(1))) or (before and _month(before.group(1)))
            if month:
                marks.add(f"date:{int(number)}.{month}")
                continue
        digits = re.sub(r"\D", "", number)
        # One or two digits ("3 дня", a "2/5" rating, a house number) are too common to tell
        # complaints apart and are often written out as words in a re-post; order numbers
        # and the like have three or more. A sum of money counts however short ("$45").
        if (
            len(digits) >= MIN_MARK_DIGITS
            or _CURRENCY_AFTER.match(text, m.end())
            or _CURRENCY_BEFORE.search(text, max(0, m.start() - 2), m.start())
        ):
            marks.add("n:" + digits)
    return text, frozenset(marks)


def _clean(raw: str, *, body: bool) -> tuple[str, frozenset[str]]:
    # Marks first, so a phone in a signature still tells two templated posts apart.
    raw = unicodedata.normalize("NFKC", raw)
    if "://" in raw or "www." in raw.casefold():
        raw = _URL.sub(" ", raw)
    raw, marks = _marks(raw)
    if body:
        raw = _strip_signature(raw)
    return " ".join(raw.casefold().translate(_NOISE).split()), marks


def prepare(title: str | None, body: str | None) -> tuple[str, frozenset[str]]:
    body_text, marks = _clean((body or "")[:MAX_RAW], body=True)
    title_text, title_marks = _clean((title or "")[:1000], body=False)
    if title_text and not body_text.startswith(title_text):
        return (title_text + "\n" + body_text)[:MAX_TEXT], marks | title_marks
    return body_text[:MAX_TEXT], marks


def marks_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    if a <= b or b <= a:  # then every kind's marks are contained too; the common case, checked first
        return False
    theirs = _by_kind(b)
    return any((y := theirs.get(kind)) and not (x <= y or y <= x) for kind, x in _by_kind(a).items())


@functools.lru_cache(maxsize=8192)
def _by_kind(marks: frozenset[str]) -> dict[str, frozenset[str]]:
    # Cached: a batch checks each post's marks against up to 50 candidates', most of them templated alike.
    kinds: dict[str, set[str]] = {}
    for mark in marks:
        kinds.setdefault(mark.split(":", 1)[0], set()).add(mark)
    return {kind: frozenset(found) for kind, found in kinds.items()}


def _changes(wa: list[str], wb: list[str]) -> list[tuple[list[str], list[str], bool]]:
    """Word-level differences with adjacent edits merged: (old words, new words, touches the end)."""
    out: list[tuple[list[str], list[str], bool]] = []
    joined_at = (-1, -1)
    for op in Levenshtein.opcodes(wa, wb):
        if op.tag == "equal":
            continue
        old, new = wa[op.src_start : op.src_end], wb[op.dest_start : op.dest_end]
        at_end = op.src_end == len(wa) or op.dest_end == len(wb)
        if out and joined_at == (op.src_start, op.dest_start):
            out[-1] = (out[-1][0] + old, out[-1][1] + new, at_end)
        else:
            out.append((old, new, at_end))
        joined_at = (op.src_end, op.dest_end)
    return out


def _content(words: list[str]) -> list[str]:
    return [w for w in words if len(w) >= 4] or words


def replaced_word(a: str, b: str) -> bool:
    wa, wb = a.rsplit("\n", 1)[-1].split(), b.rsplit("\n", 1)[-1].split()
    for old, new, at_end in _changes(wa, wb):
        if at_end or not old or not new or len(old) > 3 or len(new) > 3:
            continue
        if not all(w.isalpha() for w in old + new) or not any(len(w) >= 4 for w in old + new):
            continue  # numbers are the marks' business
        old_c, new_c = _content(old), _content(new)
        if set(old_c) <= set(wb) or set(new_c) <= set(wa):
            continue  # moved, not replaced
        x, y = " ".join(old_c), " ".join(new_c)
        if fuzz.ratio(x, y) < 70 and fuzz.partial_ratio(x, y) < 90:
            return True
    return False
