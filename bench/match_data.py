"""The register and the complaints bench/match.py matches: a CRM export of `--customers` people
(bench/people.py) as a CRM writes it, and `--mentions` complaints by customers and by people who
are not, each signed and carrying evidence as AUTHOR_FORMS and TEXTS say."""

from __future__ import annotations

import csv
import io
import random
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.match_ceiling import fits, outsider_fits
from bench.people import NICKNAMES, PET, Person, Population, handle, latin, typo

__all__ = ["AUTHOR_FORMS", "NOW", "generate"]

NOW = datetime(2026, 11, 20, tzinfo=UTC)
AUTHOR_FORMS = {  # how an author signs, and how often
    "native": 20, "latin": 15, "pet name": 8, "typo": 7, "patronymic": 5, "initial": 10,
    "handle": 10, "alias": 5, "first name only": 10, "nickname": 10,
}  # fmt: skip
TEXTS = {
    "ru": "Здравствуйте! Купил(а) у вас технику, {evidence} Доставка сорвана дважды, поддержка не отвечает.",
    "uk": "Добрий день. Замовив(ла) у вас товар, {evidence} Кур'єр не приїхав, гроші не повертають.",
    "be": "Добры дзень. {evidence} Тавар так і не прывезлі, грошы не вярнулі.",
    "hy": "Բարև Ձեզ։ {evidence} Ապրանքը չեն բերել, գումարը չեն վերադարձնում։",
    "de": "Guten Tag, {evidence} Die Lieferung kam nie an und der Support antwortet nicht.",
    "en": "Hello, {evidence} The delivery never arrived and support does not answer.",
}
ORDER_WORD = {"ru": "заказ", "uk": "замовлення", "be": "заказ", "hy": "պատվեր", "de": "Bestellung", "en": "order"}
CITY_WORD = {"ru": "я из города {}.", "uk": "я з міста {}.", "be": "я з горада {}.", "hy": "ես {}-ից եմ։",
             "de": "ich wohne in {}.", "en": "I live in {}."}  # fmt: skip


def crm_row(n: int, p: Person, rng: random.Random) -> list[Any]:
    given, family = p.given, p.family
    if rng.random() < 0.02:  # a typo made by whoever typed the record
        family, given = (typo(family, rng), given) if rng.random() < 0.7 else (family, typo(given, rng))
    if p.culture in ("ru", "uk", "be") and rng.random() < 0.7:
        words = [family, given] + ([p.patronymic] if p.patronymic and rng.random() < 0.6 else [])
    elif p.culture == "hy" and rng.random() < 0.5:
        words = [family, given]
    else:
        words = [given, family]
    if rng.random() < 0.05 or (p.culture == "hy" and rng.random() < 0.5):
        words = [latin(w, rng) for w in words]
    aliases = [p.handle] if p.handle else []
    if p.given in PET and rng.random() < 0.05:
        aliases.append(rng.choice(PET[p.given].split()))
    phones = [local_phone(ph, rng) for ph in p.phones]
    tier = rng.choice(("", "bronze", "silver", "gold"))
    value = f"{rng.randrange(0, 500000) / 100:.2f}".replace(".", ",") if rng.random() < 0.7 else ""
    return [f"C{n:07d}", " ".join(words), "; ".join(aliases), "; ".join(p.emails), "; ".join(phones),
            "; ".join(p.orders), p.city or "", tier, value]  # fmt: skip


def local_phone(e164: str, rng: random.Random) -> str:
    if e164.startswith("+79") and rng.random() < 0.6:
        d = e164[2:]
        return rng.choice((f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}", f"8{d}", f"+7 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}"))
    return e164 if rng.random() < 0.5 else f"{e164[:-7]} {e164[-7:-4]} {e164[-4:]}"


