"""`replywatch mentions`: what the sources yielded."""

from __future__ import annotations

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
    json_lines_or_none,
    make_settings,
    out,
    plain_text,
)
from monitor.core.db import make_engine, make_session_factory, session_scope

_TONES = ("complaint", "question", "praise")

mentions_app = typer.Typer(help="What the sources yielded.", no_args_is_help=True)


@mentions_app.command("list")
def mentions_list(
    database: DatabaseOpt = None,
    source: Annotated[str | None, typer.Option(help="Only this source key")] = None,
    brand: Annotated[str | None, typer.Option(help="Only this brand key")] = None,
    language: Annotated[str | None, typer.Option(help="Only this language (ru, de, ...)")] = None,
    tone: Annotated[str | None, typer.Option(help="Only this tone: complaint, question or praise")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of a table")] = False,
) -> None:
    """The newest mentions found."""
    from monitor.ingest.mentions import MentionFilter, list_mentions

    if tone is not None and tone not in _TONES:
        err.print(f"--tone must be one of {', '.join(_TONES)}, not {tone[:40]!r}")
        raise typer.Exit(2)
    settings = make_settings(database)
    sessions = make_session_factory(make_engine(settings.database_url))
    with session_scope(sessions, read_only=True) as session:
        rows = list_mentions(
            session=session,
            filters=MentionFilter(source=source, brand=brand, language=language, tone=tone),
            limit=limit,
        )
    none = "no mentions yet: has a worker polled the sources? (`replywatch sources status`)"
    if json_lines_or_none(rows, as_json=as_json, none=none):
        return
    now = datetime.now(UTC)
    table = Table(title=f"newest {len(rows)} mentions")
    cells = [
        [
            str(r.id), ago(r.first_seen_at, now), r.source, r.brand or "-", r.language or "?", r.tone or "-",
            (r.author or "")[:20],
            " ".join(((f"{r.title}: " if r.title else "") + r.body)[:400].split()),
        ]
        for r in rows
    ]  # fmt: skip
    fit_table(table, ["id", "found", "source", "brand", "lang", "tone", "author"], "text", cells)
    out.print(table)


@mentions_app.command("show")
def mentions_show(mention_id: Annotated[int, typer.Argument(min=1)], database: DatabaseOpt = None) -> None:
    """One mention in full: its text, its tone and why, its case."""
    from monitor.models import Mention

    settings = make_settings(database)
    sessions = make_session_factory(make_engine(settings.database_url))
    with session_scope(sessions, read_only=True) as session:
        m = session.get(Mention, mention_id)
        if m is None:
            err.print(f"no mention {mention_id}")
            raise typer.Exit(2)
        rating = f" · rated {m.rating:g}" if m.rating is not None else ""
        case = f"case {m.case_id}" if m.case_id else "no case"
        out.print(f"mention {m.id} · {m.language or '?'}{rating} · tone {m.tone or 'not classed yet'} · {case}",
                  markup=False, highlight=False)  # fmt: skip
        for reason in m.tone_reasons or ():
            out.print(f"  · {plain_text(reason)}", markup=False, highlight=False)
        if m.title:
            out.print(plain_text(m.title), markup=False, highlight=False, style="bold")
        out.print(plain_text(m.body), markup=False, highlight=False)


@mentions_app.command("thank")
def mentions_thank(
    mention_id: Annotated[int, typer.Argument(min=1)], config: ConfigOpt = None, database: DatabaseOpt = None
) -> None:
    """Draft a thank-you for a praise mention, in its language (printed, not stored: praise has no case)."""
    from monitor.cases.lifecycle import desk_rules
    from monitor.cli.desk import run_unit
    from monitor.desk.thanks import draft_thanks

    made = run_unit(config, database, lambda session, cfg: draft_thanks(
        session=session, rules=desk_rules(cfg), mention_id=mention_id))  # fmt: skip
    out.print(f"thank-you for mention {mention_id} ({made.language}, {made.template}):", markup=False)
    out.print(plain_text(made.text), markup=False, highlight=False)
    for note in made.notes:
        out.print(f"  · {plain_text(note)}", markup=False, highlight=False)
