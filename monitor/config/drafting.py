"""The `drafting:` section of sources.yaml: where reply templates live, and the optional rewrite endpoint."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from monitor.config.types import check_url, parse_duration

__all__ = ["DraftingConfig", "RewriteConfig"]

_duration = parse_duration  # the parser of every duration in sources.yaml, so "10s" means the same here


_check_url = check_url


class RewriteConfig(BaseModel):
    """`drafting.rewrite:` in sources.yaml. The key itself never lives in the file, only its variable's name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    # The API base ("https://api.example/v1") or the full ".../chat/completions" URL.
    url: Annotated[str, AfterValidator(_check_url)] | None = None
    model: str | None = None
    # None for a local server that needs no key.
    api_key_env: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    timeout: Annotated[timedelta, BeforeValidator(_duration)] = timedelta(seconds=10)
    max_chars: int = Field(default=4000, ge=200, le=100_000)
    temperature: float = Field(default=0.3, ge=0, le=2)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> RewriteConfig:
        if self.enabled and not (self.url and self.model):
            raise ValueError("enabled: true needs url: and model:")
        if self.timeout <= timedelta(0):
            raise ValueError("timeout: must be more than zero")
        return self

    @property
    def endpoint(self) -> str:
        url = (self.url or "").rstrip("/")
        return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


class DraftingConfig(BaseModel):
    """The `drafting:` section of sources.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A folder laid out like monitor/desk/templates (<lang>/<category>.j2); its files override the shipped ones.
    templates_dir: Path | None = None
    rewrite: RewriteConfig = RewriteConfig()
