"""Steps 3-4 of the case step (monitor.cases.pipeline) for a whole batch: in memory, then one write.

One-by-one processing flushed the ORM before every query, read a case's mentions back for each
customer lookup and triage, and wrote band rows, timeline entries and events a row at a time: 13 ms
of CPU a mention. Here every post of the batch is placed in order exactly as one by one would place
it, but against in-memory state:

- duplicates: monitor.cases.dedupe_batch (the batch's earlier posts are candidates too);
- a case the batch touches is a `CaseState`: a new one carries a negative key until written; a stored
  one is read once (its row, its mentions, its customer candidates) and updated at the end;
- customer lookup (`find_candidates`) runs on the case's texts in memory; a brand whose register
  holds no customer cannot match anyone, so it is not asked (the register is read once a batch);
- triage reads its evidence from memory; the business calendar is the config's (built once).

`write` then stores everything with one statement (or one executemany) per table: new cases with
RETURNING ids, case and mention updates by id, band rows and prepared texts, timeline entries,
outbox events, customer candidates. Counters of stored cases are written as increments, so a
concurrent worker's join is not overwritten. The caller runs this inside a savepoint and falls
back to one-by-one processing if anything raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases.dedupe import PostFacts, Signature, stored_marks
from monitor.cases.dedupe_batch import BatchIndex
from monitor.cases.lifecycle import DeskRules
from monitor.cases.sla import apply_deadlines
from monitor.cases.timeline import SYSTEM, append_many
from monitor.cases.triage import Evidence, raised
from monitor.config import Config
from monitor.core.db import insert_many
from monitor.customers.candidates import find_candidates
from monitor.customers.frequencies import register_frequencies
from monitor.models import Brand, Case, CaseCandidate, Customer, Mention, MentionBand, MentionSignature, Source
from monitor.models.events import emit_many

__all__ = ["POST_COLUMNS", "SEARCH_CAP", "CaseBatch", "CaseState", "Place", "Post", "searchable"]

SEARCH_CAP = 8000  # characters of casefolded text kept per case for search
OPEN_CLOCK = ("at_risk", "breached")


def searchable(*texts: str | None) -> str:
    return " ".join(" ".join(t.split()) for t in texts if t).casefold()


@dataclass(slots=True, eq=False)
class Place:
    """A mention's reply clock as the batch holds it (monitor.cases.places)."""

    id: int
    state: str | None = None
    since: datetime | None = None
    sla: str | None = None
    due: datetime | None = None
    risk: datetime | None = None
    changed: bool = False


@dataclass(slots=True, eq=False)
class Post:
    """A pending mention read as plain values (POST_COLUMNS), and what the case step decided for it."""

    id: int
    source_id: int
    brand_id: int | None
    brand_rule: str | None
    title: str | None
    body: str
    author: str | None
    rating: float | None
    language: str | None
    published_at: datetime | None
    first_seen_at: datetime
    content_hash: str
    tone: str | None = None
    tone_reasons: list[str] = field(default_factory=list)
    signature: Signature | None = None
    case: CaseState | None = None
    method: str | None = None
    score: float | None = None
    place: Place | None = None

    @property
    def text(self) -> str:
        return f"{self.title or ''}\n{self.body}"


POST_COLUMNS = (
    Mention.id,
    Mention.source_id,
    Mention.brand_id,
    Mention.brand_rule,
    Mention.title,
    Mention.body,
    Mention.author,
    Mention.rating,
    Mention.language,
    Mention.published_at,
    Mention.first_seen_at,
    Mention.content_hash,
)
# The case columns the step reads and writes; the rest keep their defaults (new) or stay as they are.
_CASE_FIELDS = (
    "brand_id",
    "status",
    "title",
    "language",
    "opened_at",
    "updated_at",
    "last_mention_at",
    "mention_count",
    "customer_id",
    "customer_state",
    "customer_score",
    "category",
    "priority",
    "priority_reasons",
    "priority_by",
    "response_due_at",
    "response_risk_at",
    "response_sla",
    "resolution_due_at",
    "resolution_risk_at",
    "resolution_sla",
    "places_unanswered",
    "search_text",
)

# What the step changes on a stored case (the counters are written as increments).
_CASE_WRITES = (
    "updated_at",
    "last_mention_at",
    "customer_id",
    "customer_state",
    "customer_score",
    "category",
    "priority",
    "priority_reasons",
    "response_due_at",
    "response_risk_at",
    "response_sla",
    "resolution_due_at",
    "resolution_risk_at",
    "resolution_sla",
    "search_text",
)


