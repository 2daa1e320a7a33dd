"""The `replywatch` command line run in-process, for the CLI tests."""

from __future__ import annotations

from typer.testing import CliRunner

from monitor.cli.main import app

__all__ = ["run_cli"]

_runner = CliRunner()


def run_cli(*args: str, **env: str) -> tuple[int, str]:
    """(exit code, output) of `replywatch *args`, 200 columns wide; a crash is raised, not returned."""
    result = _runner.invoke(app, list(args), env={"COLUMNS": "200", **env})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output
