"""The queue's filter (`CaseFilter`) and the WHERE clause it makes: every value a bound parameter,
so that one SQL text serves every request of the same shape (monitor.cases.views prepares it once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from monitor.cases.lifecycle import OPEN_STATUSES
from monitor.models import Brand, Case, Mention, Source

__all__ = ["CaseFilter"]


@dataclass(frozen=True, slots=True)
class CaseFilter:
    brand: str | None = None
    status: tuple[str, ...] = ()  # empty: every status but merged; ("open",) is new, acknowledged, in_progress
    priority: tuple[str, ...] = ()
    category: str | None = None
    assignee: str | None = None
    unassigned: bool = False
    sla: str | None = None  # a state of either clock: running, at_risk, breached, met, missed
    language: str | None = None
    source: str | None = None
    customer_state: str | None = None
    customer_id: int | None = None
    text: str | None = None
    opened_from: datetime | None = None
    opened_to: datetime | None = None
    unanswered_places: bool = False  # cases with a place still waiting for a reply of its own
    place_sla: str | None = None  # cases with a place whose clock is in this state (e.g. breached)


def _plain(column: Any, hint: bool) -> Any:
    """`+column` when `hint`: SQLite's way to say "filter on this, but do not pick an index by it".

    The queue's coarse filters (brand, SLA state) match a good share of all cases. SQLite plans
    without statistics (nothing here runs ANALYZE, and a long ANALYZE would lock writers out), so it takes
    any index with an equality for a selective one: a search in one brand's cases read all of them
    through the brand index and sorted them for each page of 50 (1 s at 200,000 cases). Kept off those indexes, it walks the
    index of the sort order (id or a deadline) and stops after `limit` matches. PostgreSQL has statistics
    and gets the plain column.
    """
    if not hint:
        return column
    return sa.sql.elements.UnaryExpression(column, operator=sa.sql.operators.custom_op("+"), type_=column.type)


def _statuses(f: CaseFilter) -> tuple[str, ...]:
    """The filter's statuses, 'open' spelled out, each once, in a fixed order (a part of the statement's shape)."""
    return tuple(sorted({s for st in f.status for s in (OPEN_STATUSES if st == "open" else (st,))}))


def _like(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its wildcards taken as text (ESCAPE '/', as `contains(autoescape=True)`)."""
    escaped = " ".join(text.split()).casefold().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


def _shape(f: CaseFilter) -> tuple[Any, ...]:
    """What the queue's SQL text depends on: which filters are set, the statuses (named in the text) and the
    number of priorities. The values themselves are bound parameters."""
    given = tuple(bool(getattr(f, name)) for name in _TRUTHY) + tuple(
        getattr(f, name) is not None for name in ("customer_id", "opened_from", "opened_to")
    )
    return (*given, f.unassigned, f.unanswered_places, _statuses(f), len(set(f.priority)))


# Filters that apply when they are non-empty (an empty `brand=` is no filter), as they always have.
_TRUTHY = ("brand", "category", "assignee", "sla", "language", "source", "customer_state", "text", "place_sla")


def _params(f: CaseFilter) -> dict[str, Any]:
    """The bound values of `_filtered`'s statement, by parameter name."""
    values: dict[str, Any] = {
        "brand": f.brand, "category": f.category, "assignee": f.assignee, "sla": f.sla, "language": f.language,
        "source": f.source, "customer_state": f.customer_state, "customer_id": f.customer_id,
        "text": _like(f.text) if f.text else None, "opened_from": f.opened_from, "opened_to": f.opened_to,
        "place_sla": f.place_sla,
    }  # fmt: skip
    values.update({f"priority_{i}": p for i, p in enumerate(sorted(set(f.priority)))})
    return values


def _filtered(query: sa.Select[Any], f: CaseFilter, hint: bool = False) -> sa.Select[Any]:
    """`query` with `f`'s conditions, each value a bound parameter named as in `_params`."""
    if f.brand:
        query = query.where(Brand.key == sa.bindparam("brand", f.brand))
    statuses = _statuses(f)
    if statuses:
        # Named in the SQL text, not bound: SQLite uses a partial index (the open queue's, migration 0005)
        # only when the query has its condition word for word.
        open_query = set(statuses) == set(OPEN_STATUSES)
        if len(statuses) == 1:
            # `status = 'new'` word for word: the unanswered queue's partial index (migration 0013) by deadline.
            query = query.where(Case.status == sa.bindparam("status", statuses[0], literal_execute=True))
        else:
            if not open_query and set(statuses) < set(OPEN_STATUSES):
                # Some open statuses (the web inbox's "in work": acknowledged, in_progress): the open queue's
                # condition as well, so SQLite walks the open cases' partial index in deadline order.
                every_open = sa.bindparam("open_statuses", OPEN_STATUSES, expanding=True, literal_execute=True)
                query = query.where(Case.status.in_(every_open))
            values = sa.bindparam("statuses", OPEN_STATUSES if open_query else statuses, expanding=True,
                                  literal_execute=True)  # fmt: skip
            query = query.where(Case.status.in_(values))
    else:
        query = query.where(Case.status != sa.bindparam("merged", "merged", literal_execute=True))
    if f.priority:
        query = query.where(Case.priority.in_([sa.bindparam(f"priority_{i}", p)
                                               for i, p in enumerate(sorted(set(f.priority)))]))  # fmt: skip
    if f.category:
        query = query.where(Case.category == sa.bindparam("category", f.category))
    if f.unassigned:
        query = query.where(Case.assignee.is_(None))
    elif f.assignee:
        query = query.where(Case.assignee == sa.bindparam("assignee", f.assignee))
    if f.sla:
        sla = sa.bindparam("sla", f.sla)
        query = query.where(sa.or_(_plain(Case.response_sla, hint) == sla, _plain(Case.resolution_sla, hint) == sla))
    if f.language:
        query = query.where(Case.language == sa.bindparam("language", f.language))
    if f.source:
        on_source = (
            sa.select(Mention.id)
            .join(Source, Source.id == Mention.source_id)
            .where(Mention.case_id == Case.id, Source.key == sa.bindparam("source", f.source))
        )
        query = query.where(on_source.exists())
    if f.customer_state:
        query = query.where(Case.customer_state == sa.bindparam("customer_state", f.customer_state))
    if f.customer_id is not None:
        query = query.where(Case.customer_id == sa.bindparam("customer_id", f.customer_id))
    if f.text:
        query = query.where(Case.search_text.like(sa.bindparam("text", _like(f.text)), escape="/"))
    if f.opened_from is not None:
        query = query.where(Case.opened_at >= sa.bindparam("opened_from", f.opened_from, type_=Case.opened_at.type))
    if f.opened_to is not None:
        query = query.where(Case.opened_at < sa.bindparam("opened_to", f.opened_to, type_=Case.opened_at.type))
    if f.unanswered_places:
        query = query.where(_plain(Case.places_unanswered, hint) > 0)
    if f.place_sla:
        place = sa.select(Mention.id).where(Mention.case_id == Case.id,
                                            Mention.place_sla == sa.bindparam("place_sla", f.place_sla))  # fmt: skip
        query = query.where(place.exists())
    return query