def sign(p: Person, rng: random.Random) -> tuple[str, str]:
    """(author as shown on the site, form)."""
    form = rng.choices(list(AUTHOR_FORMS), weights=list(AUTHOR_FORMS.values()))[0]
    given, family = p.given, p.family
    swap = rng.random() < 0.3
    if form == "latin":
        given, family = latin(given, rng), latin(family, rng)
    elif form == "pet name" and p.given in PET:
        given = rng.choice(PET[p.given].split())
    elif form == "typo":
        given, family = (given, typo(family, rng)) if rng.random() < 0.7 else (typo(given, rng), family)
    elif form == "patronymic" and p.patronymic:
        return f"{given} {p.patronymic} {family}", form
    elif form == "initial":
        g, f = (given, family) if rng.random() < 0.5 else (latin(given, rng), latin(family, rng))
        return rng.choice((f"{g[:1]}. {f}", f"{f} {g[:1]}.", f"{g[:1].lower()}.{f.lower()}")), form
    elif form == "handle":
        return handle(p, rng), form
    elif form == "alias":
        return p.handle or handle(p, rng), form
    elif form == "first name only":
        return rng.choice((given, f"{given} {family[:1]}.")), form
    elif form == "nickname":
        return f"{rng.choice(NICKNAMES)}{rng.randrange(100) if rng.random() < 0.5 else ''}", form
    return (f"{family} {given}" if swap else f"{given} {family}"), form


def complaint(p: Person, rng: random.Random, customer: bool) -> tuple[str, list[str], bool]:
    """(text, the identifiers it quotes, whether it names the author's city)."""
    parts, tags, city_named = [], [], False
    if customer and p.orders and rng.random() < 0.40:
        order = rng.choice(p.orders)
        if rng.random() < 0.02:
            order = order[:-1] + str((int(order[-1]) + 1) % 10)
            tags.append("order mistyped")
        else:
            tags.append("order")
        parts.append(f"{ORDER_WORD[p.culture]} {order}.")
    elif not customer and rng.random() < 0.05:
        parts.append(f"{ORDER_WORD[p.culture]} {rng.randrange(1000, 10000)}-{rng.randrange(1000):03d}.")
        tags.append("foreign order")
    if p.phones and rng.random() < (0.15 if customer else 0.10):
        parts.append(f"тел. {local_phone(p.phones[0], rng)}")
        tags.append("phone")
    if p.emails and rng.random() < (0.10 if customer else 0.05):
        parts.append(f"e-mail: {p.emails[0]}")
        tags.append("email")
    if p.city and rng.random() < 0.3:
        parts.append(CITY_WORD[p.culture].format(p.city))
        city_named = True
    return TEXTS[p.culture].format(evidence=" ".join(parts)), tags, city_named


def generate(customers: int, mentions: int, seed: int) -> tuple[bytes, list[dict[str, Any]], dict[str, int]]:
    rng = random.Random(seed)
    pop = Population(rng, customers)
    people: list[Person] = []
    households = 0
    while len(people) < customers:
        head = pop.person()
        people.append(head)
        if rng.random() < 0.05:  # a household: the same family name and city, sometimes one phone
            households += 1
            for _ in range(rng.randint(1, 3)):
                member = pop.person(family=head.family_base, culture=head.culture, city=head.city)
                if head.phones and rng.random() < 0.3:
                    member.phones = list(head.phones)
                people.append(member)
    people = people[:customers]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["external_id", "full_name", "names", "emails", "phones", "orders", "city", "tier", "lifetime_value"]
    )
    for n, p in enumerate(people):
        writer.writerow(crm_row(n, p, rng))
    items, queries, outsiders = [], [], []
    for _ in range(mentions):
        customer = rng.random() < 0.75
        idx = rng.randrange(len(people)) if customer else None
        p = people[idx] if idx is not None else pop.person()
        author, form = sign(p, rng)
        text, tags, city_named = complaint(p, rng, customer)
        truth = f"C{idx:07d}" if idx is not None else None
        items.append({"author": author, "text": text, "truth": truth, "form": form, "tags": tags})
        (queries if customer else outsiders).append((p, form, author, tags, city_named))
    # How many people fit each customer's mention (bench/match_ceiling.py): what bounds any matcher.
    for item, k in zip((it for it in items if it["truth"]), fits(people, queries), strict=True):
        item["fits"] = k
    # And how many fit what an outsider's mention shows: one that fits one register person is that
    # person's namesake, which no matcher can tell from them by the name (bench/match_ceiling.py).
    for item, k in zip((it for it in items if not it["truth"]), outsider_fits(people, outsiders), strict=True):
        item["fits"] = k
    return out.getvalue().encode(), items, {"households": households}
