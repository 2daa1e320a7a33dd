"""Places and promises through the API: counts in the queue and the case, the queue's filter and sort, promises."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.support.api import desk_client, problem
from tests.support.factories import authorize


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    with desk_client(db_url, "admin") as c:
        yield c


def _first_case(client: TestClient) -> tuple[int, int]:
    item = client.get("/api/v1/cases", params={"sort": "oldest", "limit": 1}).json()["items"][0]
    detail = client.get(f"/api/v1/cases/{item['id']}").json()
    return item["id"], detail["places"][0]["mention_id"]


def test_the_queue_and_the_case_count_places_answered(client: TestClient) -> None:
    items = client.get("/api/v1/cases", params={"status": "open"}).json()["items"]
    assert items and all(i["places_answered"] == 0 and i["places_unanswered"] == i["places"] for i in items)
    assert all(i["next_place_due_at"] and i["promise_due_at"] is None for i in items)
    case_id, place = _first_case(client)
    body = {"mention_id": place, "text": "Здравствуйте! Решим вопрос в течение двух рабочих дней. RW-1"}
    assert client.post(f"/api/v1/cases/{case_id}/replies", json=body).status_code == 201
    detail = client.get(f"/api/v1/cases/{case_id}").json()
    assert (detail["case"]["places_answered"], detail["case"]["places_unanswered"]) == (1, 0)
    assert detail["places"][0]["reply_state"] == "replied" and detail["places"][0]["reply_sla"] == "met"
    [promise] = detail["promises"]
    assert (promise["state"], promise["origin"], promise["phrase"]) == ("open", "phrase", "в течение двух рабочих дней")
    assert detail["case"]["promise_due_at"] == promise["due_at"] and detail["case"]["promise_state"] == "open"
    waiting = client.get("/api/v1/cases", params={"unanswered_places": "true", "limit": 50}).json()["items"]
    assert case_id not in [i["id"] for i in waiting] and len(waiting) == len(items) - 1
    ordered = client.get("/api/v1/cases", params={"sort": "unanswered_places", "limit": 2}).json()
    assert ordered["items"][0]["places_unanswered"] >= ordered["items"][1]["places_unanswered"]
    rest = client.get("/api/v1/cases", params={"sort": "unanswered_places", "cursor": ordered["next_cursor"]}).json()
    seen = [i["id"] for i in ordered["items"] + rest["items"]]
    assert sorted(seen) == sorted(i["id"] for i in client.get("/api/v1/cases").json()["items"])
    assert rest["items"][-1]["id"] == case_id  # the only case with nothing waiting comes last


@pytest.mark.parametrize("params", [{"unanswered_places": "maybe"}, {"place_sla": "late"}, {"sort": "places"}])
def test_bad_queue_parameters_are_422(client: TestClient, params: dict) -> None:
    body = problem(client.get("/api/v1/cases", params=params), 422)
    assert next(iter(params)) in body["detail"]  # the error names the parameter


def test_staff_set_a_promise_and_bad_ones_are_refused(client: TestClient) -> None:
    case_id, place = _first_case(client)
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    made = client.post(f"/api/v1/cases/{case_id}/promises", json={"due_at": due, "mention_id": place})
    assert made.status_code == 201, made.text
    assert made.json()["origin"] == "staff" and made.json()["state"] == "open"
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert "not in the future" in problem(client.post(f"/api/v1/cases/{case_id}/promises", json={"due_at": past}),
                                          422)["detail"]  # fmt: skip
    assert "not a place" in problem(client.post(f"/api/v1/cases/{case_id}/promises",
                                                json={"due_at": due, "mention_id": 10**9}), 422)["detail"]  # fmt: skip
    naive = datetime.now() + timedelta(days=1)
    problem(client.post(f"/api/v1/cases/{case_id}/promises", json={"due_at": naive.isoformat()}), 400)
    for body in ({"due_at": "next tuesday"}, {"due_at": due, "extra": 1}, {}, {"due_at": "9" * 10_000},
                 {"due_at": due, "mention_id": -1}, {"due_at": "2999-01-01T00:00:00Z"}):  # fmt: skip
        assert client.post(f"/api/v1/cases/{case_id}/promises", json=body).status_code == 422, body
    problem(client.post("/api/v1/cases/999999/promises", json={"due_at": due}), 404)
    resp = client.post(
        f"/api/v1/cases/{case_id}/promises", content=b"\xff\xfe{", headers={"content-type": "application/json"}
    )
    assert resp.status_code in (400, 422)


def test_a_reply_may_carry_the_promised_date_and_viewers_cannot_promise(client: TestClient) -> None:
    case_id, place = _first_case(client)
    due = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    body = {"mention_id": place, "text": "Мы на связи. RW-1", "promise_due_at": due.isoformat()}
    assert client.post(f"/api/v1/cases/{case_id}/replies", json=body).status_code == 201
    [promise] = client.get(f"/api/v1/cases/{case_id}").json()["promises"]
    assert promise["origin"] == "staff" and datetime.fromisoformat(promise["due_at"]) == due
    authorize(client, "viewer")
    problem(client.post(f"/api/v1/cases/{case_id}/promises", json={"due_at": due.isoformat()}), 403)
