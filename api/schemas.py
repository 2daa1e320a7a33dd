"""Response bodies of the API (the public shape of the tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Health", "MentionPublic", "Page", "PollPublic", "PollResult", "SourcePublic"]

T = TypeVar("T")


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as ?cursor= to get the next page; null on the last page")


class SourcePublic(_Public):
    key: str
    kind: str
    url: str
    brand: str | None = Field(validation_alias="brand_key")
    language: str | None
    weight: int
    interval_seconds: int
    active: bool
    health: str = Field(description="new, ok, degraded, failing or gone")
    error_count: int
    last_error_class: str | None
    last_error: str | None
    last_warning: str | None
    last_poll_at: datetime | None
    last_success_at: datetime | None
    last_http_status: int | None
    last_items: int | None
    next_poll_at: datetime
    polling_now: bool = False


class PollPublic(_Public):
    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str = Field(description="running, ok, not_modified, error or abandoned")
    worker: str | None
    http_status: int | None
    pages: int
    bytes_read: int
    items_seen: int
    items_new: int
    items_updated: int
    items_skipped: int
    error_class: str | None
    error_message: str | None
    warnings: list[str]
    duration_ms: int | None


class PollResult(_Public):
    source: str = Field(validation_alias="key")
    poll_id: int
    outcome: str
    http_status: int | None
    items_seen: int
    items_new: int
    items_updated: int
    error: str | None
    duration_ms: int


class MentionPublic(_Public):
    id: int
    source: str
    brand: str | None
    external_id: str | None
    url: str | None
    title: str | None
    body: str
    author: str | None
    published_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    rating: float | None
    language: str | None
    revision: int


class Health(BaseModel):
    status: str
    database: str | None = None
    detail: str | None = None
