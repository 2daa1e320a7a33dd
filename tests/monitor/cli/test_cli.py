"""The `replywatch` command line, run in-process against loopback sources and a real database."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from monitor.cli.common import _UPGRADE_LOCK, ready_database
from monitor.cli.main import app
from monitor.core.db import make_engine
from monitor.core.revisions import _alembic_config, current_revision, head_revision
from monitor.core.settings import Settings
from tests.support.factories import rss
from tests.support.loopback import LoopbackServer, static

runner = CliRunner()


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    feed = rss([(f"g{i}", f"Жалоба {i}", f"Заказ {i} в Акме не доставлен.") for i in range(12)])
    routes = {"/a.rss": static(feed, content_type="application/rss+xml"), "/down.rss": static(b"", status=500)}
    with LoopbackServer(routes) as srv:
        yield srv


@pytest.fixture
def watch_list(tmp_path: Path, server: LoopbackServer) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8, '::1/128']}\n"
        "brands: [{key: acme, name: Acme}]\n"
        "sources:\n"
        f"  - {{key: board, kind: feed, url: '{server.url('/a.rss')}', interval: 15m, brand: acme}}\n"
        f"  - {{key: down, kind: feed, url: '{server.url('/down.rss')}', interval: 15m}}\n",
        encoding="utf-8",
    )
    return path


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_check_validates_and_fetch_counts_items(watch_list: Path) -> None:
    code, output = run("sources", "check", "--config", str(watch_list))
    assert code == 0 and "the watch list is valid" in output and "board" in output
    code, output = run("sources", "check", "--config", str(watch_list), "--fetch")
    assert code == 1  # one source is down: the check says so with a failing exit code
    assert "12" in output and "http_5xx" in output and "1 of 2 sources failed" in output


def test_a_bad_watch_list_stops_everything_with_every_problem_listed(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("sources:\n  - {key: x, kind: rss, url: nope, interval: soon}\n", encoding="utf-8")
    code, output = run("sources", "check", "--config", str(path))
    assert code == 2
    assert "3 problem(s); nothing was started" in output
    assert "line 2: sources[0].kind [source 'x']" in output and "sources[0].interval" in output
    code, output = run("poll", "--config", str(tmp_path / "missing.yaml"))
    assert code == 2 and "file not found" in output


def test_poll_then_status_and_mentions(watch_list: Path, db_url: str) -> None:
    code, output = run("db", "upgrade", "--database", db_url)
    assert code == 0 and "newest schema" in output
    code, output = run("poll", "--config", str(watch_list), "--database", db_url)
    assert code == 0 and "2 polls" in output
    code, output = run("poll", "--config", str(watch_list), "--database", db_url)
    assert "nothing was due" in output
    code, output = run("poll", "--config", str(watch_list), "--database", db_url, "--source", "board")
    assert code == 0 and "1 polls" in output
    code, output = run("poll", "--config", str(watch_list), "--database", db_url, "--source", "nope")
    assert code == 2 and "no source named nope" in output

    code, output = run("sources", "status", "--database", db_url)
    assert code == 0 and "board" in output and "degraded" in output and "HTTP 500" in output
    code, output = run("sources", "status", "--database", db_url, "--json")
    rows = {r["key"]: r for r in json.loads(output)}
    assert rows["board"]["last_items"] == 12 and rows["down"]["last_http_status"] == 500

    code, output = run("mentions", "list", "--database", db_url, "--json", "--limit", "5")
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 5 and all(m["source"] == "board" and m["brand"] == "acme" for m in lines)
    code, output = run("mentions", "list", "--database", db_url, "--source", "board")
    assert code == 0 and "Жалоба 11" in output


def test_check_counts_what_poll_stores_and_mentions_show_the_replies(tmp_path: Path, db_url: str) -> None:
    # A feed repeating a guid (boards re-list a bumped post) and a page that shows replies.
    feed = rss(
        [
            ("g1", "Жалоба", "Курьер не приехал."),
            ("g2", "Ещё", "Деньги не вернули."),
            ("g1", "Жалоба", "Курьер не приехал."),
        ]
    )
    page = (
        "<html><body><article class='post' id='p1'><h2>Диван</h2><time>21.03.2018</time>"
        "<div class='text'>Порвана обивка.</div>"
        "<div class='answer'>Здравствуйте, мастер приедет в четверг.</div></article></body></html>"
    )
    routes = {
        "/a.rss": static(feed, content_type="application/rss+xml"),
        "/board": static(page, content_type="text/html; charset=utf-8"),
    }
    with LoopbackServer(routes) as server:
        path = tmp_path / "sources.yaml"
        path.write_text(
            "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8, '::1/128']}\n"
            "sources:\n"
            f"  - {{key: feed, kind: feed, url: '{server.url('/a.rss')}', interval: 15m}}\n"
            f"  - key: board\n    kind: html\n    url: '{server.url('/board')}'\n    interval: 15m\n"
            "    html: {item: article.post, fields: {id: '@id', title: h2, body: .text, reply: .answer,"
            " published: time}}\n",
            encoding="utf-8",
        )
        code, output = run("sources", "check", "--config", str(path), "--fetch")
        assert code == 0 and "1 of 3 items would not be stored: no text, or a key repeated" in output
        assert [int(n) for n in re.findall(r"│\s+(\d+)\s+│\s+HTTP 200", output)] == [2, 1]
        assert "counted as `poll` stores them" in output
        run("db", "upgrade", "--database", db_url)
        code, output = run("poll", "--config", str(path), "--database", db_url)
        assert code == 0
    code, output = run("sources", "status", "--database", db_url, "--json")
    stored = {r["key"]: r["last_items"] for r in json.loads(output)}
    assert stored == {"feed": 2, "board": 1}
    code, output = run("mentions", "list", "--database", db_url, "--json")
    replies = {m["source"]: m["replies"] for m in map(json.loads, output.splitlines())}
    assert replies == {"feed": [], "board": ["Здравствуйте, мастер приедет в четверг."]}
    # The page gives the day only: stored as that day's start, with its precision.
    dates = {m["source"]: (m["published_at"], m["published_precision"]) for m in map(json.loads, output.splitlines())}
    assert dates["board"] == ("2018-03-21 00:00:00+00:00", "day")


def test_reading_commands_on_an_empty_database_say_what_to_do(db_url: str) -> None:
    code, output = run("sources", "status", "--database", db_url)
    assert code == 0 and "no sources in the database yet" in output
    code, output = run("mentions", "list", "--database", db_url)
    assert code == 0 and "no mentions yet" in output


def test_customers_import_then_reindex(watch_list: Path, db_url: str, tmp_path: Path) -> None:
    assert run("db", "upgrade", "--database", db_url)[0] == 0
    assert run("poll", "--config", str(watch_list), "--database", db_url)[0] == 0  # the brand is in the database
    register = tmp_path / "customers.csv"
    register.write_text("id,name,phone\nC-1,Петров Иван,+79123456789\nC-2,Олена Сидоренко,\n", encoding="utf-8")
    code, output = run("customers", "import", str(register), "--config", str(watch_list), "--database", db_url)
    assert code == 0 and "2 created" in output
    code, output = run("customers", "reindex", "--database", db_url)
    assert code == 0 and "2 customers re-indexed" in output
    code, output = run("customers", "reindex", "--database", db_url, "--brand", "acme")
    assert code == 0 and "2 customers re-indexed for brand 'acme'" in output
    code, output = run("customers", "reindex", "--database", db_url, "--brand", "nope")
    assert code == 2 and "brand 'nope' is not in the database" in output
    code, output = run("customers", "search", "Ivan Petrov", "--database", db_url)
    assert code == 0 and "C-1" in output


def test_customers_import_lists_a_line_with_an_unclosed_quote(watch_list: Path, db_url: str, tmp_path: Path) -> None:
    assert run("db", "upgrade", "--database", db_url)[0] == 0
    assert run("poll", "--config", str(watch_list), "--database", db_url)[0] == 0
    register = tmp_path / "customers.csv"
    register.write_text('id,name\nC-1005,Anna Good\nC-1006,"Broken ""quote,,,\nC-1007,Boris Good\n', encoding="utf-8")
    code, output = run("customers", "import", str(register), "--config", str(watch_list), "--database", db_url)
    assert code == 1 and "2 created" in output and "1 refused" in output
    assert "C-1006" in output and "an unclosed quote" in output and "│ 3 " in output
    code, output = run("customers", "search", "Broken", "--database", db_url)
    assert "C-1006" not in output


def test_an_upgrade_past_the_key_rules_rebuilds_the_register_once(
    watch_list: Path, db_url: str, tmp_path: Path
) -> None:
    """A database from before migration 0009 has keys filed by older rules: `db upgrade` rebuilds them
    (here: keys lost and a stray one) before it reaches the newest schema, and only that once."""
    assert run("poll", "--config", str(watch_list), "--database", db_url)[0] == 0
    register = tmp_path / "customers.csv"
    register.write_text("id,name,phone\nC-1,Петров Иван,+79123456789\nC-2,Олена Сидоренко,\n", encoding="utf-8")
    assert run("customers", "import", str(register), "--config", str(watch_list), "--database", db_url)[0] == 0
    engine = make_engine(db_url)
    keys = sa.text("SELECT customer_id, brand_id, kind, value FROM customer_key ORDER BY 1, 2, 3, 4")
    with engine.begin() as conn:
        filed = conn.execute(keys).all()
        conn.execute(sa.text("DELETE FROM customer_key WHERE kind = 'sound'"))
        conn.execute(sa.text("INSERT INTO customer_key VALUES (1, 1, 'sound', 'old|rules')"))
    # Back to 0009 for real (later revisions change the schema), then to 0008 (0009 is only a marker).
    command.downgrade(_alembic_config(db_url), "0009")
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0008'"))
    code, output = run("db", "upgrade", "--database", db_url)
    assert code == 0 and "rebuilding them once" in output and "2 customers re-indexed" in output
    with engine.connect() as conn:
        assert conn.execute(keys).all() == filed and current_revision(engine) == head_revision()
    code, output = run("db", "upgrade", "--database", db_url)
    assert code == 0 and "re-indexed" not in output
    engine.dispose()


def test_preparing_the_database_waits_for_another_process_doing_it(db_url: str) -> None:
    """PostgreSQL: an API and a worker started together prepare the database one after the other."""
    if not db_url.startswith("postgresql"):
        pytest.skip("an advisory lock is PostgreSQL's; SQLite serialises writers itself")
    engine = make_engine(db_url)
    finished = threading.Event()
    with engine.connect() as other:
        other.exec_driver_sql(f"SELECT pg_advisory_lock({_UPGRADE_LOCK})")
        worker = threading.Thread(target=lambda: (ready_database(Settings(database_url=db_url)), finished.set()))
        worker.start()
        assert not finished.wait(1.5)  # still waiting for the other process
        other.exec_driver_sql(f"SELECT pg_advisory_unlock({_UPGRADE_LOCK})")
        other.commit()
    worker.join(timeout=60)
    assert finished.is_set()
    engine.dispose()


def test_serve_starts_the_api_it_names_and_polls_with_worker(watch_list: Path, tmp_path: Path) -> None:
    """`serve` names the app (APP_FACTORY) for uvicorn instead of importing api: the real command, a real port."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = f"sqlite:///{tmp_path / 'serve.db'}"
    command = [sys.executable, "-m", "monitor.cli.main", "serve", "--config", str(watch_list),
               "--database", database, "--port", str(port), "--worker"]  # fmt: skip
    env = {**os.environ, "REPLYWATCH_LOG_FORMAT": "json"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "serve did not answer /healthz within 60 s"
            time.sleep(0.2)
        # --worker reached the app through the environment: the board's twelve complaints get stored.
        engine = make_engine(database)
        while True:
            with engine.connect() as conn:
                if conn.execute(sa.text("SELECT count(*) FROM mention")).scalar_one() == 12:
                    break
            assert time.monotonic() < deadline, "serve --worker stored nothing within 60 s"
            time.sleep(0.2)
        engine.dispose()
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert f"replywatch API on http://127.0.0.1:{port}" in output


def test_alive_reads_the_workers_heartbeat(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    beat = tmp_path / "worker.alive"
    code, output = run("alive", "--heartbeat", str(beat))
    assert code == 1 and "no heartbeat" in output
    beat.write_text(datetime.now(UTC).isoformat(), encoding="utf-8")
    code, output = run("alive", "--heartbeat", str(beat), "--within", "2m")
    assert code == 0 and "alive" in output
    beat.write_text((datetime.now(UTC) - timedelta(minutes=5)).isoformat(), encoding="utf-8")
    code, output = run("alive", "--heartbeat", str(beat), "--within", "2m")
    assert code == 1 and "allowed: 120 s" in output


def test_demo_board_only_serves_the_fictional_board(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "monitor.cli.main", "demo", "--board-only", "--board-port", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                feed = httpx.get(f"http://127.0.0.1:{port}/zhalobnik/acme.rss", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the board did not answer within 60 s"
                time.sleep(0.2)
        assert feed.status_code == 200 and b"<rss" in feed.content
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_customers_rematch_and_train(watch_list: Path, db_url: str, tmp_path: Path) -> None:
    assert run("db", "upgrade", "--database", db_url)[0] == 0
    assert run("poll", "--config", str(watch_list), "--database", db_url)[0] == 0
    register = tmp_path / "customers.csv"
    register.write_text("id,name\nC-1,Петров Иван\n", encoding="utf-8")
    assert run("customers", "import", str(register), "--config", str(watch_list), "--database", db_url)[0] == 0
    code, output = run("customers", "rematch", "--config", str(watch_list), "--database", db_url)
    # Twelve different orders: twelve cases (each short complaint names its own order number).
    assert code == 0 and "1 registers changed: 12 open cases matched again, 0 linked" in output
    assert "event=customers.rematch.progress brand_id=1 done=12 total=12" in output
    code, output = run("customers", "rematch", "--config", str(watch_list), "--database", db_url)
    assert code == 0 and "0 registers changed" in output  # done once per change
    code, output = run("customers", "train", "--brand", "acme", "--config", str(watch_list), "--database", db_url)
    assert code == 1 and "has no cases with candidates to learn from" in output  # nobody signed the feed's posts
    code, output = run("customers", "train", "--brand", "nope", "--config", str(watch_list), "--database", db_url)
    assert code == 2 and "brand 'nope' is not in the database" in output
