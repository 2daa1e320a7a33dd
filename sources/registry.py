"""The source kinds: for each, the settings it takes in sources.yaml and the parser of its pages.

A kind is one module of this package that defines `KIND = SourceKind(...)` (sources.base); `KINDS` finds
them all, so adding a kind is writing that one file. monitor.config builds the `kind:`
choices and a `<kind>:` section for each from here, and the worker takes the parser.
"""

from __future__ import annotations

import importlib
import pkgutil

from sources.base import SourceKind

__all__ = ["KINDS", "SourceKind"]


def _discover() -> dict[str, SourceKind]:
    import sources

    found: dict[str, SourceKind] = {}
    for module in pkgutil.iter_modules(sources.__path__):
        kind = getattr(importlib.import_module(f"sources.{module.name}"), "KIND", None)
        if isinstance(kind, SourceKind):
            found[kind.name] = kind
    return dict(sorted(found.items()))


KINDS: dict[str, SourceKind] = _discover()
