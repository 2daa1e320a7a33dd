"""`replywatch mentions`: what the sources yielded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from monitor.cli.common import DatabaseOpt, ago, fit_table, json_lines_or_none, make_settings, out
from monitor.core.db import make_engine, make_session_factory, session_scope

mentions_app = typer.Typer(help="What the sources yielded.", no_args_is_help=True)


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
    with session_scope(sessions, read_only=True) as session:
        rows = list_mentions(
            session=session, filters=MentionFilter(source=source, brand=brand, language=language), limit=limit
        )
    none = "no mentions yet: has a worker polled the sources? (`replywatch sources status`)"
    if json_lines_or_none(rows, as_json=as_json, none=none):
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
