"""`replywatch report coverage`: the coverage report for a period, to a file or the terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.common import ConfigOpt, DatabaseOpt, err, load, one_named, sessions_for
from monitor.core.db import session_scope
from monitor.core.errors import DomainError

report_app = typer.Typer(help="Reports for managers: coverage of the watch list and answer times.",
                         no_args_is_help=True)  # fmt: skip


def _when(value: str, option: str) -> datetime:
    """A date (midnight UTC) or an ISO time with a zone."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        err.print(f"[red]{option}: '{value}' is not a date (2026-11-01) or an ISO time (2026-11-01T09:00:00+03:00)[/]")
        raise typer.Exit(2) from None
    if parsed.tzinfo is None:
        if len(value) > 10:
            err.print(f"[red]{option}: '{value}' needs a time zone, e.g. {value}Z[/]")
            raise typer.Exit(2)
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@report_app.command("coverage")
def report_coverage(
    period_from: Annotated[
        str | None, typer.Option("--from", help="Start: a date (UTC) or ISO time; default 7 days ago")
    ] = None,
    period_to: Annotated[str | None, typer.Option("--to", help="End (exclusive); default now")] = None,
    brand: Annotated[str | None, typer.Option(help="Only this brand")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json, csv, html or md")] = "md",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout")] = None,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Per source: polls expected and made, coverage, longest gap, failures; per brand, source, category,
    language and agent: replies within deadline, time to first reply, open breaches."""
    from monitor.cases.lifecycle import desk_rules
    from monitor.config import find_config_path
    from monitor.config.reports import FORMATS
    from monitor.reports.render import render
    from monitor.reports.report import coverage_report

    if fmt not in FORMATS:
        err.print(f"[red]--format must be one of {', '.join(FORMATS)}[/]")
        raise typer.Exit(2)
    now = datetime.now(UTC)
    end = _when(period_to, "--to") if period_to else now
    start = _when(period_from, "--from") if period_from else end - timedelta(days=7)
    # The watch list only adds each brand's days off to the report; without one the figures are the same.
    settings, cfg = load(config, database, need_config=config is not None or find_config_path().exists())
    rules = desk_rules(cfg) if cfg else None
    calendars = {b.key: rules.calendar(b.key) for b in cfg.brands} if cfg and rules else {}
    with session_scope(sessions_for(settings)) as session:  # keeps the day roll-ups it saves
        try:
            report = coverage_report(session=session, period_from=start, period_to=end, now=now, brand=brand,
                                     calendars=calendars)  # fmt: skip
        except DomainError as exc:
            err.print(f"[red]{str(exc).strip(chr(39))}[/]")
            raise typer.Exit(2) from None
    text = render(report, fmt, cfg.alerts.public_url if cfg else None)
    if output is None:
        print(text, end="" if text.endswith("\n") else "\n")
        return
    output.write_text(text, encoding="utf-8")
    err.print(f"{fmt} report for {start:%Y-%m-%d} – {end:%Y-%m-%d}: {len(report.sources)} sources, "
              f"{report.overall.cases} cases → {output}")  # fmt: skip


@report_app.command("run")
def report_run(
    key: Annotated[str, typer.Argument(help="The key of a report under `reports:` in sources.yaml")],
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Make a scheduled report now: its files, and the announcement on its channels."""
    from monitor.cases.lifecycle import desk_rules
    from monitor.reports.schedule import run_report

    settings, cfg = load(config, database, need_config=True)
    assert cfg is not None
    definition = one_named(cfg.reports, key, "report", cfg.path)
    rules = desk_rules(cfg)
    with session_scope(sessions_for(settings)) as session:
        runs = run_report(session=session, definition=definition, now=datetime.now(UTC),
                          calendars={b.key: rules.calendar(b.key) for b in cfg.brands},
                          public_url=cfg.alerts.public_url)  # fmt: skip
    for run in runs:
        err.print(f"report {run.key} ({run.brand or 'all brands'}): " + ", ".join(str(f) for f in run.files))
        print(run.summary, end="")
