"""sources.yaml: the watch list, loaded and validated before anything starts.

Loading order:
  1. find the file: `--config PATH`, else $REPLYWATCH_CONFIG, else ./sources.yaml;
  2. parse YAML, keeping each node's line so errors can point at it;
  3. replace `${NAME}` / `${NAME:-default}` in every string from the environment
     (secrets never live in the file); an unset variable without a default is an error;
  4. validate with pydantic; every error becomes "FILE:LINE: key.path: got X; expected Y".

Nothing starts on a bad config: `load_config` raises ConfigError listing every problem.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

from monitor.config.errors import describe, line_index, substitute
from monitor.config.schema import Config

__all__ = ["DEFAULT_PATH", "ENV_VAR", "ConfigError", "find_config_path", "load_config", "parse_config"]

DEFAULT_PATH = Path("sources.yaml")


ENV_VAR = "REPLYWATCH_CONFIG"
REPORTS_DIR_VAR = "REPLYWATCH_REPORTS_DIR"


class ConfigError(Exception):
    """A config that cannot be used; `problems` holds one line per error."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{self.path}: invalid config:\n  " + "\n  ".join(problems))


def find_config_path(explicit: str | Path | None = None, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit)
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR])
    return DEFAULT_PATH


def load_config(path: str | Path | None = None, *, env: Mapping[str, str] | None = None) -> Config:
    """Read, substitute and validate a watch list; raise ConfigError naming every problem."""
    env = os.environ if env is None else env
    path = find_config_path(path, env)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            path, [f"file not found (looked at --config, then ${ENV_VAR}, then ./{DEFAULT_PATH})"]
        ) from None
    except OSError as exc:
        raise ConfigError(path, [f"cannot read: {exc.strerror}"]) from None
    return parse_config(raw, path=str(path), env=env)


def parse_config(raw: bytes | str, *, path: str = "<memory>", env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(path, [f"byte {exc.start}: not UTF-8; save the file as UTF-8"]) from None
    try:
        node = yaml.compose(raw, Loader=yaml.SafeLoader)
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(path, [f"{where}not valid YAML: {problem}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, [f"expected a mapping at the top (brands:, sources:), got {type(data).__name__}"])
    lines = line_index(node)
    problems: list[str] = []
    data = substitute(data, env, (), problems, lines)
    if problems:
        raise ConfigError(path, problems)
    try:
        config = Config.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise ConfigError(path, [describe(err, data, lines) for err in exc.errors()]) from None
    templates_dir = config.drafting.templates_dir
    if templates_dir is not None and not templates_dir.is_absolute() and path != "<memory>":
        # A relative folder means: next to sources.yaml, wherever the command runs from.
        drafting = config.drafting.model_copy(update={"templates_dir": Path(path).parent / templates_dir})
        config = config.model_copy(update={"drafting": drafting})
    if path != "<memory>" and any(not r.folder.is_absolute() for r in config.reports):
        # Next to sources.yaml, unless $REPLYWATCH_REPORTS_DIR says where reports may be written: in a
        # container the watch list is mounted read-only and reports go to a volume of their own.
        here = Path(env.get(REPORTS_DIR_VAR) or Path(path).parent)
        reports = [r if r.folder.is_absolute() else r.model_copy(update={"folder": here / r.folder})
                   for r in config.reports]  # fmt: skip
        config = config.model_copy(update={"reports": reports})
    return config
