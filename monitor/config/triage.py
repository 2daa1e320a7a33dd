"""The `triage:` section of sources.yaml: words added to the shipped rules, and the customer signals' thresholds."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, ValidationInfo, field_validator

from monitor.config.triage_keywords import CATEGORIES, SIGNALS
from monitor.config.types import Duration, Strict

__all__ = ["TriageConfig"]


class TriageConfig(Strict):
    """Additions to the shipped rules, and the customer signals' thresholds."""

    # More words per category and language: {delivery: {ru: ["сдэк"]}}; "=word" matches the whole word only.
    categories: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    signals: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    vip_tiers: list[str] = Field(default_factory=lambda: ["vip", "gold", "platinum"])
    high_value: float | None = Field(default=1000.0, ge=0)
    repeat_window: Duration = timedelta(days=90)

    @field_validator("categories", "signals")
    @classmethod
    def _known_keys(
        cls, value: dict[str, dict[str, list[str]]], info: ValidationInfo
    ) -> dict[str, dict[str, list[str]]]:
        allowed = CATEGORIES if info.field_name == "categories" else SIGNALS
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            kind = "category" if info.field_name == "categories" else "signal"
            raise ValueError(f"unknown {kind} {unknown[0]!r}; {info.field_name} are {', '.join(allowed)}")
        return value
