"""Drafts: written from templates for one place of a case, edited by agents, approved by leads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import Agent, ConfigDep, WriteSession
from api.routers.cases import ERRORS, CaseId
from api.schemas import DraftCreate, DraftPatch
from monitor.cases.case_detail import DraftRow, draft_row
from monitor.cases.lifecycle import desk_rules
from monitor.desk.drafts import create_draft, edit_draft

router = APIRouter(prefix="/api/v1", tags=["drafts"])


@router.post("/cases/{case_id}/drafts", response_model=DraftRow, status_code=201, responses=ERRORS,
             summary="Draft a reply for one place, in the complaint's language, from the category's template")  # fmt: skip
def draft(session: WriteSession, caller: Agent, config: ConfigDep, case_id: CaseId, body: DraftCreate) -> DraftRow:
    now = datetime.now(UTC)
    row = create_draft(
        session=session, rules=desk_rules(config), case_id=case_id, mention_id=body.mention_id,
        closing=body.closing, summary=body.summary, language=body.language, actor=caller.name, now=now,
    )  # fmt: skip
    return draft_row(row)


@router.patch("/drafts/{draft_id}", response_model=DraftRow,
              responses={**ERRORS, 404: {**ERRORS[404], "description": "No such draft"}},
              summary="Edit a draft's text, approve it (lead or admin), discard it, or send it back to draft")  # fmt: skip
def patch(
    session: WriteSession, caller: Agent, draft_id: Annotated[int, Path(gt=0, le=2**62)], body: DraftPatch
) -> DraftRow:
    now = datetime.now(UTC)
    row = edit_draft(session=session, draft_id=draft_id, text=body.text, state=body.state, version=body.version,
                     actor=caller.name, role=caller.role, now=now)  # fmt: skip
    return draft_row(row)
