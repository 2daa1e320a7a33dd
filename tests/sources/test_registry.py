"""The source kinds are found, not listed: a new kind is one module of sources/ with a KIND."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

import sources
from monitor.config import parse_config
from sources import registry
from sources.embedded import EmbeddedJsonSettings
from sources.feed import FeedSettings
from sources.html import HtmlSettings
from sources.json import JsonSettings
from sources.structured import StructuredSettings


def test_every_shipped_kind_is_registered_with_its_settings_and_parser() -> None:
    assert {k: (v.settings, v.parse.__module__, v.needs_settings) for k, v in registry.KINDS.items()} == {
        "feed": (FeedSettings, "sources.feed", False),
        "html": (HtmlSettings, "sources.html", True),
        "json": (JsonSettings, "sources.json", True),
        "structured": (StructuredSettings, "sources.structured", False),
        "embedded_json": (EmbeddedJsonSettings, "sources.embedded", True),
    }


def test_a_module_with_a_kind_is_all_a_new_kind_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "csvfile.py").write_text(
        "from pydantic import BaseModel\n"
        "from sources.base import ParsedPage, SourceKind\n"
        "class CsvSettings(BaseModel):\n    delimiter: str = ','\n"
        "def parse(**_kw):\n    return ParsedPage(items=[])\n"
        "KIND = SourceKind('csvfile', CsvSettings, parse, needs_settings=False)\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sources, "__path__", [*sources.__path__, str(tmp_path)])
    found = registry._discover()
    assert list(found) == ["csvfile", "embedded_json", "feed", "html", "json", "structured"]
    assert issubclass(found["csvfile"].settings, BaseModel) and found["csvfile"].parse.__module__ == "sources.csvfile"


def test_the_kind_choices_in_sources_yaml_come_from_the_registry() -> None:
    text = "sources:\n  - {key: a, kind: csv, url: 'https://board.example/a', interval: 1m}\n"
    with pytest.raises(
        Exception, match=r"sources\[0\]\.kind .*'embedded_json', 'feed', 'html', 'json' or 'structured' \(got 'csv'\)"
    ):
        parse_config(text, env={})
    config = parse_config("sources:\n  - {key: a, kind: feed, url: 'https://board.example/a', interval: 1m}\n", env={})
    assert config.sources[0].settings is None and config.sources[0].spec().kind == "feed"
