"""`replywatch alerts test CHANNEL`, `replywatch alerts list`, and `replywatch poll` sending the alerts it caused."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from monitor.alerts.transports import verify_signature
from monitor.cli.main import app
from monitor.config import load_config
from monitor.core.db import SessionFactory
from monitor.core.revisions import upgrade
from tests.support.alert_receiver import Receiver
from tests.support.alerts import SECRET, Clock, emit_events, runner
from tests.support.clock import NOW
from tests.support.loopback import LoopbackServer

cli = CliRunner()


def watch_list(tmp_path: Path, receiver: Receiver) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "brands: [{key: acme, name: Acme}]\n"
        "http: {allow_networks: [127.0.0.0/8]}\n"
        "channels:\n"
        f"  - {{key: hook, kind: webhook, url: '{receiver.url('/hook')}', secret: '${{HOOK_SECRET}}'}}\n"
        f"  - {{key: chat, kind: apprise, url: 'json://127.0.0.1:{receiver.port}/chat'}}\n",
        encoding="utf-8",
    )
    return path


def test_alerts_test_sends_to_each_channel_kind(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with Receiver() as receiver:
        config = watch_list(tmp_path, receiver)
        for key in ("hook", "chat"):
            result = cli.invoke(app, ["alerts", "test", key, "--config", str(config)])
            assert result.exit_code == 0, result.output
            assert f"test message sent to '{key}'" in result.output
        hook, chat = receiver.ok()
        assert verify_signature(SECRET, hook.headers["x-replywatch-signature"], hook.body)
        assert hook.json["events"][0]["kind"] == "test" and hook.headers["x-replywatch-event"] == "test"
        assert chat.path == "/chat" and chat.json["title"] == "Test message"

        missing = cli.invoke(app, ["alerts", "test", "nope", "--config", str(config)])
        assert missing.exit_code == 2 and "no channel 'nope'" in missing.output
        receiver.fail_with(500)
        failed = cli.invoke(app, ["alerts", "test", "hook", "--config", str(config)])
        assert failed.exit_code == 1 and "HTTP 500" in failed.output


async def test_alerts_list_shows_deliveries(tmp_path: Path, db_url: str, sessions: SessionFactory, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with Receiver() as receiver:
        config = load_config(watch_list(tmp_path, receiver))
        upgrade(db_url)
        emit_events(sessions, config, NOW, [("source.failing", {"source": "board", "error": "HTTP 503"})])
        alerts = runner(config, sessions, Clock(NOW))
        await alerts.route()
        receiver.fail_with(404)
        await alerts.dispatch()
        await alerts.aclose()
    result = cli.invoke(app, ["alerts", "list", "--state", "failed", "--json", "--database", db_url])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert sorted(r["channel"] for r in rows) == ["chat", "hook"]
    assert all(r["state"] == "failed" and r["last_status"] == 404 for r in rows)
    table = cli.invoke(app, ["alerts", "list", "--database", db_url])
    assert table.exit_code == 0 and "source.failing" in table.output
    bad = cli.invoke(app, ["alerts", "list", "--state", "lost", "--database", db_url])
    assert bad.exit_code == 2


def test_poll_once_also_sends_the_alerts_it_caused(tmp_path: Path, db_url: str, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with Receiver() as receiver, LoopbackServer() as board:  # the board answers 404: the feed is gone
        path = tmp_path / "sources.yaml"
        path.write_text(
            "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8, '::1/128']}\n"
            "channels:\n"
            f"  - {{key: hook, kind: webhook, url: '{receiver.url('/hook')}', secret: '${{HOOK_SECRET}}'}}\n"
            "sources:\n"
            f"  - {{key: gone, kind: feed, url: '{board.url('/gone.rss')}', interval: 15m}}\n",
            encoding="utf-8",
        )
        result = cli.invoke(app, ["poll", "--config", str(path), "--database", db_url])
        assert result.exit_code == 0, result.output
    (alert,) = receiver.ok()
    assert alert.json["events"][0]["kind"] == "source.failing" and alert.json["events"][0]["source"] == "gone"
