"""Estimating the m-probabilities of matching by EM, over the stream and the desk's decisions.

The u-probabilities come from the register (monitor.customers.frequencies); what is not
known is how often each level occurs when the customer did write the case: how often a
real customer's complaint carries a typo, names another city (moved, or writes from
work), quotes someone else's order. EM estimates it from cases as they come:

- E-step: with the current m, each case's candidates get their probabilities
  (monitor.customers.candidates.probabilities: one customer or nobody wrote it);
  a customer staff confirmed is the author for certain, one they rejected is not.
- M-step: m of a level = the expected number of times it occurs among authors ÷ the
  expected number of comparisons of its kind (name words, city, each identifier); the
  share of authors who are customers = the expected number of cases with an author in
  the register ÷ the cases.

Each step can only raise the likelihood of what was seen; it stops when no m moves by
more than `tolerance`, or after `iterations`. m is kept within [0.001, 0.999] so that no
level becomes proof or impossibility from a few cases, and a level seen in none keeps its
default.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.customers.candidates import Comparison
from monitor.customers.weights import DEFAULT_M, NAME_LEVELS, prior_weight

__all__ = ["FAMILIES", "Trained", "estimate"]

# Levels whose m sum to one: each comparison falls in exactly one of them.
FAMILIES: dict[str, tuple[str, ...]] = {
    "name": NAME_LEVELS,
    "city": ("city agrees", "city typo", "city differs"),
    "order": ("order agrees", "order differs"),
    "email": ("email agrees", "email differs"),
    "phone": ("phone agrees", "phone differs"),
}
_FAMILY_OF = {level: family for family, levels in FAMILIES.items() for level in levels}
M_MIN, M_MAX = 0.001, 0.999


@dataclass(frozen=True, slots=True)
class Trained:
    model: dict[str, float]
    iterations: int
    cases: int
    comparisons: int
    labelled: int


def _posteriors(
    case: Sequence[Comparison], m: Mapping[str, float], customers: int, labels: Mapping[int, bool]
) -> list[float]:
    """Each candidate's probability of being the author; staff decisions override."""
    confirmed = [c for c in case if labels.get(c.customer_id) is True]
    if confirmed:
        return [1.0 if c is confirmed[0] else 0.0 for c in case]
    prior = prior_weight(m, customers)
    logs = [prior + c.bits(m) if labels.get(c.customer_id) is not False else None for c in case]
    top = max([0.0, *(x for x in logs if x is not None)])
    total = 2.0 ** (-top) + sum(2.0 ** (x - top) for x in logs if x is not None)
    return [0.0 if x is None else 2.0 ** (x - top) / total for x in logs]


def estimate(
    cases: Sequence[Sequence[Comparison]],
    customers: int,
    labels: Sequence[Mapping[int, bool]] | None = None,
    start: Mapping[str, float] | None = None,
    iterations: int = 50,
    tolerance: float = 1e-4,
) -> Trained:
    """m and the customer share that best explain `cases` (each its candidates' comparisons);
    `labels[i]` maps customer id → confirmed (True) or rejected (False) by staff for case i."""
    m = {**DEFAULT_M, **(start or {})}
    given = labels or [{}] * len(cases)
    done = 0
    while done < iterations:
        done += 1
        seen: dict[str, float] = defaultdict(float)
        authors = 0.0
        for case, case_labels in zip(cases, given, strict=True):
            for c, p in zip(case, _posteriors(case, m, customers, case_labels), strict=True):
                authors += p
                if p <= 0.0:
                    continue
                for w in c.weights:
                    if w.level in _FAMILY_OF:
                        seen[w.level] += p
        new = dict(m)
        for levels in FAMILIES.values():
            total = sum(seen[level] for level in levels)
            if total <= 0.0:
                continue
            for level in levels:
                new[level] = min(M_MAX, max(M_MIN, seen[level] / total))
        if cases:
            new["customer share"] = min(M_MAX, max(M_MIN, authors / len(cases)))
        moved = max(abs(new[k] - m[k]) for k in new)
        m = new
        if moved <= tolerance:
            break
    comparisons = sum(len(case) for case in cases)
    labelled = sum(1 for case_labels in given if case_labels)
    return Trained(m, done, len(cases), comparisons, labelled)
