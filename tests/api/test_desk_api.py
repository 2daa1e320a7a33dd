"""The response desk through the API: tokens and roles, lifecycle, triage, SLA deadlines, drafts, replies."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import TypeAdapter

from monitor.cases.views import QUEUE_FIELDS, CaseRow
from monitor.core.db import session_scope
from monitor.models import Event
from tests.support.api import DELIVERY, LEGAL, MILD, SAFETY, desk_client, problem
from tests.support.factories import authorize


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with desk_client(db_url, "admin") as c:
        yield c


def cases_by_text(client: TestClient) -> dict[str, dict]:
    items = client.get("/api/v1/cases", params={"limit": 50}).json()["items"]
    found = {}
    for item in items:
        detail = client.get(f"/api/v1/cases/{item['id']}").json()
        body = detail["places"][0]["body"]
        key = next(k for k, text in (("delivery", DELIVERY), ("legal", LEGAL), ("safety", SAFETY), ("mild", MILD))
                   if text[:30] in body)  # fmt: skip
        found[key] = detail
    return found


def as_role(client: TestClient, role: str) -> dict[str, str]:
    saved = client.headers["Authorization"]
    secret = authorize(client, role, name=f"{role}-user")
    client.headers["Authorization"] = saved
    return {"Authorization": f"Bearer {secret}"}


def test_every_route_but_health_needs_a_token(client: TestClient) -> None:
    anonymous = {"Authorization": ""}
    assert client.get("/healthz", headers=anonymous).status_code == 200
    for path in ("/api/v1/cases", "/api/v1/mentions", "/api/v1/sources", "/api/v1/customers", "/api/v1/tokens"):
        response = client.get(path, headers=anonymous)
        assert problem(response, 401)["detail"].startswith("send an API token")
        assert response.headers["www-authenticate"].startswith("Bearer")
    bad = client.get("/api/v1/cases", headers={"Authorization": "Bearer rw_not-a-real-token"})
    assert problem(bad, 401)["detail"] == "the API token is unknown or revoked"
    basic = client.get("/api/v1/cases", headers={"Authorization": "Basic " + base64.b64encode(b"a:b").decode()})
    assert basic.status_code == 401


def test_roles_are_enforced(client: TestClient) -> None:
    cases = cases_by_text(client)
    case_id = cases["delivery"]["case"]["id"]
    viewer, agent, lead = as_role(client, "viewer"), as_role(client, "agent"), as_role(client, "lead")
    assert client.get(f"/api/v1/cases/{case_id}", headers=viewer).status_code == 200
    refused = client.patch(f"/api/v1/cases/{case_id}", json={"assignee": "anna"}, headers=viewer)
    assert "needs the agent role" in problem(refused, 403)["detail"]
    assert client.patch(f"/api/v1/cases/{case_id}", json={"assignee": "anna"}, headers=agent).status_code == 200
    dismiss = {"status": "dismissed", "dismissed_reason": "spam"}
    assert "lead" in problem(client.patch(f"/api/v1/cases/{case_id}", json=dismiss, headers=agent), 403)["detail"]
    assert problem(client.get("/api/v1/tokens", headers=lead), 403)
    done = client.patch(f"/api/v1/cases/{case_id}", json=dismiss, headers=lead).json()["case"]
    assert (done["status"], done["dismissed_reason"], done["response_sla"]) == ("dismissed", "spam", "stopped")
    # admins manage tokens; a revoked token stops working at once
    made = client.post("/api/v1/tokens", json={"name": "crm-sync", "role": "viewer"})
    assert made.status_code == 201 and made.json()["token"].startswith("rw_")
    own = {"Authorization": f"Bearer {made.json()['token']}"}
    assert client.get("/api/v1/cases", headers=own).status_code == 200
    listed = client.get("/api/v1/tokens").json()
    assert "token" not in listed[0] and any(t["name"] == "crm-sync" for t in listed)
    assert client.delete(f"/api/v1/tokens/{made.json()['id']}").json()["revoked_at"] is not None
    assert client.get("/api/v1/cases", headers=own).status_code == 401
    assert problem(client.delete("/api/v1/tokens/999999"), 404)
    assert problem(client.post("/api/v1/tokens", json={"name": "x", "role": "root"}), 422)


def test_triage_sets_category_priority_reasons_and_deadlines(client: TestClient) -> None:
    cases = cases_by_text(client)
    safety, legal = cases["safety"]["case"], cases["legal"]["case"]
    delivery, mild = cases["delivery"]["case"], cases["mild"]["case"]
    assert safety["priority"] == "urgent" and any("safety" in r for r in safety["priority_reasons"])
    assert legal["priority"] == "high" and any("court, lawyer" in r for r in legal["priority_reasons"])
    assert (delivery["category"], delivery["priority"]) == ("delivery", "normal")
    assert legal["category"] == "defect"
    assert mild["priority"] in ("normal", "low")
    for case, hours, days in ((safety, 1, 1), (legal, 2, 2), (delivery, 4, 3)):
        opened = datetime.fromisoformat(case["opened_at"])
        assert datetime.fromisoformat(case["response_due_at"]) - opened == timedelta(hours=hours)
        # a working day is 24 business hours in this round-the-clock calendar
        assert datetime.fromisoformat(case["resolution_due_at"]) - opened == timedelta(days=days)
        assert case["response_sla"] == case["resolution_sla"] == "running"
    timeline = [e["kind"] for e in cases["safety"]["timeline"]]
    assert timeline[:2] == ["case.opened", "case.triaged"]


def test_staff_priority_is_kept_and_moves_the_deadlines(client: TestClient) -> None:
    case = cases_by_text(client)["delivery"]["case"]
    opened = datetime.fromisoformat(case["opened_at"])
    raised = client.patch(f"/api/v1/cases/{case['id']}", json={"priority": "urgent"}).json()
    assert (raised["case"]["priority"], raised["case"]["priority_by"]) == ("urgent", "staff")
    assert datetime.fromisoformat(raised["case"]["response_due_at"]) - opened == timedelta(hours=1)
    change = [e for e in raised["timeline"] if e["kind"] == "priority.changed"][-1]
    assert (change["actor"], change["data"]["old"], change["data"]["new"]) == ("test-admin", "normal", "urgent")
    with session_scope(client.app.state.sessions) as session:
        kinds = session.scalars(sa.select(Event.kind).where(Event.subject == f"case:{case['id']}")).all()
    assert "case.priority_raised" in kinds
    # triage runs again (a staff decision on the customer triggers it) and keeps the staff's choice
    lowered = client.patch(f"/api/v1/cases/{case['id']}", json={"priority": "low"}).json()["case"]
    assert datetime.fromisoformat(lowered["response_due_at"]) - opened == timedelta(hours=8)


def test_lifecycle_moves_through_replies_and_patches(client: TestClient) -> None:
    detail = cases_by_text(client)["delivery"]
    case_id, place = detail["case"]["id"], detail["places"][0]["mention_id"]
    url = f"/api/v1/cases/{case_id}"
    early = problem(client.patch(url, json={"status": "in_progress"}), 409)["detail"]
    assert "cannot move to in_progress" in early and "allowed: dismissed" in early
    assert "record the first public reply" in problem(client.patch(url, json={"status": "acknowledged"}), 409)["detail"]
    first = client.post(f"{url}/replies", json={"mention_id": place, "text": "Здравствуйте! Разбираемся, RW.",
                                                 "url": "https://board.example/c/1#r1"})  # fmt: skip
    assert first.status_code == 201 and first.json()["kind"] == "first"
    assert first.json()["verify_state"] == "unverifiable"  # a feed shows no replies
    case = client.get(url).json()["case"]
    assert (case["status"], case["response_sla"]) == ("acknowledged", "met") and case["first_reply_at"]
    assert "closing reply" in problem(client.patch(url, json={"status": "resolved"}), 409)["detail"]
    assert client.patch(url, json={"status": "in_progress", "note": "courier service asked"}).status_code == 200
    closing = client.post(f"{url}/replies", json={"mention_id": place, "text": "Посылку нашли и доставили.",
                                                   "closing": True})  # fmt: skip
    assert closing.json()["kind"] == "closing"
    case = client.get(url).json()["case"]
    assert (case["status"], case["resolution_sla"]) == ("resolved", "met") and case["resolved_at"]
    assert client.patch(url, json={"status": "closed"}).json()["case"]["closed_at"]
    assert "reopen it" in problem(client.post(f"{url}/replies", json={"mention_id": place, "text": "x"}), 409)["detail"]
    reopened = client.patch(url, json={"status": "in_progress"}).json()
    assert reopened["case"]["status"] == "in_progress" and reopened["case"]["closed_at"] is None
    moves = [(e["data"]["old"], e["data"]["new"]) for e in reopened["timeline"] if e["kind"] == "status.changed"]
    assert moves == [("new", "acknowledged"), ("acknowledged", "in_progress"), ("in_progress", "resolved"),
                     ("resolved", "closed"), ("closed", "in_progress")]  # fmt: skip
    # dismissed and restored
    assert problem(client.patch(url, json={"status": "dismissed"}), 422)["detail"].startswith("dismissed_reason")
    gone = client.patch(url, json={"status": "dismissed", "dismissed_reason": "duplicate"}).json()["case"]
    assert gone["status"] == "dismissed"
    back = client.patch(url, json={"status": "new"}).json()["case"]
    assert (back["status"], back["dismissed_reason"]) == ("new", None)


def test_drafts_are_written_edited_approved_and_published(client: TestClient) -> None:
    detail = cases_by_text(client)["delivery"]
    case_id, place = detail["case"]["id"], detail["places"][0]["mention_id"]
    made = client.post(f"/api/v1/cases/{case_id}/drafts", json={"mention_id": place})
    assert made.status_code == 201, made.text
    draft = made.json()
    assert draft["language"] == "ru" and f"RW-{case_id}" in draft["text"] and "care@acme.example" in draft["text"]
    assert draft["template"] == "ru/delivery.j2" and draft["state"] == "draft"
    agent, lead = as_role(client, "agent"), as_role(client, "lead")
    edited = client.patch(f"/api/v1/drafts/{draft['id']}", json={"text": draft["text"] + "\nАнна", "version": 1},
                          headers=agent).json()  # fmt: skip
    assert edited["version"] == 2
    stale = client.patch(f"/api/v1/drafts/{draft['id']}", json={"text": "другое", "version": 1}, headers=agent)
    assert "version 2" in problem(stale, 409)["detail"]
    assert problem(client.patch(f"/api/v1/drafts/{draft['id']}", json={"state": "approved"}, headers=agent), 403)
    # a reply cannot be published from a draft nobody approved
    unapproved = {"mention_id": place, "text": edited["text"], "draft_id": draft["id"]}
    assert (
        "only an approved draft"
        in problem(client.post(f"/api/v1/cases/{case_id}/replies", json=unapproved), 409)["detail"]
    )
    approved = client.patch(f"/api/v1/drafts/{draft['id']}", json={"state": "approved"}, headers=lead).json()
    assert (approved["state"], approved["approved_by"]) == ("approved", "lead-user")
    # changing approved text sends it back for approval
    back = client.patch(f"/api/v1/drafts/{draft['id']}", json={"text": "Новый текст RW"}, headers=agent).json()
    assert (back["state"], back["approved_by"]) == ("draft", None)
    client.patch(f"/api/v1/drafts/{draft['id']}", json={"state": "approved"}, headers=lead)
    posted = client.post(f"/api/v1/cases/{case_id}/replies", json={**unapproved, "text": "Новый текст RW"})
    assert posted.status_code == 201
    final = client.get(f"/api/v1/cases/{case_id}").json()
    assert final["drafts"][0]["state"] == "published" and final["replies"][0]["draft_id"] == draft["id"]
    assert problem(client.patch(f"/api/v1/drafts/{draft['id']}", json={"text": "x"}), 409)
    # German for the German complaint
    legal = cases_by_text(client)["legal"]
    german = client.post(f"/api/v1/cases/{legal['case']['id']}/drafts",
                         json={"mention_id": legal["places"][0]["mention_id"]}).json()  # fmt: skip
    assert german["language"] == "de" and german["template"] == "de/defect.j2"


def test_a_reply_from_an_approved_draft_takes_the_drafts_text(client: TestClient) -> None:
    detail = cases_by_text(client)["delivery"]
    case_id, place = detail["case"]["id"], detail["places"][0]["mention_id"]
    replies = f"/api/v1/cases/{case_id}/replies"
    neither = problem(client.post(replies, json={"mention_id": place}), 422)
    assert "needs its text, or the draft_id" in neither["detail"]
    draft = client.post(f"/api/v1/cases/{case_id}/drafts", json={"mention_id": place}).json()
    client.patch(f"/api/v1/drafts/{draft['id']}", json={"state": "approved"})
    other = client.post(replies, json={"mention_id": place, "draft_id": draft["id"], "text": "Something else"})
    assert "differs from approved draft" in problem(other, 422)["detail"]
    posted = client.post(replies, json={"mention_id": place, "draft_id": draft["id"]})
    assert posted.status_code == 201, posted.text
    assert (posted.json()["text"], posted.json()["draft_id"]) == (draft["text"], draft["id"])
    assert client.get(f"/api/v1/cases/{case_id}").json()["drafts"][0]["state"] == "published"


def test_queue_rows_have_the_public_fields_in_order() -> None:
    """The queue's JSON is written from queue_rows (api/routers/cases.py): it must be the documented CaseRow's."""
    assert tuple(CaseRow.__dataclass_fields__) == QUEUE_FIELDS


def test_the_queue_filters_sorts_and_pages(client: TestClient) -> None:
    response = client.get("/api/v1/cases", params={"status": "open", "sort": "response_due", "limit": 50})
    assert response.headers["content-type"] == "application/json"
    everything = response.json()
    row = TypeAdapter(CaseRow)
    assert [row.dump_python(row.validate_python(c), mode="json") for c in everything["items"]] == everything["items"]
    dues = [c["response_due_at"] for c in everything["items"]]
    assert len(dues) == 4 and dues == sorted(dues)
    seen, cursor = [], None
    while True:
        params = {"status": "open", "sort": "response_due", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/cases", params=params).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [c["id"] for c in everything["items"]]
    urgent = client.get("/api/v1/cases", params={"priority": ["urgent", "high"]}).json()["items"]
    assert {c["priority"] for c in urgent} == {"urgent", "high"} and len(urgent) == 2
    assert len(client.get("/api/v1/cases", params={"q": "КУРЬЕР НЕ"}).json()["items"]) == 1  # Cyrillic, any case
    assert len(client.get("/api/v1/cases", params={"q": "50%_"}).json()["items"]) == 0  # LIKE wildcards are text
    assert len(client.get("/api/v1/cases", params={"assignee": "-"}).json()["items"]) == 4
    assert len(client.get("/api/v1/cases", params={"category": "delivery", "language": "ru"}).json()["items"]) == 1
    assert len(client.get("/api/v1/cases", params={"source": "board", "sla": "running"}).json()["items"]) == 4
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert client.get("/api/v1/cases", params={"opened_from": future}).json()["items"] == []
    newest = client.get("/api/v1/cases", params={"limit": 1}).json()["next_cursor"]
    assert (
        "sort=response_due"
        in problem(client.get("/api/v1/cases", params={"sort": "response_due", "cursor": newest}), 400)["detail"]
    )


@pytest.mark.parametrize(
    "method, path, body, params, status",
    [
        ("patch", "/api/v1/cases/{id}", {"status": "flying"}, None, 422),
        ("patch", "/api/v1/cases/{id}", {"colour": "red"}, None, 422),
        ("patch", "/api/v1/cases/{id}", {"dismissed_reason": "spam"}, None, 400),
        ("patch", "/api/v1/cases/999999", {"assignee": "anna"}, None, 404),
        ("post", "/api/v1/cases/{id}/replies", {"mention_id": 999999, "text": "x"}, None, 422),
        ("post", "/api/v1/cases/{id}/replies", {"mention_id": 1, "text": ""}, None, 422),
        (
            "post",
            "/api/v1/cases/{id}/replies",
            {"mention_id": "{place}", "text": "x", "posted_at": "2099-01-01T00:00:00Z"},
            None,
            422,
        ),
        (
            "post",
            "/api/v1/cases/{id}/replies",
            {"mention_id": "{place}", "text": "x", "posted_at": "2026-11-22T10:00:00"},
            None,
            400,
        ),
        (
            "post",
            "/api/v1/cases/{id}/replies",
            {"mention_id": "{place}", "text": "x", "url": "javascript:alert(1)"},
            None,
            422,
        ),
        ("post", "/api/v1/cases/{id}/drafts", {"mention_id": 999999}, None, 422),
        ("post", "/api/v1/cases/{id}/drafts", {"mention_id": "{place}", "language": "xx-long"}, None, 422),
        ("patch", "/api/v1/drafts/999999", {"state": "approved"}, None, 404),
        ("get", "/api/v1/cases", None, {"opened_from": "2026-11-22T10:00:00"}, 400),
        ("get", "/api/v1/cases", None, {"sort": "sideways"}, 422),
        ("get", "/api/v1/cases", None, {"cursor": "%%%"}, 400),
        ("get", "/api/v1/cases", None, {"q": "x" * 201}, 422),
    ],
)
def test_bad_desk_requests_get_precise_problems(
    client: TestClient, method: str, path: str, body: dict | None, params: dict | None, status: int
) -> None:
    detail = cases_by_text(client)["delivery"]
    case_id, place = detail["case"]["id"], detail["places"][0]["mention_id"]
    if body:
        body = {k: (place if v == "{place}" else v) for k, v in body.items()}
    kwargs = {"params": params} if params else {}
    if body is not None:
        kwargs["json"] = body
    response = getattr(client, method)(path.format(id=case_id), **kwargs)
    problem(response, status)
