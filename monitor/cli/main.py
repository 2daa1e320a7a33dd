"""The `replywatch` command line."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from monitor.cli.alerts import alerts_app
from monitor.cli.cases import cases_app, customers_app
from monitor.cli.common import (
    ConfigOpt,
    DatabaseOpt,
    ago,
    err,
    fit_table,
    make_settings,
    out,
    progress_bar,
    read_config,
    ready_database,
)
from monitor.cli.report import report_app
from monitor.cli.tokens import tokens_app
from monitor.config import Config
from monitor.core.db import describe_url, make_engine, make_session_factory, session_scope
from monitor.core.logs import configure_logging
from monitor.core.settings import Settings

# The API is named, not imported, as an ASGI server names it: monitor never imports api (docs/ARCHITECTURE.md).
APP_FACTORY = "api.app:app_from_environment"

app = typer.Typer(help="replywatch: find every public complaint about your brands and answer it in time.",
                  no_args_is_help=True, pretty_exceptions_enable=False)  # fmt: skip
sources_app = typer.Typer(help="The watch list: validate it, see every source's health.", no_args_is_help=True)
mentions_app = typer.Typer(help="What the sources yielded.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(mentions_app, name="mentions")
app.add_typer(db_app, name="db")
app.add_typer(customers_app, name="customers")
app.add_typer(cases_app, name="cases")
app.add_typer(tokens_app, name="tokens")
app.add_typer(report_app, name="report")
app.add_typer(alerts_app, name="alerts")

# -- db --------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOpt = None) -> None:
    """Create or migrate the schema to the newest version."""
    settings = make_settings(database)
    ready_database(settings)
    out.print(f"database {describe_url(settings.database_url)} is at the newest schema")


# -- sources ---------------------------------------------------------------------------------


@sources_app.command("check")
def sources_check(
    config: ConfigOpt = None,
    fetch: Annotated[bool, typer.Option("--fetch", help="Also fetch each source once and count its items")] = False,
) -> None:
    """Validate the watch list (and with --fetch, try every source once)."""
    configure_logging("WARNING")
    cfg = read_config(config)
    from monitor.desk.drafting import DraftingError, Templates

    try:  # every reply template compiles and renders, shipped and the user's own
        templates = Templates.load(cfg.drafting.templates_dir)
    except DraftingError as exc:
        err.print(f"[red]reply templates: {exc}[/]")
        raise typer.Exit(2) from None
    table = Table(title=f"{cfg.path}: {len(cfg.brands)} brands, {len(cfg.sources)} sources, "
                        f"reply templates in {len(templates.languages)} languages")  # fmt: skip
    for column in ("key", "kind", "every", "brand", "url"):
        table.add_column(column, overflow="fold")
    if fetch:
        table.add_column("items", justify="right")
        table.add_column("result", overflow="fold")
    results = asyncio.run(_fetch_all(cfg)) if fetch else {}
    failed = 0
    for source in cfg.sources:
        row = [
            source.key,
            source.kind,
            _duration(source.interval.total_seconds()),
            source.brand or "-",
            source.url,
        ]
        if fetch:
            count, message, ok = results[source.key]
            failed += not ok
            row += [str(count) if ok else "-", message]
        table.add_row(*row)
    out.print(table)
    if fetch and failed:
        err.print(f"[yellow]{failed} of {len(cfg.sources)} sources failed to fetch[/]")
        raise typer.Exit(1)
    out.print("[green]the watch list is valid[/]")


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


async def _fetch_all(cfg: Config) -> dict[str, tuple[int, str, bool]]:
    from sources.base import Validators, collect
    from sources.errors import SourceError
    from sources.http import Fetcher
    from sources.registry import KINDS

    results: dict[str, tuple[int, str, bool]] = {}
    async with Fetcher(cfg.fetcher_settings()) as fetcher:

        async def one(source_key: str) -> None:
            source = cfg.source(source_key)
            assert source is not None
            try:
                got = await collect(
                    source.spec(), fetcher=fetcher, parser=KINDS[source.kind].parse, validators=Validators()
                )
            except SourceError as exc:
                results[source_key] = (0, f"{exc.error_class}: {exc}", False)
                return
            warning = "; ".join(map(str, got.facts.warnings))
            message = f"HTTP {got.facts.http_status}, {got.facts.pages} page(s)" + (f"; {warning}" if warning else "")
            results[source_key] = (len(got.items), message, True)

        with progress_bar() as progress:
            task = progress.add_task("fetching", total=len(cfg.sources))

            async def tracked(key: str) -> None:
                await one(key)
                progress.advance(task)

            await asyncio.gather(*(tracked(s.key) for s in cfg.sources))
    return results


@sources_app.command("status")
def sources_status(
    database: DatabaseOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="Include sources no longer in the watch list")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """Every source's health, last and next poll, from the database."""
    from monitor.ingest.status import list_sources

    settings = make_settings(database)
    sessions = make_session_factory(make_engine(settings.database_url))
    with session_scope(sessions) as session:
        rows = list_sources(session=session, include_inactive=all_)
    now = datetime.now(UTC)
    if as_json:
        fields = (
            "key",
            "kind",
            "health",
            "last_poll_at",
            "next_poll_at",
            "last_http_status",
            "last_items",
            "last_error",
        )
        print(json.dumps([{f: getattr(r, f) for f in fields} for r in rows], default=str, ensure_ascii=False, indent=1))
        return
    if not rows:
        err.print("no sources in the database yet: start `replywatch worker` (or `replywatch demo`)")
        return
    colours = {"ok": "green", "degraded": "yellow", "failing": "red", "gone": "magenta", "new": "cyan"}
    table = Table(title=f"{len(rows)} sources in {describe_url(settings.database_url)}")
    cells = [
        [
            r.key, r.kind, f"[{colours.get(r.health, 'white')}]{r.health}[/]", ago(r.last_poll_at, now),
            ago(r.next_poll_at, now).replace(" ago", " overdue") if r.active else "inactive", str(r.last_http_status or "-"),
            "-" if r.last_items is None else str(r.last_items), " ".join((r.last_error or r.last_warning or "").split()),
        ]
        for r in rows
    ]  # fmt: skip
    fit_table(
        table, ["source", "kind", "health", "last poll", "next poll", "HTTP", "items"], "last error / warning", cells
    )
    out.print(table)


