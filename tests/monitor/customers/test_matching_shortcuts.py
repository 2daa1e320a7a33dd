"""The shortcuts of matching's hot path give what the plain computation gives (bench/match_same.py checks whole runs)."""

from __future__ import annotations

import gc
import random

import pytest

from monitor.customers import frequencies
from monitor.customers.candidates import Comparison, probabilities
from monitor.customers.frequencies import CITY_TYPO_MIN, RegisterFrequencies, deletions
from monitor.customers.weights import weight

_CITIES = ["Frankston", "Springwood", "Biggera Waters", "Lilydale", "Ростов-на-Дону", "Ryde", "Campsie", "Kew"]


def _frequencies(cities: list[str]) -> RegisterFrequencies:
    typos: dict[str, set[str]] = {}
    for city in cities:
        joined = "".join(city.lower().replace("-", " ").split())
        if len(joined) >= CITY_TYPO_MIN:
            for variant in (joined, *deletions(joined)):
                typos.setdefault(variant, set()).add(city)
    return RegisterFrequencies(1000, {}, dict.fromkeys(cities, 10), {}, {}, typos)


def _plain(freq: RegisterFrequencies, span: str) -> set[str]:
    """Every one-letter deletion of the run looked up, as matching did before the shortcut."""
    found: set[str] = set()
    for variant in (span, *deletions(span)):
        found.update(freq.city_typos.get(variant, ()))
    return found


def test_the_city_typo_search_finds_what_looking_up_every_deletion_finds() -> None:
    freq = _frequencies(_CITIES)
    rng = random.Random(5)
    letters = "abcdefghijklmnopqrstuvwxyz"
    spans = ["frankston", "franwton", "frnkston", "rfankston", "sprin", "springwod", "biggerajwaters", "liyldale"]
    for key in list(freq.city_typos):
        for _ in range(3):  # each key with a letter added, replaced or swapped somewhere, the ends included
            i = rng.randrange(len(key) + 1)
            spans.append(key[:i] + rng.choice(letters) + key[i:])
            j = rng.randrange(len(key))
            spans.append(key[:j] + rng.choice(letters) + key[j + 1 :])
            if j + 1 < len(key):
                spans.append(key[:j] + key[j + 1] + key[j] + key[j + 2 :])
    spans += ["".join(rng.choice(letters) for _ in range(rng.randint(5, 16))) for _ in range(300)]
    found = 0
    for span in spans:
        assert freq.typo_cities(span) == _plain(freq, span), span
        found += bool(_plain(freq, span))
    assert found > 100  # most made-up runs name a city, so the comparison is not of empty sets


def test_city_keys_shorter_than_both_ends_are_still_found() -> None:
    # A register whose typo keys are too short for the first/last-letters test (CITY_TYPO_MIN lowered
    # one day): every deletion is then tried.
    freq = RegisterFrequencies(10, {}, {"Ryde": 1}, {}, {}, {"ryde": {"Ryde"}, "rde": {"Ryde"}})
    for span in ("ryde", "rydee", "xryde", "rydex", "rde", "rdex"):
        assert freq.typo_cities(span) == _plain(freq, span), span


def test_only_the_candidates_returned_have_reasons_and_their_probabilities_are_over_all() -> None:
    freq = RegisterFrequencies(1000, {"ivan": 5}, {}, {}, {}, {})
    compared = [
        Comparison(i, f"c{i}", (weight({}, "name exact", 0.001 * (i % 7 + 1), f"word {i}"),)) for i in range(12)
    ]
    every = probabilities(compared, freq)
    first = probabilities(compared, freq, limit=3)
    assert first == every[:3]
    assert [c.customer_id for c in every] == sorted(range(12), key=lambda i: (i % 7, i))


def test_a_large_register_once_loaded_leaves_the_collector_s_full_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    before = gc.get_freeze_count()
    small = RegisterFrequencies(10, {}, {}, {}, {}, {})
    try:
        assert frequencies._settled(small) is small and gc.get_freeze_count() == before
        monkeypatch.setattr(frequencies, "SETTLE_MIN", 10)
        assert frequencies._settled(small) is small and gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
