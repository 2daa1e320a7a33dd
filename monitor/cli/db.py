"""`replywatch db`: the database schema."""

from __future__ import annotations

import typer

from monitor.cli.common import DatabaseOpt, make_settings, out, ready_database
from monitor.core.db import describe_url

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOpt = None) -> None:
    """Create or migrate the schema to the newest version."""
    settings = make_settings(database)
    ready_database(settings)
    out.print(f"database {describe_url(settings.database_url)} is at the newest schema")
