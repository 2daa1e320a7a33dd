"""`replywatch poll` (the due sources once), `replywatch worker` (on schedule until stopped) and
`replywatch alive` (is a worker's heartbeat fresh); monitor.cli.main registers them as top-level commands."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from monitor.cli.common import (
    ConfigOpt,
    DatabaseOpt,
    err,
    make_settings,
    out,
    progress_bar,
    read_config,
    ready_database,
)
from monitor.config import Config
from monitor.core.db import describe_url, make_engine, make_session_factory
from monitor.core.settings import Settings


def poll(
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Poll this source now (repeatable)")
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="Poll what is due once and exit (default)")] = True,
) -> None:
    """Poll the due sources (or the named ones) once, with a progress bar, and print what each gave."""
    settings = make_settings(database)
    cfg = read_config(config)
    unknown = [k for k in source or [] if cfg.source(k) is None]
    if unknown:
        err.print(f"[red]no source named {', '.join(unknown)} in {cfg.path}[/]")
        raise typer.Exit(2)
    ready_database(settings)
    results = asyncio.run(_poll_once(cfg, settings, set(source or [])))
    table = Table(title=f"{len(results)} polls")
    for column in ("source", "outcome", "HTTP", "seen", "new", "updated", "ms", "error"):
        table.add_column(column, overflow="fold")
    for r in sorted(results, key=lambda r: r.source):
        table.add_row(r.source, r.outcome, str(r.http_status or "-"), str(r.items_seen), str(r.items_new),
                      str(r.items_updated), str(r.duration_ms), (r.error or "")[:120])  # fmt: skip
    out.print(table)
    if not results:
        out.print("nothing was due; name a source with --source to poll it anyway")


async def _poll_once(cfg: Config, settings: Settings, keys: set[str]) -> list:
    from monitor.worker.poller import Poller
    from monitor.worker.service import Worker

    sessions = make_session_factory(make_engine(settings.database_url))
    worker = Worker(Poller(config=cfg, sessions=sessions))  # its jobs run once here, not on a schedule
    try:
        await worker.poller.sync()
        with progress_bar() as progress:
            task = progress.add_task("polling", total=len(keys) or None)
            results = await worker.poller.run_due(keys=keys or None, on_result=lambda _r: progress.advance(task))
        await worker.process_cases()
        if cfg.channels:  # run from cron instead of a worker, alerts still go out
            await worker.alerts.route()
            await worker.alerts.dispatch()
        return results
    finally:
        await worker.aclose()


def worker(
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
    heartbeat: Annotated[
        Path | None,
        typer.Option(help="Write the time into this file every 30 s, for a health check (see `replywatch alive`)"),
    ] = None,
) -> None:
    """Poll the sources on schedule until stopped (several workers may share one PostgreSQL)."""
    from monitor.worker.poller import Poller
    from monitor.worker.service import Worker

    settings = make_settings(database)
    cfg = read_config(config)
    ready_database(settings)

    async def run() -> None:
        sessions = make_session_factory(make_engine(settings.database_url))
        worker = Worker(Poller(config=cfg, sessions=sessions), heartbeat=heartbeat)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        counts = await worker.poller.sync()
        worker.start()
        err.print(
            f"worker {worker.poller.worker} polling {len(cfg.sources)} sources from {cfg.path} "
            f"into {describe_url(settings.database_url)} ({counts}); Ctrl+C stops"
        )
        await stop.wait()
        err.print("stopping: waiting for polls in flight")
        await worker.aclose()

    asyncio.run(run())


def alive(
    heartbeat: Annotated[Path, typer.Option(help="The file `replywatch worker --heartbeat` writes")],
    within: Annotated[str, typer.Option(help="How old the last beat may be (the worker beats every 30 s)")] = "2m",
) -> None:
    """Exit 0 if the worker's heartbeat is fresh, 1 if it is stale or missing: a worker's health check."""
    from monitor.config import parse_duration

    limit = parse_duration(within)
    try:
        beat = datetime.fromisoformat(heartbeat.read_text(encoding="utf-8").strip())
    except (OSError, ValueError) as exc:
        err.print(f"no heartbeat in {heartbeat}: {exc}")
        raise typer.Exit(1) from None
    age = datetime.now(UTC) - beat
    if age > limit:
        err.print(f"the last heartbeat is {age.total_seconds():.0f} s old (allowed: {limit.total_seconds():.0f} s)")
        raise typer.Exit(1)
    out.print(f"alive: last heartbeat {age.total_seconds():.0f} s ago")
