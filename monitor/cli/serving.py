"""`replywatch serve` (the REST API) and `replywatch demo` (everything offline, on loopback);
monitor.cli.main registers them as top-level commands."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Annotated

import typer

from monitor.cli.common import ConfigOpt, DatabaseOpt, err, make_settings, read_config, ready_database
from monitor.config import Config
from monitor.core.db import describe_url, make_engine, make_session_factory, session_scope
from monitor.core.settings import Settings

# The API is named, not imported, as an ASGI server names it: monitor never imports api (docs/ARCHITECTURE.md).
APP_FACTORY = "api.app:app_from_environment"


def serve(
    config: ConfigOpt = None,
    database: DatabaseOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    with_worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Also poll in this process")] = False,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="API processes; more than one needs the poller run apart (replywatch worker)"),
    ] = 1,
) -> None:
    """Serve the REST API (and, with --worker, poll the sources in the same process)."""
    import uvicorn

    if workers > 1 and with_worker:
        err.print("--worker polls inside the API process; with --workers N run `replywatch worker` next to it")
        raise typer.Exit(2)
    settings = make_settings(database)
    cfg = read_config(config)
    ready_database(settings)
    err.print(f"replywatch API on http://{host}:{port} (OpenAPI at /docs, web inbox at /inbox), database {describe_url(settings.database_url)}, "
              f"{len(cfg.sources)} sources from {cfg.path}, {workers} process(es)")  # fmt: skip
    _app_environment(settings, cfg, run_worker=with_worker)
    if workers == 1:
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, log_level="warning")
        return
    from uvicorn.supervisors import Multiprocess

    server = uvicorn.Config(APP_FACTORY, factory=True, host=host, port=port, workers=workers, log_level="warning")
    sock = server.bind_socket()
    # The worker processes get this socket back from its file descriptor, and asyncio then leaves TCP_NODELAY
    # off the connections it accepts: each response's body waited ~40 ms behind its headers for a delayed ACK.
    # Accepted connections inherit the option from the listening socket.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(server, sockets=[sock]).run()


def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="API port")] = 8000,
    database: DatabaseOpt = None,
    host: Annotated[str, typer.Option(help="Address the API listens on (0.0.0.0 in a container)")] = "127.0.0.1",
    board_only: Annotated[
        bool, typer.Option("--board-only", help="Serve only the fictional board, on --host and --board-port")
    ] = False,
    board_port: Annotated[
        int, typer.Option(min=0, max=65535, help="The board's port (0: any free one, or 8080 with --board-only)")
    ] = 0,
) -> None:
    """Run everything offline: a fictional complaint board on loopback, the poller and the API."""
    import uvicorn

    from monitor.demo.board import BoardServer
    from monitor.demo.catalogue import demo_config_path

    if board_only:
        _serve_board(host, board_port)
        return
    settings = make_settings(database)
    board = BoardServer(port=board_port)
    base = board.start()
    os.environ["REPLYWATCH_DEMO_BOARD"] = base
    cfg = read_config(demo_config_path())
    ready_database(settings)
    secret = _demo_token(settings)
    api = f"http://127.0.0.1:{port}"
    here = (
        ""
        if settings.database_url == Settings.model_fields["database_url"].default
        else f" --database {settings.database_url}"
    )
    err.print(
        f"\n[bold]replywatch demo[/]\n"
        f"  complaint board (fictional, loopback): {base}/\n"
        f"  API:       {api}   (OpenAPI docs at {api}/docs)\n"
        f"  inbox:     {api}/inbox   (the staff's pages: sign in with the token below)\n"
        f"  database:  {describe_url(settings.database_url)}\n"
        f"  watching:  {len(cfg.sources)} sources for {len(cfg.brands)} brands; new complaints appear every ~20 s\n\n"
        f"Try, in another terminal (within a minute):\n"
        f"  replywatch sources status{here}\n"
        f"  replywatch mentions list{here}\n"
        f"  export TOKEN={secret}   # an admin token made for this demo\n"
        f"  curl -s -H \"Authorization: Bearer $TOKEN\" '{api}/api/v1/cases?status=open&sort=response_due&limit=5'\n"
        f'  curl -s -H "Authorization: Bearer $TOKEN" {api}/api/v1/mentions?limit=5\n'
        f"  replywatch cases list{here}\n"
        f"Ctrl+C stops.\n",
        soft_wrap=True,
    )
    _app_environment(settings, cfg, run_worker=True)
    try:
        uvicorn.run(APP_FACTORY, factory=True, host=host, port=port, log_level="warning")
    finally:
        board.stop()


def _serve_board(host: str, port: int) -> None:
    """The board alone, until stopped: what a compose file's `board` service runs for the API and workers."""
    import uvicorn

    from monitor.demo.board import create_board_app

    err.print(f"replywatch demo board (fictional) on http://{host}:{port}/; Ctrl+C stops")
    uvicorn.run(create_board_app(), host=host, port=port or 8080, log_level="warning", access_log=False)


def _app_environment(settings: Settings, cfg: Config, *, run_worker: bool) -> None:
    """uvicorn builds the app by importing APP_FACTORY, in this process or in each of --workers N: the
    settings and the watch list reach it through the environment (monitor.core.settings.Settings)."""
    os.environ["REPLYWATCH_DATABASE_URL"] = settings.database_url
    os.environ["REPLYWATCH_CONFIG"] = str(cfg.path)
    os.environ["REPLYWATCH_RUN_WORKER"] = "1" if run_worker else "0"
    os.environ["REPLYWATCH_LOG_LEVEL"] = settings.log_level
    os.environ["REPLYWATCH_LOG_FORMAT"] = settings.log_format


def _demo_token(settings: Settings) -> str:
    """An admin token for the demo user, printed at start-up (a new one each run)."""
    from monitor.desk.tokens import create_token

    with session_scope(make_session_factory(make_engine(settings.database_url))) as session:
        _, secret = create_token(session=session, name="demo", role="admin", created_by="demo", now=datetime.now(UTC))
    return secret
