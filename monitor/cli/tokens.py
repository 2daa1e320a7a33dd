"""`replywatch tokens …`: API tokens for staff and tools (the secret is printed once)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from monitor.cli.common import DatabaseOpt, ago, err, fit_table, load, out, sessions_for
from monitor.core.db import session_scope
from monitor.core.errors import Invalid, NotFound

tokens_app = typer.Typer(help="API tokens: who may use the API, with which role.", no_args_is_help=True)


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="Who or what uses it: 'anna', 'crm-sync'")],
    role: Annotated[str, typer.Option(help="viewer, agent, lead or admin")] = "agent",
    database: DatabaseOpt = None,
) -> None:
    """Create a token and print its secret (shown only now; only its hash is stored)."""
    from monitor.desk.tokens import ROLES, create_token

    if role not in ROLES:
        err.print(f"[red]--role must be one of {', '.join(ROLES)}[/]")
        raise typer.Exit(2)
    settings, _ = load(None, database)
    try:
        with session_scope(sessions_for(settings)) as session:
            token, secret = create_token(session=session, name=name, role=role, created_by="cli",
                                         now=datetime.now(UTC))  # fmt: skip
            token_id = token.id
    except Invalid as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    err.print(f"token {token_id} '{name}' ({role}); send it as 'Authorization: Bearer <token>':")
    print(secret)


@tokens_app.command("list")
def tokens_list(database: DatabaseOpt = None) -> None:
    """Every token, revoked ones too (secrets are never shown again)."""
    from monitor.desk.tokens import list_tokens

    settings, _ = load(None, database)
    with sessions_for(settings)() as session:
        rows = list_tokens(session=session)
    now = datetime.now(UTC)
    table = Table(title=f"{len(rows)} API tokens")
    cells = [[str(t.id), t.name, t.role, t.prefix + "…", ago(t.created_at, now),
              ago(t.last_used_at, now) if t.last_used_at else "never",
              f"revoked {ago(t.revoked_at, now)}" if t.revoked_at else "live"] for t in rows]  # fmt: skip
    fit_table(table, ["id", "name", "role", "starts", "created", "last used"], "state", cells)
    out.print(table)


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[int, typer.Argument(min=1)], database: DatabaseOpt = None) -> None:
    """Revoke a token: API processes refuse it within 5 s (they cache lookups that long)."""
    from monitor.desk.tokens import revoke_token

    settings, _ = load(None, database)
    try:
        with session_scope(sessions_for(settings)) as session:
            revoke_token(session=session, token_id=token_id, now=datetime.now(UTC))
    except NotFound:
        err.print(f"[red]no token {token_id}[/]")
        raise typer.Exit(1) from None
    err.print(f"token {token_id} revoked")
