"""Triage: what a complaint is about (category) and how soon it needs an answer (priority), with reasons.

Category: the keyword rules of monitor.config.triage_keywords (ru, uk, be, hy, de, en; every
language is tried, since a Russian post may quote an English order page) plus the
words added in sources.yaml. The category with the most distinct hits wins; on a tie
the earlier one in the list; no hit at all is "other".

Priority, in this order:
  1. a health or safety signal (poisoning, a fire, an injury) makes it urgent;
  2. otherwise each signal adds points:
       a court, lawyer, regulator or consumer-rights law    2
       the press, journalists, going public                 2
       a rating of one star (of five)                        1
       a repeat: the same customer has another case within `repeat_window`   1
       a customer of a VIP tier                              1
       a customer worth at least `high_value`                1
       a source of weight 4 or 5                             1
     4 or more points: urgent; 2-3: high; 0-1: normal;
  3. normal becomes low when nothing at all was found and the rating is 4 or 5
     stars: a mild review rather than a complaint.
Every point comes with a reason staff can read ("mentions a court or lawyer: «суд»").
A priority set by staff is never changed by triage; the reasons are still kept fresh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.config.triage import TriageConfig
from monitor.config.triage_keywords import CATEGORIES, SIGNALS

__all__ = ["Assessment", "Evidence", "Triager", "raised"]

PRIORITY_ORDER = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
_SIGNAL_POINTS = {"legal": 2, "press": 2}
_SIGNAL_REASON = {
    "legal": "mentions a court, lawyer, regulator or consumer-rights law",
    "press": "mentions the press or going public",
    "safety": "mentions a health or safety risk",
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """What triage reads besides the text."""

    rating: float | None = None  # the lowest rating among the case's posts, on a 1-5 scale
    source_weight: int = 1
    customer_tier: str | None = None
    customer_value: float | None = None
    repeat_cases: int = 0


@dataclass(frozen=True, slots=True)
class Assessment:
    category: str
    priority: str
    reasons: tuple[str, ...]


def _pattern(words: list[str]) -> re.Pattern[str] | None:
    parts = []
    for word in sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True):
        whole = word.startswith("=")
        word = word.lstrip("=")
        parts.append(re.escape(word) + (r"(?!\w)" if whole else ""))
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")") if parts else None


def _merge(shipped: dict[str, dict[str, list[str]]], added: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, by_language in shipped.items():
        words = [w for ws in by_language.values() for w in ws]
        words += [w for ws in added.get(name, {}).values() for w in ws]
        out[name] = words
    return out


class Triager:
    """Compiled rules; build once per config and reuse."""

    def __init__(self, config: TriageConfig | None = None) -> None:
        self.config = config or TriageConfig()
        self._categories = {k: _pattern(v) for k, v in _merge(CATEGORIES, self.config.categories).items()}
        self._signals = {k: _pattern(v) for k, v in _merge(SIGNALS, self.config.signals).items()}
        self._vip = {t.lower() for t in self.config.vip_tiers}

    def category(self, text: str) -> tuple[str, list[str]]:
        lowered = text.lower()
        best, best_hits = "other", []
        for name, pattern in self._categories.items():
            hits = sorted(set(pattern.findall(lowered))) if pattern else []
            if len(hits) > len(best_hits):
                best, best_hits = name, hits
        return best, best_hits

    def signals(self, text: str) -> dict[str, str]:
        lowered = text.lower()
        found = {}
        for name, pattern in self._signals.items():
            hit = pattern.search(lowered) if pattern else None
            if hit:
                found[name] = hit.group(0)
        return found

    def read(self, text: str) -> tuple[str, dict[str, str]]:
        """What `assess` reads in the text: its category and signals. The case step's helper process
        reads a post's text ahead (monitor.cases.batch_ahead) and hands the reading to `assess`."""
        # Long posts are cut: the signals that matter are stated early, and a 1 MB text must stay cheap.
        text = text[:20_000]
        return self.category(text)[0], self.signals(text)

    def assess(self, text: str, evidence: Evidence, reading: tuple[str, dict[str, str]] | None = None) -> Assessment:
        """Category and priority with reasons (the rules are in the module docstring); `reading`, when
        given, is `read(text)`."""
        category, signals = reading if reading is not None else self.read(text)
        reasons: list[str] = []
        points = 0
        for name, hit in signals.items():
            reasons.append(f"{_SIGNAL_REASON[name]}: «{hit}»")
            points += _SIGNAL_POINTS.get(name, 0)
        if evidence.rating is not None and evidence.rating <= 1:
            reasons.append(f"rated {evidence.rating:g} of 5")
            points += 1
        if evidence.repeat_cases:
            reasons.append(f"a repeat complaint: the customer has {evidence.repeat_cases} other recent case(s)")
            points += 1
        if evidence.customer_tier and evidence.customer_tier.lower() in self._vip:
            reasons.append(f"customer tier {evidence.customer_tier}")
            points += 1
        high = self.config.high_value
        if high is not None and evidence.customer_value is not None and evidence.customer_value >= high:
            reasons.append(f"customer lifetime value {evidence.customer_value:g}")
            points += 1
        if evidence.source_weight >= 4:
            reasons.append(f"source weight {evidence.source_weight}")
            points += 1
        if "safety" in signals or points >= 4:
            priority = "urgent"
        elif points >= 2:
            priority = "high"
        elif not reasons and evidence.rating is not None and evidence.rating >= 4:
            priority = "low"
            reasons.append(f"rated {evidence.rating:g} of 5 with no sign of harm")
        else:
            priority = "normal"
        return Assessment(category, priority, tuple(reasons))


def raised(old: str, new: str) -> bool:
    return PRIORITY_ORDER[new] > PRIORITY_ORDER[old]
