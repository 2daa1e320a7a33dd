"""Customer matching: which customers of the brand's register a case may be about, best first.

`find_candidates` reads the case's texts and authors, looks up the register's
blocking index (monitor.customers.keys; indexed equality on brand, kind, value, never
a scan), scores each customer found and returns the best few, each with a score
(0-100) and reasons staff can read. The caller (monitor.cases.pipeline) applies
CustomerLinkConfig: the top candidate at or above `link_at` (default 90) is linked
automatically, candidates at or above `suggest_at` (default 60) are suggested for
staff to confirm or reject, lower ones are dropped. Rejected customers are passed
in `exclude_customer_ids` and never come back.

Which customers are scored is decided by monitor.customers.blocking (the
register's blocking index); what the texts say by monitor.customers.evidence.

Rules, in the order they apply:

1. Identifiers in the texts: order numbers (the brand's `order_pattern`, else a
   number after «заказ», "order", "Bestellung", «замовлення», «պատվեր», «№», "#"),
   e-mail addresses, phone numbers (phonenumbers, the brand's country for numbers
   without "+"). An exact match is proof of the account: 97 for an order or an
   e-mail, 96 for a phone, +1.5 per further matching identifier (at most 99);
   "order 7731-220 matches exactly". An identifier that two candidates share (a
   household's phone) is worth 85 to each: it says "this family", not who.
2. The author's name against every spelling of the customer's (full name and
   aliases), monitor.customers.name_match: word by word in any order, tolerant of script,
   transliteration, pet names and typos; "name 'Ivan Petrov' ~ 'Петров Иван' 100".
   Alone it scores 0.92 × similarity for first + family name or a user name the
   register lists as an alias (92 when exact), 0.70 for first name + patronymic or
   an alias made of a name word and digits ("klimova93"), 0.66 for family name +
   initial, 0.55 for a family name, 0.40 for a relative (same family name, other
   first name), 0.35 for a first name. With an identifier, a full name that agrees
   adds 2 (12 to a shared identifier: the name says who in the household); an
   author who signs with a person's name («Олена», "Helga Fuchs", "Ursula S.") of
   which not one word fits takes 12 off (a mistyped or someone else's order
   number, or a relative's account), which leaves a suggestion. A nickname
   ("bargainhunter", "kate.v") never clashes.
3. City: the customer's city named in the texts (any case ending: «из Самары»)
   adds 4 to a candidate that has other evidence; alone it is nothing.
4. A name alone links only when it is as good as exact (similarity ≥ 98: the same
   name in another script or transliteration) and either rare, or told apart by the
   city. Rare: no other customer of the brand has the family name (in either
   gender: Петров/Петрова) or the handle. Told apart: the family name is held by at
   most FEW_HOLDERS (4) other customers, about a household, the texts name the
   customer's city, and no other candidate has the name (given and family, any
   spelling). Otherwise it is capped at 88, a suggestion. A family member links on
   a name alone only with the city; two customers with one name never do. A name
   unique in the register is not enough by itself: people who are not customers
   have the same names (bench/match.py, 20,000 customers: linking every unique name
   linked 8% of non-customers' complaints to someone; with the city but any family
   name, 1.2%, from Yerevan and Moscow mostly).
5. Ambiguity: a best candidate less than 12 points ahead of the next scores at
   most 80 + twice its lead, and the others no more than it (two customers with
   one phone and no name: both 80, both suggested). An order number with the
   author's name still beats a namesake (100 vs 88).

Thresholds (CustomerLinkConfig): at link_at 90 an exact identifier links unless
a name clashes or another candidate shares it, and an exact rare name, or an exact
name with its city, links; at
suggest_at 60 typo'd, shared or transliterated-with-errors names (84-89), family
name + initial (66) and first name + patronymic (70) are suggested; a family name
alone (55), a relative (40) or a first name alone (35) are not. bench/match.py
measures these choices (docs/PERFORMANCE.md, "Customer matching").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from monitor.customers.blocking import CustomerRow, count_holders, find_hits, load_customers
from monitor.customers.evidence import Evidence, extract_evidence, mentions_city
from monitor.customers.keys import normalise_order
from monitor.customers.name_match import Author, NameMatch, author, best_name_match, spell_all

__all__ = ["Candidate", "find_candidates"]

IDENTIFIER_SCORE = {"order": 97.0, "email": 97.0, "phone": 96.0}
EXTRA_IDENTIFIER = 1.5
IDENTIFIER_MAX = 99.0
NAME_AGREES = 2.0
NAME_CLASHES = 12.0
CITY_BONUS = 4.0
SHARED_NAME = 88.0
EXACT_NAME = 98.0
SHARED_IDENTIFIER = 85.0
NAME_PICKS = 12.0
MARGIN = 12.0
# Rule 4: a family name held by this many other customers at most (about a household) can
# be told apart by the city; a commoner one cannot (Petrosyan in Yerevan, Semyonov in Moscow:
# measured in bench/match.py, people who are not customers linked).
FEW_HOLDERS = 4
AMBIGUOUS = 80.0


@dataclass(frozen=True, slots=True)
class Candidate:
    customer_id: int
    score: float  # 0-100
    reasons: tuple[str, ...]


@dataclass(slots=True)
class _Scored:
    candidate: Candidate
    full_name: str
    name: NameMatch | None
    identified: bool
    city: bool  # the customer's city is named in the texts


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
    """The customers the case may be about, best first, at most `limit` (see the module docstring)."""
    evidence = extract_evidence(texts, order_pattern=order_pattern, region=default_region)
    prepared = [author(a) for a in dict.fromkeys(a.strip() for a in authors if a and a.strip())]
    hits = find_hits(session, brand_id, evidence, prepared, set(exclude_customer_ids))
    if not hits:
        return []
    rows = load_customers(session, hits, evidence)
    spell_all(name for row in rows for name in (row.full_name, *row.names))
    owners = Counter(key for h in hits.values() for key in h.identifiers)
    fits: dict[tuple[str, tuple[str, ...]], NameMatch | None] = {}  # namesakes are compared once
    scored = [s for s in (_score(row, evidence, prepared, owners, fits) for row in rows) if s is not None]
    known: dict[tuple, bool] = {}
    exact = [s for s in scored if not s.identified and s.name is not None and s.name.agrees]
    for s in scored:
        if not s.identified and s.name is not None and s.name.agrees and s.candidate.score > SHARED_NAME:
            if s.name.similarity < EXACT_NAME:
                # A spelling difference is a typo or another person: only a suggestion.
                s.candidate = _with(s.candidate, SHARED_NAME, "the name is spelled differently")
                continue
            # Rule 4; namesakes share one answer, so each rare part is looked up once.
            if s.name.rarity not in known:
                known[s.name.rarity] = _holders(session, brand_id, s)
            holders = known[s.name.rarity]
            # A namesake among the candidates: the name cannot tell them apart, nor can the city.
            twin = any(t is not s and t.name.similarity >= EXACT_NAME for t in exact)  # type: ignore[union-attr]
            if s.city and s.name.coverage == "full" and not twin and holders <= FEW_HOLDERS:
                continue
            if holders:
                what = "nickname" if s.name.coverage == "nick" else "family name"
                s.candidate = _with(s.candidate, SHARED_NAME, f"another customer has the {what} '{s.name.shown}'")
    scored.sort(key=lambda s: (-s.candidate.score, s.candidate.customer_id))
    return _disambiguate(scored)[:limit]


def _score(
    row: CustomerRow,
    evidence: Evidence,
    authors: list[Author],
    owners: Counter,
    fits: dict[tuple[str, tuple[str, ...]], NameMatch | None],
) -> _Scored | None:
    """Rules 1-3 of the module docstring for one customer; None when nothing about it agrees."""
    orders = {normalise_order(o) for o in row.orders}
    matched: list[tuple[str, str, bool]] = []  # kind, reason, shared with another candidate
    for written in evidence.orders:
        if (key := normalise_order(written)) in orders:
            matched.append(("order", f"order {written} matches exactly", owners[("order", key)] > 1))
    for email in evidence.emails:
        if email in row.emails:
            matched.append(("email", f"email {email} matches exactly", owners[("email", email)] > 1))
    for phone, written in evidence.phones.items():
        if phone in row.phones:
            matched.append(("phone", f"phone {written} matches exactly", owners[("phone", phone)] > 1))
    spellings = (row.full_name, tuple(row.names))
    if spellings in fits:
        name = fits[spellings]
    else:
        name = fits[spellings] = best_name_match(authors, row.full_name, row.names)
    reasons = [text + (", but is another customer's too" if shared else "") for _, text, shared in matched]
    own = [kind for kind, _, shared in matched if not shared]
    if own:
        score = min(IDENTIFIER_MAX, max(IDENTIFIER_SCORE[k] for k in own) + EXTRA_IDENTIFIER * (len(matched) - 1))
    elif matched:
        score = SHARED_IDENTIFIER
    elif name is not None and name.score > 0:
        score = name.score
    else:
        return None
    if matched and name is not None and name.agrees:
        # A household's phone narrows it to the household; the name says who in it.
        score = min(100.0, score + (NAME_AGREES if own else NAME_PICKS))
    elif matched and name is not None and name.clashes:
        score -= NAME_CLASHES
    if name is not None and (name.agrees or name.clashes or not matched):
        reasons += name.reasons
    city = False
    if row.city:
        city = evidence.cities.get(row.city)  # type: ignore[assignment]
        if city is None:
            city = evidence.cities[row.city] = mentions_city(evidence, row.city)
    if city:
        score = min(100.0, score + CITY_BONUS)
        reasons.append(f"city '{row.city}' mentioned")
    return _Scored(Candidate(row.id, round(score, 1), tuple(reasons)), row.full_name, name, bool(matched), city)


def _holders(session: Session, brand_id: int, scored: _Scored) -> int:
    """Rule 4: how many other customers have this name's rare part (family name in either gender, or
    handle), counted up to FEW_HOLDERS + 1.

    With several such words ("Kessistahlhardt Claudia", Claudia not being a given
    name the table knows), the name is as rare as the rarest of them.
    """
    rarity = scored.name.rarity if scored.name else ()
    if not rarity:
        return FEW_HOLDERS + 1  # nothing to tell it apart: treat as common
    return count_holders(session, brand_id, rarity, scored.candidate.customer_id, FEW_HOLDERS + 1)


def _with(candidate: Candidate, score: float, note: str) -> Candidate:
    return Candidate(candidate.customer_id, round(score, 1), (*candidate.reasons, note))


def _disambiguate(scored: list[_Scored]) -> list[Candidate]:
    """Rule 5: an unclear lead caps the best score at AMBIGUOUS + 2 × lead, and the others at that too."""
    out = [s.candidate for s in scored]
    if len(scored) < 2:
        return out
    top, second = out[0], out[1]
    lead = top.score - second.score
    cap = round(AMBIGUOUS + 2 * lead, 1)
    if lead >= MARGIN or top.score <= cap:
        return out
    note = f"customer #{second.customer_id} '{scored[1].full_name}' fits almost as well ({second.score:g})"
    # The runner-up is no clearer than the one it made ambiguous.
    return [_with(top, cap, note), *(Candidate(c.customer_id, min(c.score, cap), c.reasons) for c in out[1:])]
