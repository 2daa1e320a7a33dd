"""Cases: the list, one case with its places, candidates and timeline, and the staff decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import ConfigDep, SessionDep
from api.errors import BadRequest, Conflict, NotFound
from api.pagination import decode_cursor, encode_cursor
from api.schemas import CaseDetailPublic, CasePublic, CustomerDecision, MergeRequest, Page, SplitRequest
from monitor.case_views import CaseFilter, get_case, list_cases
from monitor.cases import CaseError, decide_customer, merge_cases, split_case

router = APIRouter(prefix="/api/v1/cases", tags=["cases"])
PROBLEM = {"content": {"application/problem+json": {}}}
CaseId = Annotated[int, Path(gt=0, le=2**62)]
ACTOR = "api"  # until API tokens name their holder


def _detail(session: SessionDep, case_id: int) -> CaseDetailPublic:
    detail = get_case(session=session, case_id=case_id)
    if detail is None:
        raise NotFound(f"no case {case_id}")
    return CaseDetailPublic.model_validate(detail, from_attributes=True)


def _staff(action):  # type: ignore[no-untyped-def]
    """Run a staff decision, turning the domain's refusals into precise problems."""
    try:
        return action()
    except LookupError as exc:
        raise NotFound(str(exc).strip("'\"")) from None
    except CaseError as exc:
        raise (Conflict if exc.conflict else BadRequest)(str(exc)) from None


@router.get("", response_model=Page[CasePublic], responses={400: {"description": "Bad cursor", **PROBLEM}},
            summary="Cases, newest first")  # fmt: skip
def cases(
    session: SessionDep,
    brand: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
    customer_state: Annotated[str | None, Query(pattern="^(suggested|auto|confirmed)$")] = None,
    customer_id: Annotated[int | None, Query(gt=0)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[CasePublic]:
    filters = CaseFilter(brand=brand, status=status, customer_state=customer_state, customer_id=customer_id)
    rows = list_cases(session=session, filters=filters, before_id=decode_cursor("case", cursor), limit=limit)
    next_cursor = encode_cursor("case", rows[-1].id) if len(rows) == limit else None
    return Page[CasePublic](items=[CasePublic.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/{case_id}", response_model=CaseDetailPublic, responses={404: {"description": "No such case", **PROBLEM}},
            summary="One case: its places, customer candidates and timeline")  # fmt: skip
def case(session: SessionDep, case_id: CaseId) -> CaseDetailPublic:
    return _detail(session, case_id)


ERRORS = {
    400: {"description": "The request names mentions or customers that do not fit", **PROBLEM},
    404: {"description": "No such case", **PROBLEM},
    409: {"description": "The case was merged, or the change would empty it", **PROBLEM},
}


@router.post("/{case_id}/split", response_model=CaseDetailPublic, status_code=201, responses=ERRORS,
             summary="Move some mentions into a new case of their own (returns the new case)")  # fmt: skip
def split(session: SessionDep, case_id: CaseId, body: SplitRequest) -> CaseDetailPublic:
    now = datetime.now(UTC)
    new = _staff(
        lambda: split_case(session=session, case_id=case_id, mention_ids=body.mention_ids, actor=ACTOR, now=now)
    )
    return _detail(session, new.id)


@router.post("/{case_id}/merge", response_model=CaseDetailPublic, responses=ERRORS,
             summary="Move every mention of another case into this one")  # fmt: skip
def merge(session: SessionDep, case_id: CaseId, body: MergeRequest) -> CaseDetailPublic:
    now = datetime.now(UTC)
    _staff(lambda: merge_cases(session=session, case_id=case_id, other_id=body.case_id, actor=ACTOR, now=now))
    return _detail(session, case_id)


@router.put("/{case_id}/customer", response_model=CaseDetailPublic, responses=ERRORS,
            summary="Confirm the case's customer, or reject a candidate (never suggested again)")  # fmt: skip
def customer(session: SessionDep, case_id: CaseId, body: CustomerDecision, config: ConfigDep) -> CaseDetailPublic:
    now = datetime.now(UTC)
    _staff(lambda: decide_customer(session=session, case_id=case_id, customer_id=body.customer_id,
                                   confirm=body.action == "confirm", actor=ACTOR, now=now))  # fmt: skip
    return _detail(session, case_id)
