"""`replywatch alerts …`: deliveries to chat channels, and a test message to one channel."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from monitor.cli.common import ConfigOpt, DatabaseOpt, ago, err, fit_table, load, one_named, out, sessions_for

alerts_app = typer.Typer(
    help="Alerts to chat channels: what was sent, what failed, a test message.", no_args_is_help=True
)
STATES = ("pending", "sending", "sent", "failed", "held")


@alerts_app.command("list")
def alerts_list(
    state: Annotated[str | None, typer.Option(help=f"Only this state: {', '.join(STATES)}")] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel key")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Deliveries, newest first (failed ones are the dead letters: retry them with the API)."""
    from monitor.alerts.views import list_deliveries

    if state is not None and state not in STATES:
        err.print(f"[red]--state must be one of {', '.join(STATES)}[/]")
        raise typer.Exit(2)
    settings, _ = load(config, database)
    now = datetime.now(UTC)
    with sessions_for(settings)() as session:
        rows = list_deliveries(session=session, state=state, channel=channel, limit=limit)
    if as_json:
        for d in rows:
            print(json.dumps(d.model_dump(mode="json"), ensure_ascii=False))
        return
    table = Table(title=f"{len(rows)} deliveries" + (f" ({state})" if state else ""))
    cells = [
        [str(d.id), d.channel, d.event_kind + (f" ×{d.event_count}" if d.digest else ""), d.state,
         str(d.attempts), ago(d.sent_at or d.next_attempt_at, now), (d.last_error or "")[:200]]
        for d in rows
    ]  # fmt: skip
    fit_table(table, ["id", "channel", "event", "state", "tries", "when"], "last error", cells)
    out.print(table)


@alerts_app.command("test")
def alerts_test(
    channel: Annotated[str, typer.Argument(help="Channel key from sources.yaml")],
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Send a test message to one channel now (nothing is stored); exit 1 if it fails."""
    from monitor.alerts.runner import AlertRunner

    settings, cfg = load(config, database, need_config=True)
    assert cfg is not None
    chosen = one_named(cfg.channels, channel, "channel", cfg.path)

    async def send() -> object:
        runner = AlertRunner(config=cfg, sessions=sessions_for(settings), worker="cli", db=ThreadPoolExecutor(1))
        try:
            return await runner.send_test(chosen)
        finally:
            await runner.aclose()

    result = asyncio.run(send())
    if getattr(result, "ok", False):
        out.print(f"[green]test message sent to '{channel}'[/] ({chosen.kind})")
        return
    err.print(
        f"[red]sending to '{channel}' failed:[/] {getattr(result, 'error', result)}", markup=True, highlight=False
    )
    raise typer.Exit(1)