# -- mentions --------------------------------------------------------------------------------


@mentions_app.command("list")
def mentions_list(
    database: DatabaseOpt = None,
    source: Annotated[str | None, typer.Option(help="Only this source key")] = None,
    brand: Annotated[str | None, typer.Option(help="Only this brand key")] = None,
    language: Annotated[str | None, typer.Option(help="Only this language (ru, de, ...)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table")] = False,
) -> None:
    """The newest mentions found."""
    from monitor.ingest.mentions import MentionFilter, list_mentions

    settings = make_settings(database)
    sessions = make_session_factory(make_engine(settings.database_url))
    with session_scope(sessions) as session:
        rows = list_mentions(
            session=session, filters=MentionFilter(source=source, brand=brand, language=language), limit=limit
        )
    if as_json:
        for r in rows:
            print(json.dumps({f: getattr(r, f) for f in r.__slots__}, default=str, ensure_ascii=False))
        return
    if not rows:
        err.print("no mentions yet: has a worker polled the sources? (`replywatch sources status`)")
        return
    now = datetime.now(UTC)
    table = Table(title=f"newest {len(rows)} mentions")
    cells = [
        [
            str(r.id), ago(r.first_seen_at, now), r.source, r.brand or "-", r.language or "?", (r.author or "")[:20],
            " ".join(((f"{r.title}: " if r.title else "") + r.body)[:400].split()),
        ]
        for r in rows
    ]  # fmt: skip
    fit_table(table, ["id", "found", "source", "brand", "lang", "author"], "text", cells)
    out.print(table)


# -- polling ---------------------------------------------------------------------------------


@app.command()
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


@app.command()
def worker(config: ConfigOpt = None, database: DatabaseOpt = None) -> None:
    """Poll the sources on schedule until stopped (several workers may share one PostgreSQL)."""
    from monitor.worker.poller import Poller
    from monitor.worker.service import Worker

    settings = make_settings(database)
    cfg = read_config(config)
    ready_database(settings)

    async def run() -> None:
        sessions = make_session_factory(make_engine(settings.database_url))
        worker = Worker(Poller(config=cfg, sessions=sessions))
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


