"""Presets: the settings of a known review or complaint site, by name (`preset: otzovik`).

Each preset is one YAML file beside this module, named after the preset:

    site: what it reads, for people (`sources presets` lists it)
    hosts: [the hosts its pages live on]
    source:              # keys it fills in the source entry, as a person would write them
      kind: html
      html: {item: ..., fields: {...}}

`apply_preset` merges a preset under a source entry of sources.yaml before the entry is
validated: the entry's own keys win, mappings are merged key by key (so `html.fields.body`
alone can be overridden) and any other value is replaced whole. The result is validated like
any hand-written entry, so a config error still names the source and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["Preset", "PresetError", "apply_preset", "presets"]


class PresetError(ValueError):
    """A `preset:` key that cannot be applied (unknown name, a kind it is not for)."""


@dataclass(frozen=True, slots=True)
class Preset:
    name: str
    site: str
    hosts: tuple[str, ...]
    source: Mapping[str, Any]

    @property
    def kind(self) -> str:
        return str(self.source["kind"])


@cache
def presets() -> dict[str, Preset]:
    """Every preset shipped with replywatch, by name (read once per process)."""
    found: dict[str, Preset] = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        name = entry.name.removesuffix(".yaml")
        data = yaml.safe_load(entry.read_text(encoding="utf-8"))
        found[name] = Preset(name=name, site=data["site"], hosts=tuple(data.get("hosts", ())), source=data["source"])
    return found


def apply_preset(entry: Mapping[str, Any]) -> dict[str, Any]:
    """`entry` with its preset's keys filled in under its own; unchanged when it names no preset."""
    name = entry.get("preset")
    if name is None:
        return dict(entry)
    known = presets()
    if not isinstance(name, str) or name not in known:
        raise PresetError(f"preset: unknown preset {name!r} (known: {', '.join(known)})")
    preset = known[name]
    kind = entry.get("kind")
    if kind is not None and kind != preset.kind:
        raise PresetError(
            f"preset: {name!r} is for kind '{preset.kind}', the source says kind '{kind}' (drop `kind:` or the preset)"
        )
    return _merge(preset.source, entry)


def _merge(base: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in own.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), Mapping):
            merged[key] = _merge(base[key], value)
        else:
            merged[key] = value
    return merged
