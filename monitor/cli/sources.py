"""`replywatch sources`: validate the watch list, see every source's health."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from monitor.cli.common import (
    ConfigOpt,
    DatabaseOpt,
    ago,
    err,
    fit_table,
    make_settings,
    one_named,
    out,
    plain_text,
    progress_bar,
    read_config,
)
from monitor.config import Config
from monitor.core.db import describe_url, make_engine, make_session_factory, session_scope
from monitor.core.logs import configure_logging

if TYPE_CHECKING:
    from monitor.ingest.preview import SourcePreview

sources_app = typer.Typer(
    help="The watch list: validate it, preview what a source extracts, see every source's health.",
    no_args_is_help=True,
)


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
    from monitor.ingest.preview import open_fetchers, preview_source

    results: dict[str, tuple[int, str, bool]] = {}
    async with open_fetchers(cfg) as (fetcher, browser):
        with progress_bar() as progress:
            task = progress.add_task("fetching", total=len(cfg.sources))

            async def one(key: str) -> None:
                # The preview's path: items counted as `poll` stores them, so the commands agree on a page.
                got = await preview_source(config=cfg, key=key, fetcher=fetcher, browser=browser)
                if got.ok:
                    message = f"HTTP {got.http_status}, {got.pages} page(s)" + "".join(
                        f"; {w.text}" for w in got.warnings
                    )
                    results[key] = (got.stored, message, True)
                else:
                    results[key] = (0, f"{got.error_class}: {got.error}", False)
                progress.advance(task)

            await asyncio.gather(*(one(s.key) for s in cfg.sources))
    return results


@sources_app.command("preview")
def sources_preview(
    key: Annotated[str, typer.Argument(help="The source's key in the watch list")],
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (the API's shape) instead of tables")] = False,
) -> None:
    """Fetch one source once (nothing is stored) and show every item field by field, each field's fill
    rate and every warning: what you need while writing its selectors."""
    from pydantic import TypeAdapter

    from monitor.ingest.preview import SourcePreview, preview_source

    configure_logging("WARNING")
    cfg = read_config(config)
    one_named(cfg.sources, key, "source", cfg.path)
    with progress_bar() as progress:
        progress.add_task(f"fetching {key}", total=None)
        got = asyncio.run(preview_source(config=cfg, key=key))
    if as_json:
        print(TypeAdapter(SourcePreview).dump_json(got, indent=1).decode())
    else:
        _print_preview(got)
    if not got.ok:
        raise typer.Exit(1)


def _print_preview(got: SourcePreview) -> None:
    via = " rendered in Chromium" if got.fetch == "browser" else ""
    if not got.ok:
        err.print(
            f"[red]{got.key}: {escape(got.url)}{via}: {got.error_class}: {escape(plain_text(got.error or ''))}[/]"
        )
        return
    out.print(f"[bold]{got.key}[/]: {len(got.items)} items on {got.pages} page(s) of {escape(got.url)}{via} "
              f"(HTTP {got.http_status}, {got.bytes_read:,} bytes, {got.ms} ms)")  # fmt: skip
    configured = {f.field for f in got.fill}
    items = Table()
    items.add_column("#", justify="right")
    items.add_column("field")
    items.add_column("value", overflow="fold")
    for number, item in enumerate(got.items, 1):
        for name in ("id", "url", "title", "author", "published", "rating", "body", "replies"):
            value = getattr(item, name)
            if value is None and name not in configured:
                continue
            if value is None:
                shown = "[dim]— (empty)[/]"
            else:
                shown = escape(plain_text("\n".join(f"- {r}" for r in value) if name == "replies" else str(value)))
            items.add_row(str(number) if name == "id" else "", name, shown)
        items.add_section()
    out.print(items)
    out.print(f"fill: of {len(got.items)} items, {got.stored} would be stored by a poll")
    fill = Table()
    for column in ("field", "filled", "rate"):
        fill.add_column(column, justify="left" if column == "field" else "right")
    for f in got.fill:
        colour = "green" if f.rate == 1 else "yellow" if f.rate else "red"
        fill.add_row(f.field, str(f.filled), f"[{colour}]{f.rate:.0%}[/]")
    out.print(fill)
    for w in got.warnings:
        out.print(f"[yellow]warning ({w.kind}):[/] {escape(plain_text(w.text))}")
    if not got.warnings:
        out.print("[green]no warnings[/]")


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
