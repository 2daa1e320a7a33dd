"""What every `replywatch` command shares: consoles, options, settings, config, tables."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from monitor.config import Config, ConfigError, load_config
from monitor.core.db import SessionFactory, describe_url, make_engine, make_session_factory
from monitor.core.logs import configure_logging
from monitor.core.revisions import current_revision, keys_need_rebuild, upgrade
from monitor.core.settings import Settings

__all__ = [
    "ConfigOpt",
    "DatabaseOpt",
    "ago",
    "err",
    "fit_table",
    "load",
    "make_settings",
    "out",
    "plain_text",
    "progress_bar",
    "read_config",
    "ready_database",
    "reindex_register",
    "sessions_for",
]

out = Console()
err = Console(stderr=True)
# PostgreSQL advisory lock key of ready_database (any fixed number; "rwready" in ASCII).
_UPGRADE_LOCK = 0x72777265616479

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Watch list; default $REPLYWATCH_CONFIG, else ./sources.yaml"),
]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", help="Database URL; default $REPLYWATCH_DATABASE_URL, else sqlite:///replywatch.db"),
]


def make_settings(database: str | None) -> Settings:
    settings = Settings()
    if database:
        settings.database_url = database
    configure_logging(settings.log_level, settings.log_format)
    return settings


def read_config(path: Path | None) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        err.print(f"[bold red]{exc.path}[/]: the watch list has {len(exc.problems)} problem(s); nothing was started")
        for problem in exc.problems:
            err.print(f"  - {problem}", markup=False, highlight=False)
        raise typer.Exit(2) from None


def ready_database(settings: Settings) -> None:
    """Bring the schema to the newest version. A database from before the customer-key rules changed
    stops at the revision before that change while its register's keys are rebuilt: a crash during the
    rebuild leaves it there, and the next start rebuilds again (each batch is its own transaction)."""
    url = settings.database_url
    try:
        engine = make_engine(url)
        try:
            with engine.connect() as lock:
                if engine.dialect.name == "postgresql":
                    # One process at a time (an API and a worker started together): the second waits,
                    # then finds the schema current and nothing to rebuild. Held by this connection
                    # until it is closed below, whatever the upgrade's own transactions do.
                    lock.exec_driver_sql(f"SELECT pg_advisory_lock({_UPGRADE_LOCK})")
                    lock.commit()
                stop = keys_need_rebuild(current_revision(engine))
                if stop is not None:
                    upgrade(url, stop)
                    err.print("the register's lookup keys follow new matching rules: rebuilding them once")
                    done = reindex_register(make_session_factory(engine), None)
                    err.print(f"{done} customers re-indexed")
                upgrade(url)
        finally:
            engine.dispose()  # `serve` and `worker` go on for days: no idle connection left behind
    except Exception as exc:
        err.print(f"[bold red]cannot prepare the database[/] {describe_url(url)}: {exc}")
        raise typer.Exit(1) from None


def reindex_register(sessions: SessionFactory, brand_id: int | None) -> int:
    """Rebuild the lookup keys of a brand's register (every brand's when None) with a progress bar,
    committing each batch; returns how many customers were done."""
    import sqlalchemy as sa

    from monitor.customers.register import reindex_batches
    from monitor.models import Customer

    done = 0
    with sessions() as session:
        count = sa.select(sa.func.count()).select_from(Customer)
        total = session.scalar(count if brand_id is None else count.where(Customer.brand_id == brand_id)) or 0
        with progress_bar() as progress:
            task = progress.add_task("re-indexing", total=total)
            for done in reindex_batches(session=session, brand_id=brand_id):
                session.commit()
                progress.update(task, completed=done)
    return done


def ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    seconds = int((now - moment).total_seconds())
    future = seconds < 0
    seconds = abs(seconds)
    text = (
        f"{seconds}s" if seconds < 90 else f"{seconds // 60}m" if seconds < 5400 else
        f"{seconds // 3600}h" if seconds < 172800 else f"{seconds // 86400}d"
    )  # fmt: skip
    return f"in {text}" if future else f"{text} ago"


# Control characters but tab and line feed: complaint text is untrusted, and an escape sequence printed
# as it is would drive the staff member's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_text(text: str) -> str:
    """Text from outside (a complaint, a draft greeting its author) made safe to print: no control characters."""
    return _CONTROL.sub("\ufffd", text)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    )  # fmt: skip


def fit_table(table: Table, fixed: list[str], flexible: str, cells: list[list[str]]) -> None:
    """One line per row: the fixed columns keep their width, the flexible last one is cut with an ellipsis."""
    widths = [max([len(name)] + [len(Text.from_markup(row[i]).plain) for row in cells]) for i, name in enumerate(fixed)]
    for name, width in zip(fixed, widths, strict=True):
        table.add_column(name, no_wrap=True, min_width=width)
    # Each column costs its width plus 3 for padding and border; the table adds one more border.
    room = max(len(flexible), out.width - sum(w + 3 for w in widths) - 4)
    table.add_column(flexible, no_wrap=True, overflow="ellipsis", max_width=room)
    for row in cells:
        table.add_row(*row)


def load(config: Path | None, database: str | None, *, need_config: bool = False) -> tuple[Settings, Config | None]:
    """Settings (with logging set up) and, when asked, the validated watch list."""
    settings = make_settings(database)
    return settings, (read_config(config) if need_config else None)


def sessions_for(settings: Settings) -> SessionFactory:
    return make_session_factory(make_engine(settings.database_url))


T = TypeVar("T")


def one_named(items: Sequence[T], key: str, noun: str, where: Path) -> T:
    """The item of `items` (from the watch list at `where`) whose key is `key`; else say which there are, exit 2."""
    chosen = next((i for i in items if i.key == key), None)  # type: ignore[attr-defined]
    if chosen is None:
        keys = ", ".join(i.key for i in items) or "none"  # type: ignore[attr-defined]
        err.print(f"[red]no {noun} '{key}' in {where} ({noun}s: {keys})[/]")
        raise typer.Exit(2)
    return chosen


def json_lines_or_none(rows: Sequence[Any], *, as_json: bool, none: str) -> bool:
    """With --json, each row's fields as a JSON line; without rows, `none` on stderr. True when either was
    printed and the command has nothing more to show."""
    if as_json:
        for r in rows:
            print(json.dumps({f: getattr(r, f) for f in r.__slots__}, default=str, ensure_ascii=False))
        return True
    if not rows:
        err.print(none)
        return True
    return False
