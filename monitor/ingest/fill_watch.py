"""No silent loss: a field that vanished from every item, and a reason for every health but ok.

`compare_fill` runs on each parsed poll. It compares each configured field's fill with the
rate the source's earlier polls had (`Source.last_fill`) and gives:
  - a FIELD_EMPTIED warning on every poll while a field that was filled is empty on every item
    (the source stays degraded with that reason until the field is back or leaves the config);
  - the fields newly emptied on this poll, for which `source.layout_changed` is emitted, once;
  - the memory to keep: each field's latest non-zero rate and the fields reported emptied.
A field counts as emptied only when its earlier rate predicts at least MIN_EXPECTED filled
items on this poll: an optional field (an author on 1 item in 20) missing from a small page is
chance, not a changed layout. A poll with no items says nothing of fields (NOTHING_MATCHED
covers it), nor does a 304.

`health_reason` is the reason shown with a non-ok health: the error of the last poll when it
failed, else its first warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.models import Source
from sources.base import PageWarning, PollFacts

__all__ = ["MIN_EXPECTED", "FillCheck", "compare_fill", "health_reason", "reason_for_skips"]

MIN_EXPECTED = 3.0


@dataclass(frozen=True, slots=True)
class FillCheck:
    record: dict[str, Any] | None = None  # for Poll.field_fill
    memory: dict[str, Any] | None = None  # for Source.last_fill
    warnings: list[PageWarning] = field(default_factory=list)
    newly_emptied: list[str] = field(default_factory=list)


def compare_fill(previous: dict[str, Any] | None, fill: dict[str, int] | None, items: int) -> FillCheck:
    if fill is None:
        return FillCheck(memory=previous)
    record = {"items": items, "fields": dict(fill)}
    if items == 0:
        return FillCheck(record=record, memory=previous)
    rates: dict[str, float] = (previous or {}).get("rates", {})
    reported = set((previous or {}).get("emptied", []))
    emptied = [f for f, n in fill.items() if n == 0 and rates.get(f, 0.0) * items >= MIN_EXPECTED]
    memory = {
        # A field empty now keeps its earlier rate: it is still expected back.
        "rates": {f: round(n / items, 4) if n else rates.get(f, 0.0) for f, n in fill.items()},
        "emptied": emptied,
    }
    warnings = []
    if emptied:
        names = ", ".join(repr(f) for f in emptied)
        before = ", ".join(f"{f} {rates[f]:.0%}" for f in emptied)
        warnings.append(
            PageWarning(
                PageWarning.FIELD_EMPTIED,
                f"field{'s' if len(emptied) > 1 else ''} {names} empty on all {items} items"
                f" (filled before: {before}): the page layout may have changed",
            )
        )
    return FillCheck(
        record=record, memory=memory, warnings=warnings, newly_emptied=[f for f in emptied if f not in reported]
    )


def reason_for_skips(facts: PollFacts) -> list[PageWarning]:
    """A SKIPPED warning for skipped items that came without one (facts not made by sources.base.collect)."""
    if facts.skipped and not any(w.kind == PageWarning.SKIPPED for w in facts.warnings):
        return [PageWarning(PageWarning.SKIPPED, f"{facts.skipped} items skipped (no reason given)")]
    return []


def health_reason(source: Source) -> tuple[str | None, str | None]:
    """(kind, text) explaining the source's health; (None, None) when it is ok or new.

    A failed last poll (error_count > 0) is explained by its error class and message; a
    successful one that left the source degraded by its first warning.
    """
    if source.health in ("ok", "new"):
        return None, None
    if source.error_count > 0:
        return source.last_error_class or "error", source.last_error or "the last poll failed"
    return source.last_warning_kind or "warning", source.last_warning or "the last poll gave a warning"
