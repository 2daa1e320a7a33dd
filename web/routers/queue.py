"""The queue: the API's filters and keyset pages (api/routers/cases.py parses them; monitor.cases.views reads
them), unanswered cases first by default, each with its SLA countdowns, its places answered and the next place's
deadline; the "Places waiting" tab puts the cases with most places unanswered first."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import read_async, read_connection
from api.pagination import decode_keyset, encode_keyset
from api.routers.cases import CaseQuery, case_filter, parse_case_query
from monitor.cases.lifecycle import CATEGORIES
from monitor.cases.views import CaseRow, queue_rows, queue_rows_async, queue_sort_value
from web.cookie import PREFIX
from web.render import page
from web.session import Viewer

router = APIRouter(prefix=PREFIX)

# The tabs over the queue: (label, statuses). The first is the default: cases nobody has answered yet, the
# soonest deadline first. "any" is the inbox's word for no status filter (every status but merged).
# "Places waiting" is the per-place desk's view: open cases with a place still owed its own public reply (a case
# answered on one site of three is acknowledged, not done), most places waiting first.
TABS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Unanswered", ("new",)),
    ("Places waiting", ("open",)),
    ("In work", ("acknowledged", "in_progress")),
    ("All open", ("open",)),
    ("Resolved", ("resolved", "closed")),
    ("Dismissed", ("dismissed",)),
    ("Any", ("any",)),
)
DEFAULTS = {"status": ["new"], "sort": "response_due"}
TAB_PARAMS: dict[str, tuple[tuple[str, str], ...]] = {
    "Places waiting": (("unanswered_places", "true"), ("sort", "unanswered_places")),
}


def _query(request: Request) -> tuple[CaseQuery, dict[str, Any]]:
    params = request.query_params
    statuses = params.getlist("status")
    defaults = dict(DEFAULTS)
    if statuses == ["any"]:  # no status filter: the API's default (every status but merged)
        defaults["status"] = []
        params = params.__class__([(k, v) for k, v in params.multi_items() if k != "status"])
    query = parse_case_query(params, defaults)
    shown = {"status": statuses or DEFAULTS["status"], "tab": _tab_of(statuses or DEFAULTS["status"], query)}
    return query, shown


def _tab_of(statuses: list[str], query: CaseQuery) -> str | None:
    """The tab these parameters are (the one marked current), or None for a status mix of the user's own."""
    for label, tab_statuses in TABS:
        extra = dict(TAB_PARAMS.get(label, ()))
        waiting = extra.get("unanswered_places") == "true"
        if list(tab_statuses) == statuses and waiting == query.unanswered_places:
            return label
    return None


@router.get("")
async def queue(request: Request, current: Viewer) -> Response:
    query, shown = _query(request)
    filters = case_filter(query)
    sort, limit = query.sort, query.limit
    after = decode_keyset("case", sort, query.cursor)
    pool = request.app.state.read_pool
    if pool is not None:  # PostgreSQL: on the event loop, as the API's queue
        rows = await read_async(pool, lambda conn: queue_rows_async(conn, filters, sort, after, limit))
    else:
        rows = await read_connection(request, lambda conn: queue_rows(conn, filters, sort, after, limit))
    cases = [CaseRow(*row) for row in rows]
    next_url = None
    if len(rows) == limit:
        last = rows[-1]
        cursor = encode_keyset("case", sort, queue_sort_value(last, sort), last[0])
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
        next_url = f"{PREFIX}?{urlencode([*kept, ('cursor', cursor)])}"
    config = request.app.state.config
    return page(request, "queue.html", {
        "cases": cases, "query": query, "shown": shown, "tabs": TABS, "next_url": next_url,
        "brands": [b.key for b in config.brands], "sources": [s.key for s in config.sources],
        "categories": CATEGORIES, "tab_url": _tab_url,
    })  # fmt: skip


def _tab_url(label: str, statuses: tuple[str, ...]) -> str:
    return f"{PREFIX}?{urlencode([*(('status', s) for s in statuses), *TAB_PARAMS.get(label, ())])}"
