"""The most any matcher could do on bench/match.py's mix: how many people in the register fit
what a customer's mention shows.

The generator knows who wrote each mention; a matcher only sees the text and the author's
name as signed. When several people in the register fit everything the mention shows (two
«Иванова Елена» in Moscow, a nickname that is nobody's on file), no matcher can tell them apart:
it links only by guessing, and it has the right one in its top 3 at best 3 times in k.

`fits` gives k for each mention. It is generous, so the figures it gives are upper bounds:
- an order number or an e-mail quoted as written fits its one owner;
- a phone fits everyone it belongs to (a household may share one);
- a name fits everyone with the same given and family name, whatever form the author signed
  in (Latin letters, a pet name, a typo, an initial, a handle). An initial or a handle shows
  less than that, so counting them as the full name favours the matcher;
- a first name fits everyone with that given name (and the family initial, when one is shown);
- a nickname that is not on file fits everyone, and an alias on file fits its owners;
- a city named in the text narrows a name to the people of that city.

People who are not customers are left out: a matcher must also not link them, which only
lowers what it can reach. So `ceiling` bounds recall (k = 1) and top-3 (min(1, 3/k)) from above.
"""

from __future__ import annotations

import collections
from typing import Any

from bench.people import Person

__all__ = ["Query", "ceiling", "fits", "outsider_fits"]


Query = tuple[Person, str, str, list[str], bool]  # the customer, the form signed in, the author, tags, city named


def _name_keys(p: Person) -> list[tuple[str, ...]]:
    out = []
    for where in ("", p.city) if p.city else ("",):  # "" is anywhere; a person without a city counts once
        out += [("full", p.given, p.family, where), ("given", p.given, where),
                ("given+initial", p.given, p.family[:1], where)]  # fmt: skip
    return out


def _name_key(p: Person, form: str, author: str, city_named: bool) -> tuple[str, ...] | None:
    """What a signature shows of the name, generously, as one of `_name_keys`; None when it shows nothing."""
    where = (p.city or "") if city_named else ""
    if form == "nickname":
        return None
    if form == "first name only":
        shown_initial = author.endswith(".") and " " in author
        return ("given+initial", p.given, p.family[:1], where) if shown_initial else ("given", p.given, where)
    return ("full", p.given, p.family, where)


def fits(people: list[Person], queries: list[Query]) -> list[int]:
    """k for each customer's mention: how many of `people` (the register) fit what it shows; 1 when
    it identifies its author. One pass over the register, counting only the keys the mentions need."""
    names: collections.Counter[tuple[str, ...]] = collections.Counter()
    phones: dict[str, list[Person]] = {}
    emails: collections.Counter[str] = collections.Counter()
    handles: collections.Counter[str] = collections.Counter()
    keys = [_name_key(p, form, author, city_named) for p, form, author, _, city_named in queries]
    for (p, *_), key in zip(queries, keys, strict=True):
        if key is not None:
            names[key] = 0
        if p.phones:
            phones[p.phones[0]] = []
        if p.emails:
            emails[p.emails[0]] = 0
        if p.handle:
            handles[p.handle] = 0
    for person in people:
        for key in _name_keys(person):
            if key in names:
                names[key] += 1
        for phone in person.phones:
            if phone in phones:
                phones[phone].append(person)
        for email in person.emails:
            if email in emails:
                emails[email] += 1
        if person.handle in handles:
            handles[person.handle] += 1
    out = []
    for (p, form, author, tags, _), key in zip(queries, keys, strict=True):
        if "order" in tags or ("email" in tags and emails[p.emails[0]] == 1):
            k = 1
        elif form == "alias" and p.handle and author == p.handle:
            k = handles[p.handle]
        elif "phone" in tags:
            owners = phones[p.phones[0]]
            k = len(owners) if key is None else max(1, sum(1 for o in owners if key in _name_keys(o)))
        else:
            k = len(people) if key is None else names[key]
        out.append(k)
    return out


def outsider_fits(people: list[Person], queries: list[Query]) -> list[int | None]:
    """For each mention by someone not in the register: how many register people fit the name it shows
    (the same generous key as `fits`; None when it shows none). One that fits exactly one looks, to any
    matcher, like that customer's mention that fits one: it bounds what "recall where one fits" may cost
    in outsiders linked."""
    keys = [_name_key(p, form, author, city_named) for p, form, author, _, city_named in queries]
    counts: collections.Counter[tuple[str, ...]] = collections.Counter({key: 0 for key in keys if key is not None})
    for person in people:
        for key in _name_keys(person):
            if key in counts:
                counts[key] += 1
    return [None if key is None else counts[key] for key in keys]


def ceiling(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Upper bounds on recall and top-3 from the items' `fits` (k), over the customers' mentions."""
    ks = [it["fits"] for it in items if it.get("truth") is not None and it.get("fits") is not None]
    if not ks:
        return {"customers": 0, "recall at most": None, "top-3 at most": None}
    return {
        "customers": len(ks),
        "recall at most": sum(1 for k in ks if k == 1) / len(ks),
        "top-3 at most": sum(min(1.0, 3 / k) for k in ks) / len(ks),
        "one fits": sum(1 for k in ks if k == 1),
        "2-3 fit": sum(1 for k in ks if 2 <= k <= 3),
        "4-100 fit": sum(1 for k in ks if 4 <= k <= 100),
        "over 100 fit": sum(1 for k in ks if k > 100),
        "outsiders": sum(1 for it in items if it.get("truth") is None),
        "outsiders fitting one": sum(1 for it in items if it.get("truth") is None and it.get("fits") == 1),
    }
