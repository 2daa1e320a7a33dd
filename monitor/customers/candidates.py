"""Customer matching: which customers of the brand's register a case may be about, with the probability of each.

`find_candidates` reads the case's texts and authors, looks up the register's blocking
index (monitor.customers.blocking: indexed equality on brand, kind, value, never a scan),
weighs what each customer found has in common with the case in the Fellegi-Sunter way
(monitor.customers.weights: one log-likelihood weight per name word, the city, each
identifier, with u from the register's own frequencies) and returns the best few, each
with the probability that this customer wrote it (0-1) and reasons that name each weight.

The caller (monitor.cases.pipeline) applies CustomerLinkConfig: the top candidate at or
above `link_at` (a probability, default 0.99) is linked automatically, candidates at or
above `suggest_at` (default 0.02) are suggested for staff to confirm or reject, lower ones
are dropped. Rejected customers are passed in `exclude_customer_ids` and never come back.

What follows from the weights: a full name that no other customer has links, more surely
with the city (a name held by several customers, or a common one, stays a suggestion until the
city or an identifier tells them apart); a typo weighs less than the word as written; a name
word that differs from the customer's, or another city than the customer's, counts against; an
exact order number, e-mail or phone links, and a name that differs lowers its probability
(a short order number less surely than a long one: its u is 1 / the values its format allows); customers
who fit equally share the probability, so none of them links (bench/match.py measures it).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from monitor.customers.blocking import BLOCK_MAX, CustomerRow, find_hits, load_customers
from monitor.customers.evidence import (
    Evidence,
    city_letters,
    city_typo,
    extends_named,
    extract_evidence,
    mentions_city,
    writes_city,
)
from monitor.customers.frequencies import CITY_TYPO_MIN, RegisterFrequencies, register_frequencies
from monitor.customers.keys import normalise_order
from monitor.customers.name_match import Author, author, spell_all
from monitor.customers.weights import GENERIC_U, Weight, identifier_weight, name_weights, prior_weight, weight

__all__ = ["Candidate", "Comparison", "compare_case", "find_candidates", "named_cities", "probabilities"]


@dataclass(frozen=True, slots=True)
class Candidate:
    customer_id: int
    score: float  # the probability that this customer wrote the case, 0-1
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One customer against one case: the weights, for scoring and for EM (monitor.customers.training)."""

    customer_id: int
    full_name: str
    weights: tuple[Weight, ...]

    def bits(self, m: Mapping[str, float]) -> float:
        return sum(w.bits(m) for w in self.weights)


def find_candidates(
    *,
    session: Session,
    brand_id: int,
    texts: Sequence[str],
    authors: Sequence[str],
    order_pattern: str | None,
    default_region: str | None,
    exclude_customer_ids: Collection[int] = (),
    limit: int = 5,
) -> list[Candidate]:
    """The customers the case may be about, most probable first, at most `limit` (see the module docstring)."""
    compared, freq = compare_case(
        session=session,
        brand_id=brand_id,
        texts=texts,
        authors=authors,
        order_pattern=order_pattern,
        default_region=default_region,
        exclude_customer_ids=exclude_customer_ids,
    )
    return probabilities(compared, freq, limit=limit)


def compare_case(
    *,
    session: Session,
    brand_id: int,
    texts: Sequence[str],
    authors: Sequence[str],
    order_pattern: str | None,
    default_region: str | None,
    exclude_customer_ids: Collection[int] = (),
) -> tuple[list[Comparison], RegisterFrequencies]:
    """Every customer the blocking index finds for the case, with its weights."""
    freq = register_frequencies(session, brand_id)
    evidence = extract_evidence(texts, order_pattern=order_pattern, region=default_region)
    prepared = [author(a) for a in dict.fromkeys(a.strip() for a in authors if a and a.strip())]
    named = named_cities(evidence, freq)
    # Everyone in a small town the texts name is compared: a mistyped or replaced name word still has the city.
    towns = [city for city in named if freq.cities.get(city, 0) <= BLOCK_MAX]
    hits = find_hits(session, brand_id, evidence, prepared, set(exclude_customer_ids), towns)
    if not hits:
        return [], freq
    rows = load_customers(session, hits, evidence)
    spell_all(name for row in rows for name in (row.full_name, *row.names))
    # How many customers found hold each identifier of the texts; texts without one (most) skip the walk over every hit.
    owners = Counter(key for h in hits.values() for key in h.identifiers) if evidence.identifies else Counter()
    fits: dict[tuple[str, tuple[str, ...]], list[Weight]] = {}  # namesakes are compared once
    # A text that names a register city as written is not searched for others with a typo: one city is
    # named, and the search is a tenth of matching's time where every text names one (bench/match.py's mix).
    written = {city_letters(city) for city in named}
    typos = None if any(writes_city(evidence, city) for city in named) else written
    return [_compare(row, evidence, prepared, owners, named, typos, freq, fits) for row in rows], freq


