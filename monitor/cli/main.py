"""The `replywatch` command line: its command groups and top-level commands, one module each."""

from __future__ import annotations

import sys

import typer

from monitor.cli import matching as _matching  # noqa: F401  (adds its commands to customers_app)
from monitor.cli.alerts import alerts_app
from monitor.cli.cases import cases_app, customers_app
from monitor.cli.db import db_app
from monitor.cli.desk import approve, assign, dismiss, draft, promise, reply
from monitor.cli.mentions import mentions_app
from monitor.cli.polling import alive, poll, worker
from monitor.cli.report import report_app
from monitor.cli.serving import demo, serve
from monitor.cli.sources import sources_app
from monitor.cli.tokens import tokens_app

app = typer.Typer(help="replywatch: find every public complaint about your brands and answer it in time.",
                  no_args_is_help=True, pretty_exceptions_enable=False)  # fmt: skip
app.add_typer(sources_app, name="sources")
app.add_typer(mentions_app, name="mentions")
app.add_typer(db_app, name="db")
app.add_typer(customers_app, name="customers")
app.add_typer(cases_app, name="cases")
app.add_typer(tokens_app, name="tokens")
app.add_typer(report_app, name="report")
app.add_typer(alerts_app, name="alerts")
for command in (poll, worker, alive, serve, demo):
    app.command()(command)
# The desk's commands live in their own module (monitor/cli/cases.py reads; desk.py changes) but belong
# to the `cases` group staff already know.
for command in (assign, draft, approve, reply, promise, dismiss):
    cases_app.command()(command)


def main() -> None:  # pragma: no cover - console entry point
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover - `python -m monitor.cli.main`
    main()
