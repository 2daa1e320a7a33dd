"""Cases: the queue, one case in full, and the staff changes (status, assignee, priority, replies, split, merge)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar, get_origin

import orjson
from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlmodel import Session
from starlette.datastructures import QueryParams

from api.deps import Agent, Caller, ConfigDep, WriteSession, read, read_async, read_connection
from api.errors import BadRequest
from api.pagination import decode_keyset, encode_keyset
from api.schemas import (
    CasePatch,
    CustomerDecision,
    Instant,
    MergeRequest,
    Page,
    PromiseCreate,
    ReplyCreate,
    SplitRequest,
)  # fmt: skip
from monitor.cases.case_detail import CaseDetail, PromiseRow, ReplyRow, get_case, promise_row, reply_row
from monitor.cases.case_filter import CaseFilter
from monitor.cases.lifecycle import CaseChange, change_case, desk_rules
from monitor.cases.views import QUEUE_FIELDS, CaseRow, queue_rows, queue_rows_async, queue_sort_value
from monitor.core.errors import NotFound
from monitor.desk.decisions import decide_customer, merge_cases, split_case
from monitor.desk.promising import set_promise
from monitor.desk.replies import record_reply, replies_visible

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
PROBLEM = {"content": {"application/problem+json": {}}}
CaseId = Annotated[int, Path(gt=0, le=2**62)]
T = TypeVar("T")

Status = Literal["open", "new", "acknowledged", "in_progress", "resolved", "closed", "dismissed", "merged"]
Priority = Literal["low", "normal", "high", "urgent"]
Sort = Literal["newest", "oldest", "response_due", "resolution_due", "unanswered_places"]
Category = Literal["delivery", "defect", "refund", "staff", "billing", "website", "other"]
ClockState = Literal["running", "at_risk", "breached", "met", "missed", "stopped"]


class CaseQuery(BaseModel):
    """The queue's query parameters as one model, validated by `case_query` in one pydantic call."""

    status: list[Status] = Field([], description="Repeatable; 'open' is new, acknowledged and in_progress")
    brand: str | None = Field(None, max_length=64)
    priority: list[Priority] = []
    category: Category | None = None
    assignee: str | None = Field(None, max_length=128, description="'-' for unassigned cases")
    sla: ClockState | None = Field(None, description="A state of either clock")
    language: str | None = Field(None, pattern="^[a-z]{2}$")
    source: str | None = Field(None, max_length=64, description="Cases with a place on this source")
    customer_state: Literal["suggested", "auto", "confirmed"] | None = None
    customer_id: int | None = Field(None, gt=0, le=2**62)
    q: str | None = Field(None, min_length=2, max_length=200, description="Words in the title or posts")
    opened_from: Instant | None = None
    opened_to: Instant | None = None
    unanswered_places: bool = Field(False, description="Only cases with a place still waiting for its own reply")
    place_sla: ClockState | None = Field(None, description="Cases with a place whose own clock is in this state")
    sort: Sort = Field("newest", description="unanswered_places: most places waiting first")
    cursor: str | None = Field(None, max_length=400)
    limit: int = Field(50, ge=1, le=500)


_REPEATABLE = frozenset(name for name, field in CaseQuery.model_fields.items() if get_origin(field.annotation) is list)


async def case_query(request: Request) -> CaseQuery:
    """The queue's parameters, read and validated here rather than by FastAPI (`parse_case_query`)."""
    return parse_case_query(request.query_params)


