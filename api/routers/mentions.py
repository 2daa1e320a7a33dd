"""Mentions found on the sources, newest first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from api.deps import Agent, ConfigDep, WriteSession, read
from api.errors import BadRequest
from api.pagination import decode_cursor, page
from api.schemas import BrandAssignment, Instant, Page
from monitor.cases.case_detail import CaseDetail, get_case
from monitor.cases.lifecycle import desk_rules
from monitor.cases.pipeline import assign_brand
from monitor.desk.thanks import ThanksDraft, draft_thanks
from monitor.ingest.mentions import MentionFilter, MentionRow, list_mentions

router = APIRouter(prefix="/api/v1/mentions", tags=["mentions"])
PROBLEM = {"content": {"application/problem+json": {}}}


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # a time without zone is taken as UTC, as stored
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first UTC instant Python can hold
        raise BadRequest(f"'{name}' is out of the range of dates") from None


@router.get(
    "",
    response_model=Page[MentionRow],
    responses={400: {"description": "Bad cursor or range", **PROBLEM}},
    summary="Mentions, newest first, with filters and cursor pagination",
)
async def mentions(
    request: Request,
    source: Annotated[str | None, Query(max_length=64, description="Source key")] = None,
    brand: Annotated[str | None, Query(max_length=64, description="Brand key")] = None,
    language: Annotated[str | None, Query(pattern=r"^[a-z]{2}$", description="ISO 639-1 code")] = None,
    since: Annotated[Instant | None, Query(description="First seen at or after (ISO 8601)")] = None,
    until: Annotated[Instant | None, Query(description="First seen before (ISO 8601)")] = None,
    unassigned: Annotated[bool, Query(description="Only mentions that matched no brand: assign them by hand")] = False,
    case_id: Annotated[int | None, Query(gt=0, le=2**62)] = None,
    tone: Annotated[
        str | None, Query(pattern=r"^(complaint|question|praise)$", description="Only mentions of this tone")
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[MentionRow]:
    since, until = _aware(since, "since"), _aware(until, "until")
    if since and until and since >= until:
        raise BadRequest("'since' must be before 'until'")
    filters = MentionFilter(source=source, brand=brand, language=language, since=since, until=until,
                            unassigned=unassigned, case_id=case_id, tone=tone)  # fmt: skip
    before_id = decode_cursor("mention", cursor)
    rows = await read(request, lambda session: list_mentions(session=session, filters=filters, before_id=before_id,
                                                             limit=limit))  # fmt: skip
    return page("mention", rows, limit)


@router.put(
    "/{mention_id}/brand",
    response_model=CaseDetail,
    responses={
        422: {"description": "No such brand, or a malformed request", **PROBLEM},
        403: {"description": "Needs the agent role", **PROBLEM},
        404: {"description": "No such mention", **PROBLEM},
        409: {"description": "The mention is already in a case", **PROBLEM},
    },
    summary="Tie an unassigned mention to a brand; it opens or joins a case (returned)",
)
def assign(
    session: WriteSession,
    caller: Agent,
    config: ConfigDep,
    mention_id: Annotated[int, Path(gt=0, le=2**62)],
    body: BrandAssignment,
) -> CaseDetail:
    now = datetime.now(UTC)
    case = assign_brand(
        session=session, config=config, mention_id=mention_id, brand_key=body.brand, actor=caller.name, now=now
    )
    detail = get_case(session=session, case_id=case.id)
    assert detail is not None  # the case assign_brand just opened or joined
    return detail


@router.post(
    "/{mention_id}/thanks",
    response_model=ThanksDraft,
    responses={
        403: {"description": "Needs the agent role", **PROBLEM},
        404: {"description": "No such mention", **PROBLEM},
        409: {"description": "The mention is not praise, or has no brand yet", **PROBLEM},
    },
    summary="Draft a thank-you for a praise mention, in its language (not stored: praise has no case)",
)
def thanks(
    session: WriteSession, caller: Agent, config: ConfigDep, mention_id: Annotated[int, Path(gt=0, le=2**62)]
) -> ThanksDraft:
    return draft_thanks(session=session, rules=desk_rules(config), mention_id=mention_id)
