"""Labelled complaint pairs and filler complaints for bench/dedupe.py.

Positives are a complaint and an edited copy of it, as a cross-post or re-post
looks: punctuation, one or two added sentences, line breaks, a title added or
dropped or changed, emoji, a different signature (or one where a site flattened
the lines), case, typos, re-typing ("reword": filler words dropped, a number as
digits, sentences swapped, the last sentence dropped, a synonym), and "crosspost"
= two or three of those together. Bases are the demo's complaints
(monitor/demo/complaints.json, ru/uk/be/hy/de/en) and complaints filled from
templates; the demo's own cross-posts are positives too ("demo").

Negatives are different complaints that look alike: two demo complaints in one
language ("corpus"); one template filled twice with another order number, date,
product, amount, or all of them ("template:*", a third of them also formatted
differently); a one-line generic complaint and a long different one that quotes it
("short_in_long").

`filler` makes cheap, varied stored complaints for the scale test: words from a
per-language bigram chain over the same texts, a fifth of them replaced by
made-up words so that unrelated texts share about as little as real ones do.
"""

from __future__ import annotations

import collections
import itertools
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.dedupe_langs import EMOJI, LANGS

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "monitor" / "demo" / "complaints.json"


@dataclass(frozen=True, slots=True)
class Post:
    title: str | None
    body: str


@dataclass(frozen=True, slots=True)
class Pair:
    a: Post
    b: Post
    same: bool
    kind: str
    language: str


def _slots(lang: str, rnd: random.Random) -> dict[str, str]:
    spec = LANGS[lang]
    digits = lambda n: str(rnd.randint(10 ** (n - 1), 10**n - 1))  # noqa: E731
    return {
        "product": rnd.choice(spec["product"]),
        "date": spec["date"].format(d=rnd.randint(1, 28), m=rnd.choice(spec["months"].split())),
        "order": spec["order"].format(a3=digits(3), a4=digits(4), a5=digits(5)),
        "amount": f"{rnd.randint(15, 180) * 100:,}".replace(",", " ") if lang != "en" else str(rnd.randint(15, 1800)),
        "days": str(rnd.randint(3, 30)),
    }


def _fill(lang: str, rnd: random.Random, template: str) -> dict[str, str]:
    return {"template": template, **_slots(lang, rnd)}


def _render(slots: dict[str, str]) -> str:
    return slots["template"].format(**slots)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?։])(?<!\d\.)\s+", text.strip()) if s]


def _person(spec: dict, rnd: random.Random, form: str) -> str:
    return form.format(
        first=rnd.choice(spec["first"]), last=rnd.choice(spec["last"]), p2=rnd.randint(10, 99), p3=rnd.randint(100, 999)
    )


# ----- edits that keep the complaint the same (positives) -----


_PUNCT = [  # (pattern, replacement): never inside a number, where punctuation is part of the value
    (r",(?!\d)", ""),
    (r"(?<!\d)\.(?=\s)", "!"),
    (r"(?<!\d)\.(?=\s)", "..."),
    (r"[«»]", '"'),
    (r" — ", " - "),
    (r"!", "!!!"),
    (r":(?=\s)", " -"),
    (r"\(", ", "),
    (r"\)", ","),
    (r"(?<=\w)\s*—\s*", ", "),
]


def e_punct(p: Post, lang: str, rnd: random.Random) -> Post:
    body = p.body
    for pattern, new in rnd.sample(_PUNCT, 3):
        body = re.sub(pattern, new, body)
    return Post(p.title, body.rstrip(".") + rnd.choice(["", "!!!", "?!", " ..."]))


