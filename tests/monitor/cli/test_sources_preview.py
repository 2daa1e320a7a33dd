"""`replywatch sources preview KEY`: one fetch, nothing stored, every item field by field, fill and warnings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli as run
from tests.support.loopback import LoopbackServer, static
from tests.support.preview_board import BOARD_SOURCE, PAGE_ITEMS, serve_board


@pytest.fixture
def watch_list(tmp_path: Path) -> Iterator[Path]:
    with LoopbackServer({"/gone": static(b"", status=404)}) as server:
        path = tmp_path / "sources.yaml"
        path.write_text(
            "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8]}\nsources:\n"
            + BOARD_SOURCE % serve_board(server)
            + f"  - {{key: gone, kind: feed, url: '{server.url('/gone')}', interval: 15m}}\n",
            encoding="utf-8",
        )
        yield path


def test_preview_shows_every_item_field_by_field_with_fill_and_warnings(watch_list: Path) -> None:
    code, output = run("sources", "preview", "board", "--config", str(watch_list))
    assert code == 0, output
    assert "board: 6 items on 1 page(s)" in output
    for _, author, body in PAGE_ITEMS:
        assert body in output and (author is None or author in output)
    assert "fill: of 6 items, 5 would be stored by a poll" in output
    assert "83%" in output and "100%" in output  # author on 5 of 6, body on all
    assert output.count("— (empty)") == 7  # r3's author, and no item's date
    assert "warning (skipped): 1 item had an empty body (selector '.text')" in output
    assert "warning (field_empty): 'published' empty on all 6 items" in output


def test_preview_json_has_the_apis_shape(watch_list: Path) -> None:
    code, output = run("sources", "preview", "board", "--config", str(watch_list), "--json")
    assert code == 0
    got = json.loads(output)
    assert [(i["id"], i["author"], i["body"]) for i in got["items"]] == PAGE_ITEMS
    assert {f["field"]: f["filled"] for f in got["fill"]} == {"id": 6, "body": 6, "author": 5, "published": 0}
    assert [w["kind"] for w in got["warnings"]] == ["skipped", "not_stored", "field_empty"]
    assert (got["ok"], got["stored"], got["http_status"], got["fetch"]) == (True, 5, 200, "http")


def test_a_failed_fetch_exits_1_with_its_reason(watch_list: Path) -> None:
    code, output = run("sources", "preview", "gone", "--config", str(watch_list))
    assert code == 1
    assert "gone: HTTP 404" in output
    code, output = run("sources", "preview", "gone", "--config", str(watch_list), "--json")
    assert code == 1 and json.loads(output)["error_class"] == "gone"


def test_an_unknown_key_names_the_sources_there_are(watch_list: Path) -> None:
    code, output = run("sources", "preview", "nope", "--config", str(watch_list))
    assert code == 2
    assert "no source 'nope'" in output and "sources: board, gone" in output


def test_check_fetch_counts_what_the_preview_would_store(watch_list: Path) -> None:
    code, output = run("sources", "check", "--config", str(watch_list), "--fetch")
    assert code == 1  # the gone source fails
    assert "1 of 6 items would not be stored" in output and "gone: HTTP 404" in output


def test_page_text_is_shown_as_text_not_as_terminal_markup(tmp_path: Path) -> None:
    hostile = "<div class='review' data-id='x'><p class='text'>[/] [red]Жалоба[/red] \x1b[2J \u202e[link=file:///etc]</p></div>"
    with LoopbackServer({"/board": static(hostile, content_type="text/html; charset=utf-8")}) as server:
        path = tmp_path / "sources.yaml"
        path.write_text("http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8]}\nsources:\n"
                        + BOARD_SOURCE % server.url("/board"), encoding="utf-8")  # fmt: skip
        code, output = run("sources", "preview", "board", "--config", str(path))
    assert code == 0, output
    assert "[/] [red]Жалоба[/red]" in output and "\x1b" not in output
