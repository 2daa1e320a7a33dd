"""Tables. The schema is made only by the Alembic migrations in migrations/.

Times are stored as UTC (`UtcDateTime` gives back aware datetimes on SQLite too).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

__all__ = [
    "Brand",
    "Case",
    "CaseCandidate",
    "CaseEvent",
    "Customer",
    "CustomerKey",
    "Event",
    "Mention",
    "MentionBand",
    "MentionRevision",
    "MentionSignature",
    "Poll",
    "PollDay",
    "PollDayFailure",
    "Source",
    "UtcDateTime",
]


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every engine."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so string comparison orders correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JsonType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _utc(**kw: Any) -> Any:
    return Field(sa_type=UtcDateTime, **kw)


class Brand(SQLModel, table=True):
    """A business whose reputation is watched; synced from sources.yaml at start."""

    __tablename__ = "brand"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    names: list[str] = Field(default_factory=list, sa_type=JsonType)
    domains: list[str] = Field(default_factory=list, sa_type=JsonType)
    language: str = Field(default="en", max_length=8)
    timezone: str = Field(default="UTC", max_length=64)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class Source(SQLModel, table=True):
    """One public resource on the watch list, with its polling state.

    The state lives on the row (miniflux style) so any worker process can pick
    the source up: `next_poll_at` says when it is due, `lease_*` who polls it now.
    """

    __tablename__ = "source"
    __table_args__ = (sa.Index("ix_source_due", "active", "next_poll_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)
    url: str = Field(max_length=2048)
    brand_key: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=8)
    weight: int = 1
    interval_seconds: int
    # False when the source left sources.yaml or was disabled there: kept for history.
    active: bool = True

    next_poll_at: datetime = _utc()
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_until: datetime | None = _utc(default=None)

    etag: str | None = Field(default=None, max_length=512)
    last_modified: str | None = Field(default=None, max_length=128)

    health: str = Field(default="new", max_length=16)
    error_count: int = 0
    last_error_class: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=1000)
    last_warning: str | None = Field(default=None, max_length=1000)
    last_poll_at: datetime | None = _utc(default=None)
    last_success_at: datetime | None = _utc(default=None)
    last_http_status: int | None = None
    last_items: int | None = None
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class Poll(SQLModel, table=True):
    """One visit of a source, whatever happened: the evidence of moderation coverage."""

    __tablename__ = "poll"
    __table_args__ = (sa.Index("ix_poll_source_started", "source_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", ondelete="CASCADE")
    started_at: datetime = _utc()
    finished_at: datetime | None = _utc(default=None)
    # running → ok | not_modified | error | abandoned (a worker died mid-poll)
    outcome: str = Field(default="running", max_length=16)
    worker: str | None = Field(default=None, max_length=128)
    http_status: int | None = None
    pages: int = 0
    bytes_read: int = 0
    items_seen: int = 0
    items_new: int = 0
    items_updated: int = 0
    items_skipped: int = 0
    error_class: str | None = Field(default=None, max_length=32)
    error_message: str | None = Field(default=None, max_length=1000)
    warnings: list[str] = Field(default_factory=list, sa_type=JsonType)
    duration_ms: int | None = None
    # Seconds since the start of the source's previous successful poll (successful polls only): the
    # coverage report sums these instead of ordering millions of polls at report time.
    gap_seconds: float | None = None


class PollDay(SQLModel, table=True):
    """One source's successful and failed polls of one UTC day, summed up for the coverage report.

    Written by `monitor.coverage.roll_up` for days that are over (never for today), so a
    report over 90 days reads 90 rows a source instead of 8,640 polls. `uncovered_seconds` was
    computed with `interval_seconds`: when the source's interval changes, the row is made again.
    A poll that finishes (or is reaped) after its day was summed up deletes the day's row.
    """

    __tablename__ = "poll_day"

    source_id: int = Field(foreign_key="source.id", ondelete="CASCADE", primary_key=True)
    day: date = Field(primary_key=True)
    interval_seconds: int
    successes: int = 0
    first_success_at: datetime | None = _utc(default=None)
    last_success_at: datetime | None = _utc(default=None)
    # gap_seconds of the day's first success (it began on an earlier day), and the longest gap of
    # the others: a period that starts with this day replaces the first by its own head gap.
    first_gap_seconds: float | None = None
    longest_gap_after_first: float | None = None
    uncovered_seconds: float = 0.0
    made_at: datetime = _utc()


class PollDayFailure(SQLModel, table=True):
    """The failed polls of a `PollDay` by class (timeout, http_5xx, …); goes with its day row."""

    __tablename__ = "poll_day_failure"
    __table_args__ = (
        sa.ForeignKeyConstraint(["source_id", "day"], ["poll_day.source_id", "poll_day.day"], ondelete="CASCADE"),
    )

    source_id: int = Field(primary_key=True)
    day: date = Field(primary_key=True)
    error_class: str = Field(primary_key=True, max_length=32)
    polls: int


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
    # Set once brand matching and case grouping have run; NULL means waiting for that step.
    processed_at: datetime | None = _utc(default=None)


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


class Event(SQLModel, table=True):
    """Outbox: written in the same transaction as the change that caused it."""

    __tablename__ = "event"
    __table_args__ = (sa.Index("ix_event_created", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    subject: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    created_at: datetime = _utc()


_OPEN = sa.text("status IN ('new', 'acknowledged', 'in_progress')")


class Case(SQLModel, table=True):
    """One complaint as staff handle it; its mentions are the places that need a public reply."""

    __tablename__ = "cases"  # "case" is an SQL keyword
    __table_args__ = (
        sa.Index("ix_cases_brand_opened", "brand_id", "opened_at"),
        sa.Index("ix_cases_response_due", "response_due_at", "id"),
        sa.Index("ix_cases_resolution_due", "resolution_due_at", "id"),
        # The SLA sweep: each flip reads one of these ranges.
        sa.Index("ix_cases_response_sla", "response_sla", "response_due_at"),
        sa.Index("ix_cases_response_risk", "response_sla", "response_risk_at"),
        sa.Index("ix_cases_resolution_sla", "resolution_sla", "resolution_due_at"),
        sa.Index("ix_cases_resolution_risk", "resolution_sla", "resolution_risk_at"),
        # The open queue by deadline (migration 0004): only open cases, so a page does not step over finished ones.
        sa.Index("ix_cases_open_response_due", "response_due_at", "id", sqlite_where=_OPEN, postgresql_where=_OPEN),
        sa.Index("ix_cases_open_resolution_due", "resolution_due_at", "id", sqlite_where=_OPEN, postgresql_where=_OPEN),
        sa.Index("ix_cases_assignee", "assignee", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id")
    status: str = Field(default="new", max_length=16)
    title: str | None = Field(default=None, max_length=300)
    language: str | None = Field(default=None, max_length=8)
    opened_at: datetime = _utc()
    updated_at: datetime = _utc()
    last_mention_at: datetime = _utc()
    mention_count: int = 0
    customer_id: int | None = Field(default=None, foreign_key="customer.id", ondelete="SET NULL")
    # None, "suggested" (candidates wait for staff), "auto" (linked by rule), "confirmed" (by staff)
    customer_state: str | None = Field(default=None, max_length=16)
    customer_score: float | None = None
    # Set when staff merged this case into another; its mentions moved there.
    merged_into_id: int | None = Field(default=None, foreign_key="cases.id", ondelete="SET NULL")
    # Triage (monitor.triage): priority low|normal|high|urgent with the reasons; "staff" when overridden.
    category: str = Field(default="other", max_length=16)
    priority: str = Field(default="normal", max_length=8)
    priority_reasons: list[str] = Field(default_factory=list, sa_type=JsonType)
    priority_by: str = Field(default="triage", max_length=8)
    assignee: str | None = Field(default=None, max_length=128)
    dismissed_reason: str | None = Field(default=None, max_length=32)
    # SLA clocks (monitor.sla): deadline, the moment it is at risk, and the clock's state:
    # running, at_risk, breached; met or missed once answered; stopped when the case is dismissed.
    response_due_at: datetime | None = _utc(default=None)
    response_risk_at: datetime | None = _utc(default=None)
    response_sla: str = Field(default="running", max_length=12)
    first_reply_at: datetime | None = _utc(default=None)
    resolution_due_at: datetime | None = _utc(default=None)
    resolution_risk_at: datetime | None = _utc(default=None)
    resolution_sla: str = Field(default="running", max_length=12)
    resolved_at: datetime | None = _utc(default=None)
    closed_at: datetime | None = _utc(default=None)
    # Casefolded title and post texts (capped), for text search that works alike on SQLite and PostgreSQL.
    search_text: str = Field(default="", sa_type=sa.Text)


class CaseEvent(SQLModel, table=True):
    """The case timeline: append-only, who did what and why."""

    __tablename__ = "case_event"
    __table_args__ = (sa.Index("ix_case_event_case", "case_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE")
    at: datetime = _utc()
    actor: str = Field(default="system", max_length=128)
    kind: str = Field(max_length=48)
    mention_id: int | None = Field(default=None, foreign_key="mention.id", ondelete="SET NULL")
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)


class MentionBand(SQLModel, table=True):
    """Locality-sensitive hashing index of mention texts (MinHash bands), for near-duplicate lookup.

    `band_key` mixes the brand, the band number and the band's values, so one indexed
    equality lookup per band finds the candidates of the same brand. The primary key
    (band_key, mention_id) is the lookup itself: the newest rows of a band are the last
    entries under its key, read backwards with no sort, however crowded the band. SQLite
    keeps the table in that index (WITHOUT ROWID) rather than beside it.
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


