"""Where a config problem is and how to say it: YAML line numbers, key paths, ${NAME} substitution.

Kept apart from the schema in monitor.config.schema: this is about reporting, so a person
reading "line 12: sources[3].interval [source 'x']: expected a duration (got '15 minutes')"
knows what to fix without reading pydantic's output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

__all__ = ["describe", "line_index", "substitute"]

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def substitute(value: Any, env: Mapping[str, str], loc: tuple, problems: list[str], lines: dict[tuple, int]) -> Any:
    if isinstance(value, dict):
        return {k: substitute(v, env, (*loc, k), problems, lines) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env, (*loc, i), problems, lines) for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        problems.append(f"{_where(loc, lines)}{_path(loc)}: environment variable {name} is not set")
        return ""

    return _ENV_REF.sub(replace, value)


def line_index(node: yaml.Node | None) -> dict[tuple, int]:
    """Map each key path to its 1-based line so errors can say where to look."""
    index: dict[tuple, int] = {}

    def walk(n: yaml.Node, loc: tuple) -> None:
        index[loc] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                key = (*loc, key_node.value)
                index[key] = key_node.start_mark.line + 1
                walk(value_node, key)
                index[key] = key_node.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*loc, i))

    if node is not None:
        walk(node, ())
    return index


def _path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def _where(loc: tuple, lines: dict[tuple, int]) -> str:
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in lines:
            return f"line {lines[loc[:cut]]}: "
    return ""


def describe(err: Mapping[str, Any], data: Any, lines: dict[tuple, int]) -> str:
    # pydantic adds union/validator tags to the location ("function-after[...]", "json");
    # keep only the parts that are keys or indexes in the file.
    loc = tuple("json" if p == "json_" else p for p in err["loc"] if not str(p).startswith("function-"))
    loc = _real_loc(loc, data)
    message = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and indentation)"
    elif err["type"] == "missing":
        message = "required key is missing"
    # A whole section as "input" says nothing useful; a scalar does.
    quiet = err["type"] in ("missing", "extra_forbidden") or isinstance(err.get("input"), dict | list)
    got = "" if quiet else f" (got {_short(err.get('input'))})"
    label = _path(loc)
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        key = _get(data, (*loc[:2], "key"))
        if isinstance(key, str):
            label = f"{label} [source '{key}']"
    # Errors raised by whole-object validators carry their own path in the message.
    if named := re.match(r"^([a-z_]+(?:\[\d+\]|\.[a-z_]+)+):", message):
        label, got = "", ""
        loc = tuple(int(p) if p.isdigit() else p for p in re.findall(r"[a-z_]+|\d+", named.group(1)))
    return f"{_where(loc, lines)}{label + ': ' if label else ''}{message}{got}"


def _real_loc(loc: tuple, data: Any) -> tuple:
    out: list[Any] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
            out.append(part)
        elif not out or (isinstance(part, str) and not part[:1].isupper()):
            out.append(part)
            node = None
    return tuple(out)


def _get(data: Any, loc: tuple) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
