"""Reading stored mentions: the filters staff use, newest first, keyset-paginated."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session

from monitor.models import Brand, Mention, Source

__all__ = ["MentionFilter", "MentionRow", "list_mentions"]


@dataclass(frozen=True, slots=True)
class MentionFilter:
    source: str | None = None
    brand: str | None = None
    language: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    # Only mentions that matched no brand (after brand matching ran): staff assign these by hand.
    unassigned: bool = False
    case_id: int | None = None
    tone: str | None = None  # complaint | question | praise


@dataclass(frozen=True, slots=True)
class MentionRow:
    id: int
    source: str
    brand: str | None
    external_id: str | None
    url: str | None
    title: str | None
    body: str
    author: str | None
    published_at: datetime | None
    # "hour", "day", "month" or "year" when the page gave the date only to that (published_at is
    # the period's start); None for a clock time.
    published_precision: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    rating: float | None
    language: str | None
    revision: int
    case_id: int | None = None
    # Replies the page showed under the post at the last poll (empty when it showed none, or when
    # the source has no reply selector): staff see what has been answered without opening the site.
    replies: tuple[str, ...] = ()
    tone: Annotated[
        str | None,
        Field(description="complaint, question or praise (null: not classed yet); praise opens no case by default"),
    ] = None
    tone_reasons: Annotated[
        tuple[str, ...], Field(description="Why the tone was read so: rating, cue words, model")
    ] = ()


def list_mentions(
    *, session: Session, filters: MentionFilter, before_id: int | None = None, limit: int = 50
) -> list[MentionRow]:
    """Newest first (by id, which follows the order mentions were found); `before_id` pages on."""
    query = (
        sa.select(Mention, Source.key, Brand.key)
        .join(Source, Source.id == Mention.source_id)
        .outerjoin(Brand, Brand.id == Mention.brand_id)
        .order_by(Mention.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Mention.id < before_id)
    if filters.source:
        query = query.where(Source.key == filters.source)
    if filters.brand:
        query = query.where(Brand.key == filters.brand)
    if filters.language:
        query = query.where(Mention.language == filters.language)
    if filters.since:
        query = query.where(Mention.first_seen_at >= filters.since)
    if filters.until:
        query = query.where(Mention.first_seen_at < filters.until)
    if filters.unassigned:
        query = query.where(Mention.brand_id.is_(None), Mention.processed_at.is_not(None))
    if filters.case_id is not None:
        query = query.where(Mention.case_id == filters.case_id)
    if filters.tone:
        query = query.where(Mention.tone == filters.tone)
    return [
        MentionRow(
            id=m.id,
            source=source_key,
            brand=brand_key,
            external_id=m.external_id,
            url=m.url,
            title=m.title,
            body=m.body,
            author=m.author,
            published_at=m.published_at,
            published_precision=m.published_precision,
            first_seen_at=m.first_seen_at,
            last_seen_at=m.last_seen_at,
            rating=m.rating,
            language=m.language,
            revision=m.revision,
            case_id=m.case_id,
            replies=tuple(m.replies or ()),
            tone=m.tone,
            tone_reasons=tuple(m.tone_reasons or ()),
        )
        for m, source_key, brand_key in session.execute(query)
    ]
