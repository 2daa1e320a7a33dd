"""Scheduled reports: definitions in sources.yaml (monitor.config.reports), run by the scheduler, saved to a folder, announced.

    reports:
      - key: weekly
        cron: "0 9 * * mon"        # standard five-field crontab, in `timezone`
        timezone: Europe/Moscow
        period: 7d                 # the report covers the `period` before the run
        brands: [acme]             # one report per brand; empty: one report for all brands
        formats: [html, md]
        channels: [care-team]      # where the announcement goes (alerts deliver it)
        folder: reports            # relative to sources.yaml

Each run writes `<folder>/<key>/<date>-<brand or all>.<format>` and an outbox event
`report.ready` carrying the Markdown summary, the files and the channels, written in
the same transaction as nothing else: the files exist before the event commits, so an
announcement never points at a file that is not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from sqlmodel import Session

from monitor.config.business_hours import BusinessCalendar
from monitor.config.reports import ReportDefinition
from monitor.models.events import emit
from monitor.reports.render import render
from monitor.reports.report import coverage_report

__all__ = ["ReportRun", "run_report", "trigger_of"]


def trigger_of(definition: ReportDefinition) -> CronTrigger:
    return CronTrigger.from_crontab(definition.cron, timezone=definition.timezone)


@dataclass(frozen=True, slots=True)
class ReportRun:
    key: str
    brand: str | None
    files: list[Path]
    summary: str


def run_report(
    *,
    session: Session,
    definition: ReportDefinition,
    now: datetime,
    calendars: dict[str, BusinessCalendar] | None = None,
    public_url: str | None = None,
) -> list[ReportRun]:
    """Compute, save and announce one scheduled report (one per listed brand, or one for all); with `public_url`
    (alerts.public_url) its Markdown and HTML link cases to their pages in the web inbox."""
    runs = []
    start = now - definition.period
    for brand in definition.brands or [None]:
        report = coverage_report(session=session, period_from=start, period_to=now, now=now, brand=brand,
                                 calendars=calendars)  # fmt: skip
        folder = definition.folder / definition.key
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{now:%Y-%m-%d-%H%M}-{brand or 'all'}"
        files = []
        for fmt in definition.formats:
            path = folder / f"{stem}.{fmt}"
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_text(render(report, fmt, public_url), encoding="utf-8")
            tmp.replace(path)  # a reader never sees half a report
            files.append(path)
        summary = render(report, "md", public_url)
        emit(session, "report.ready", f"report:{definition.key}", {
            "report": definition.key, "brand": brand, "from": start.isoformat(), "to": now.isoformat(),
            "files": [str(p) for p in files], "summary": summary, "channels": definition.channels,
            "coverage": report.coverage, "response_within_deadline": report.overall.response_share,
            "open_breaches": report.open_breach_count,
        }, now=now)  # fmt: skip
        runs.append(ReportRun(key=definition.key, brand=brand, files=files, summary=summary))
    return runs