class Customer(SQLModel, table=True):
    """A person in a brand's customer register (imported from a CRM)."""

    __tablename__ = "customer"
    __table_args__ = (sa.UniqueConstraint("brand_id", "external_id", name="uq_customer_brand_external"),)

    id: int | None = Field(default=None, primary_key=True)
    brand_id: int = Field(foreign_key="brand.id")
    external_id: str = Field(max_length=128)
    full_name: str = Field(max_length=300)
    names: list[str] = Field(default_factory=list, sa_type=JsonType)
    emails: list[str] = Field(default_factory=list, sa_type=JsonType)
    phones: list[str] = Field(default_factory=list, sa_type=JsonType)
    orders: list[str] = Field(default_factory=list, sa_type=JsonType)
    city: str | None = Field(default=None, max_length=120)
    tier: str | None = Field(default=None, max_length=32)
    lifetime_value: float | None = None
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class CustomerKey(SQLModel, table=True):
    """Blocking index of the register: normalised identifiers and name keys → customer.

    The lookup columns are the primary key (migration 0008): one index answers a lookup
    without reading the table, and a register of twenty million keys keeps two indexes, not three.
    """

    __tablename__ = "customer_key"
    __table_args__ = (sa.PrimaryKeyConstraint("brand_id", "kind", "value", "customer_id", name="pk_customer_key"),)

    brand_id: int
    # email | phone | order | name (a folded name token) | sound | initial | nick (monitor.customer_keys)
    kind: str = Field(max_length=8)
    value: str = Field(max_length=200)
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE", index=True)


class CaseCandidate(SQLModel, table=True):
    """A customer the case may be about, with the score and the reasons for it."""

    __tablename__ = "case_candidate"
    __table_args__ = (sa.UniqueConstraint("case_id", "customer_id", name="uq_candidate_case_customer"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", ondelete="CASCADE")
    customer_id: int = Field(foreign_key="customer.id", ondelete="CASCADE")
    score: float
    reasons: list[str] = Field(default_factory=list, sa_type=JsonType)
    # suggested | linked (automatically) | confirmed | rejected (never suggested again)
    state: str = Field(default="suggested", max_length=16)
    decided_by: str | None = Field(default=None, max_length=128)
    decided_at: datetime | None = _utc(default=None)
    created_at: datetime = _utc()
