"""The desk from the terminal: `cases assign|draft|approve|reply|dismiss` and `cases show` with the complaint text,
on a database filled by a real poll of a loopback feed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.main import app
from tests.support.factories import rss
from tests.support.loopback import LoopbackServer, static

runner = CliRunner()
COMPLAINTS = [("k1", "Чайник Акме", "Чайник Акме течёт после первой недели, в сервисе молчат уже пять дней."),
              ("k2", "Диван Акме", "Диван от Акме привезли с порванной обивкой, прошу заменить или вернуть деньги.")]  # fmt: skip


@pytest.fixture
def desk(tmp_path: Path, db_url: str) -> Iterator[list[str]]:
    """The --config and --database options of a watch list whose one feed has been polled into cases."""
    routes = {"/a.rss": static(rss(COMPLAINTS), content_type="application/rss+xml")}
    with LoopbackServer(routes) as server:
        path = tmp_path / "sources.yaml"
        path.write_text(
            "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8, '::1/128']}\n"
            "brands: [{key: acme, name: Acme, names: [Акме]}]\n"
            f"sources:\n  - {{key: board, kind: feed, url: '{server.url('/a.rss')}', interval: 15m, brand: acme}}\n",
            encoding="utf-8",
        )
        options = ["--config", str(path), "--database", db_url]
        assert run("db", "upgrade", "--database", db_url)[0] == 0
        assert run("poll", *options)[0] == 0
        yield options


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", "USER": "lena"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def cases(options: list[str]) -> dict[str, int]:
    """{complaint title: case id}"""
    code, output = run("cases", "list", "--json", *options[2:])
    assert code == 0, output
    return {row["title"]: row["id"] for row in map(json.loads, output.splitlines())}


def test_a_case_is_answered_from_the_terminal(desk: list[str]) -> None:
    kettle = cases(desk)["Чайник Акме"]
    code, output = run("cases", "show", str(kettle), *desk[2:])
    assert code == 0 and "в сервисе молчат уже пять дней" in output  # the complaint text of its place
    code, output = run("cases", "assign", str(kettle), "anna", *desk)
    assert (code, output.strip()) == (0, f"case {kettle} assigned to anna")
    code, output = run("cases", "reply", str(kettle), *desk)
    assert code == 2 and "a reply needs --text, or --draft" in output
    code, output = run("cases", "draft", str(kettle), "--by", "anna", *desk)
    assert code == 0 and f"RW-{kettle}" in output, output
    draft_id = int(output.split()[1])
    code, output = run("cases", "reply", str(kettle), "--draft", str(draft_id), *desk)
    assert code == 2 and f"draft {draft_id} is draft; only an approved draft is published" in output
    code, output = run("cases", "approve", str(draft_id), *desk)
    assert code == 0 and f"draft {draft_id} approved by lena" in output
    code, output = run("cases", "reply", str(kettle), "--draft", str(draft_id), "--url",
                       "https://board.example/c/k1#answer", *desk)  # fmt: skip
    assert code == 0 and "(first; check on its page: unverifiable); the case is acknowledged" in output, output
    code, output = run("cases", "show", str(kettle), *desk[2:])
    assert "anna" in output and "published" in output and "https://board.example/c/k1#answer" in output
    code, output = run("cases", "reply", str(kettle), "--text", "Всё починили.", "--closing", *desk)
    assert code == 0 and "(closing;" in output and "the case is resolved" in output
    code, output = run("cases", "assign", str(kettle), "-", *desk)
    assert (code, output.strip()) == (0, f"case {kettle} unassigned")


def test_refusals_are_clear_and_exit_2(desk: list[str]) -> None:
    sofa = cases(desk)["Диван Акме"]
    code, output = run("cases", "dismiss", str(sofa), "--reason", "boring", *desk)
    assert code == 2 and "--reason must be one of spam, not_about_us, duplicate" in output
    code, output = run("cases", "dismiss", "999999", "--reason", "spam", *desk)
    assert code == 2 and "no case 999999" in output
    code, output = run("cases", "approve", "999999", *desk)
    assert code == 2 and "no draft 999999" in output
    code, output = run("cases", "reply", str(sofa), "--text", "x", "--place", "999999", *desk)
    assert code == 2 and f"mention 999999 is not a place of case {sofa}" in output
    code, output = run("cases", "assign", str(sofa), "  ", *desk)
    assert code == 2 and "the assignee must be a name" in output
    code, output = run("cases", "dismiss", str(sofa), "--reason", "spam", "--note", "a test post", *desk)
    assert (code, output.strip()) == (0, f"case {sofa} dismissed (spam)")
    code, output = run("cases", "draft", str(sofa), *desk)
    assert code == 2 and f"case {sofa} is dismissed; nothing to answer" in output
    code, output = run("cases", "show", str(sofa), *desk[2:])
    assert "dismissed" in output and "a test post" in output


def test_text_from_outside_cannot_drive_the_terminal() -> None:
    from monitor.cli.common import plain_text

    assert plain_text("Спасибо\x1b[2J\x07!\n\tИван") == "Спасибо\ufffd[2J\ufffd!\n\tИван"


def test_places_answered_and_promises_from_the_terminal(desk: list[str]) -> None:
    sofa = cases(desk)["Диван Акме"]
    code, output = run("cases", "list", *desk[2:])
    assert code == 0 and "0 of 1" in output and "answered" in output
    code, output = run("cases", "list", "--unanswered-places", "--sort", "unanswered_places", "--json", *desk[2:])
    assert code == 0 and sofa in [json.loads(line)["id"] for line in output.splitlines()]
    code, output = run("cases", "reply", str(sofa), "--text", "Заменим диван в течение трёх рабочих дней. RW", *desk)
    assert code == 0, output
    code, output = run("cases", "show", str(sofa), *desk[2:])
    assert code == 0 and "1 of 1 places answered" in output and "в течение трёх рабочих дней" in output
    assert "promises" in output and "open" in output
    due = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M+00:00")
    code, output = run("cases", "promise", str(sofa), "--due", due, *desk)
    assert code == 0 and f"recorded on case {sofa}: due {due[:16]}:00+00:00" in output, output
    code, output = run("cases", "promise", str(sofa), "--due", "2099-01-05T17:00+01:00", *desk)
    assert code == 2 and "more than a year" in output, output
    code, output = run("cases", "promise", str(sofa), "--due", "2001-01-05T17:00+01:00", *desk)
    assert code == 2 and "is not in the future" in output, output
    code, output = run("cases", "promise", str(sofa), "--due", "tomorrow", *desk)
    assert code == 2