def e_sentence(p: Post, lang: str, rnd: random.Random) -> Post:
    parts = _sentences(p.body)
    for added in rnd.sample(LANGS[lang]["added"], rnd.choice([1, 1, 2])):
        parts.insert(rnd.choice([0, len(parts), len(parts) // 2]), added)
    return Post(p.title, " ".join(parts))


def e_lines(p: Post, lang: str, rnd: random.Random) -> Post:
    sep = rnd.choice(["\n", "\n\n", " ", "\r\n"])
    return Post(p.title, sep.join(_sentences(p.body.replace("\n", " "))))


def e_title(p: Post, lang: str, rnd: random.Random) -> Post:
    if p.title and rnd.random() < 0.5:
        return Post(None, p.body)
    words = p.body.split()
    title = rnd.choice([rnd.choice(LANGS[lang]["titles"]), " ".join(words[: rnd.randint(3, 6)]).rstrip(",.:")])
    return Post(title, p.body)


def e_emoji(p: Post, lang: str, rnd: random.Random) -> Post:
    parts = _sentences(p.body)
    for _ in range(rnd.randint(1, 3)):
        i = rnd.randrange(len(parts))
        parts[i] = parts[i] + " " + "".join(rnd.choices(EMOJI, k=rnd.randint(1, 3)))
    return Post(p.title, " ".join(parts))


def e_signature(p: Post, lang: str, rnd: random.Random) -> Post:
    spec = LANGS[lang]
    # " ": sites that flatten line breaks put the signature on the last line of the text.
    gap = rnd.choice(["\n\n", "\n", " "])
    return Post(p.title, p.body.rstrip() + gap + _person(spec, rnd, rnd.choice(spec["closing"])))


def e_case(p: Post, lang: str, rnd: random.Random) -> Post:
    change = rnd.choice([str.upper, str.lower, lambda s: s.upper() if len(s) < 200 else s.capitalize()])
    return Post(change(p.title) if p.title else None, change(p.body))


def e_typo(p: Post, lang: str, rnd: random.Random) -> Post:
    words = p.body.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    for i in rnd.sample(long, min(len(long), rnd.randint(1, 2))):
        w = words[i]
        j = rnd.randrange(1, len(w) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return Post(p.title, " ".join(words))


# fmt: off
FILLERS = {
    "ru": ["уже", "просто", "очень", "вообще", "даже", "ещё", "конечно", "так"],
    "uk": ["вже", "просто", "дуже", "навіть", "ще", "досі"],
    "be": ["ужо", "проста", "вельмі", "нават", "яшчэ", "так"],
    "hy": ["արդեն", "պարզապես", "շատ", "նույնիսկ", "դեռ"],
    "de": ["schon", "einfach", "sehr", "sogar", "noch", "jetzt", "nur"],
    "en": ["already", "just", "really", "even", "still", "now", "all"],
}
NUMBERS = {  # the same number written as a word and as digits
    "ru": {"два": "2", "три": "3", "четыре": "4", "пять": "5", "неделю": "7 дней"},
    "uk": {"два": "2", "три": "3", "тиждень": "7 днів"},
    "be": {"два": "2", "тры": "3", "тыдзень": "7 дзён"},
    "hy": {"երկու": "2", "երեք": "3", "մեկ": "1"},
    "de": {"zwei": "2", "drei": "3", "vier": "4", "einer Woche": "7 Tagen"},
    "en": {"two": "2", "three": "3", "five": "5", "a week": "7 days"},
}


SYNONYMS = {  # a word the author may type differently the second time
    "ru": {
        "купил": "приобрёл",
        "Курьер": "Доставщик",
        "деньги": "средства",
        "Поддержка": "Техподдержка",
        "сломался": "вышел из строя",
        "магазине": "магазе",
    },
    "uk": {"купив": "придбав", "гроші": "кошти", "Підтримка": "Служба підтримки", "зламався": "поламався"},
    "be": {"купіў": "набыў", "грошы": "сродкі", "Падтрымка": "Служба падтрымкі", "краме": "магазіне"},
    "hy": {"գնեցի": "ձեռք բերեցի", "գումարը": "փողը", "փչացավ": "խափանվեց"},
    "de": {"gekauft": "erworben", "Kundenservice": "Kundendienst", "defekt": "kaputt", "Geld": "Kaufpreis"},
    "en": {"bought": "purchased", "refund": "my money back", "Support": "Customer service", "broke": "stopped working"},
}


# fmt: on


def e_reword(p: Post, lang: str, rnd: random.Random) -> Post:
    """What an author changes when re-typing: filler words, a number as digits, sentence order, the last line."""
    body = p.body
    for step in rnd.sample(["filler", "number", "order", "drop_last", "synonym"], 2):
        parts = _sentences(body)
        if step == "synonym":
            found = [w for w in SYNONYMS[lang] if re.search(rf"\b{w}\b", body)]
            if found:
                word = rnd.choice(found)
                body = re.sub(rf"\b{word}\b", SYNONYMS[lang][word], body, count=1)
        if step == "filler":
            words = body.split(" ")
            at = [i for i, w in enumerate(words) if w.strip(",.").casefold() in FILLERS[lang]]
            if at:
                del words[rnd.choice(at)]
            body = " ".join(words)
        elif step == "number":
            for word, digits in NUMBERS[lang].items():
                if re.search(rf"\b{word}\b", body):
                    body = re.sub(rf"\b{word}\b", digits, body, count=1)
                    break
                lone = rf"(?<![\d ]){re.escape(digits)}(?![\d]| \d)"  # not part of "2 200"
                if re.search(lone, body):
                    body = re.sub(lone, word, body, count=1)
                    break
        elif step == "order" and len(parts) >= 3:
            i = rnd.randrange(1, len(parts) - 1)
            parts[i], parts[i + 1] = parts[i + 1], parts[i]
            body = " ".join(parts)
        elif step == "drop_last" and len(parts) >= 3:
            body = " ".join(parts[:-1])
    return Post(p.title, body)


EDITS: dict[str, Callable[[Post, str, random.Random], Post]] = {
    "punctuation": e_punct,
    "sentence": e_sentence,
    "line_breaks": e_lines,
    "title": e_title,
    "emoji": e_emoji,
    "signature": e_signature,
    "case": e_case,
    "typo": e_typo,
    "reword": e_reword,
}


def _crosspost(p: Post, lang: str, rnd: random.Random) -> Post:
    for name in rnd.sample(sorted(EDITS), rnd.randint(2, 3)):
        p = EDITS[name](p, lang, rnd)
    return p


def labelled_pairs(seed: int = 7, positives: int = 3000, negatives: int = 3000) -> list[Pair]:
    """Positives: a complaint and an edited copy; negatives: different complaints that look alike."""
    rnd = random.Random(seed)
    corpus = [c for c in json.loads(CORPUS.read_text("utf-8"))["complaints"] if c.get("brand")]
    bases: list[tuple[str, Post]] = [(c["language"], Post(c.get("title"), c["body"])) for c in corpus]
    for lang, spec in LANGS.items():
        for _ in range(40):
            bases.append((lang, Post(None, _render(_fill(lang, rnd, rnd.choice(spec["templates"]))))))
    pairs: list[Pair] = []
    tagged: dict[str, list[dict]] = {}
    for c in corpus:
        if c.get("crosspost"):
            tagged.setdefault(c["crosspost"], []).append(c)
    for group in tagged.values():  # the demo's real cross-posts
        for x, y in itertools.combinations(group, 2):
            pairs.append(Pair(Post(x.get("title"), x["body"]), Post(y.get("title"), y["body"]), True, "demo", "ru"))
    kinds = [*sorted(EDITS), "crosspost"]
    for i in range(positives - len(pairs)):
        lang, base = rnd.choice(bases)
        kind = kinds[i % len(kinds)]
        edited = _crosspost(base, lang, rnd) if kind == "crosspost" else EDITS[kind](base, lang, rnd)
        pairs.append(Pair(base, edited, True, kind, lang))
    by_lang: dict[str, list[dict]] = {}
    for c in corpus:
        by_lang.setdefault(c["language"], []).append(c)
    slot_kinds = ["order", "date", "product", "amount"]
    neg_kinds = [
        "corpus",
        "template:order",
        "template:date",
        "template:product",
        "template:amount",
        "template:all",
        "short_in_long",
    ]
    langs = sorted(LANGS)
    while len(pairs) < positives + negatives:
        kind = neg_kinds[len(pairs) % len(neg_kinds)]
        lang = rnd.choice(langs)
        spec = LANGS[lang]
        if kind == "corpus":
            group = by_lang[lang] if len(by_lang.get(lang, [])) >= 2 else by_lang["ru"]
            x, y = rnd.sample(group, 2)
            if x.get("crosspost") and x.get("crosspost") == y.get("crosspost"):
                continue
            pairs.append(
                Pair(Post(x.get("title"), x["body"]), Post(y.get("title"), y["body"]), False, kind, x["language"])
            )
        elif kind.startswith("template:"):
            a = _fill(lang, rnd, rnd.choice(spec["templates"]))
            b = dict(a)
            for slot in slot_kinds if kind == "template:all" else [kind.split(":")[1]]:
                while b[slot] == a[slot]:
                    b[slot] = _slots(lang, rnd)[slot]
            pb = Post(None, _render(b))
            if rnd.random() < 0.3:  # the other customer also formats their post differently
                pb = EDITS[rnd.choice(["punctuation", "line_breaks", "signature", "title"])](pb, lang, rnd)
            pairs.append(Pair(Post(None, _render(a)), pb, False, kind, lang))
        else:
            short = rnd.choice(spec["short"])
            other = _render(_fill(lang, rnd, rnd.choice(spec["templates"])))
            parts = _sentences(other)
            parts.insert(rnd.randrange(len(parts) + 1), short)
            pairs.append(Pair(Post(None, short), Post(None, " ".join(parts)), False, kind, lang))
    return pairs


def templated(rnd: random.Random, lang: str) -> Post:
    """A complaint filled from one of the language's templates."""
    return Post(None, _render(_fill(lang, rnd, rnd.choice(LANGS[lang]["templates"]))))


class Filler:
    """Cheap, varied complaints built from phrases: walks of a per-language bigram chain over the
    demo and template texts, a fifth of the words made up, `pool` phrases per language."""

    def __init__(self, seed: int = 11, pool: int = 20_000) -> None:
        rnd = random.Random(seed)
        texts: dict[str, list[str]] = {lang: [] for lang in LANGS}
        for c in json.loads(CORPUS.read_text("utf-8"))["complaints"]:
            texts[c["language"]].append(f"{c.get('title') or ''}. {c['body']}")
        for lang, spec in LANGS.items():
            texts[lang] += [templated(rnd, lang).body for _ in range(30)] + spec["added"] + spec["short"]
        self.phrases: dict[str, list[str]] = {}
        for lang, items in texts.items():
            words = [w for t in items for w in re.findall(r"[^\W\d_]+|\d+", t)]
            chain: dict[str, list[str]] = {}
            for a, b in itertools.pairwise(words):
                chain.setdefault(a.casefold(), []).append(b)
            starts = sorted(chain)
            counts = collections.Counter(ch for w in words for ch in w.casefold() if ch.isalpha())
            letters = sorted(ch for ch, n in counts.items() if n >= 0.002 * counts.total())  # the language's script
            weights = list(itertools.accumulate(counts[ch] for ch in letters))
            phrases = []
            for _ in range(pool):
                word, out = rnd.choice(starts), []
                for _ in range(rnd.randint(4, 9)):
                    if rnd.random() < 0.2:
                        word = "".join(rnd.choices(letters, cum_weights=weights, k=rnd.randint(3, 10)))
                    out.append(word)
                    word = rnd.choice(chain.get(word.casefold()) or starts)
                phrases.append(" ".join(out))
            self.phrases[lang] = phrases

    def complaint(self, rnd: random.Random, lang: str) -> Post:
        phrases = self.phrases[lang]
        parts = [rnd.choice(phrases) + rnd.choice([" ", ", ", ". ", ". ", "! "]) for _ in range(rnd.randint(2, 10))]
        if rnd.random() < 0.5:
            parts.append(f"Заказ {rnd.randint(1000, 9999)}-{rnd.randint(100, 999)}.")
        title = rnd.choice(phrases).capitalize() if rnd.random() < 0.6 else None
        return Post(title, "".join(parts).capitalize())