def parse_case_query(params: QueryParams, defaults: Mapping[str, Any] | None = None) -> CaseQuery:
    """The queue's parameters from a query string (`defaults` for the names it leaves out; the web inbox's).

    FastAPI handles each query parameter (or each field of a parameter model) on its own, inspecting its
    annotation on every request: a third of a list request's CPU with 16 of them. Here it is one dict and
    one `model_validate`, with FastAPI's rules: a repeated parameter is a list for list fields and its last
    value otherwise, unknown parameters are ignored, and a bad value is a 422 naming `query.<field>`. The
    OpenAPI document gets the same parameters from `query_parameters` (tests/api/test_queue_api.py checks
    them against FastAPI's own for the fields declared one by one, as the route had them).
    """
    raw = {name: params.getlist(name) if name in _REPEATABLE else params[name]
           for name in params if name in CaseQuery.model_fields}  # fmt: skip
    try:
        return CaseQuery.model_validate({**(defaults or {}), **raw})
    except ValidationError as exc:
        errors = [{**e, "loc": ("query", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None


def case_filter(query: CaseQuery) -> CaseFilter:
    """The monitor's filter for the queue's parameters; a BadRequest for a time without a zone."""
    for name, value in (("opened_from", query.opened_from), ("opened_to", query.opened_to)):
        if value is not None and value.tzinfo is None:
            raise BadRequest(f"{name} needs a time zone, e.g. 2026-11-22T09:00:00Z")
    unassigned = query.assignee == "-"
    return CaseFilter(
        brand=query.brand, status=tuple(query.status), priority=tuple(query.priority), category=query.category,
        assignee=None if unassigned else query.assignee, unassigned=unassigned, sla=query.sla,
        language=query.language, source=query.source, customer_state=query.customer_state,
        customer_id=query.customer_id, text=query.q, opened_from=query.opened_from, opened_to=query.opened_to,
        unanswered_places=query.unanswered_places, place_sla=query.place_sla,
    )  # fmt: skip


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI parameter objects for the fields of `model`, all in the query, as FastAPI writes them."""
    schema = model.model_json_schema()
    out = []
    for name, field in model.model_fields.items():
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": field.is_required()}
        if field.description:
            parameter["description"] = field.description
        out.append({**parameter, "schema": schema["properties"][name]})
    return out


# The two hot reads return their JSON themselves (the detail in its worker thread, the queue where its rows
# are read): FastAPI would validate the returned rows again against response_model (the documented schema).
# The queue page is orjson's dump of the driver's rows, unvalidated: QUEUE_FIELDS are CaseRow's fields in
# its order (tests/api/test_desk_api.py), no field has an alias, the values have the declared types, and
# orjson writes datetimes as pydantic does with these options (aware UTC as `Z`, microseconds only when
# nonzero), so the bytes are those FastAPI would send (tests/api/test_queue_api.py compares them).
_ORJSON = orjson.OPT_UTC_Z
_DETAIL = TypeAdapter(CaseDetail)


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _detail(session: Session, case_id: int) -> CaseDetail:
    detail = get_case(session=session, case_id=case_id)
    if detail is None:
        raise NotFound(f"no case {case_id}")
    return detail


# FastAPI documents a 422 for routes with parameters of its own; this one's come from `case_query`, so it is said here.
INVALID = {"description": "Validation Error",
           "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}  # fmt: skip


@router.get("", response_model=Page[CaseRow],
            responses={400: {"description": "Bad cursor", **PROBLEM}, 422: INVALID},
            summary="The case queue: filters, sorting, keyset pages",
            openapi_extra={"parameters": query_parameters(CaseQuery)})  # fmt: skip
async def cases(request: Request, _: Caller, query: Annotated[CaseQuery, Depends(case_query)]) -> Response:
    filters = case_filter(query)
    sort, limit = query.sort, query.limit
    after = decode_keyset("case", sort, query.cursor)

    def body(rows: list[list[Any]]) -> bytes:
        last = rows[-1] if len(rows) == limit else None
        next_cursor = encode_keyset("case", sort, queue_sort_value(last, sort), last[0]) if last else None
        items = [dict(zip(QUEUE_FIELDS, row, strict=True)) for row in rows]
        return orjson.dumps({"items": items, "next_cursor": next_cursor}, option=_ORJSON)

    pool = request.app.state.read_pool
    if pool is not None:  # PostgreSQL: on the event loop (api/deps.read_async)
        return _json(body(await read_async(pool, lambda conn: queue_rows_async(conn, filters, sort, after, limit))))
    return _json(await read_connection(request, lambda conn: body(queue_rows(conn, filters, sort, after, limit))))


@router.get("/{case_id}", response_model=CaseDetail, responses={404: {"description": "No such case", **PROBLEM}},
            summary="One case: places, customer candidates, drafts, replies and timeline")  # fmt: skip
async def case(request: Request, _: Caller, case_id: CaseId) -> Response:
    return _json(await read(request, lambda session: _DETAIL.dump_json(_detail(session, case_id))))


ERRORS = {
    400: {"description": "A value that makes no sense as sent, e.g. a time without a zone", **PROBLEM},
    422: {"description": "The request names mentions, customers or values that do not fit, or is malformed", **PROBLEM},
    403: {"description": "The token's role may not do this", **PROBLEM},
    404: {"description": "No such case", **PROBLEM},
    409: {"description": "Not allowed in the case's state: the detail lists what is", **PROBLEM},
}


@router.patch("/{case_id}", response_model=CaseDetail, responses=ERRORS,
              summary="Change status, assignee, priority or category (each change goes on the timeline)")  # fmt: skip
def patch(session: WriteSession, caller: Agent, config: ConfigDep, case_id: CaseId, body: CasePatch) -> CaseDetail:
    sent = body.model_fields_set
    if "dismissed_reason" in sent and body.status != "dismissed":
        raise BadRequest("dismissed_reason goes with status: dismissed")
    change = CaseChange(
        status=body.status, assignee=body.assignee, unassign="assignee" in sent and body.assignee is None,
        priority=body.priority, category=body.category, dismissed_reason=body.dismissed_reason, note=body.note,
    )  # fmt: skip
    now = datetime.now(UTC)
    change_case(session=session, rules=desk_rules(config), case_id=case_id, change=change, actor=caller.name,
                role=caller.role, now=now)  # fmt: skip
    return _detail(session, case_id)


@router.post("/{case_id}/replies", response_model=ReplyRow, status_code=201, responses=ERRORS,
             summary="Record a reply staff published on a place (the first acknowledges, a closing one resolves)")  # fmt: skip
def reply(session: WriteSession, caller: Agent, config: ConfigDep, case_id: CaseId, body: ReplyCreate) -> ReplyRow:
    now = datetime.now(UTC)
    posted_at = body.posted_at or now
    for name, value in (("posted_at", posted_at), ("promise_due_at", body.promise_due_at)):
        if value is not None and value.tzinfo is None:
            raise BadRequest(f"{name} needs a time zone, e.g. 2026-11-22T09:00:00Z")
    verifiable = replies_visible(session=session, config=config, mention_id=body.mention_id)
    row = record_reply(
        session=session, case_id=case_id, mention_id=body.mention_id, text=body.text, url=body.url,
        posted_at=posted_at, closing=body.closing, draft_id=body.draft_id, verifiable=verifiable,
        actor=caller.name, now=now, rules=desk_rules(config), promise_due_at=body.promise_due_at,
    )  # fmt: skip
    return reply_row(row)


@router.post("/{case_id}/promises", response_model=PromiseRow, status_code=201, responses=ERRORS,
             summary="Record a date the customer was promised (tracked, warned before it lapses, kept or broken)")  # fmt: skip
def promise(
    session: WriteSession, caller: Agent, config: ConfigDep, case_id: CaseId, body: PromiseCreate
) -> PromiseRow:
    if body.due_at.tzinfo is None:
        raise BadRequest("due_at needs a time zone, e.g. 2026-12-08T17:00:00Z")
    row = set_promise(session=session, rules=desk_rules(config), case_id=case_id, due_at=body.due_at,
                      mention_id=body.mention_id, actor=caller.name, now=datetime.now(UTC))  # fmt: skip
    return promise_row(row)


@router.post("/{case_id}/split", response_model=CaseDetail, status_code=201, responses=ERRORS,
             summary="Move some mentions into a new case of their own (returns the new case)")  # fmt: skip
def split(session: WriteSession, caller: Agent, config: ConfigDep, case_id: CaseId, body: SplitRequest) -> CaseDetail:
    now = datetime.now(UTC)
    new = split_case(session=session, case_id=case_id, mention_ids=body.mention_ids, actor=caller.name, now=now,
                     config=config)  # fmt: skip
    return _detail(session, new.id or 0)


@router.post("/{case_id}/merge", response_model=CaseDetail, responses=ERRORS,
             summary="Move every mention of another case into this one")  # fmt: skip
def merge(session: WriteSession, caller: Agent, config: ConfigDep, case_id: CaseId, body: MergeRequest) -> CaseDetail:
    now = datetime.now(UTC)
    merge_cases(session=session, case_id=case_id, other_id=body.case_id, actor=caller.name, now=now, config=config)
    return _detail(session, case_id)


@router.put("/{case_id}/customer", response_model=CaseDetail, responses=ERRORS,
            summary="Confirm the case's customer, or reject a candidate (never suggested again)")  # fmt: skip
def customer(
    session: WriteSession, caller: Agent, config: ConfigDep, case_id: CaseId, body: CustomerDecision
) -> CaseDetail:
    now = datetime.now(UTC)
    decide_customer(session=session, case_id=case_id, customer_id=body.customer_id, confirm=body.action == "confirm",
                    actor=caller.name, now=now, config=config)  # fmt: skip
    return _detail(session, case_id)