@dataclass(slots=True, eq=False)
class CaseState:
    """A case as the batch holds it; `id` is negative until a new case is written."""

    id: int
    brand_id: int
    opened_at: datetime
    updated_at: datetime
    last_mention_at: datetime
    status: str = "new"
    title: str | None = None
    language: str | None = None
    mention_count: int = 0
    customer_id: int | None = None
    customer_state: str | None = None
    customer_score: float | None = None
    category: str = "other"
    priority: str = "normal"
    priority_reasons: list[str] = field(default_factory=list)
    priority_by: str = "triage"
    response_due_at: datetime | None = None
    response_risk_at: datetime | None = None
    response_sla: str = "running"
    resolution_due_at: datetime | None = None
    resolution_risk_at: datetime | None = None
    resolution_sla: str = "running"
    places_unanswered: int = 0
    search_text: str = ""
    new: bool = True
    # (id, title, body, author, rating, source weight) of its mentions, by id; its places; candidates.
    members: list[tuple] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    candidates: dict[int, dict[str, Any]] = field(default_factory=dict)
    added: int = 0  # mentions this batch added: a stored case's count is written as an increment
    unanswered_added: int = 0


_STORED_MEMBERS = (
    sa.select(
        Mention.id,
        Mention.title,
        Mention.body,
        Mention.author,
        Mention.rating,
        Source.weight,
        Mention.place_state,
        Mention.place_since,
        Mention.place_sla,
        Mention.place_due_at,
        Mention.place_risk_at,
    )
    .join(Source, Source.id == Mention.source_id)
    .where(Mention.case_id == sa.bindparam("case_id"))
    .order_by(Mention.id)
)
_CANDIDATE_COLUMNS = (
    CaseCandidate.id,
    CaseCandidate.customer_id,
    CaseCandidate.score,
    CaseCandidate.reasons,
    CaseCandidate.state,
)


