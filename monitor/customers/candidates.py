"""Customer matching: which customers of the brand's register a case may be about, best first.

`find_candidates` reads the case's texts and authors, looks up the register's
blocking index (monitor.customers.keys; indexed equality on brand, kind, value, never
a scan), scores each customer found and returns the best few, each with a score
(0-100) and reasons staff can read. The caller (monitor.cases.pipeline) applies
CustomerLinkConfig: the top candidate at or above `link_at` (default 90) is linked
automatically, candidates at or above `suggest_at` (default 60) are suggested for
staff to confirm or reject, lower ones are dropped. Rejected customers are passed
in `exclude_customer_ids` and never come back.

Blocking: the identifiers found in the texts, and each author's name keys (word
pairs by sound, with one-typo variants; a mistyped given name as the known given
names one typo away; initial + family name; the name run together as a handle) are
looked up in one indexed query. A name key shared by more than 60 customers is
dropped as telling nothing ("Ivan" + a typo variant of a common family name), and
so is a mistyped given name's block of keys that holds more than 60 in all; no key
reads more than 61 rows; exact name pairs (and a known given name one letter longer
than written) and identifiers are always kept. At most 25 customers are scored,
those with identifiers first, then exact names, handles, typo variants, initials.

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

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
import phonenumbers
from sqlmodel import Session

from monitor.core.text import words
from monitor.customers.keys import given_name_typos, lookup_keys, normalise_email, normalise_order
from monitor.customers.name_match import Author, NameMatch, author, best_name_match, exact_pair_keys, spell_all

__all__ = ["Candidate", "Evidence", "extract_evidence", "find_candidates"]

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
_IDENTIFIERS = frozenset(("order", "email", "phone"))
# A typo or initial key shared by more customers than this says nothing about who wrote.
BLOCK_MAX = 60
# Customers scored per case: identifiers first, then the strongest name evidence.
LOAD_MAX = 25

# Without a brand pattern: a number of at least three digits right after a word for "order"
# (any case ending), «№» or "#": «заказ 7731-220», «заказа № 5561-903», "Bestellung AC-55120",
# "order #6620-031", «Замовлення 7815-330», «Պատվեր 5530-207».
DEFAULT_ORDER = re.compile(
    r"(?:\b(?:заказ|замовлен|замоўлен|order|bestell|auftrag|պատվեր)\w*|№|#)"
    r"\s*(?:(?:№|#|no\.?|nr\.?|number|nummer|номер)\s*)?:?\s*"
    r"(?P<order>(?:[^\W\d_]{1,4}[-/]?)?\d(?:[\d/-]*\d)?)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)+")
# Where a phone number may be: a run of digits with the usual separators; phonenumbers reads it.
_PHONE_RUN = re.compile(r"\+?\(?\d[\d\s().\-]{5,}\d")


@dataclass(frozen=True, slots=True)
class Candidate:
    customer_id: int
    score: float  # 0-100
    reasons: tuple[str, ...]


@dataclass(slots=True)
class Evidence:
    """What the texts say about who wrote them; orders and phones keep their written form for reasons."""

    orders: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: dict[str, str] = field(default_factory=dict)  # E.164 → as written
    texts: Sequence[str] = ()
    _words: set[str] | None = None
    # Cities already looked for in the texts: namesakes in one household share one.
    cities: dict[str, bool] = field(default_factory=dict)

    @property
    def words(self) -> set[str]:
        """The folded words of the texts (for the city rule), folded only when a candidate has a city."""
        if self._words is None:
            self._words = {w for text in self.texts for w in words(text)}
        return self._words


def extract_evidence(texts: Sequence[str], *, order_pattern: str | None, region: str | None) -> Evidence:
    """Order numbers, e-mail addresses and phone numbers found in the texts, each once."""
    evidence = Evidence(texts=texts)
    pattern = re.compile(order_pattern) if order_pattern else DEFAULT_ORDER
    seen_orders: set[str] = set()
    for text in texts:
        for m in pattern.finditer(text):
            written = _order_group(m)
            if pattern is DEFAULT_ORDER and sum(ch.isdigit() for ch in written) < 3:
                continue  # "order 2", "#1": not an order number
            if written and (key := normalise_order(written)) and key not in seen_orders:
                seen_orders.add(key)
                evidence.orders.append(written)
        for m in _EMAIL.finditer(text):
            email = normalise_email(m.group().rstrip(".-"))
            if email and email not in evidence.emails:
                evidence.emails.append(email)
        for run in _PHONE_RUN.finditer(text):
            for found in phonenumbers.PhoneNumberMatcher(run.group(), region):
                e164 = phonenumbers.format_number(found.number, phonenumbers.PhoneNumberFormat.E164)
                evidence.phones.setdefault(e164, found.raw_string)
    return evidence


def _order_group(m: re.Match[str]) -> str:
    # A brand pattern may mark the number with a group named "order", or one plain group.
    if "order" in m.re.groupindex:
        return m.group("order") or ""
    return (m.group(1) or "") if m.re.groups == 1 else m.group()


def mentions_city(evidence: Evidence, city: str) -> bool:
    """Whether every word of `city` stands in the texts, allowing a case ending («в Москве», «из Казани»)."""
    stems = _city_stems(city)
    if not stems:
        return False
    return all(any(w.startswith(stem) and len(w) <= longest for w in evidence.words) for stem, longest in stems)


@lru_cache(maxsize=1 << 12)
def _city_stems(city: str) -> tuple[tuple[str, int], ...]:
    # A register names a few hundred cities; each candidate of each case asks again.
    return tuple((part if len(part) <= 4 else part[: max(4, len(part) - 2)], len(part) + 3) for part in words(city))


@dataclass(slots=True)
class _Hits:
    identifiers: set[tuple[str, str]] = field(default_factory=set)
    exact_name: bool = False
    nick: bool = False
    typo: int = 0
    initial: bool = False

    def rank(self) -> tuple[int, ...]:
        return (len(self.identifiers), self.exact_name, self.nick, self.typo, self.initial)


class _Row(NamedTuple):
    id: int
    full_name: str
    names: list[str]
    emails: list[str]
    phones: list[str]
    orders: list[str]
    city: str | None


@dataclass(slots=True)
class _Scored:
    candidate: Candidate
    full_name: str
    name: NameMatch | None
    identified: bool
    city: bool  # the customer's city is named in the texts


# The lookups of the hot path are driver-level SQL run on the driver's own cursor:
# SQLAlchemy renders and compiles a statement with expanding IN lists on every call, and
# builds a result object per statement, which together cost more than the indexed lookups
# themselves (measured: about half of the client's time per case, then a fifth). "?" becomes
# the driver's placeholder; only placeholders are formatted in, every value is bound.
# One limited lookup per key, all in one statement: a key shared by half the register
# stops after BLOCK_MAX + 1 rows instead of reading them all (measured at a million
# customers: "Aleksandr" with a typo variant of "Ivanov" is thousands of rows).
_BLOCK_PART = (
    "SELECT * FROM (SELECT kind, value, customer_id FROM customer_key"
    " WHERE brand_id = ? AND kind = ? AND value = ? LIMIT {cap}) AS block"
)
# On PostgreSQL one row per key: its position in the arrays sent and its customers as one
# array, NULL for a key found too often (more than BLOCK_MAX customers) unless it is one of
# the first `kept` (identifiers and exact name pairs, sent first). At a large register most
# rows read belong to such keys: they no longer cross the wire.
_BLOCK_PG = (
    "SELECT k.i, CASE WHEN k.i <= %s OR count(*) <= %s THEN array_agg(c.customer_id) END"
    " FROM unnest(%s::varchar[], %s::varchar[]) WITH ORDINALITY AS k(kind, value, i)"
    " CROSS JOIN LATERAL (SELECT customer_id FROM customer_key"
    " WHERE brand_id = %s AND kind = k.kind AND value = k.value LIMIT %s) AS c GROUP BY k.i"
)
# The identifier columns are read only when the texts hold an identifier of that kind. The
# lists come as JSON text, decoded by orjson (psycopg's JSONB loader took more time).
# On PostgreSQL the ids are one array: a statement text per number of ids would be planned
# anew each time (psycopg prepares only statements it has seen five times).
_LOAD_SQL = "SELECT id, full_name, {names}, {orders}, {emails}, {phones}, city FROM customer WHERE {ids} ORDER BY id"
_SHARED_SQL = (
    "SELECT DISTINCT customer_id FROM customer_key"
    " WHERE brand_id = ? AND kind = ? AND value IN ({values}) AND customer_id <> ? LIMIT ?"
)
# On PostgreSQL a limited lookup per value, every group of rule 4 in one statement: with an
# IN list of six forms of a family name and no statistics yet (a register just imported)
# the planner scanned every "name" key of the brand instead (measured: 60 ms a call).
_SHARED_PG = (
    "SELECT DISTINCT v.g, c.customer_id FROM unnest(%s::int[], %s::varchar[], %s::varchar[]) AS v(g, kind, value)"
    " CROSS JOIN LATERAL (SELECT customer_id FROM customer_key"
    " WHERE brand_id = %s AND kind = v.kind AND value = v.value AND customer_id <> %s LIMIT %s) AS c"
)


def _query(session: Session, sql: str, params: Sequence[Any], **lists: int) -> list[Any]:
    conn = session.connection()
    if lists:
        sql = sql.format(**{name: ", ".join("?" * n) for name, n in lists.items()})
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    return _fetch(session, sql, params)


def _fetch(session: Session, sql: str, params: Sequence[Any]) -> list[Any]:
    """Rows of `sql` (in the driver's placeholder style) in the session's transaction."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, tuple(params))
        return cursor.fetchall()
    finally:
        cursor.close()


def _pg_array(values: Iterable[str]) -> str:
    """A PostgreSQL array literal of strings, every element quoted: one text parameter, which
    psycopg sends as it is (measured: its list dumper cost more than the rest of the call)."""
    return "{" + ",".join(f'"{_pg_escape(v)}"' if '"' in v or "\\" in v else f'"{v}"' for v in values) + "}"


def _pg_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _json_list(value: str | None) -> list[str]:
    return orjson.loads(value) if value else []


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
    hits = _block(session, brand_id, evidence, prepared, set(exclude_customer_ids))
    if not hits:
        return []
    chosen = sorted(hits, key=lambda cid: hits[cid].rank(), reverse=True)[:LOAD_MAX]
    postgresql = session.connection().dialect.name == "postgresql"
    text = "::text" if postgresql else ""
    sql = _LOAD_SQL.format(
        names=f"names{text}",
        orders=f"orders{text}" if evidence.orders else "NULL",
        emails=f"emails{text}" if evidence.emails else "NULL",
        phones=f"phones{text}" if evidence.phones else "NULL",
        ids="id = ANY(%s::int[])" if postgresql else f"id IN ({', '.join('?' * len(chosen))})",
    )
    params = ["{" + ",".join(map(str, chosen)) + "}"] if postgresql else chosen
    rows = [
        _Row(r[0], r[1], _json_list(r[2]), _json_list(r[4]), _json_list(r[5]), _json_list(r[3]), r[6])
        for r in _fetch(session, sql, params)
    ]
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


def _block(
    session: Session, brand_id: int, evidence: Evidence, authors: list[Author], exclude: set[int]
) -> dict[int, _Hits]:
    """Customers sharing a key with the evidence: an indexed lookup of every key, in one statement."""
    wanted: set[tuple[str, str]] = set()
    wanted.update(("order", normalise_order(o)) for o in evidence.orders)
    wanted.update(("email", e) for e in evidence.emails)
    wanted.update(("phone", p) for p in evidence.phones)
    exact: set[str] = set()
    blocks: list[frozenset[str]] = []
    for who in authors:
        wanted |= lookup_keys(who.text)
        parts = [w for w, _ in who.words]
        exact |= exact_pair_keys(parts)
        close, typo_blocks = given_name_typos(parts)
        exact |= close
        blocks += typo_blocks
    if not wanted:
        return {}
    keys = sorted(wanted)
    found: list[tuple[tuple[str, str], list[int] | None]]  # None: more than BLOCK_MAX customers
    if session.connection().dialect.name == "postgresql":
        # One statement text whatever the number of keys: psycopg prepares it after a few
        # calls, so PostgreSQL stops parsing and planning a new UNION for every case. The keys
        # kept whatever their size go first; the server leaves out the others found too often.
        sent = sorted(keys, key=lambda k: k[0] not in _IDENTIFIERS and not (k[0] == "sound" and k[1] in exact))
        kept = sum(1 for kind, value in sent if kind in _IDENTIFIERS or (kind == "sound" and value in exact))
        kinds, values = _pg_array(k for k, _ in sent), _pg_array(v for _, v in sent)
        params = [kept, BLOCK_MAX, kinds, values, brand_id, BLOCK_MAX + 1]
        # In the order of `keys`, as elsewhere: it decides which of equally good customers are loaded.
        found = sorted((sent[i - 1], cids) for i, cids in _fetch(session, _BLOCK_PG, params))
    else:
        sql = " UNION ALL ".join([_BLOCK_PART.format(cap=BLOCK_MAX + 1)] * len(keys))
        grouped: dict[tuple[str, str], list[int]] = {}
        for row in _query(session, sql, [p for key in keys for p in (brand_id, *key)]):
            grouped.setdefault((row[0], row[1]), []).append(row[2])
        found = list(grouped.items())
    sizes = {key: BLOCK_MAX + 1 if cids is None else len(cids) for key, cids in found}
    dropped = {key for key, size in sizes.items() if size > BLOCK_MAX}
    if blocks:
        # A typo block of a mistyped given name stands or falls as a whole (given_name_typos).
        fine: set[tuple[str, str]] = set()
        for block in blocks:
            members = [("sound", value) for value in block]
            (dropped if sum(sizes.get(m, 0) for m in members) > BLOCK_MAX else fine).update(members)
        dropped -= fine
    hits: dict[int, _Hits] = {}
    for key, cids in found:
        kind, value = key
        if cids is None:
            continue
        if kind in _IDENTIFIERS:
            for cid in cids:
                if cid not in exclude:
                    hits.setdefault(cid, _Hits()).identifiers.add(key)
        elif kind == "sound" and value in exact:
            for cid in cids:
                if cid not in exclude:
                    hits.setdefault(cid, _Hits()).exact_name = True
        elif key in dropped:
            continue
        elif kind == "nick":
            for cid in cids:
                if cid not in exclude:
                    hits.setdefault(cid, _Hits()).nick = True
        elif kind == "sound":
            for cid in cids:
                if cid not in exclude:
                    hits.setdefault(cid, _Hits()).typo += 1
        elif kind == "initial":
            for cid in cids:
                if cid not in exclude:
                    hits.setdefault(cid, _Hits()).initial = True
    return hits


def _score(
    row: _Row,
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
    fewest = FEW_HOLDERS + 1
    if session.connection().dialect.name == "postgresql":
        # FEW_HOLDERS + 1 others per value: enough to tell whether a group has that many.
        sent = [(g, kind, value) for g, (kind, values) in enumerate(rarity) for value in values]
        groups, kinds, values = zip(*sent, strict=True)
        params = [list(groups), _pg_array(kinds), _pg_array(values), brand_id, scored.candidate.customer_id]
        params.append(FEW_HOLDERS + 1)
        others = Counter(g for g, _ in _fetch(session, _SHARED_PG, params))
        return min(FEW_HOLDERS + 1, *(others[g] for g in range(len(rarity))))
    for kind, values in rarity:
        params = [brand_id, kind, *values, scored.candidate.customer_id, FEW_HOLDERS + 1]
        fewest = min(fewest, len(_query(session, _SHARED_SQL, params, values=len(values))))
    return fewest


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
