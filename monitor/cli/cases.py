"""`replywatch customers …` and `replywatch cases …`: the register and the cases, from the terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from monitor.cli.common import (
    ConfigOpt,
    DatabaseOpt,
    ago,
    err,
    fit_table,
    json_lines_or_none,
    load,
    out,
    plain_text,
    reindex_register,
    sessions_for,
)
from monitor.core.db import session_scope
from monitor.models import Brand

customers_app = typer.Typer(help="The customer register: import it from your CRM, search it.", no_args_is_help=True)
cases_app = typer.Typer(help="Cases: one complaint with all its places.", no_args_is_help=True)


@customers_app.command("import")
def customers_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or JSON lines")],
    brand: Annotated[
        str | None, typer.Option(help="Whose register this is (needed when there are several brands)")
    ] = None,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Upsert customers by external id; bad rows are listed with their line numbers, good rows are kept.

    Exits 1 when any row was refused, so scripts notice.
    """
    from monitor.customers.register import import_batches, vacuum_register
    from monitor.customers.register_file import RegisterFileError, read_register

    settings, cfg = load(config, database, need_config=True)
    assert cfg is not None
    if brand is None:
        if len(cfg.brands) != 1:
            err.print(
                f"[red]name the brand with --brand ({', '.join(b.key for b in cfg.brands) or 'none in the config'})[/]"
            )
            raise typer.Exit(2)
        brand = cfg.brands[0].key
    brand_config = next((b for b in cfg.brands if b.key == brand), None)
    if brand_config is None:
        err.print(f"[red]no brand '{brand}' in {cfg.path}[/]")
        raise typer.Exit(2)
    data = file.read_bytes()
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    sessions = sessions_for(settings)
    now = datetime.now(UTC)
    with sessions() as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == brand))
        if brand_id is None:
            err.print(f"[red]brand '{brand}' is not in the database yet: run `replywatch worker` or `poll` once[/]")
            raise typer.Exit(2)
        rows = read_register(data, filename=file.name, default_region=brand_config.country)
        progress = Progress(TextColumn("[bold]importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=err, transient=True, disable=not err.is_terminal)  # fmt: skip
        try:
            with progress:
                task = progress.add_task("import", total=lines)
                report = None
                # Each batch is its own transaction: a crash keeps what was imported; re-running is an upsert.
                for report in import_batches(session=session, brand_id=brand_id, rows=rows, now=now,
                                             default_region=brand_config.country):  # fmt: skip
                    session.commit()
                    progress.update(task, completed=report.read)
        except RegisterFileError as exc:
            session.rollback()
            err.print(f"[red]{file}: cannot be read:[/] {exc}")
            raise typer.Exit(2) from None
    assert report is not None
    vacuum_register(sessions.kw["bind"], report)  # after the last commit: lookups read the key index alone
    out.print(
        f"{file}: {report.read} rows read: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.errors)} refused"
    )
    if report.errors:
        table = Table(title=f"refused rows ({len(report.errors)})")
        cells = [[str(e.line), e.external_id or "-", e.reason] for e in report.errors[:50]]
        fit_table(table, ["line", "external id"], "reason", cells)
        err.print(table)
        if len(report.errors) > 50:
            err.print(f"... and {len(report.errors) - 50} more")
        raise typer.Exit(1)


@customers_app.command("reindex")
def customers_reindex(
    brand: Annotated[str | None, typer.Option(help="Only this brand's register (default: every brand's)")] = None,
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
) -> None:
    """Rebuild the register's lookup keys by the current matching rules (when an upgrade's notes ask for it).

    Safe to run at any time and to run again: each batch is its own transaction.
    """
    settings, _ = load(config, database, need_config=False)
    sessions = sessions_for(settings)
    brand_id = None
    if brand is not None:
        with session_scope(sessions, read_only=True) as session:
            brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == brand))
        if brand_id is None:
            err.print(f"[red]brand '{brand}' is not in the database[/]")
            raise typer.Exit(2)
    done = reindex_register(sessions, brand_id)
    out.print(f"{done} customers re-indexed" + (f" for brand '{brand}'" if brand else ""))


