"""How common each name word and each city is in a brand's register: the u-probabilities of matching.

A complaint by "Madison Morrison" from a town where a hundred customers live says less
than one by "Kessistahlhardt" from a village of three: under the hypothesis that the
author is not this customer (but someone drawn from the same population), the chance of
agreeing on a word is the share of the register holding it (monitor.customers.weights).

The tables are read once per process and brand with two GROUP BY queries (the "name"
keys, which hold each folded word and each given-name group, and the customers' cities)
and kept in memory; `customer_register_state.version` (changed by every import or edit,
`touch_register`) says when they are stale. A brand without that row (customers written by
other means) is read afresh on every call rather than cached.

The cities also tell matching which register city a text names at all, so that a
candidate from another city counts against it (monitor.customers.evidence).
"""

from __future__ import annotations

import gc
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlmodel import Session

from monitor.core.text import words
from monitor.models import CustomerRegisterState

__all__ = [
    "CITY_TYPO_MIN",
    "RegisterFrequencies",
    "deletions",
    "register_frequencies",
    "register_state",
    "save_model",
    "touch_register",
]

_WORDS_SQL = "SELECT value, count(*) FROM customer_key WHERE brand_id = {p} AND kind = 'name' GROUP BY value"
_CITIES_SQL = "SELECT city, count(*) FROM customer WHERE brand_id = {p} AND city IS NOT NULL GROUP BY city"
_COUNT_SQL = "SELECT count(*) FROM customer WHERE brand_id = {p}"
_STATE_SQL = "SELECT version, model FROM customer_register_state WHERE brand_id = {p}"


@dataclass(slots=True)
class RegisterFrequencies:
    customers: int
    words: dict[str, int]  # folded name word or given-name group → customers holding it
    cities: dict[str, int]  # city as stored → customers living there
    # The first folded word of each city → the cities starting with it: a text's words find
    # the register cities it names without trying every city.
    city_starts: dict[str, list[str]] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)  # trained weights (monitor.customers.training)
    # A city's folded words run together ("springwood"), and each one-letter deletion of it,
    # → the cities: "sprin gwood", "liyldale" (a swap), "biggerajwaters" still name one.
    city_typos: dict[str, set[str]] = field(default_factory=dict)
    # The lengths of those keys: a run of the texts' words of another length (or one longer) names
    # none of them, so matching neither looks it up nor makes its deletions.
    city_typo_lengths: frozenset[int] = field(init=False)
    # (length, first three letters) and (length, last three) of each key of six letters or more: a
    # deletion of a run is a key only if it keeps the run's first three letters (a letter from the
    # fourth on left out) or its last three (one of the first three left out).
    _typo_ends: frozenset[tuple[int, str, str]] = field(init=False)
    _short_typo_lengths: frozenset[int] = field(init=False)  # keys too short for that: always tried

    def __post_init__(self) -> None:
        self.city_typo_lengths = frozenset(map(len, self.city_typos))
        ends = set()
        for key in self.city_typos:
            if len(key) >= 2 * _ENDS:
                ends.update(((len(key), "^", key[:_ENDS]), (len(key), "$", key[-_ENDS:])))
        self._typo_ends = frozenset(ends)
        self._short_typo_lengths = frozenset(len(k) for k in self.city_typos if len(k) < 2 * _ENDS)

    def typo_cities(self, span: str) -> set[str]:
        """The cities whose letters run together (or one of their one-letter deletions) are `span` or one
        of its one-letter deletions: "sprin gwood", "liyldale" (a swap), "biggerajwaters"."""
        found: set[str] = set()
        size = len(span)
        if size in self.city_typo_lengths:
            found.update(self.city_typos.get(span, ()))
        shorter = size - 1
        if shorter in self.city_typo_lengths and (
            shorter in self._short_typo_lengths
            or (shorter, "^", span[:_ENDS]) in self._typo_ends
            or (shorter, "$", span[-_ENDS:]) in self._typo_ends
        ):
            for variant in deletions(span):
                found.update(self.city_typos.get(variant, ()))
        return found

    def share(self, word: str) -> float:
        """The share of people holding `word`, from the register: (count + 1) / (N + 1/PRIOR_SHARE).

        The pseudo-count is what a register of a few customers cannot know: that a name
        held by one of nine customers is not one in nine of everybody's, nor one in a million;
        with no customers it is PRIOR_SHARE, at a million customers the register alone.
        """
        return (self.words.get(word, 0) + 1) / (self.customers + 1 / PRIOR_SHARE)

    def city_share(self, city: str) -> float:
        return (self.cities.get(city, 0) + 1) / (self.customers + 1 / PRIOR_SHARE)


