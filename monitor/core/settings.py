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
    # Whether the interactive docs (/docs) and the OpenAPI document (/openapi.json) need an API token like
    # every /api/v1 route. Off by default: they describe the API, not its data, and a browser opening
    # /docs cannot send a bearer token; turn it on where the API's shape is not to be shown to anyone.
    docs_need_token: bool = False
    # Refused API tokens from one client address within auth_failure_window seconds, past which that
    # address is answered 429 (with Retry-After) until the oldest refusal leaves the window; 0: no limit.
    auth_failure_limit: int = 20
    auth_failure_window: float = 60.0
    # The web inbox's session cookies are signed with this key (REPLYWATCH_WEB_SECRET). Unset: a random key per
    # process, so a restart signs everyone out and several API worker processes need it set to one value.
    web_secret: str | None = None
    # Hours a web sign-in lasts; after that the browser asks for the token again.
    web_session_hours: float = 12.0
