"""Drafts of public replies, kept with the case: written from templates, edited by agents, approved by leads.

States: draft → approved → published (when a reply is recorded from it), or discarded.
Editing the text of an approved draft sends it back to draft: what a lead approved is
what gets published. Edits carry the version they were made on; an edit on a stale
version is refused (409), so two agents never overwrite each other silently.

The expected time in the draft (for an interim update: until its new date) ("within two working days") is the business time left
until the case's resolution deadline, in the calendar its priority's deadlines count
(the brand's business hours unless `sla.<priority>.calendar` says otherwise); for a
closing reply it is not used.
"""

from __future__ import annotations

import math
import os
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases.lifecycle import CaseConflict, CaseInvalid, DeskRules
from monitor.cases.timeline import append
from monitor.core.errors import Forbidden, NotFound
from monitor.desk.drafting import DraftRequest, Templates, render_draft, rewrite_draft
from monitor.models import Brand, Case, Mention
from monitor.models.desk import Draft
from sources.address_guard import GuardedSyncTransport

__all__ = ["create_draft", "edit_draft"]

_EDITABLE = ("draft", "approved")


@lru_cache(maxsize=8)
def _load(templates_dir: Path | None) -> Templates:
    return Templates.load(templates_dir)


def templates_of(rules: DeskRules) -> Templates:
    """The config's template set, compiled once per folder and process (it takes ~0.5 s); a restart
    picks up edited files."""
    return _load(rules.config.drafting.templates_dir)


def create_draft(
    *,
    session: Session,
    rules: DeskRules,
    case_id: int,
    mention_id: int,
    closing: bool,
    summary: str | None,
    language: str | None,
    actor: str,
    now: datetime,
    client: httpx.Client | None = None,
    new_date: datetime | None = None,
) -> Draft:
    """Write a draft for one place of a case in the complaint's language (see monitor.desk.drafting).

    With `new_date`, an interim update (kind "update") promising that date; published, it becomes the
    case's promise (monitor.desk.interim offers these).
    """
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    if case.status in ("dismissed", "merged", "closed"):
        raise CaseConflict(f"case {case_id} is {case.status}; nothing to answer")
    mention = session.get(Mention, mention_id)
    if mention is None or mention.case_id != case.id:
        raise CaseInvalid(f"mention {mention_id} is not a place of case {case_id}")
    brand_key = session.scalar(sa.select(Brand.key).where(Brand.id == case.brand_id)) or ""
    brand = rules.config.brand(brand_key)
    calendar = rules.calendar(brand_key, case.priority)  # the calendar the deadline was counted on
    until = new_date or case.resolution_due_at
    left = calendar.between(now, until) if until else calendar.day_length
    hours = left.total_seconds() / 3600
    request = DraftRequest(
        brand_name=brand.name if brand else brand_key,
        brand_language=brand.language if brand else "en",
        contact=brand.contact if brand else None,
        language=language or mention.language or case.language,
        category=case.category,
        author=mention.author,
        case_ref=f"RW-{case.id}",
        business_hours=hours,
        working_days=max(1, math.ceil(calendar.working_days(left) - 1e-9)) if hours else 1,
        closing=closing,
        summary=summary,
        interim=new_date is not None,
        new_date=new_date.astimezone(calendar.zone).date().isoformat() if new_date else None,
    )
    rendered = render_draft(request, templates=templates_of(rules))
    text, notes = rendered.text, [n for n in (rendered.fallback_note,) if n]
    rewrite = brand.rewrite if brand else None
    if rewrite is not None and rewrite.enabled:
        own = client is None
        # The endpoint is a URL in the config: it meets the outbound address policy like any source.
        http = client or httpx.Client(transport=GuardedSyncTransport(rules.config.http.allow_networks))
        try:
            result = rewrite_draft(text, config=rewrite, language=rendered.language, case_ref=request.case_ref,
                                   client=http, env=os.environ, complaint=mention.body)  # fmt: skip
        finally:
            if own:
                http.close()
        text = result.text
        notes.append("rewritten by the brand's model" if result.rewritten else f"template text: {result.reason}")
    kind = "closing" if closing else "update" if new_date is not None else "first"
    draft = Draft(case_id=case.id, mention_id=mention.id, kind=kind, promised_at=new_date,
                  language=rendered.language, text=text, template=rendered.template, notes=notes, created_by=actor,
                  created_at=now, updated_at=now)  # fmt: skip
    session.add(draft)
    session.flush()
    append(session, case.id or 0, at=now, actor=actor, kind="draft.created", mention_id=mention.id,
           data={"draft_id": draft.id, "language": draft.language, "template": draft.template, "notes": notes})  # fmt: skip
    return draft


def edit_draft(
    *,
    session: Session,
    draft_id: int,
    text: str | None,
    state: str | None,
    version: int | None,
    actor: str,
    role: str,
    now: datetime,
) -> Draft:
    """Change a draft's text or state (approve: lead or admin; discard or back to draft: any agent)."""
    draft = session.get(Draft, draft_id, with_for_update=True)
    if draft is None:
        raise NotFound(f"no draft {draft_id}")
    if draft.state not in _EDITABLE:
        raise CaseConflict(f"draft {draft_id} is {draft.state} and can no longer change")
    if version is not None and version != draft.version:
        raise CaseConflict(f"draft {draft_id} is at version {draft.version}, not {version}: reload it")
    changes: dict[str, object] = {}
    if text is not None and text != draft.text:
        if not text.strip():
            raise CaseInvalid("the draft text is empty")
        draft.text = text
        changes["text"] = "edited"
        if draft.state == "approved" and state != "approved":
            state = "draft"  # what a lead approved is what gets published
    if state is not None and state != draft.state:
        if state == "approved" and role not in ("lead", "admin"):
            raise Forbidden("only a lead or an admin may approve a draft")
        changes["state"] = state
        draft.state = state
        if state == "approved":
            draft.approved_by, draft.approved_at = actor, now
        else:
            draft.approved_by = draft.approved_at = None
    if changes:
        draft.version += 1
        draft.updated_at = now
        append(session, draft.case_id, at=now, actor=actor, kind="draft.changed", mention_id=draft.mention_id,
               data={"draft_id": draft.id, "version": draft.version, **changes})  # fmt: skip
    session.flush()
    return draft