# A name word or city seen in no register yet: as common as one in 300 people (a family name of
# a middling town, a given name of one generation).
PRIOR_SHARE = 1 / 300
# Shorter names are recognised only as written: one letter off, "ryde" is "ride".
CITY_TYPO_MIN = 7
_ENDS = 3  # letters at each end of a city typo key that RegisterFrequencies.typo_cities checks first
RECHECK_SECONDS = 1.0
SETTLE_MIN = 50_000  # customers from which a loaded register's objects are frozen out of the collector's passes
_cache: dict[tuple[str, int], tuple[str, RegisterFrequencies]] = {}
_checked: dict[tuple[str, int], tuple[float, RegisterFrequencies]] = {}
_lock = threading.Lock()


def _fetch(session: Session, sql: str, brand_id: int) -> list[Any]:
    conn = session.connection()
    placeholder = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql.format(p=placeholder), (brand_id,))
        return cursor.fetchall()
    finally:
        cursor.close()


def _load(session: Session, brand_id: int, model: dict[str, Any]) -> RegisterFrequencies:
    counted = dict(_fetch(session, _WORDS_SQL, brand_id))
    cities = dict(_fetch(session, _CITIES_SQL, brand_id))
    total = _fetch(session, _COUNT_SQL, brand_id)[0][0]
    starts: dict[str, list[str]] = {}
    typos: dict[str, set[str]] = {}
    for city in cities:
        if folded := words(city):
            starts.setdefault(folded[0][:4], []).append(city)
            joined = "".join(folded)
            if len(joined) >= CITY_TYPO_MIN:
                for variant in (joined, *deletions(joined)):
                    typos.setdefault(variant, set()).add(city)
    return RegisterFrequencies(total, counted, cities, starts, model, typos)


def _settled(loaded: RegisterFrequencies) -> RegisterFrequencies:
    """The tables just loaded, with every object the process holds now moved out of the collector's way.

    What a matching process holds once a register is loaded (its tables, the modules, the caches of
    names seen) lives as long as the process, and CPython's full collections walk all of it again
    each time enough new objects have survived: at a million customers three passes of 0.11-0.17 s
    in 2,000 mentions, a tenth of matching's CPU (docs/PERFORMANCE.md, session 8). gc.freeze() leaves
    them out of later passes; gc.collect() first, so that no garbage is frozen with them. Objects
    frozen are still freed when their last reference goes, as any other. Only for a large register,
    whose load takes seconds anyway: a small one (every test's) is not worth a full collection.
    """
    if loaded.customers >= SETTLE_MIN:
        gc.collect()
        gc.freeze()
    return loaded


def deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def register_frequencies(session: Session, brand_id: int) -> RegisterFrequencies:
    """The brand's tables, from memory while the register's version is unchanged.

    The version is read at most once a second per process and brand (a round trip per case
    cost a fifth of matching's time at 100,000 customers); a change made in this process
    (`touch_register`) is seen at once, one made elsewhere within a second.
    """
    key = (str(session.get_bind().url), brand_id)
    now = time.monotonic()
    with _lock:
        recent = _checked.get(key)
    if recent is not None and now - recent[0] < RECHECK_SECONDS:
        return recent[1]
    row = _fetch(session, _STATE_SQL, brand_id)
    if not row:
        return _load(session, brand_id, {})
    version, model = row[0]
    if isinstance(model, str):  # SQLite hands JSON back as text
        model = orjson.loads(model)
    with _lock:
        cached = _cache.get(key)
    fresh = cached is not None and cached[0] == version
    loaded = cached[1] if fresh and cached is not None else _settled(_load(session, brand_id, model or {}))
    with _lock:
        _cache[key] = (version, loaded)
        _checked[key] = (now, loaded)
    return loaded


def register_state(session: Session, brand_id: int) -> CustomerRegisterState | None:
    return session.get(CustomerRegisterState, brand_id)


def touch_register(session: Session, brand_id: int, now: datetime) -> None:
    """Mark the brand's register changed (an import or edit): every process reloads its tables."""
    with _lock:
        _checked.clear()
    state = session.get(CustomerRegisterState, brand_id)
    if state is None:
        session.add(CustomerRegisterState(brand_id=brand_id, version=uuid.uuid4().hex, changed_at=now, model={}))
    else:
        state.version, state.changed_at = uuid.uuid4().hex, now
    session.flush()


def save_model(session: Session, brand_id: int, model: dict[str, float], now: datetime) -> None:
    """Keep trained m-probabilities for the brand; matching processes pick them up with the next version."""
    touch_register(session, brand_id, now)
    state = session.get(CustomerRegisterState, brand_id)
    assert state is not None
    state.model, state.trained_at = dict(model), now
    session.flush()
