"""Every lifecycle move, allowed or refused, and the staff changes' effects on the timeline and clocks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from monitor.cases.lifecycle import MOVES, CaseChange, CaseError, change_case, desk_rules
from monitor.core.db import SessionFactory, session_scope
from monitor.core.errors import Forbidden, NotFound
from monitor.models import Brand, Case, CaseEvent
from tests.support.clock import NOW
from tests.support.factories import feed_config, synced

CONFIG = feed_config({"board": "https://board.example/f"})
STATUSES = ("new", "acknowledged", "in_progress", "resolved", "closed", "dismissed")


def new_case(sessions: SessionFactory, status: str) -> int:
    with session_scope(sessions) as session:
        brand_id = session.scalar(sa.select(Brand.id))
        case = Case(brand_id=brand_id, opened_at=NOW, updated_at=NOW, last_mention_at=NOW, status=status)
        session.add(case)
        session.flush()
        return case.id


@pytest.mark.parametrize("source", STATUSES)
def test_every_move_from_every_status(sessions: SessionFactory, source: str) -> None:
    synced(sessions, CONFIG, NOW)
    for target in STATUSES:
        if target == source:
            continue
        case_id = new_case(sessions, source)
        change = CaseChange(status=target, dismissed_reason="spam" if target == "dismissed" else None)
        allowed = target in MOVES[source]
        with session_scope(sessions) as session:
            if allowed:
                case = change_case(session=session, rules=desk_rules(CONFIG), case_id=case_id, change=change,
                                   actor="lena", role="lead", now=NOW)  # fmt: skip
                assert case.status == target
                entry = session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id)).one()
                assert (entry.kind, entry.actor, entry.data["old"], entry.data["new"]) == (
                    "status.changed", "lena", source, target)  # fmt: skip
            else:
                with pytest.raises(CaseError) as refused:
                    change_case(session=session, rules=desk_rules(CONFIG), case_id=case_id, change=change,
                                actor="lena", role="lead", now=NOW)  # fmt: skip
                assert refused.value.conflict and f"cannot move to {target}" in str(refused.value)


def test_a_merged_case_cannot_change_and_agents_cannot_dismiss(sessions: SessionFactory) -> None:
    synced(sessions, CONFIG, NOW)
    merged = new_case(sessions, "merged")
    open_case = new_case(sessions, "new")
    with session_scope(sessions) as session:
        with pytest.raises(CaseError, match="was merged"):
            change_case(session=session, rules=desk_rules(CONFIG), case_id=merged, change=CaseChange(assignee="a"),
                        actor="a", role="admin", now=NOW)  # fmt: skip
        with pytest.raises(Forbidden, match="lead"):
            change_case(session=session, rules=desk_rules(CONFIG), case_id=open_case,
                        change=CaseChange(status="dismissed", dismissed_reason="spam"), actor="a", role="agent",
                        now=NOW)  # fmt: skip
        with pytest.raises(CaseError, match="dismissed_reason"):
            change_case(session=session, rules=desk_rules(CONFIG), case_id=open_case,
                        change=CaseChange(status="dismissed"), actor="a", role="lead", now=NOW)  # fmt: skip
        with pytest.raises(NotFound):
            change_case(session=session, rules=desk_rules(CONFIG), case_id=999999, change=CaseChange(),
                        actor="a", role="lead", now=NOW)  # fmt: skip


def test_assignee_category_and_priority_go_on_the_timeline(sessions: SessionFactory) -> None:
    synced(sessions, CONFIG, NOW)
    case_id = new_case(sessions, "new")
    rules = desk_rules(CONFIG)
    with session_scope(sessions) as session:
        change_case(session=session, rules=rules, case_id=case_id, actor="ivan", role="agent", now=NOW,
                    change=CaseChange(assignee="ivan", category="billing", priority="high"))  # fmt: skip
        case = session.get(Case, case_id)
        assert (case.assignee, case.category, case.priority, case.priority_by) == ("ivan", "billing", "high", "staff")
        assert case.response_due_at is not None
        change_case(session=session, rules=rules, case_id=case_id, actor="ivan", role="agent", now=NOW,
                    change=CaseChange(unassign=True))  # fmt: skip
        assert session.get(Case, case_id).assignee is None
        kinds = session.scalars(sa.select(CaseEvent.kind).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
        assert list(kinds) == ["priority.changed", "category.changed", "assignee.changed", "assignee.changed"]
        with pytest.raises(CaseError, match="category must be"):
            change_case(session=session, rules=rules, case_id=case_id, actor="ivan", role="agent", now=NOW,
                        change=CaseChange(category="weather"))  # fmt: skip