@app.command()
def serve(
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    with_worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Also poll in this process")] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="API processes; more than one needs the poller run apart (replywatch worker)"),
    ] = 1,
) -> None:
    """Serve the REST API (and, with --worker, poll the sources in the same process)."""
    import uvicorn

    if workers > 1 and with_worker:
        err.print("--worker polls inside the API process; with --workers N run `replywatch worker` next to it")
        raise typer.Exit(2)
    settings = make_settings(database)
    cfg = read_config(config)
    ready_database(settings)
    err.print(f"replywatch API on http://{host}:{port} (OpenAPI at /docs), database {describe_url(settings.database_url)}, "
              f"{len(cfg.sources)} sources from {cfg.path}, {workers} process(es)")  # fmt: skip
    _app_environment(settings, cfg, run_worker=with_worker)
    if workers == 1:
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, log_level="warning")
        return
    from uvicorn.supervisors import Multiprocess

    server = uvicorn.Config(APP_FACTORY, factory=True, host=host, port=port, workers=workers, log_level="warning")
    sock = server.bind_socket()
    # The worker processes get this socket back from its file descriptor, and asyncio then leaves TCP_NODELAY
    # off the connections it accepts: each response's body waited ~40 ms behind its headers for a delayed ACK.
    # Accepted connections inherit the option from the listening socket.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(server, sockets=[sock]).run()


@app.command()
def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="API port")] = 8000,
    database: DatabaseOpt = None,
) -> None:
    """Run everything offline: a fictional complaint board on loopback, the poller and the API."""
    import uvicorn

    from monitor.demo.board import BoardServer, demo_config_path

    settings = make_settings(database)
    board = BoardServer()
    base = board.start()
    os.environ["REPLYWATCH_DEMO_BOARD"] = base
    cfg = read_config(demo_config_path())
    ready_database(settings)
    secret = _demo_token(settings)
    api = f"http://127.0.0.1:{port}"
    here = (
        ""
        if settings.database_url == Settings.model_fields["database_url"].default
        else f" --database {settings.database_url}"
    )
    err.print(
        f"\n[bold]replywatch demo[/]\n"
        f"  complaint board (fictional, loopback): {base}/\n"
        f"  API:       {api}   (OpenAPI docs at {api}/docs)\n"
        f"  database:  {describe_url(settings.database_url)}\n"
        f"  watching:  {len(cfg.sources)} sources for {len(cfg.brands)} brands; new complaints appear every ~20 s\n\n"
        f"Try, in another terminal (within a minute):\n"
        f"  replywatch sources status{here}\n"
        f"  replywatch mentions list{here}\n"
        f"  export TOKEN={secret}   # an admin token made for this demo\n"
        f"  curl -s -H \"Authorization: Bearer $TOKEN\" '{api}/api/v1/cases?status=open&sort=response_due&limit=5'\n"
        f'  curl -s -H "Authorization: Bearer $TOKEN" {api}/api/v1/mentions?limit=5\n'
        f"  replywatch cases list{here}\n"
        f"Ctrl+C stops.\n",
        soft_wrap=True,
    )
    _app_environment(settings, cfg, run_worker=True)
    try:
        uvicorn.run(APP_FACTORY, factory=True, host="127.0.0.1", port=port, log_level="warning")
    finally:
        board.stop()


def _app_environment(settings: Settings, cfg: Config, *, run_worker: bool) -> None:
    """uvicorn builds the app by importing APP_FACTORY, in this process or in each of --workers N: the
    settings and the watch list reach it through the environment (monitor.core.settings.Settings)."""
    os.environ["REPLYWATCH_DATABASE_URL"] = settings.database_url
    os.environ["REPLYWATCH_CONFIG"] = str(cfg.path)
    os.environ["REPLYWATCH_RUN_WORKER"] = "1" if run_worker else "0"
    os.environ["REPLYWATCH_LOG_LEVEL"] = settings.log_level
    os.environ["REPLYWATCH_LOG_FORMAT"] = settings.log_format


def _demo_token(settings: Settings) -> str:
    """An admin token for the demo user, printed at start-up (a new one each run)."""
    from monitor.desk.tokens import create_token

    with session_scope(make_session_factory(make_engine(settings.database_url))) as session:
        _, secret = create_token(session=session, name="demo", role="admin", created_by="demo", now=datetime.now(UTC))
    return secret


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover - `python -m monitor.cli.main`
    main()
