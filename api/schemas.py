"""Response bodies of the API (the public shape of the tables)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

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
    case_id: int | None = None


class Health(BaseModel):
    status: str
    database: str | None = None
    detail: str | None = None


class CasePublic(_Public):
    id: int
    brand: str
    status: str
    title: str | None
    language: str | None
    opened_at: datetime
    last_mention_at: datetime
    places: int = Field(description="Mentions in the case: each needs its own public reply")
    customer_id: int | None
    customer_name: str | None
    customer_state: str | None = Field(description="null, suggested, auto (linked by rule) or confirmed (by staff)")
    merged_into_id: int | None


class PlacePublic(_Public):
    mention_id: int
    source: str
    url: str | None
    title: str | None
    body: str
    author: str | None
    language: str | None
    published_at: datetime | None
    first_seen_at: datetime
    joined_by: str | None = Field(description="opened, duplicate (near-duplicate of a place) or staff")
    similarity: float | None = Field(description="0-100 score of the near-duplicate match that joined it")


class CandidatePublic(_Public):
    customer_id: int
    external_id: str
    full_name: str
    city: str | None
    tier: str | None
    lifetime_value: float | None
    score: float
    reasons: list[str]
    state: str = Field(description="suggested, linked, confirmed or rejected")


class TimelinePublic(_Public):
    at: datetime
    actor: str
    kind: str
    mention_id: int | None
    data: dict[str, Any]


class CaseDetailPublic(BaseModel):
    case: CasePublic
    places: list[PlacePublic]
    candidates: list[CandidatePublic]
    timeline: list[TimelinePublic]


class SplitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mention_ids: list[Annotated[int, Field(gt=0)]] = Field(min_length=1, max_length=1000)


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    case_id: int = Field(gt=0, description="The case whose mentions move into this one")


class CustomerDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: int = Field(gt=0)
    action: Literal["confirm", "reject"]


class BrandAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    brand: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")


class CustomerPublic(_Public):
    id: int
    brand: str
    external_id: str
    full_name: str
    names: list[str]
    emails: list[str]
    phones: list[str]
    orders: list[str]
    city: str | None
    tier: str | None
    lifetime_value: float | None


class RowErrorPublic(BaseModel):
    line: int
    external_id: str | None
    reason: str


class ImportReportPublic(BaseModel):
    read: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowErrorPublic]