def probabilities(
    compared: Sequence[Comparison],
    freq: RegisterFrequencies,
    model: Mapping[str, float] | None = None,
    limit: int | None = None,
) -> list[Candidate]:
    """p_j = r·2^W_j / (1 + r·Σ 2^W_i) (monitor.customers.weights), most probable first; the register's
    trained model unless `model` is given. With `limit`, only the first `limit`: the denominator is
    over every customer compared all the same, but only those returned have their reasons written."""
    if not compared:
        return []
    m = freq.model if model is None else model
    prior = prior_weight(m, freq.customers)
    logs = [prior + c.bits(m) for c in compared]
    # log of the denominator, computed stably: the largest term factored out.
    top = max(0.0, *logs)
    denominator = top + math.log2(2.0 ** (-top) + sum(2.0 ** (x - top) for x in logs))
    ranked = sorted(
        ((round(2.0 ** (x - denominator), 4), c) for c, x in zip(compared, logs, strict=True)),
        key=lambda pc: (-pc[0], pc[1].customer_id),
    )
    if limit is not None:
        ranked = ranked[:limit]
    before = f"1 of {freq.customers} customers before the evidence: {prior:+.1f}"
    return [Candidate(c.customer_id, p, (*(w.explained(m) for w in c.weights), before)) for p, c in ranked]


def named_cities(evidence: Evidence, freq: RegisterFrequencies) -> set[str]:
    """The register cities the texts name, in any case ending («из Самары») or with one typo or a
    space out of place in a long name ("sprin gwood", "liyldale")."""
    found: set[str] = set()
    for word in evidence.words:
        for city in freq.city_starts.get(word[:4], ()):
            if city not in found and mentions_city(evidence, city):
                found.add(city)
    if freq.city_typos and not found:
        # Only when no city is named as written: most texts that name one spell it right. The runs of
        # one to three words are the evidence's (built once per case for `city_typo` too).
        lengths = freq.city_typo_lengths
        for size, spans in evidence.spans.items():
            if CITY_TYPO_MIN - 1 <= size <= 40 and (size in lengths or size - 1 in lengths):
                for span in spans:
                    found |= freq.typo_cities(span)
    return found


def _compare(
    row: CustomerRow,
    evidence: Evidence,
    authors: list[Author],
    owners: Counter,
    named: set[str],
    typos: set[str] | None,
    freq: RegisterFrequencies,
    fits: dict[tuple[str, tuple[str, ...]], list[Weight]],
) -> Comparison:
    m = freq.model
    # Most texts hold no identifier: the three kinds are not even set up for them.
    out = _identifier_weights(row, evidence, owners, freq) if evidence.identifies else []
    spellings = (row.full_name, tuple(row.names))
    if spellings not in fits:
        fits[spellings] = name_weights(authors, row.full_name, row.names, freq, m)
    out += fits[spellings]
    if not row.city:
        return Comparison(row.id, row.full_name, tuple(out))
    if row.city in named or (named and mentions_city(evidence, row.city)):
        out.append(weight(m, "city agrees", freq.city_share(row.city),
                          f"city '{row.city}' named ({freq.cities.get(row.city, 1)} customers live there)"))  # fmt: skip
    elif (
        (typos is not None or extends_named(row.city, named))
        and (typo := city_typo(evidence, row.city)) is not None
        and typo not in (typos if typos is not None else {city_letters(city) for city in named})
    ):
        # Written with a typo, and not as another register city the texts name as written. A text that
        # names a city as written is searched only for the cities that start like it: "ballarat horth"
        # names Ballarat as written, and is Ballarat North with a typo.
        u = GENERIC_U["city typo"] + freq.city_share(row.city)
        out.append(weight(m, "city typo", u, f"'{typo}' is '{row.city}' with a typo"))
    elif named:
        shown = ", ".join(sorted(named)[:2])
        out.append(weight(m, "city differs", 1 - freq.city_share(row.city),
                          f"the texts name {shown}, the customer lives in '{row.city}'"))  # fmt: skip
    return Comparison(row.id, row.full_name, tuple(out))


def _identifier_weights(
    row: CustomerRow, evidence: Evidence, owners: Counter, freq: RegisterFrequencies
) -> list[Weight]:
    m = freq.model
    out: list[Weight] = []
    for kind, written, mine, key_of in (
        ("order", evidence.orders, {normalise_order(o) for o in row.orders}, normalise_order),
        ("email", evidence.emails, set(row.emails), str),
        ("phone", list(evidence.phones), set(row.phones), str),
    ):
        if not written or not mine:
            continue  # the texts or the customer have none of this kind: it says nothing
        agreeing = [w for w in written if key_of(w) in mine]
        if agreeing:
            for w in agreeing:
                shown = evidence.phones.get(w, w) if kind == "phone" else w
                holders = max(1, owners[(kind, key_of(w))])
                out.append(identifier_weight(m, kind, True, holders, freq.customers, shown))
        else:
            shown = evidence.phones.get(written[0], written[0]) if kind == "phone" else written[0]
            out.append(identifier_weight(m, kind, False, 0, freq.customers, shown))
    return out
