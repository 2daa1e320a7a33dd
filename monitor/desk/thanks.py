"""A thank-you for praise: drafted on request for a mention classed praise, which opens no case.

Praise is not tracked work (no case, no SLA clock), so the thank-you is not stored as a case's
draft: staff ask for it, copy it to the site, or open a case for the mention if they want the
reply tracked (PUT /mentions/{id}/brand). Written from `thanks.j2` in the mention's language
(monitor.desk.drafting.render_thanks), the brand's name and contact filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from pydantic import Field
from sqlmodel import Session

from monitor.cases.lifecycle import CaseConflict, DeskRules
from monitor.core.errors import NotFound
from monitor.desk.drafting import render_thanks
from monitor.desk.drafts import templates_of
from monitor.models import Brand, Mention

__all__ = ["ThanksDraft", "draft_thanks"]


@dataclass(frozen=True, slots=True)
class ThanksDraft:
    mention_id: int
    language: str
    text: str
    template: Annotated[str, Field(description="The template file it was made from")]
    notes: Annotated[list[str], Field(description="Why it is not in the mention's language, when it is not")]


def draft_thanks(*, session: Session, rules: DeskRules, mention_id: int) -> ThanksDraft:
    """The thank-you for one praise mention; 404 for no such mention, 409 for one that is not praise
    or has no brand yet (a complaint is answered through its case)."""
    mention = session.get(Mention, mention_id)
    if mention is None:
        raise NotFound(f"no mention {mention_id}")
    if mention.tone != "praise":
        raise CaseConflict(
            f"mention {mention_id} is {mention.tone or 'not classed yet'}, not praise; "
            "a complaint or a question is answered through its case"
        )
    if mention.brand_id is None:
        raise CaseConflict(f"mention {mention_id} has no brand; assign one first (PUT /mentions/{mention_id}/brand)")
    brand_key = session.scalar(sa.select(Brand.key).where(Brand.id == mention.brand_id)) or ""
    brand = rules.config.brand(brand_key)
    rendered = render_thanks(
        brand_name=brand.name if brand else brand_key,
        brand_language=brand.language if brand else "en",
        contact=brand.contact if brand else None,
        language=mention.language,
        author=mention.author,
        templates=templates_of(rules),
    )
    notes = [rendered.fallback_note] if rendered.fallback_note else []
    return ThanksDraft(mention_id=mention_id, language=rendered.language, text=rendered.text,
                       template=rendered.template, notes=notes)  # fmt: skip
