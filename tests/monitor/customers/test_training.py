"""EM over comparisons: m estimated from what was seen, staff decisions taken as truth."""

from __future__ import annotations

import random

import pytest

from monitor.customers.candidates import Comparison
from monitor.customers.training import estimate
from monitor.customers.weights import DEFAULT_M, Weight

N = 10_000  # customers in the register


def _case(rng: random.Random, truth_typo: float, truth_city_differs: float) -> list[Comparison]:
    """A case: the author (a customer, customer id 1) and three namesakes of one word each."""
    author: list[Weight] = []
    for _ in range(2):  # two name words
        author.append(Weight("name typo", 0.003, "") if rng.random() < truth_typo else Weight("name exact", 1e-3, ""))
    author.append(
        Weight("city differs", 0.9, "") if rng.random() < truth_city_differs else Weight("city agrees", 0.01, "")
    )
    others = [
        Comparison(cid, "", (Weight("name exact", 1e-3, ""), Weight("name differs", 0.93, ""),
                             Weight("city differs", 0.9, "") if rng.random() < 0.9 else Weight("city agrees", 0.01, "")))
        for cid in (2, 3, 4)
    ]  # fmt: skip
    return [Comparison(1, "", tuple(author)), *others]


def test_em_recovers_how_often_authors_mistype_and_move() -> None:
    rng = random.Random(7)
    cases = [_case(rng, truth_typo=0.2, truth_city_differs=0.3) for _ in range(3000)]
    trained = estimate(cases, N)
    m = trained.model
    # Of the author's name words, 20% carry a typo (the namesakes' agreeing words are not authors').
    assert m["name typo"] / (m["name typo"] + m["name exact"]) == pytest.approx(0.2, abs=0.03)
    assert m["city differs"] == pytest.approx(0.3, abs=0.04)
    assert m["customer share"] > 0.9  # every case here had its author in the register
    assert 1 < trained.iterations < 50 and trained.cases == 3000 and trained.comparisons == 12_000


def test_staff_decisions_are_taken_as_truth() -> None:
    rng = random.Random(3)
    cases = [_case(rng, truth_typo=0.1, truth_city_differs=0.1) for _ in range(200)]
    # Staff say the namesake (customer 2) wrote every one of them, and rejected the "author".
    labels = [{2: True, 1: False} for _ in cases]
    m = estimate(cases, N, labels).model
    assert m["name differs"] > 0.4  # the namesake differs in one of its two words
    assert m["city differs"] > 0.8


def test_no_cases_keep_the_defaults() -> None:
    trained = estimate([], N)
    assert trained.model == DEFAULT_M and trained.iterations == 1