class CaseBatch:
    """Places the posts of one batch (`place`, in id order), then writes it all (`write`)."""

    def __init__(
        self,
        session: Session,
        config: Config,
        rules: DeskRules,
        now: datetime,
        brand_keys: dict[int, str],
        source_weights: dict[int, int],
    ) -> None:
        self.session, self.config, self.rules, self.now = session, config, rules, now
        self.brand_keys, self.source_weights = brand_keys, source_weights
        self.index = BatchIndex(session, config.cases.dedupe, now)
        self.cases: dict[int, CaseState] = {}
        self.placed: list[Post] = []
        self.timeline: list[tuple[CaseState, int | None, str, dict[str, Any]]] = []
        self.events: list[tuple[str, CaseState, dict[str, Any]]] = []
        self._next_key = -1
        self._no_register: dict[int, bool] = {}

    def place(self, post: Post) -> str:
        """Open a case for the post or join a near-duplicate's; then customer and triage (pipeline._place)."""
        assert post.signature is not None and post.brand_id is not None
        facts = PostFacts(post.author, post.source_id, post.published_at or post.first_seen_at)
        duplicate = self.index.find(post.signature, facts)
        if duplicate is not None:
            case = self._case(duplicate.case_id)
            self._add(case, post, method="duplicate", score=duplicate.score)
            self._note(
                case,
                "mention.joined",
                post.id,
                method=duplicate.method,
                score=round(duplicate.score, 1),
                similar_to=duplicate.mention_id,
                reasons=list(duplicate.reasons),
            )
            outcome = "joined"
        else:
            case = CaseState(
                id=self._next_key,
                brand_id=post.brand_id,
                opened_at=self.now,
                updated_at=self.now,
                last_mention_at=self.now,
                language=post.language,
                title=(post.title or " ".join(post.body.split())[:120])[:300],
            )
            self._next_key -= 1
            self.cases[case.id] = case
            self._add(case, post, method="opened", score=None)
            self._note(case, "case.opened", post.id, brand_rule=post.brand_rule)
            self.events.append(("case.opened", case, {"mention_id": post.id}))
            outcome = "opened"
        self.index.add(post.id, post.signature, facts, case.id, title=post.title, body=post.body)
        self._look_for_customer(case)
        self._triage(case)
        return outcome

    # -- in memory ---------------------------------------------------------------------------

    def _case(self, case_id: int) -> CaseState:
        case = self.cases.get(case_id)
        if case is None:  # a stored case: its row, mentions and candidates, once a batch
            row = self.session.execute(
                sa.select(*(getattr(Case, f) for f in _CASE_FIELDS)).where(Case.id == case_id)
            ).one()
            case = CaseState(id=case_id, new=False, **dict(zip(_CASE_FIELDS, row, strict=True)))
            case.priority_reasons = list(case.priority_reasons or [])
            for mid, title, body, author, rating, weight, *clock in self.session.execute(
                _STORED_MEMBERS, {"case_id": case_id}
            ):
                case.members.append((mid, title, body, author, rating, weight))
                if clock[0] is not None:
                    case.places.append(Place(mid, *clock))
            for cid, customer_id, score, reasons, state in self.session.execute(
                sa.select(*_CANDIDATE_COLUMNS).where(CaseCandidate.case_id == case_id)
            ):
                case.candidates[customer_id] = {
                    "id": cid,
                    "customer_id": customer_id,
                    "score": score,
                    "reasons": reasons,
                    "state": state,
                    "changed": False,
                }
            self.cases[case_id] = case
        return case

    def _add(self, case: CaseState, post: Post, *, method: str, score: float | None) -> None:
        post.case, post.method, post.score = case, method, score
        # Its own first-reply clock: from the case's opening, or for a cross-post found later, from its finding.
        since = case.opened_at if method == "opened" else post.first_seen_at
        post.place = Place(post.id, "unanswered", since, "running")
        case.places.append(post.place)
        case.places_unanswered += 1
        case.unanswered_added += 1
        case.members.append(
            (post.id, post.title, post.body, post.author, post.rating, self.source_weights.get(post.source_id, 1))
        )
        if len(case.search_text or "") < SEARCH_CAP:
            more = searchable(case.title if not case.search_text else None, post.author, post.title, post.body)
            case.search_text = f"{case.search_text or ''} {more}".strip()[:SEARCH_CAP]
        case.mention_count += 1
        case.added += 1
        case.last_mention_at = max(case.last_mention_at, self.now)
        case.updated_at = self.now
        self.placed.append(post)

    def _note(self, case: CaseState, kind: str, mention_id: int | None = None, **data: object) -> None:
        self.timeline.append((case, mention_id, kind, data))

    def _look_for_customer(self, case: CaseState) -> None:
        """pipeline.look_for_customer on the case as held in memory."""
        if case.customer_state in ("confirmed", "auto"):
            return  # a link is never replaced by the automation
        if self._register_empty(case.brand_id):
            return  # no customer to find: find_candidates would read the evidence and return []
        settings = self.config.cases.customers
        brand = self.config.brand(self.brand_keys.get(case.brand_id, ""))
        known = case.candidates
        before = set(known)
        rejected = {cid for cid, c in known.items() if c["state"] == "rejected"}
        candidates = find_candidates(
            session=self.session,
            brand_id=case.brand_id,
            texts=[f"{title or ''}\n{body}" for _, title, body, *_ in case.members],
            authors=[author for _, _, _, author, *_ in case.members if author],
            order_pattern=brand.order_pattern if brand else None,
            default_region=brand.country if brand else None,
            exclude_customer_ids=rejected,
            limit=settings.max_suggestions,
        )
        for rank, found in enumerate(c for c in candidates if c.score >= settings.suggest_at):
            row = known.get(found.customer_id)
            if row is None:
                row = known[found.customer_id] = {"id": None, "customer_id": found.customer_id, "state": "suggested"}
            row.update(score=found.score, reasons=list(found.reasons), changed=True)
            reasons = list(found.reasons)
            if rank == 0 and found.score >= settings.link_at:
                row["state"] = "linked"
                case.customer_id, case.customer_state, case.customer_score = found.customer_id, "auto", found.score
                self._note(case, "customer.linked", customer_id=found.customer_id, score=found.score, reasons=reasons)
            elif row["state"] == "suggested" and found.customer_id not in before:
                case.customer_state = case.customer_state or "suggested"
                self._note(
                    case, "customer.suggested", customer_id=found.customer_id, score=found.score, reasons=reasons
                )

    def _register_empty(self, brand_id: int) -> bool:
        if brand_id not in self._no_register:
            self._no_register[brand_id] = register_frequencies(self.session, brand_id).customers == 0
        return self._no_register[brand_id]

    def _triage(self, case: CaseState) -> None:
        """lifecycle.triage_case on the case as held in memory (its rules are documented there)."""
        first_posts = case.members[:20]
        text = "\n".join(f"{title or ''}\n{body}" for _, title, body, *_ in first_posts)
        ratings = [r for *_, r, _ in first_posts if r is not None]
        tier = value = None
        repeats = 0
        if case.customer_id is not None:
            customer = self.session.get(Customer, case.customer_id)
            if customer is not None:
                tier, value = customer.tier, customer.lifetime_value
            since = self.now - self.config.triage.repeat_window
            repeats = (
                self.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(Case)
                    .where(Case.customer_id == case.customer_id, Case.id != case.id, Case.opened_at >= since)
                    .where(Case.status != "merged")
                )
                or 0
            )
            repeats += sum(
                1
                for c in self.cases.values()
                if c.new and c is not case and c.customer_id == case.customer_id and c.opened_at >= since
            )
        evidence = Evidence(
            rating=min(ratings) if ratings else None,
            source_weight=max((w for *_, w in first_posts), default=1),
            customer_tier=tier,
            customer_value=value,
            repeat_cases=repeats,
        )
        result = self.rules.triager.assess(text, evidence)
        first = case.response_due_at is None
        if first:
            case.category = result.category
        case.priority_reasons = list(result.reasons)
        old = case.priority
        if case.priority_by != "staff" and result.priority != old:
            case.priority = result.priority
        brand_key = self.brand_keys.get(case.brand_id, "")
        calendar = self.rules.calendar(brand_key, case.priority)
        sla = self.config.sla
        if not (first or case.priority != old):  # a place that just joined gets its deadline on the case's calendar
            self._place_deadlines(case, calendar, every=False)
            return
        apply_deadlines(case=cast(Case, case), calendar=calendar, sla=sla, now=self.now)
        self._place_deadlines(case, calendar, every=True)
        reasons = list(result.reasons)
        if first:
            self._note(
                case,
                "case.triaged",
                category=case.category,
                priority=case.priority,
                reasons=reasons,
                response_due_at=case.response_due_at.isoformat() if case.response_due_at else None,
                resolution_due_at=case.resolution_due_at.isoformat() if case.resolution_due_at else None,
            )
            return
        self._note(case, "priority.changed", old=old, new=case.priority, reasons=reasons)
        if raised(old, case.priority):
            self.events.append(
                (
                    "case.priority_raised",
                    case,
                    {"brand": brand_key, "priority": case.priority, "old": old, "reasons": reasons},
                )
            )

    def _place_deadlines(self, case: CaseState, calendar: Any, *, every: bool) -> None:
        """places.place_deadlines on the case's places as held in memory."""
        sla = self.config.sla
        span = sla.targets(case.priority).first_response
        for place in case.places:
            if not every and place.due is not None:
                continue
            place.since = place.since or case.opened_at
            place.due = calendar.add(place.since, span.on(calendar))
            place.risk = calendar.add(place.since, (span * sla.at_risk).on(calendar))
            if place.sla in OPEN_CLOCK and self.now < place.risk:
                place.sla = "running"
            place.changed = True

    # -- the write -------------------------------------------------------------------------------

    def write(self, others: list[Post]) -> None:
        """Store the batch: the placed posts and their cases, and `others` (unassigned or kept)."""
        session, now = self.session, self.now
        new = [c for c in self.cases.values() if c.new]
        if new:
            table = Case.__table__
            rows = [{f: getattr(c, f) for f in _CASE_FIELDS} for c in new]
            ids = session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
            for case, (case_id,) in zip(new, ids.all(), strict=True):
                case.id = case_id
        stored = [c for c in self.cases.values() if not c.new]
        if stored:
            self._update_stored(stored)
        mention = Mention.__table__
        if self.placed:
            session.execute(
                sa.update(mention)
                .where(mention.c.id == sa.bindparam("b_id"))
                .values(
                    {
                        c: sa.bindparam(c)
                        for c in (
                            "tone",
                            "tone_reasons",
                            "brand_id",
                            "brand_rule",
                            "processed_at",
                            "case_id",
                            "case_method",
                            "case_score",
                            "place_state",
                            "place_since",
                            "place_sla",
                            "place_due_at",
                            "place_risk_at",
                        )
                    }
                ),
                [
                    {
                        "b_id": p.id,
                        "tone": p.tone,
                        "tone_reasons": p.tone_reasons,
                        "brand_id": p.brand_id,
                        "brand_rule": p.brand_rule,
                        "processed_at": now,
                        "case_id": p.case.id if p.case else None,
                        "case_method": p.method,
                        "case_score": p.score,
                        "place_state": p.place.state if p.place else None,
                        "place_since": p.place.since if p.place else None,
                        "place_sla": p.place.sla if p.place else None,
                        "place_due_at": p.place.due if p.place else None,
                        "place_risk_at": p.place.risk if p.place else None,
                    }
                    for p in self.placed
                ],
            )
        if others:
            session.execute(
                sa.update(mention)
                .where(mention.c.id == sa.bindparam("b_id"))
                .values(
                    {c: sa.bindparam(c) for c in ("tone", "tone_reasons", "brand_id", "brand_rule", "processed_at")}
                ),
                [
                    {
                        "b_id": p.id,
                        "tone": p.tone,
                        "tone_reasons": p.tone_reasons,
                        "brand_id": p.brand_id,
                        "brand_rule": p.brand_rule,
                        "processed_at": now,
                    }
                    for p in others
                ],
            )
        indexed = [p for p in self.placed if p.signature is not None and p.signature.band_keys]
        _insert(
            session,
            MentionBand,
            [{"mention_id": p.id, "band_key": key} for p in indexed for key in p.signature.band_keys],
        )  # type: ignore[union-attr]
        _insert(
            session,
            MentionSignature,
            [
                {
                    "mention_id": p.id,
                    "content_hash": p.content_hash,
                    "text": p.signature.text,  # type: ignore[union-attr]
                    "marks": stored_marks(p.signature.marks),
                }  # type: ignore[union-attr]
                for p in indexed
            ],
        )
        append_many(
            session,
            [
                {"case_id": c.id, "at": now, "actor": SYSTEM, "kind": kind, "mention_id": mid, "data": data}
                for c, mid, kind, data in self.timeline
            ],
        )
        emit_many(
            session, [(kind, f"case:{c.id}", {"case_id": c.id, **extra}) for kind, c, extra in self.events], now=now
        )
        self._write_candidates()

    def _update_stored(self, stored: list[CaseState]) -> None:
        table = Case.__table__
        changing = _CASE_WRITES
        values: dict[str, Any] = {f: sa.bindparam(f"v_{f}") for f in changing}
        values["mention_count"] = table.c.mention_count + sa.bindparam("v_added")
        values["places_unanswered"] = table.c.places_unanswered + sa.bindparam("v_unanswered")
        self.session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("b_id")).values(values),
            [
                {
                    "b_id": c.id,
                    "v_added": c.added,
                    "v_unanswered": c.unanswered_added,
                    **{f"v_{f}": getattr(c, f) for f in changing},
                }
                for c in stored
            ],
        )
        # Clocks of stored places that a new priority moved.
        moved = [p for c in stored for p in c.places if p.changed and p.id not in {q.id for q in self.placed}]
        if moved:
            mention = Mention.__table__
            self.session.execute(
                sa.update(mention)
                .where(mention.c.id == sa.bindparam("b_id"))
                .values(
                    place_since=sa.bindparam("since"),
                    place_due_at=sa.bindparam("due"),
                    place_risk_at=sa.bindparam("risk"),
                    place_sla=sa.bindparam("sla"),
                ),
                [{"b_id": p.id, "since": p.since, "due": p.due, "risk": p.risk, "sla": p.sla} for p in moved],
            )

    def _write_candidates(self) -> None:
        fresh, changed = [], []
        for case in self.cases.values():
            for row in case.candidates.values():
                if row.get("changed"):
                    values = {"score": row["score"], "reasons": row["reasons"], "state": row["state"]}
                    if row["id"] is None:
                        fresh.append(
                            {
                                "case_id": case.id,
                                "customer_id": row["customer_id"],
                                "created_at": self.now,
                                "decided_by": None,
                                "decided_at": None,
                                **values,
                            }
                        )
                    else:
                        changed.append({"b_id": row["id"], **values})
        insert_many(self.session, CaseCandidate, fresh)
        if changed:
            table = CaseCandidate.__table__
            self.session.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("b_id"))
                .values(score=sa.bindparam("score"), reasons=sa.bindparam("reasons"), state=sa.bindparam("state")),
                changed,
            )


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """Multi-row INSERTs: RETURNING the key is what makes SQLAlchemy batch them ("insertmanyvalues")."""
    if rows:
        table = model.__table__
        session.execute(sa.insert(table).returning(*table.primary_key.columns), rows).all()


def brand_keys(session: Session) -> dict[int, str]:
    return {b.id: b.key for b in session.scalars(sa.select(Brand)) if b.id is not None}
