"""Tables of what polls found: mentions, their revisions, and their near-duplicate signatures.

Made only by the Alembic migrations; times are UTC (`UtcDateTime`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from monitor.models.base import JsonType, _utc

__all__ = ["Mention", "MentionBand", "MentionRevision", "MentionSignature"]


class Mention(SQLModel, table=True):
    """One item found on a source. Facts are kept; an edit makes a revision.

    `dedup_key` is what makes storing idempotent: `id:<external id>`, else
    `url:<canonical url>`, else `hash:<content hash>`, unique per source.
    """

    __tablename__ = "mention"
    __table_args__ = (
        sa.UniqueConstraint("source_id", "dedup_key", name="uq_mention_source_key"),
        sa.Index("ix_mention_first_seen", "first_seen_at"),
        sa.Index("ix_mention_source", "source_id", "id"),
        sa.Index("ix_mention_brand", "brand_id", "id"),
        sa.Index("ix_mention_case", "case_id"),
        sa.Index(
            "ix_mention_pending",
            "id",
            sqlite_where=sa.text("processed_at IS NULL"),
            postgresql_where=sa.text("processed_at IS NULL"),
        ),
        # The sweep of place clocks (migration 0011): each flip reads one of these ranges.
        sa.Index("ix_mention_place_due", "place_sla", "place_due_at"),
        sa.Index("ix_mention_place_risk", "place_sla", "place_risk_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", ondelete="CASCADE")
    dedup_key: str = Field(max_length=300)
    external_id: str | None = Field(default=None, max_length=512)
    url: str | None = Field(default=None, max_length=2048)
    canonical_url: str | None = Field(default=None, max_length=2048)
    title: str | None = Field(default=None, max_length=1000)
    body: str = Field(sa_type=sa.Text)
    author: str | None = Field(default=None, max_length=300)
    published_at: datetime | None = _utc(default=None)
    # How precise published_at is: "hour", "day", "month", "year" (it stands at that period's
    # start), or None for a clock time (sources.dates.Dated).
    published_precision: str | None = Field(default=None, max_length=8)
    first_seen_at: datetime = _utc()
    last_seen_at: datetime = _utc()
    # When the current text was first seen (first_seen_at until an edit).
    revised_at: datetime = _utc()
    rating: float | None = None
    language: str | None = Field(default=None, max_length=8)
    content_hash: str = Field(max_length=64)
    revision: int = 1
    brand_id: int | None = Field(default=None, foreign_key="brand.id", ondelete="SET NULL")
    replies: list[str] = Field(default_factory=list, sa_type=JsonType)
    # How the brand was decided: "source" (fixed), "text" (named in it), "staff", or None (unassigned).
    brand_rule: str | None = Field(default=None, max_length=16)
    case_id: int | None = Field(default=None, foreign_key="cases.id", ondelete="SET NULL")
    # How the mention came into its case: "opened", "duplicate", "staff"; with the similarity score.
    case_method: str | None = Field(default=None, max_length=16)
    case_score: float | None = None
    # complaint | question | praise (monitor.cases.tone), set by the case step; NULL before it ran.
    tone: str | None = Field(default=None, max_length=12)
    tone_reasons: list[str] | None = Field(default=None, sa_type=JsonType)
    # Set once brand matching and case grouping have run; NULL means waiting for that step.
    processed_at: datetime | None = _utc(default=None)
    # The mention as a place of its case (monitor.cases.places), NULL while it is in none: whether it has its
    # own public reply (unanswered, replied, verified, disappeared) and its own first-reply clock, started
    # when it joined the case (`place_since`), in the states of the case's clocks (monitor.cases.sla).
    place_state: str | None = Field(default=None, max_length=12)
    place_since: datetime | None = _utc(default=None)
    place_due_at: datetime | None = _utc(default=None)
    place_risk_at: datetime | None = _utc(default=None)
    place_sla: str | None = Field(default=None, max_length=12)
    place_replied_at: datetime | None = _utc(default=None)


class MentionRevision(SQLModel, table=True):
    """A superseded version of a mention's text, kept when the author edits it."""

    __tablename__ = "mention_revision"
    __table_args__ = (sa.UniqueConstraint("mention_id", "revision", name="uq_revision_mention_number"),)

    id: int | None = Field(default=None, primary_key=True)
    mention_id: int = Field(foreign_key="mention.id", ondelete="CASCADE")
    revision: int
    title: str | None = Field(default=None, max_length=1000)
    body: str = Field(sa_type=sa.Text)
    content_hash: str = Field(max_length=64)
    seen_from: datetime = _utc()
    replaced_at: datetime = _utc()


class MentionBand(SQLModel, table=True):
    """Locality-sensitive hashing index of mention texts (MinHash bands), for near-duplicate lookup.

    `band_key` mixes the brand, the band number and the band's values, so one indexed
    equality lookup per band finds the candidates of the same brand. The primary key
    (band_key, mention_id) is the lookup itself: the newest rows of a band are the last
    entries under its key, read backwards with no sort, however crowded the band. SQLite
    keeps the table in that index (WITHOUT ROWID) rather than beside it. On PostgreSQL the
    foreign key to `mention` is kept by statement-level triggers instead (migration 0016):
    its row-by-row check was half of the case step's server work.
    """

    __tablename__ = "mention_band"
    __table_args__ = ({"sqlite_with_rowid": False},)

    band_key: int = Field(sa_type=sa.BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False})
    mention_id: int = Field(
        foreign_key="mention.id", ondelete="CASCADE", primary_key=True, index=True,
        sa_column_kwargs={"autoincrement": False},
    )  # fmt: skip


class MentionSignature(SQLModel, table=True):
    """The prepared text and marks of an indexed mention, as near-duplicate grouping compares them,
    so a candidate is not cleaned again on every check. `content_hash` is the mention's when it
    was indexed: an edit the index has not seen yet shows as a mismatch, and the mention's own
    text is read instead. `marks` are space-separated (no mark contains a space)."""

    __tablename__ = "mention_signature"

    mention_id: int = Field(
        foreign_key="mention.id", ondelete="CASCADE", primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    content_hash: str = Field(max_length=64)
    text: str = Field(sa_type=sa.Text)
    marks: str = Field(default="", sa_type=sa.Text)
