"""`replywatch sources`: validate the watch list, see every source's health."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

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
)
from monitor.config import Config
from monitor.core.db import describe_url, make_engine, make_session_factory, session_scope
from monitor.core.logs import configure_logging

sources_app = typer.Typer(help="The watch list: validate it, see every source's health.", no_args_is_help=True)


@sources_app.command("check")
def sources_check(
    config: ConfigOpt = None,
    fetch: Annotated[
        bool,
        typer.Option("--fetch", help="Also fetch each source once and count its items as `poll` would store them"),
    ] = False,
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
        table.caption = "items: counted as `poll` stores them (empty and repeated items left out)"
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
    from monitor.ingest.store import prepare_mentions
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
                    source.spec(),
                    fetcher=fetcher,
                    parser=KINDS[source.kind].parse,
                    validators=Validators(),
                    clock=lambda: datetime.now(UTC),
                )
            except SourceError as exc:
                results[source_key] = (0, f"{exc.error_class}: {exc}", False)
                return
            # Counted as `poll` stores them: without items that have no text and without repeats of a
            # key, so the two commands give one number for one page.
            kept = len(prepare_mentions(got.items).items)
            dropped = len(got.items) - kept
            notes = [f"{dropped} empty or repeated item(s) not counted"] if dropped else []
            notes += map(str, got.facts.warnings)
            message = f"HTTP {got.facts.http_status}, {got.facts.pages} page(s)" + "".join(f"; {n}" for n in notes)
            results[source_key] = (kept, message, True)

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
    now = datetime.now(UTC)
    with session_scope(sessions, read_only=True) as session:
        rows = list_sources(session=session, now=now, include_inactive=all_)
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
            "reason",
            "reason_kind",
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
            "-" if r.last_items is None else str(r.last_items), " ".join((r.reason or r.last_error or r.last_warning or "").split()),
        ]
        for r in rows
    ]  # fmt: skip
    fit_table(
        table,
        ["source", "kind", "health", "last poll", "next poll", "HTTP", "items"],
        "reason / last error or warning",
        cells,
    )
    out.print(table)


@sources_app.command("presets")
def sources_presets(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """The known sites a source can name with `preset:`, and what each fills in."""
    from sources.presets import presets

    known = presets()
    if as_json:
        rows = [{"name": p.name, "site": p.site, "kind": p.kind, "hosts": list(p.hosts), "source": dict(p.source)}
                for p in known.values()]  # fmt: skip
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    table = Table(title=f"{len(known)} presets (use as `preset: NAME`; the source's own keys override them)")
    cells = [
        [p.name, p.kind, ", ".join(p.hosts[:2]) + (" …" if len(p.hosts) > 2 else ""), p.site] for p in known.values()
    ]
    fit_table(table, ["preset", "kind", "hosts"], "site", cells)
    out.print(table)
