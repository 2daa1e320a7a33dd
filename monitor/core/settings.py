"""Process settings from the environment (REPLYWATCH_*); the watch list itself is sources.yaml."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict

from monitor.core.db import DEFAULT_URL

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPLYWATCH_", extra="ignore")

    database_url: str = DEFAULT_URL
    config: str | None = None
    log_level: str = "INFO"
    log_format: str = "auto"
    # Poll the sources inside the API process too (`serve --worker`, the demo); off when workers run apart.
    run_worker: bool = False
