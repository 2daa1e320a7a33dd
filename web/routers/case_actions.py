"""The case page's forms: each is validated by the API's request model for the same change (api/schemas.py)
and carried out by the same service, in one transaction; then back to the case page (post/redirect/get).

A refusal (a role, a state, a value) is the case page again with the service's message and the API's status
for it, the form's values lost only when the page reloads: nothing is half done, the transaction rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from api.schemas import CasePatch, CustomerDecision, DraftCreate, DraftPatch, PromiseCreate, ReplyCreate
from monitor.cases.case_detail import get_case
from monitor.cases.lifecycle import CaseChange, change_case, desk_rules
from monitor.core.db import session_scope
from monitor.core.errors import DomainError, NotFound
from monitor.desk.decisions import decide_customer
from monitor.desk.drafts import create_draft, edit_draft
from monitor.desk.promising import set_promise
from monitor.desk.replies import record_reply, replies_visible
from monitor.models.desk import Draft
from web.cookie import PREFIX
from web.errors import WebError, domain_status
from web.routers.cases import CaseId, case_page
from web.session import Visit, check_form, role

router = APIRouter(prefix=PREFIX)
Agent = Annotated[Visit, Depends(role("agent"))]
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def model_of(cls: type[M], form: dict[str, str], flags: tuple[str, ...] = ()) -> M:
    """The request model `cls` from a form: empty fields left out (a blank input means "not given"), check boxes
    in `flags` as booleans. A value that does not fit is a 422 page naming the field."""
    values: dict[str, Any] = {k: v for k, v in form.items() if v != "" and k not in flags}
    for flag in flags:
        values[flag] = form.get(flag) in ("on", "true", "1")
    try:
        return cls.model_validate(values)
    except ValidationError as exc:
        parts = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()[:5])
        raise WebError(422, "Check the form", parts) from None


async def act(request: Request, case_id: int, work: Callable[[Session, datetime], Any], done: str) -> Response:
    """`work` in one write transaction, then the case page; a refusal is the case page with its message."""

    def run() -> Response | None:
        try:
            with session_scope(request.app.state.sessions) as session:
                work(session, datetime.now(UTC))
        except DomainError as exc:
            return _refused(request, case_id, exc)
        return None

    refused = await anyio.to_thread.run_sync(run)
    return refused or RedirectResponse(f"{PREFIX}/cases/{case_id}?done={done}", status_code=303)


def _refused(request: Request, case_id: int, exc: DomainError) -> Response:
    with session_scope(request.app.state.sessions, read_only=True) as session:
        detail = get_case(session=session, case_id=case_id)
    if detail is None:
        raise WebError(404, "Not Found", exc.message)
    return case_page(request, detail, error=exc.message, status=domain_status(exc))


@router.post("/cases/{case_id}/change")
async def change(request: Request, current: Agent, case_id: CaseId) -> Response:
    form = await check_form(request, current)
    unassign = form.pop("unassign", None) is not None
    if unassign:
        form.pop("assignee", None)
    body = model_of(CasePatch, form)
    if body.dismissed_reason is not None and body.status != "dismissed":
        raise WebError(400, "Check the form", "a reason to dismiss goes with the status dismissed")
    who = current.principal
    assert who is not None
    change = CaseChange(status=body.status, assignee=body.assignee, unassign=unassign, priority=body.priority,
                        category=body.category, dismissed_reason=body.dismissed_reason, note=body.note)  # fmt: skip
    config = request.app.state.config
    return await act(request, case_id, lambda session, now: change_case(
        session=session, rules=desk_rules(config), case_id=case_id, change=change, actor=who.name, role=who.role,
        now=now), "changed")  # fmt: skip


@router.post("/cases/{case_id}/customer")
async def customer(request: Request, current: Agent, case_id: CaseId) -> Response:
    body = model_of(CustomerDecision, await check_form(request, current))
    who = current.principal
    assert who is not None
    config = request.app.state.config
    return await act(request, case_id, lambda session, now: decide_customer(
        session=session, case_id=case_id, customer_id=body.customer_id, confirm=body.action == "confirm",
        actor=who.name, now=now, config=config), "customer")  # fmt: skip


@router.post("/cases/{case_id}/drafts")
async def draft(request: Request, current: Agent, case_id: CaseId) -> Response:
    body = model_of(DraftCreate, await check_form(request, current), flags=("closing",))
    who = current.principal
    assert who is not None
    config = request.app.state.config
    return await act(request, case_id, lambda session, now: create_draft(
        session=session, rules=desk_rules(config), case_id=case_id, mention_id=body.mention_id, closing=body.closing,
        summary=body.summary, language=body.language, actor=who.name, now=now), "drafted")  # fmt: skip


DRAFT_DONE = {
    None: "draft-saved",
    "approved": "draft-approved",
    "discarded": "draft-discarded",
    "draft": "draft-reopened",
}


@router.post("/drafts/{draft_id}")
async def edit(request: Request, current: Agent, draft_id: Annotated[int, Path(gt=0, le=2**62)]) -> Response:
    body = model_of(DraftPatch, await check_form(request, current))
    who = current.principal
    assert who is not None

    def case_of() -> int:
        with session_scope(request.app.state.sessions, read_only=True) as session:
            row = session.get(Draft, draft_id)
            if row is None:
                raise NotFound(f"no draft {draft_id}")
            return row.case_id

    case_id = await anyio.to_thread.run_sync(case_of)
    return await act(request, case_id, lambda session, now: edit_draft(
        session=session, draft_id=draft_id, text=body.text, state=body.state, version=body.version, actor=who.name,
        role=who.role, now=now), DRAFT_DONE[body.state])  # fmt: skip


def _utc(form: dict[str, str], *names: str) -> dict[str, str]:
    """<input type=datetime-local> sends no zone (2026-11-22T12:00 or with :ss): the forms say they are UTC."""
    for name in names:
        value = form.get(name, "").strip()
        if value and len(value) <= 19:
            form[name] = value + "Z"
    return form


@router.post("/cases/{case_id}/replies")
async def reply(request: Request, current: Agent, case_id: CaseId) -> Response:
    form = _utc(await check_form(request, current), "posted_at", "promise_due_at")
    body = model_of(ReplyCreate, form, flags=("closing",))
    who = current.principal
    assert who is not None
    config = request.app.state.config

    def work(session: Session, now: datetime) -> None:
        verifiable = replies_visible(session=session, config=config, mention_id=body.mention_id)
        record_reply(session=session, case_id=case_id, mention_id=body.mention_id, text=body.text, url=body.url,
                     posted_at=body.posted_at or now, closing=body.closing, draft_id=body.draft_id,
                     verifiable=verifiable, actor=who.name, now=now, rules=desk_rules(config),
                     promise_due_at=body.promise_due_at)  # fmt: skip

    return await act(request, case_id, work, "replied")


@router.post("/cases/{case_id}/promises")
async def promise(request: Request, current: Agent, case_id: CaseId) -> Response:
    body = model_of(PromiseCreate, _utc(await check_form(request, current), "due_at"))
    who = current.principal
    assert who is not None
    config = request.app.state.config
    return await act(request, case_id, lambda session, now: set_promise(
        session=session, rules=desk_rules(config), case_id=case_id, due_at=body.due_at, mention_id=body.mention_id,
        actor=who.name, now=now), "promised")  # fmt: skip
