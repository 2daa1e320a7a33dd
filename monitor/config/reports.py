"""The `reports:` section of sources.yaml: scheduled coverage reports (run by the worker, see monitor.reports.schedule)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from monitor.config.types import Duration, Key, Strict, Zone

__all__ = ["FORMATS", "ReportDefinition"]

FORMATS = ("json", "csv", "html", "md")


class ReportDefinition(Strict):
    key: Key
    cron: str
    timezone: Zone = "UTC"
    period: Duration = timedelta(days=7)
    brands: list[Key] = Field(default_factory=list)
    formats: list[str] = Field(default_factory=lambda: ["html", "md"], min_length=1)
    channels: list[Key] = Field(default_factory=list)
    folder: Path = Path("reports")

    @field_validator("formats")
    @classmethod
    def _formats(cls, value: list[str]) -> list[str]:
        unknown = [f for f in value if f not in FORMATS]
        if unknown:
            raise ValueError(f"unknown format {unknown[0]!r}; formats are {', '.join(FORMATS)}")
        return value

    @model_validator(mode="after")
    def _cron(self) -> ReportDefinition:
        try:
            from apscheduler.triggers.cron import CronTrigger  # only a file with reports pays its import

            CronTrigger.from_crontab(self.cron, timezone=self.timezone)
        except ValueError as exc:
            raise ValueError(f"cron: {self.cron!r} is not a five-field crontab expression ({exc})") from None
        if self.period <= timedelta(0):
            raise ValueError("period must be positive")
        return self
