"""What the case step's batch (monitor.cases.batch) holds in memory: pending posts, cases, reply clocks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.cases.dedupe import Signature
from monitor.models import Mention

__all__ = ["CASE_FIELDS", "CASE_WRITES", "POST_COLUMNS", "SEARCH_CAP", "CaseState", "Place", "Post", "searchable"]

SEARCH_CAP = 8000  # characters of casefolded text kept per case for search


def searchable(*texts: str | None) -> str:
    return " ".join(" ".join(t.split()) for t in texts if t).casefold()


@dataclass(slots=True, eq=False)
class Place:
    """A mention's reply clock as the batch holds it (monitor.cases.places)."""

    id: int
    state: str | None = None
    since: datetime | None = None
    sla: str | None = None
    due: datetime | None = None
    risk: datetime | None = None
    changed: bool = False


@dataclass(slots=True, eq=False)
class Post:
    """A pending mention read as plain values (POST_COLUMNS), and what the case step decided for it."""

    id: int
    source_id: int
    brand_id: int | None
    brand_rule: str | None
    title: str | None
    body: str
    author: str | None
    rating: float | None
    language: str | None
    published_at: datetime | None
    first_seen_at: datetime
    content_hash: str
    tone: str | None = None
    tone_reasons: list[str] = field(default_factory=list)
    signature: Signature | None = None
    case: CaseState | None = None
    method: str | None = None
    score: float | None = None
    place: Place | None = None
    triage: tuple[str, dict[str, str]] | None = None  # Triager.read of its text, when read ahead

    @property
    def text(self) -> str:
        return f"{self.title or ''}\n{self.body}"


POST_COLUMNS = (
    Mention.id,
    Mention.source_id,
    Mention.brand_id,
    Mention.brand_rule,
    Mention.title,
    Mention.body,
    Mention.author,
    Mention.rating,
    Mention.language,
    Mention.published_at,
    Mention.first_seen_at,
    Mention.content_hash,
)
# The case columns the step reads and writes; the rest keep their defaults (new) or stay as they are.
CASE_FIELDS = (
    "brand_id",
    "status",
    "title",
    "language",
    "opened_at",
    "updated_at",
    "last_mention_at",
    "mention_count",
    "customer_id",
    "customer_state",
    "customer_score",
    "category",
    "priority",
    "priority_reasons",
    "priority_by",
    "response_due_at",
    "response_risk_at",
    "response_sla",
    "resolution_due_at",
    "resolution_risk_at",
    "resolution_sla",
    "places_unanswered",
    "search_text",
)

# What the step changes on a stored case (the counters are written as increments).
CASE_WRITES = (
    "updated_at",
    "last_mention_at",
    "customer_id",
    "customer_state",
    "customer_score",
    "category",
    "priority",
    "priority_reasons",
    "response_due_at",
    "response_risk_at",
    "response_sla",
    "resolution_due_at",
    "resolution_risk_at",
    "resolution_sla",
    "search_text",
)


@dataclass(slots=True, eq=False)
class CaseState:
    """A case as the batch holds it; `id` is negative until a new case is written."""

    id: int
    brand_id: int
    opened_at: datetime
    updated_at: datetime
    last_mention_at: datetime
    status: str = "new"
    title: str | None = None
    language: str | None = None
    mention_count: int = 0
    customer_id: int | None = None
    customer_state: str | None = None
    customer_score: float | None = None
    category: str = "other"
    priority: str = "normal"
    priority_reasons: list[str] = field(default_factory=list)
    priority_by: str = "triage"
    response_due_at: datetime | None = None
    response_risk_at: datetime | None = None
    response_sla: str = "running"
    resolution_due_at: datetime | None = None
    resolution_risk_at: datetime | None = None
    resolution_sla: str = "running"
    places_unanswered: int = 0
    search_text: str = ""
    new: bool = True
    # (id, title, body, author, rating, source weight) of its mentions, by id; its places; candidates.
    members: list[tuple] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    candidates: dict[int, dict[str, Any]] = field(default_factory=dict)
    candidates_read: bool = True  # a stored case's candidates are read when the customer lookup needs them
    added: int = 0  # mentions this batch added: a stored case's count is written as an increment
    unanswered_added: int = 0
