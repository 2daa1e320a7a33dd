"""`replywatch poll` (the due sources once) and `replywatch worker` (on schedule until stopped);
monitor.cli.main registers them as top-level commands."""

from __future__ import annotations

import asyncio
import signal
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
    for r in sorted(results, key=lambda r: r.key):
        table.add_row(r.key, r.outcome, str(r.http_status or "-"), str(r.items_seen), str(r.items_new),
                      str(r.items_updated), str(r.duration_ms), (r.error or "")[:120])  # fmt: skip
    out.print(table)
    if not results:
        out.print("nothing was due; name a source with --source to poll it anyway")


async def _poll_once(cfg: Config, settings: Settings, keys: set[str]) -> list:
    from monitor.worker.poller import Poller

    sessions = make_session_factory(make_engine(settings.database_url))
    poller = Poller(config=cfg, sessions=sessions)
    try:
        await poller.sync()
        with progress_bar() as progress:
            task = progress.add_task("polling", total=len(keys) or None)
            results = await poller.run_due(keys=keys or None, on_result=lambda _r: progress.advance(task))
        await poller.process_cases()
        if cfg.channels:  # run from cron instead of a worker, alerts still go out
            await poller.alerts.route()
            await poller.alerts.dispatch()
        return results
    finally:
        await poller.aclose()


def worker(config: ConfigOpt = None, database: DatabaseOpt = None) -> None:
    """Poll the sources on schedule until stopped (several workers may share one PostgreSQL)."""
    from monitor.worker.poller import Poller

    settings = make_settings(database)
    cfg = read_config(config)
    ready_database(settings)

    async def run() -> None:
        sessions = make_session_factory(make_engine(settings.database_url))
        poller = Poller(config=cfg, sessions=sessions)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        counts = await poller.sync()
        poller.start()
        err.print(
            f"worker {poller.worker} polling {len(cfg.sources)} sources from {cfg.path} "
            f"into {describe_url(settings.database_url)} ({counts}); Ctrl+C stops"
        )
        await stop.wait()
        err.print("stopping: waiting for polls in flight")
        await poller.aclose()

    asyncio.run(run())
