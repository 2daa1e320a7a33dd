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

`write` then stores everything with one statement (or one executemany) per table (monitor.cases.
batch_write; on PostgreSQL pipelined): new cases with their ids, case and mention updates by id,
band rows and prepared texts, timeline entries, outbox events, customer candidates. Counters of stored
cases are written as increments, so a concurrent worker's join is not overwritten. The caller runs
this inside a savepoint and falls back to one-by-one processing if anything raises.
"""

from __future__ import annotations

import weakref
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session

from monitor.cases.batch_state import CASE_FIELDS, SEARCH_CAP, CaseState, Place, Post, searchable
from monitor.cases.batch_write import write_batch, write_candidates
from monitor.cases.dedupe import PostFacts
from monitor.cases.dedupe_batch import BatchIndex
from monitor.cases.dedupe_fit import FIT_SAMPLE
from monitor.cases.lifecycle import DeskRules, apply_assessment
from monitor.cases.sla import apply_deadlines
from monitor.cases.triage import Evidence, raised
from monitor.config import Config
from monitor.config.business_hours import BusinessCalendar
from monitor.core.driver import DriverQuery
from monitor.customers.candidates import find_candidates
from monitor.customers.frequencies import register_frequencies
from monitor.models import Case, CaseCandidate, Customer, Mention, MentionSignature, Source

__all__ = ["CaseBatch"]

OPEN_CLOCK = ("at_risk", "breached")

# A stored case in one statement: its row, and each of its members with what triage, the customer
# lookup and the reply clocks read (the first 11 member columns) and what rule 6 of near-duplicates
# reads (dedupe_fit.case_members: the other 9). One round trip instead of three, sent hundreds of
# times a run: read through the driver's cursor (monitor.core.driver).
_STORED_CASE = DriverQuery(
    sa.select(
        *(getattr(Case, f) for f in CASE_FIELDS),
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
        Mention.id,
        Mention.author,
        Mention.source_id,
        sa.func.coalesce(Mention.published_at, Mention.first_seen_at),
        MentionSignature.text,
        MentionSignature.marks,
        MentionSignature.content_hash == Mention.content_hash,
        Mention.title,
        Mention.body,
    )
    .select_from(Case)
    .outerjoin(Mention, Mention.case_id == Case.id)
    .outerjoin(Source, Source.id == Mention.source_id)
    .outerjoin(MentionSignature, MentionSignature.mention_id == Mention.id)
    .where(Case.id == sa.bindparam("case_id"))
    .order_by(Mention.id)
)
_CASE_WIDTH = len(CASE_FIELDS)
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
        # The index reaches the batch's members through a weak reference: a bound method would make a
        # cycle (batch → index → batch), and the batch's ~13,000 lists and tuples would then wait for the
        # cyclic collector (about 5 % of the step's CPU at 30,000 mentions) instead of going with the batch.
        batch = weakref.ref(self)
        self.index = BatchIndex(session, config.cases.dedupe, now, lambda case_id: batch()._fit_members(case_id))
        self.cases: dict[int, CaseState] = {}
        self._stored: dict[int, tuple[CaseState, list[tuple]]] = {}  # read, maybe not (yet) touched
        self._calendars: dict[tuple[str, str], _RememberedAdd] = {}
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
        # A case it opened holds this post alone: triage reads its text as the helper read it ahead.
        self._triage(case, post.triage if outcome == "opened" else None)
        return outcome

    # -- in memory ---------------------------------------------------------------------------

    def _case(self, case_id: int) -> CaseState:
        """A case the batch touches: a new one, or a stored one read once a batch (`_read`)."""
        case = self.cases.get(case_id)
        if case is None:
            case = self.cases[case_id] = self._read(case_id)[0]
        return case

    def _fit_members(self, case_id: int) -> list[tuple]:
        """A stored case's members as rule 6 of near-duplicates reads them (dedupe_fit.case_members)."""
        return self._read(case_id)[1]

    def _read(self, case_id: int) -> tuple[CaseState, list[tuple]]:
        """A stored case as the batch holds it, and its members for rule 6; read once a batch, when
        first needed (rule 6 asks before the post joins). Its customer candidates are read when the
        customer lookup needs them (`_candidates`)."""
        if case_id in self._stored:
            return self._stored[case_id]
        rows = _STORED_CASE.rows(self.session.connection(), {"case_id": case_id})
        case = CaseState(id=case_id, new=False, **dict(zip(CASE_FIELDS, rows[0][:_CASE_WIDTH], strict=True)))
        case.priority_reasons = list(case.priority_reasons or [])
        case.candidates_read = False
        fit: list[tuple] = []
        for row in rows:
            mid, title, body, author, rating, weight, *clock = row[_CASE_WIDTH : _CASE_WIDTH + 11]
            if mid is None:
                continue  # a case none of whose mentions is left (outer join)
            case.members.append((mid, title, body, author, rating, weight))
            if clock[0] is not None:
                case.places.append(Place(mid, *clock))
            if len(fit) < FIT_SAMPLE:
                fit.append(tuple(row[_CASE_WIDTH + 11 :]))
        self._stored[case_id] = (case, fit)
        return case, fit

    def _candidates(self, case: CaseState) -> dict[int, dict[str, Any]]:
        if not case.candidates_read:
            for cid, customer_id, score, reasons, state in self.session.execute(
                sa.select(*_CANDIDATE_COLUMNS).where(CaseCandidate.case_id == case.id)
            ):
                case.candidates[customer_id] = {
                    "id": cid,
                    "customer_id": customer_id,
                    "score": score,
                    "reasons": reasons,
                    "state": state,
                    "changed": False,
                }
            case.candidates_read = True
        return case.candidates

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
        known = self._candidates(case)
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

    def _triage(self, case: CaseState, reading: tuple[str, dict[str, str]] | None = None) -> None:
        """lifecycle.triage_case on the case as held in memory (its rules are documented there);
        `reading`: Triager.read of its members' text, if already done."""
        first_posts = case.members[:20]
        text = "" if reading else "\n".join(f"{title or ''}\n{body}" for _, title, body, *_ in first_posts)
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
        result = self.rules.triager.assess(text, evidence, reading)
        first, old = apply_assessment(case, result)
        brand_key = self.brand_keys.get(case.brand_id, "")
        calendar = self._calendar(brand_key, case.priority)
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

    def _calendar(self, brand_key: str, priority: str) -> Any:
        """The brand's calendar for `priority`, its `add` remembered for the batch: nearly every clock
        of a batch starts at `now`, so its few spans are added once, not for each case and place."""
        key = (brand_key, priority)
        if key not in self._calendars:
            self._calendars[key] = _RememberedAdd(self.rules.calendar(brand_key, priority))
        return self._calendars[key]

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
        write_batch(self, others)

    def write_candidates(self) -> None:
        """Customer candidates found or changed (last: a test fails the write here)."""
        write_candidates(self)


class _RememberedAdd:
    """A business calendar whose `add` (a pure function of start and amount) is computed once per pair;
    sla.apply_deadlines and the place clocks read only `add` and `day_length`."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar, self.day_length = calendar, calendar.day_length
        self._added: dict[tuple[datetime, timedelta], datetime] = {}

    def add(self, start: datetime, amount: timedelta) -> datetime:
        key = (start, amount)
        if key not in self._added:
            self._added[key] = self.calendar.add(start, amount)
        return self._added[key]
