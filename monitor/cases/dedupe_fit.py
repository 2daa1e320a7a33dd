"""The database side of the evidence (monitor.cases.dedupe_evidence): word rarity in a brand's recent
stream, and whether a post fits a case as a whole (rule 6 of monitor.cases.dedupe)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from monitor.cases.dedupe_evidence import PostFacts, Rarity, judge
from monitor.cases.dedupe_text import prepare
from monitor.models import Mention, MentionSignature

__all__ = ["BRAND_TEXTS", "FIT_SAMPLE", "RARITY_SAMPLE", "brand_rarity", "case_members", "fits_case", "fits_members"]

RARITY_SAMPLE = 2000  # recent posts of a brand that word rarity is measured on
FIT_SAMPLE = 10  # members of a case a joining post is checked against: the first post and the next nine


# The brand's newest RARITY_SAMPLE prepared texts: one statement for the one-by-one step (`brand_rarity`)
# and the batch (monitor.cases.dedupe_batch, through the driver's cursor). Bounded by the newest indexed
# mention: the brand's index is walked from the newest mention down, and a backlog of pending ones (a
# new source's first poll of thousands of reviews) has no prepared text yet; without the bound every
# batch walked the whole backlog (20-30 ms a batch at 30,000 pending on PostgreSQL). The rows are the same.
BRAND_TEXTS = (
    sa.select(MentionSignature.text)
    .join(Mention, Mention.id == MentionSignature.mention_id)
    .where(
        Mention.brand_id == sa.bindparam("brand_id"),
        Mention.id <= sa.select(sa.func.max(MentionSignature.mention_id)).scalar_subquery(),
    )
    .order_by(Mention.id.desc())
    .limit(RARITY_SAMPLE)
)


def brand_rarity(session: Session, brand_id: int | None) -> Rarity:
    """Word rarity in the brand's newest `RARITY_SAMPLE` indexed posts, read once per session (a
    batch of the case step): commonness moves slowly, and a batch reads it in one statement."""
    cache = session.info.setdefault("dedupe_rarity", {})
    if brand_id not in cache:
        texts = session.scalars(BRAND_TEXTS, {"brand_id": brand_id})
        cache[brand_id] = Rarity(texts)
    return cache[brand_id]


_MEMBER_COLUMNS = (
    Mention.id, Mention.author, Mention.source_id, sa.func.coalesce(Mention.published_at, Mention.first_seen_at),
    MentionSignature.text, MentionSignature.marks, MentionSignature.content_hash == Mention.content_hash,
    Mention.title, Mention.body,
)  # fmt: skip
_MEMBERS = (
    sa.select(*_MEMBER_COLUMNS)
    .outerjoin(MentionSignature, MentionSignature.mention_id == Mention.id)
    .where(Mention.case_id == sa.bindparam("case_id"))
    .order_by(Mention.id)
    .limit(FIT_SAMPLE)
)


def fits_case(
    session: Session, *, text: str, marks: frozenset[str], facts: PostFacts, case_id: int, via_mention_id: int,
    rarity: Rarity, confirm_score: float,
) -> str | None:  # fmt: skip
    """The post must fit the case as a whole, not just the member it was found through: the case's
    first post, else more than half of its first `FIT_SAMPLE` members. Returns the reason, or None."""
    return fits_members(case_members(session, case_id), text=text, marks=marks, facts=facts,
                        via_mention_id=via_mention_id, rarity=rarity, confirm_score=confirm_score)  # fmt: skip


def case_members(session: Session, case_id: int) -> list[tuple]:
    """The case's first `FIT_SAMPLE` members as `fits_members` reads them (id, author, source id,
    published, stored text, stored marks, fresh, title, body), by id."""
    return [tuple(row) for row in session.execute(_MEMBERS, {"case_id": case_id})]


def fits_members(
    members: Iterable[Sequence[Any]], *, text: str, marks: frozenset[str], facts: PostFacts, via_mention_id: int,
    rarity: Rarity, confirm_score: float,
) -> str | None:  # fmt: skip
    """`fits_case` on the members given (the case step's batch adds its own posts to those stored)."""
    fitting = total = 0
    for mention_id, author, source_id, at, stored, stored_marks, fresh, title, body in members:
        if mention_id == via_mention_id:
            fit = True
        else:
            # Short posts have no stored text (they are not indexed): prepared here, as a stale one is.
            other, other_marks = (stored, frozenset(stored_marks.split())) if fresh else prepare(title, body)
            verdict = judge(text, marks, facts, other, other_marks, PostFacts(author, source_id, at),
                            rarity=rarity, confirm_score=confirm_score)  # fmt: skip
            fit = verdict.join
        if total == 0 and fit:
            return "fits the first post"
        fitting, total = fitting + fit, total + 1
    return f"fits {fitting} of {total} posts" if total and 2 * fitting > total else None
