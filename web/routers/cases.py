"""The case page: today's case detail (monitor.cases.case_detail.get_case, the API's body for one case) with
the forms an agent works it with (web/routers/case_actions.py answers them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from api.deps import read
from monitor.cases.case_detail import CaseDetail, DraftRow, get_case
from monitor.cases.lifecycle import CATEGORIES, DISMISS_REASONS, MOVES, OPEN_STATUSES
from monitor.core.errors import NotFound
from web.cookie import PREFIX
from web.render import page
from web.session import Viewer

router = APIRouter(prefix=PREFIX)
CaseId = Annotated[int, Path(gt=0, le=2**62)]
# What a finished action says on the page it returns to (?done=…): fixed texts, so nothing in the address is shown.
DONE = {
    "changed": "The case was changed.",
    "customer": "The customer decision was saved.",
    "drafted": "A draft was written; edit it below.",
    "draft-saved": "The draft was saved.",
    "draft-approved": "The draft was approved.",
    "draft-discarded": "The draft was discarded.",
    "draft-reopened": "The draft is a draft again.",
    "replied": "The reply was recorded.",
    "promised": "The promise was recorded; it is tracked as a clock of its own.",
}
# A promise's state as the page says it.
PROMISE_STATES = {"open": "open", "at_risk": "at risk", "kept": "kept", "broken": "broken"}


def latest_approved(drafts: list[DraftRow], mention_id: int) -> DraftRow | None:
    approved = [d for d in drafts if d.mention_id == mention_id and d.state == "approved"]
    return approved[-1] if approved else None


def case_page(request: Request, detail: CaseDetail, *, done: str | None = None, error: str | None = None,
              status: int = 200) -> Response:  # fmt: skip
    return page(request, "case.html", {
        "detail": detail, "case": detail.case, "moves": MOVES.get(detail.case.status, ()),
        "dismiss_reasons": DISMISS_REASONS, "categories": CATEGORIES, "priorities": ("low", "normal", "high", "urgent"),
        "done": DONE.get(done or ""), "error": error, "approved_for": lambda m: latest_approved(detail.drafts, m),
        "promises_on": lambda m: [p for p in detail.promises if p.mention_id == m], "PROMISE_STATES": PROMISE_STATES,
        "working": detail.case.status in OPEN_STATUSES,  # set_promise's own rule: a case still being worked on
    }, status=status)  # fmt: skip


@router.get("/cases/{case_id}")
async def case(request: Request, current: Viewer, case_id: CaseId,
               done: Annotated[str | None, Query(max_length=40)] = None) -> Response:  # fmt: skip
    def work(session):  # type: ignore[no-untyped-def]
        detail = get_case(session=session, case_id=case_id)
        if detail is None:
            raise NotFound(f"no case {case_id}")
        return detail

    return case_page(request, await read(request, work), done=done)
