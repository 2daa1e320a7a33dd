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

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "monitor" / "demo" / "complaints.json"

# Per language: complaint templates with slots, slot pools, and the material edits use.
# fmt: off
LANGS: dict[str, dict] = {
    "ru": {
        "templates": [
            "Заказал {product} в Акме {date}, номер заказа {order}. Прошло уже {days} дней, а доставки так и нет. "
            "Поддержка отвечает шаблонами. Прошу вернуть {amount} руб.",
            "{date} купил в магазине Акме {product} за {amount} ₽ (заказ {order}). Через неделю он сломался, "
            "в гарантийном ремонте отказали. Требую вернуть деньги.",
            "Претензия. {date} мною в магазине Акме был приобретён товар: {product}, стоимостью {amount} руб., "
            "заказ № {order}. В процессе эксплуатации выявлен недостаток: товар перестал работать. В соответствии "
            "со ст. 18 Закона РФ «О защите прав потребителей» прошу расторгнуть договор купли-продажи и вернуть "
            "уплаченную сумму в течение 10 дней.",
        ],
        "product": ["холодильник", "телевизор", "пылесос", "ноутбук", "электрочайник", "смартфон", "кондиционер"],
        "months": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
        "date": "{d} {m}",
        "order": "{a4}-{a3}",
        "added": [
            "Жду ответа уже неделю.",
            "Это просто безобразие!",
            "UPD: до сих пор никто не связался.",
            "Больше ничего у вас покупать не буду.",
            "Прошу отнестись к моей жалобе серьёзно.",
        ],
        "closing": ["С уважением, {first}", "{first} {last}", "{first} {last}, +7 9{p2} {p3}-{p2}-{p2}", "{first}"],
        "first": ["Ольга", "Дмитрий", "Светлана", "Игорь", "Марина", "Алексей"],
        "last": ["Кузнецова", "Петров", "Смирнова", "Волков", "Орлова", "Соколов"],
        "titles": ["Жалоба на Акме", "Ужасный сервис", "Верните деньги", "Не доставили заказ"],
        "short": [
            "Акме, где мой заказ? Жду уже неделю.",
            "Верните деньги, Акме, сколько можно ждать!",
            "Поддержка Акме не отвечает третий день.",
        ],
    },
    "uk": {
        "templates": [
            "Замовив {product} в Акме {date}, номер замовлення {order}. Минуло вже {days} днів, а доставки досі "
            "немає. Підтримка відповідає шаблонами. Прошу повернути {amount} грн.",
            "{date} купив у магазині Акме {product} за {amount} грн (замовлення {order}). Через тиждень він "
            "зламався, у гарантійному ремонті відмовили. Вимагаю повернути гроші.",
            "Претензія. {date} я придбав у магазині Акме товар: {product}, вартістю {amount} грн, замовлення "
            "№ {order}. Під час експлуатації виявлено недолік: товар перестав працювати. Відповідно до Закону "
            "України «Про захист прав споживачів» прошу повернути сплачені кошти протягом 14 днів.",
        ],
        "product": ["холодильник", "телевізор", "пилосос", "ноутбук", "чайник", "смартфон", "кондиціонер"],
        "months": "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня",
        "date": "{d} {m}",
        "order": "{a4}-{a3}",
        "added": [
            "Чекаю на відповідь уже тиждень.",
            "Це просто неподобство!",
            "UPD: досі ніхто не зв'язався.",
            "Більше нічого у вас не купуватиму.",
        ],
        "closing": ["З повагою, {first}", "{first} {last}", "{first} {last}, +380 67 {p3} {p2} {p2}"],
        "first": ["Олександр", "Тарас", "Оксана", "Наталія"],
        "last": ["Бондаренко", "Мельник", "Шевченко", "Коваль"],
        "titles": ["Скарга на Акме", "Жахливий сервіс", "Поверніть гроші"],
        "short": ["Акме, де моє замовлення? Чекаю вже тиждень.", "Підтримка Акме не відповідає третій день."],
    },
    "be": {
        "templates": [
            "Замовіў {product} у Акмэ {date}, нумар заказа {order}. Прайшло ўжо {days} дзён, а дастаўкі так і "
            "няма. Падтрымка адказвае шаблонамі. Прашу вярнуць {amount} руб.",
            "{date} купіў у краме Акмэ {product} за {amount} руб. (заказ {order}). Праз тыдзень ён зламаўся, "
            "у гарантыйным рамонце адмовілі. Патрабую вярнуць грошы.",
        ],
        "product": ["халадзільнік", "тэлевізар", "пыласос", "ноўтбук", "чайнік", "смартфон", "кандыцыянер"],
        "months": "студзеня лютага сакавіка красавіка мая чэрвеня ліпеня жніўня верасня кастрычніка лістапада снежня",
        "date": "{d} {m}",
        "order": "{a4}-{a3}",
        "added": ["Чакаю адказу ўжо тыдзень.", "Гэта проста ганьба!", "UPD: дагэтуль ніхто не звязаўся."],
        "closing": ["З павагай, {first}", "{first} {last}", "{first} {last}, +375 29 {p3}-{p2}-{p2}"],
        "first": ["Алеся", "Андрэй", "Сяргей", "Вольга"],
        "last": ["Каваленка", "Бародка", "Жук", "Лукашэвіч"],
        "titles": ["Скарга на Акмэ", "Жудасны сэрвіс", "Вярніце грошы"],
        "short": ["Акмэ, дзе мой заказ? Чакаю ўжо тыдзень.", "Падтрымка Акмэ не адказвае трэці дзень."],
    },
    "hy": {
        "templates": [
            "Ակմե խանութից {date} պատվիրեցի {product}, պատվերի համարը՝ {order}։ Արդեն {days} օր է անցել, բայց "
            "առաքում չկա։ Աջակցման ծառայությունը պատասխանում է ձևանմուշային նամակներով։ Խնդրում եմ վերադարձնել "
            "{amount} դրամը։",
            "{date} Ակմե խանութից գնեցի {product} {amount} դրամով (պատվեր {order})։ Մեկ շաբաթ անց այն "
            "փչացավ, երաշխիքային վերանորոգումից հրաժարվեցին։ Պահանջում եմ վերադարձնել գումարը։",
        ],
        "product": ["սառնարան", "հեռուստացույց", "փոշեկուլ", "նոթբուք", "թեյնիկ", "սմարթֆոն", "օդորակիչ"],
        "months": "հունվարի փետրվարի մարտի ապրիլի մայիսի հունիսի հուլիսի օգոստոսի սեպտեմբերի հոկտեմբերի "
        "նոյեմբերի դեկտեմբերի",
        "date": "{m} {d}-ին",
        "order": "{a4}-{a3}",
        "added": [
            "Արդեն մեկ շաբաթ սպասում եմ պատասխանի։",
            "Սա պարզապես անընդունելի է։",
            "Թարմացում՝ դեռ ոչ ոք չի կապվել ինձ հետ։",
        ],
        "closing": ["Հարգանքով՝ {first}", "{first} {last}", "{first} {last}, +374 91 {p3}{p3}"],
        "first": ["Արամ", "Անի", "Մարիամ", "Նարեկ"],
        "last": ["Պետրոսյան", "Հակոբյան", "Սարգսյան", "Գրիգորյան"],
        "titles": ["Բողոք Ակմեի մասին", "Սարսափելի սպասարկում", "Վերադարձրեք գումարը"],
        "short": [
            "Ակմե, որտե՞ղ է իմ պատվերը։ Մեկ շաբաթ է սպասում եմ։",
            "Ակմեի աջակցման ծառայությունը երեք օր է չի պատասխանում։",
        ],
    },
    "de": {
        "templates": [
            "Ich habe am {date} bei Acme {product} bestellt (Bestellnummer {order}). Seit {days} Tagen warte ich "
            "auf die Lieferung, der Kundenservice antwortet nur mit Textbausteinen. Ich verlange die Rückzahlung "
            "von {amount} €.",
            "Am {date} habe ich bei Acme {product} für {amount} € gekauft (Bestellung {order}). Nach einer Woche "
            "war das Gerät defekt, die Garantiereparatur wurde abgelehnt. Ich fordere mein Geld zurück.",
            "Reklamation. Am {date} habe ich bei Acme {product} zum Preis von {amount} € gekauft, Bestellnummer "
            "{order}. Das Gerät weist einen Mangel auf: Es funktioniert nicht mehr. Gemäß § 437 BGB fordere ich "
            "Sie auf, den Kaufpreis innerhalb von 14 Tagen zu erstatten. Andernfalls werde ich die "
            "Verbraucherzentrale einschalten.",
        ],
        "product": [
            "einen Kühlschrank",
            "einen Fernseher",
            "einen Staubsauger",
            "einen Laptop",
            "einen Wasserkocher",
            "ein Smartphone",
            "eine Waschmaschine",
            "einen Geschirrspüler",
        ],
        "months": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "date": "{d}. {m}",
        "order": "AC-{a5}",
        "added": [
            "Ich warte seit einer Woche auf eine Antwort.",
            "Das ist eine Frechheit!",
            "Update: Bis heute hat sich niemand gemeldet.",
            "Ich kaufe dort nie wieder.",
        ],
        "closing": [
            "Mit freundlichen Grüßen\n{first} {last}",
            "Viele Grüße, {first}",
            "{first} {last}",
            "{first} {last}, +49 170 {p3}{p2}{p2}",
        ],
        "first": ["Jürgen", "Sabine", "Markus", "Anna"],
        "last": ["Becker", "Hoffmann", "Schulz", "Wagner"],
        "titles": ["Beschwerde über Acme", "Katastrophaler Service", "Geld zurück!"],
        "short": [
            "Acme, wo bleibt meine Bestellung? Ich warte seit einer Woche.",
            "Der Kundenservice von Acme antwortet seit drei Tagen nicht.",
        ],
    },
    "en": {
        "templates": [
            "I ordered {product} from Acme on {date} (order {order}). It has been {days} days and it still has "
            "not arrived. Support keeps sending me template replies. I want my ${amount} back.",
            "On {date} I bought {product} at the Acme store for ${amount} (order {order}). A week later it broke "
            "and they refused the warranty repair. I demand a refund.",
            "Formal complaint. On {date} I purchased {product} from Acme, order number {order}, for ${amount}. "
            "The product developed a fault: it stopped working. Under the Consumer Rights Act I request a full "
            "refund within 14 days. If I do not receive a response, I will escalate this complaint to the "
            "consumer protection authority.",
        ],
        "product": [
            "a fridge",
            "a TV",
            "a vacuum cleaner",
            "a laptop",
            "a kettle",
            "a smartphone",
            "a washing machine",
            "a dishwasher",
        ],
        "months": "January February March April May June July August September October November December",
        "date": "{m} {d}",
        "order": "AC-{a5}",
        "added": [
            "I have been waiting for an answer for a week.",
            "This is outrageous!",
            "Update: still no one has contacted me.",
            "Never buying from them again.",
        ],
        "closing": [
            "Regards,\n{first}",
            "{first} {last}",
            "Best regards, {first} {last}",
            "-- {first}",
            "{first} {last}, (555) {p3}-{p2}{p2}",
        ],
        "first": ["Tom", "Laura", "Mike", "Hannah"],
        "last": ["Whitfield", "Chen", "Donnelly", "Grant"],
        "titles": ["Complaint about Acme", "Terrible service", "Refund please"],
        "short": [
            "Acme, where is my order? I have been waiting for a week.",
            "Acme support has not answered for three days.",
        ],
    },
}
EMOJI = ["😡", "🤬", "😤", "👎", "🙏", "😢", "‼️", "👍🏻", "🇷🇺"]
# fmt: on


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
