"""`replywatch sources presets`: what a person can name with `preset:`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from monitor.cli.main import app

runner = CliRunner()


def test_the_presets_are_listed_with_their_kind_and_hosts() -> None:
    result = runner.invoke(app, ["sources", "presets"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "5 presets" in result.output
    for name in ("trustpilot", "pravogolosa", "irecommend", "pissedconsumer", "reviewcentre"):
        assert name in result.output
    assert "structured" in result.output and "pravogolosa.net" in result.output


def test_the_json_form_carries_the_settings_a_preset_fills() -> None:
    result = runner.invoke(app, ["sources", "presets", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert sorted(rows) == ["irecommend", "pissedconsumer", "pravogolosa", "reviewcentre", "trustpilot"]
    assert rows["trustpilot"]["source"] == {"kind": "structured", "structured": {"format": "json-ld"}}
    assert rows["irecommend"]["source"]["language"] == "ru"
    assert rows["pravogolosa"]["source"]["html"]["item"] == "div.ads_row, div.ad_card_info_data"
    assert rows["pissedconsumer"]["source"]["html"]["timezone"] == "America/New_York"
    assert rows["irecommend"]["source"]["html"]["fields"]["body"] == {
        "select": "div.text > div.clear",
        "own_text": True,
    }
    assert rows["pissedconsumer"]["hosts"] == ["www.pissedconsumer.com", "pissedconsumer.com"]