@customers_app.command("search")
def customers_search(
    query: Annotated[str, typer.Argument(help="A name, e-mail, phone, order number or external id")],
    brand: Annotated[str | None, typer.Option(help="Only this brand's register")] = None,
    database: DatabaseOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 20,
) -> None:
    """Find customers in the register."""
    from monitor.customers.register import search_customers

    settings, _ = load(None, database)
    with session_scope(sessions_for(settings), read_only=True) as session:
        brand_id = session.scalar(sa.select(Brand.id).where(Brand.key == brand)) if brand else None
        found = search_customers(session=session, brand_id=brand_id, query=query, limit=limit)
        cells = [[str(c.id), c.external_id, c.full_name, c.city or "-", c.tier or "-",
                  ", ".join([*c.emails, *c.phones, *c.orders])] for c in found]  # fmt: skip
    if not cells:
        err.print(f"no customer matches '{query}'")
        return
    table = Table(title=f"{len(cells)} customers")
    fit_table(table, ["id", "external id", "name", "city", "tier"], "e-mails, phones, orders", cells)
    out.print(table)


@cases_app.command("list")
def cases_list(
    database: DatabaseOpt = None,
    brand: Annotated[str | None, typer.Option(help="Only this brand")] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="Repeatable; 'open' = new, acknowledged, in_progress")
    ] = None,
    priority: Annotated[list[str] | None, typer.Option(help="Repeatable: low, normal, high, urgent")] = None,
    category: Annotated[
        str | None, typer.Option(help="delivery, defect, refund, staff, billing, website, other")
    ] = None,
    assignee: Annotated[str | None, typer.Option(help="Only this assignee; '-' for unassigned")] = None,
    sla: Annotated[str | None, typer.Option(help="A clock state: running, at_risk, breached, met, missed")] = None,
    language: Annotated[str | None, typer.Option(help="Only this language (ru, de, …)")] = None,
    source: Annotated[str | None, typer.Option(help="Only cases with a place on this source")] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="Words in the title or posts")] = None,
    unanswered_places: Annotated[
        bool, typer.Option("--unanswered-places", help="Only cases with a place still waiting for its own reply")
    ] = False,
    place_sla: Annotated[str | None, typer.Option(help="Cases with a place whose clock is in this state")] = None,
    sort: Annotated[
        str, typer.Option(help="newest, oldest, response_due, resolution_due, unanswered_places")
    ] = "newest",
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines")] = False,
) -> None:
    """The case queue, with the same filters as GET /api/v1/cases."""
    from monitor.cases.case_filter import CaseFilter
    from monitor.cases.views import SORTS, list_cases

    if sort not in SORTS:
        err.print(f"[red]--sort must be one of {', '.join(SORTS)}[/]")
        raise typer.Exit(2)
    filters = CaseFilter(brand=brand, status=tuple(status or ()), priority=tuple(priority or ()), category=category,
                         assignee=None if assignee == "-" else assignee, unassigned=assignee == "-", sla=sla,
                         language=language, source=source, text=search, unanswered_places=unanswered_places,
                         place_sla=place_sla)  # fmt: skip
    settings, _ = load(None, database)
    with session_scope(sessions_for(settings), read_only=True) as session:
        rows = list_cases(session=session, filters=filters, sort=sort, limit=limit)
    if json_lines_or_none(
        rows, as_json=as_json, none="no cases match: they open as soon as a worker finds mentions about your brands"
    ):
        return
    now = datetime.now(UTC)
    cells = [[str(r.id), ago(r.opened_at, now), r.brand, r.status, _priority(r.priority), r.category,
              _due(r.response_sla, r.response_due_at, now), r.assignee or "-", _answered(r.places_answered, r.places),
              " ".join((r.title or "").split())] for r in rows]  # fmt: skip
    table = Table(title=f"{len(rows)} cases, {sort.replace('_', ' ')} first")
    fit_table(table, ["id", "opened", "brand", "status", "priority", "category", "first reply", "assignee", "answered"],
              "title", cells)  # fmt: skip
    out.print(table)


def _answered(answered: int, places: int) -> str:
    """'1 of 3', red while a place waits for its own reply."""
    text = f"{answered} of {places}"
    return text if answered >= places else f"[red]{text}[/]"


def _priority(priority: str) -> str:
    return {"urgent": "[bold red]urgent[/]", "high": "[yellow]high[/]", "low": "[dim]low[/]"}.get(priority, priority)


def _due(state: str, due: datetime | None, now: datetime) -> str:
    """A clock as staff read it: 'in 2h', '3h late', 'met'."""
    if state in ("met", "missed", "stopped") or due is None:
        return {"met": "[green]met[/]", "missed": "[red]missed[/]"}.get(state, state)
    seconds = (due - now).total_seconds()
    span = _span(abs(seconds))
    if seconds < 0:
        return f"[bold red]{span} late[/]"
    return f"[yellow]in {span}[/]" if state == "at_risk" else f"in {span}"


