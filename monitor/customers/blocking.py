"""The register's blocking index read for one case: which customers to score, and their rows.

Blocking: the identifiers found in the texts, and each author's name keys (word
pairs by sound, with one-typo variants; a mistyped given name as the known given
names one typo away; initial + family name; the name run together as a handle) are
looked up in one indexed query. A name key shared by more than 60 customers is
dropped as telling nothing ("Ivan" + a typo variant of a common family name), and
so is a mistyped given name's block of keys that holds more than 60 in all; no key
reads more than 61 rows; exact name pairs (and a known given name one letter longer
than written) and identifiers are always kept. At most 25 customers are scored,
those with identifiers first, then exact names, handles, typo variants, initials.
See monitor.customers.candidates for how the customers found are scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from sqlmodel import Session

from monitor.customers.evidence import Evidence
from monitor.customers.keys import given_name_typos, lookup_keys, normalise_order
from monitor.customers.name_match import Author, exact_pair_keys

__all__ = ["BLOCK_MAX", "LOAD_MAX", "CustomerRow", "Hits", "find_hits", "load_customers"]

_IDENTIFIERS = frozenset(("order", "email", "phone"))
# A typo or initial key shared by more customers than this says nothing about who wrote.
BLOCK_MAX = 60
# Customers scored per case: identifiers first, then the strongest name evidence.
LOAD_MAX = 25


@dataclass(slots=True)
class Hits:
    identifiers: set[tuple[str, str]] = field(default_factory=set)
    exact_name: bool = False
    nick: bool = False
    typo: int = 0
    initial: bool = False
    words: int = 0  # name words the customer has as the author wrote them
    town: bool = False  # lives in a small town the texts name

    def rank(self) -> tuple[int, ...]:
        return (len(self.identifiers), self.exact_name, self.nick, self.words + self.typo + self.town, self.initial)


class CustomerRow(NamedTuple):
    id: int
    full_name: str
    names: list[str]
    emails: list[str]
    phones: list[str]
    orders: list[str]
    city: str | None


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
_TOWN_SQL = "SELECT id FROM customer WHERE brand_id = ? AND city IN ({towns})"
_LOAD_SQL = "SELECT id, full_name, {names}, {orders}, {emails}, {phones}, city FROM customer WHERE {ids} ORDER BY id"


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


def find_hits(
    session: Session,
    brand_id: int,
    evidence: Evidence,
    authors: list[Author],
    exclude: set[int],
    towns: Sequence[str] = (),
) -> dict[int, Hits]:
    """Customers sharing a key with the evidence (an indexed lookup of every key, in one statement),
    and everyone living in `towns` (small towns the texts name, at most BLOCK_MAX customers each)."""
    hits: dict[int, Hits] = {}
    if towns:
        for (cid,) in _query(session, _TOWN_SQL, [brand_id, *towns], towns=len(towns)):
            if cid not in exclude:
                hits.setdefault(cid, Hits()).town = True
    wanted: set[tuple[str, str]] = set()
    wanted.update(("order", normalise_order(o)) for o in evidence.orders)
    wanted.update(("email", e) for e in evidence.emails)
    wanted.update(("phone", p) for p in evidence.phones)
    exact: set[str] = set()
    blocks: list[frozenset[str]] = []
    for who in authors:
        wanted |= lookup_keys(who.text)
        parts = [w for w, _ in who.words]
        # Each word on its own (and its given-name group): a typo in the other word, a short
        # word whose sound keys are too short to hold a typo ("Ryan" → "rn"), a one-word author.
        for w in parts:
            if not w.initial and len(w.word) > 1:
                wanted.add(("name", w.word))
                wanted.update(("name", g) for g in w.groups)
        exact |= exact_pair_keys(parts)
        close, typo_blocks = given_name_typos(parts)
        exact |= close
        blocks += typo_blocks
    if not wanted:
        return hits
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
    for key, cids in found:
        kind, value = key
        if cids is None:
            continue
        if kind in _IDENTIFIERS:
            for cid in cids:
                if cid not in exclude:
                    _hit(hits, cid).identifiers.add(key)
        elif kind == "sound" and value in exact:
            for cid in cids:
                if cid not in exclude:
                    _hit(hits, cid).exact_name = True
        elif key in dropped:
            continue
        elif kind == "nick":
            for cid in cids:
                if cid not in exclude:
                    _hit(hits, cid).nick = True
        elif kind == "sound":
            for cid in cids:
                if cid not in exclude:
                    _hit(hits, cid).typo += 1
        elif kind == "initial":
            for cid in cids:
                if cid not in exclude:
                    _hit(hits, cid).initial = True
        elif kind == "name":
            for cid in cids:
                if cid not in exclude:
                    _hit(hits, cid).words += 1
    return hits


def _hit(hits: dict[int, Hits], cid: int) -> Hits:
    # Not hits.setdefault(cid, Hits()): that builds a Hits for every customer of every key found.
    found = hits.get(cid)
    if found is None:
        found = hits[cid] = Hits()
    return found


def load_customers(session: Session, hits: dict[int, Hits], evidence: Evidence) -> list[CustomerRow]:
    """The rows of the LOAD_MAX customers with the strongest hits; identifier lists only of kinds the texts hold."""
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
    loads = orjson.loads  # the lists are JSON text, NULL when not read (or not held)
    return [
        CustomerRow(
            r[0],
            r[1],
            loads(r[2]) if r[2] else [],
            loads(r[4]) if r[4] else [],
            loads(r[5]) if r[5] else [],
            loads(r[3]) if r[3] else [],
            r[6],
        )
        for r in _fetch(session, sql, params)
    ]