def _span(seconds: float) -> str:
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


@cases_app.command("show")
def cases_show(case_id: Annotated[int, typer.Argument(min=1)], database: DatabaseOpt = None) -> None:
    """One case: its places with the complaint text of each, customer candidates, drafts, replies, timeline."""
    from monitor.cases.case_detail import get_case

    settings, _ = load(None, database)
    with session_scope(sessions_for(settings), read_only=True) as session:
        detail = get_case(session=session, case_id=case_id)
    if detail is None:
        err.print(f"[red]no case {case_id}[/]")
        raise typer.Exit(1)
    c = detail.case
    now = datetime.now(UTC)
    out.print(f"[bold]case {c.id}[/] · {c.brand} · {c.status} · opened {ago(c.opened_at, now)} · "
              f"{_answered(c.places_answered, c.places)} places answered")  # fmt: skip
    out.print(c.title or "", markup=False, highlight=False)
    if c.merged_into_id:
        out.print(f"merged into case {c.merged_into_id}")
    out.print(f"priority {_priority(c.priority)} ({c.priority_by}) · {c.category} · assignee {c.assignee or '-'} · "
              f"first reply {_due(c.response_sla, c.response_due_at, now)} · "
              f"resolution {_due(c.resolution_sla, c.resolution_due_at, now)}")  # fmt: skip
    for reason in c.priority_reasons:
        out.print(f"  · {reason}", markup=False, highlight=False)
    places = Table(title="places (each needs its own public reply)")
    fit_table(places, ["mention", "source", "found", "how", "author", "reply", "its first reply"], "url / text",
              [[str(p.mention_id), p.source, ago(p.first_seen_at, now),
                p.joined_by + (f" {p.similarity:.0f}" if p.similarity is not None else "") if p.joined_by else "-",
                p.author or "-", p.reply_state or "-", _due(p.reply_sla or "-", p.reply_due_at, now),
                p.url or " ".join(p.body.split())] for p in detail.places])  # fmt: skip
    out.print(places)
    for p in detail.places:  # the complaint itself: what staff answer
        out.print(f"[bold]place {p.mention_id}[/] · {escape(p.source)} · {escape(plain_text(p.author or '-'))}"
                  + (f" · {escape(p.language)}" if p.language else "")
                  + (f" · {escape(p.tone)}" if p.tone else ""))  # fmt: skip
        if p.title:
            out.print(plain_text(p.title), markup=False, highlight=False, style="bold")
        out.print(plain_text(p.body), markup=False, highlight=False)
    if detail.candidates:
        candidates = Table(title="customer candidates")
        fit_table(candidates, ["customer", "name", "score", "state"], "reasons",
                  [[str(k.customer_id), k.full_name, f"{k.score:.0f}", k.state, "; ".join(k.reasons)]
                   for k in detail.candidates])  # fmt: skip
        out.print(candidates)
    if detail.drafts:
        drafts = Table(title="drafts")
        fit_table(drafts, ["draft", "place", "lang", "state", "by"], "text",
                  [[str(d.id), str(d.mention_id), d.language, d.state, d.approved_by or d.created_by,
                    " ".join(d.text.split())] for d in detail.drafts])  # fmt: skip
        out.print(drafts)
    if detail.replies:
        replies = Table(title="published replies")
        fit_table(replies, ["reply", "place", "kind", "posted", "verified"], "url / text",
                  [[str(r.id), str(r.mention_id), r.kind, ago(r.posted_at, now), r.verify_state,
                    r.url or " ".join(r.text.split())] for r in detail.replies])  # fmt: skip
        out.print(replies)
    if detail.promises:
        promises = Table(title="promises (when the customer will hear from us next)")
        fit_table(promises, ["promise", "place", "due", "state", "how", "by"], "phrase / settled",
                  [[str(p.id), str(p.mention_id or "-"), ago(p.due_at, now), p.state, p.origin, p.made_by,
                    " · ".join(x for x in (p.phrase, p.settled_by) if x)] for p in detail.promises])  # fmt: skip
        out.print(promises)
    timeline = Table(title="timeline")
    fit_table(timeline, ["when", "who", "what"], "details",
              [[ago(e.at, now), e.actor, e.kind, json.dumps(e.data, ensure_ascii=False, default=str)]
               for e in detail.timeline])  # fmt: skip
    out.print(timeline)
