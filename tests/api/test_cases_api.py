"""Cases, customers and brand assignment through the API, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from monitor.config import parse_config
from monitor.core.settings import Settings
from monitor.worker.jobs import process_cases
from monitor.worker.poller import utcnow
from tests.support.api import problem
from tests.support.factories import authorize, rss
from tests.support.loopback import LoopbackServer, static

FRIDGE = (
    "Купил холодильник в Акме 3 ноября, заказ 7731-220, через неделю перестал морозить. Сервис третий раз "
    "переносит визит мастера, на звонки не отвечают. Требую замену или возврат денег."
)
REPOST = FRIDGE.replace(", через", ",\nчерез") + " 😡 -- Иван Петров"
OTHER = "Интернет-провайдер не работает второй день, техподдержка молчит, деньги списали."
REGISTER = (
    "external_id,full_name,nicknames,emails,phones,orders,city,tier,lifetime_value\n"
    "c-1,Петров Иван Сергеевич,Ваня,ivan.petrov@mail.example,+7 912 345-67-89,7731-220,Москва,gold,125000\n"
    "c-2,Anna Schmidt,,anna@shop.example,,AC-55120,Berlin,silver,900\n"
    "c-3,,,,,,,,\n"
    "c-4,Ольга Сидоренко,,not-an-email,,,Киев,,\n"
)


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    feeds = {
        "/board.rss": static(rss([("1", "Холодильник", FRIDGE)]), content_type="application/rss+xml"),
        "/forum.rss": static(rss([("9", "", REPOST), ("10", "Провайдер", OTHER)]), content_type="application/rss+xml"),
    }
    with LoopbackServer(feeds) as server:
        config = parse_config(
            "http: {per_host_delay: 0s, retries: 0, allow_networks: [127.0.0.0/8, '::1/128']}\n"
            "brands:\n"
            "  - {key: acme, name: Acme, names: [Акме], country: RU, order_pattern: '\\b\\d{4}-\\d{3}\\b'}\n"
            "  - {key: other, name: Other}\n"
            "sources:\n"
            f"  - {{key: board, kind: feed, url: '{server.url('/board.rss')}', interval: 15m, brand: acme}}\n"
            f"  - {{key: forum, kind: feed, url: '{server.url('/forum.rss')}', interval: 15m}}\n",
            env={},
        )
        app = create_app(config, Settings(database_url=db_url))
        with TestClient(app) as c:
            authorize(c)
            yield c


def poll_and_process(client: TestClient) -> None:
    poller = client.app.state.poller
    client.portal.call(poller.run_due)
    process_cases(sessions=client.app.state.sessions, config=client.app.state.config, now=utcnow())


def import_register(client: TestClient) -> dict:
    response = client.post("/api/v1/customers/import", params={"brand": "acme"}, content=REGISTER.encode(),
                           headers={"Content-Type": "text/csv"})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def test_register_import_reports_bad_rows_and_keeps_good_ones(client: TestClient) -> None:
    report = import_register(client)
    assert (report["read"], report["created"], len(report["errors"])) == (4, 2, 2)
    assert [(e["line"], e["external_id"]) for e in report["errors"]] == [(4, "c-3"), (5, "c-4")]
    assert "not-an-email" in report["errors"][1]["reason"]
    again = import_register(client)
    assert (again["created"], again["unchanged"]) == (0, 2)
    found = client.get("/api/v1/customers", params={"q": "Иван Петров"}).json()["items"]
    assert [c["external_id"] for c in found] == ["c-1"]
    assert client.get("/api/v1/customers", params={"q": "+79123456789"}).json()["items"][0]["external_id"] == "c-1"
    assert len(client.get("/api/v1/customers", params={"brand": "acme"}).json()["items"]) == 2


@pytest.mark.parametrize(
    ("body", "content_type", "status", "detail"),
    [
        (b"", "text/csv", 400, "empty"),
        (b"external_id,full_name\n1,x\n", "application/pdf", 415, "text/csv"),
        (
            "external_id,full_name\nc-9,Jürgen Müller\n".encode("latin-1"),
            "text/csv",
            400,
            "is not UTF-8; save the file as UTF-8",
        ),
        (b"name_only\nx\n", "text/csv", 400, "cannot be read"),
    ],
)
def test_bad_register_uploads_are_refused_precisely(
    client: TestClient, body: bytes, content_type: str, status: int, detail: str
) -> None:
    response = client.post(
        "/api/v1/customers/import", params={"brand": "acme"}, content=body, headers={"Content-Type": content_type}
    )
    assert detail in problem(response, status)["detail"]
    problem(
        client.post(
            "/api/v1/customers/import", params={"brand": "nope"}, content=b"x", headers={"Content-Type": "text/csv"}
        ),
        404,
    )


def test_cases_form_link_customers_and_take_staff_decisions(client: TestClient) -> None:
    import_register(client)
    poll_and_process(client)
    cases = client.get("/api/v1/cases").json()["items"]
    assert len(cases) == 1 and cases[0]["places"] == 2 and cases[0]["brand"] == "acme"
    case_id = cases[0]["id"]
    detail = client.get(f"/api/v1/cases/{case_id}").json()
    assert [p["joined_by"] for p in detail["places"]] == ["opened", "duplicate"]
    assert detail["case"]["customer_state"] == "auto" and detail["case"]["customer_name"] == "Петров Иван Сергеевич"
    assert any("7731-220" in r for r in detail["candidates"][0]["reasons"])
    assert [e["kind"] for e in detail["timeline"]][:2] == ["case.opened", "customer.linked"]

    # The provider complaint names no brand: unassigned, until staff assign it.
    unassigned = client.get("/api/v1/mentions", params={"unassigned": True}).json()["items"]
    assert [m["body"] for m in unassigned] == [OTHER]
    assigned = client.put(f"/api/v1/mentions/{unassigned[0]['id']}/brand", json={"brand": "other"})
    assert assigned.status_code == 200 and assigned.json()["case"]["brand"] == "other"
    problem(client.put(f"/api/v1/mentions/{unassigned[0]['id']}/brand", json={"brand": "other"}), 409)

    repost_id = detail["places"][1]["mention_id"]
    split = client.post(f"/api/v1/cases/{case_id}/split", json={"mention_ids": [repost_id]})
    assert split.status_code == 201
    new_id = split.json()["case"]["id"]
    merged = client.post(f"/api/v1/cases/{case_id}/merge", json={"case_id": new_id}).json()
    assert merged["case"]["places"] == 2 and [e["kind"] for e in merged["timeline"]][-2:] == [
        "case.split",
        "case.merged",
    ]
    problem(client.post(f"/api/v1/cases/{new_id}/split", json={"mention_ids": [repost_id]}), 409)

    rejected = client.put(
        f"/api/v1/cases/{case_id}/customer",
        json={"customer_id": detail["candidates"][0]["customer_id"], "action": "reject"},
    ).json()
    assert rejected["case"]["customer_id"] is None and rejected["candidates"][0]["state"] == "rejected"
    anna = client.get("/api/v1/customers", params={"q": "anna@shop.example"}).json()["items"][0]
    confirmed = client.put(
        f"/api/v1/cases/{case_id}/customer", json={"customer_id": anna["id"], "action": "confirm"}
    ).json()
    assert confirmed["case"]["customer_state"] == "confirmed" and confirmed["case"]["customer_id"] == anna["id"]


@pytest.mark.parametrize(
    ("method", "path", "json", "status"),
    [
        ("GET", "/api/v1/cases/999999", None, 404),
        ("GET", "/api/v1/cases/0", None, 422),
        ("GET", "/api/v1/cases/abc", None, 422),
        ("POST", "/api/v1/cases/999999/split", {"mention_ids": [1]}, 404),
        ("POST", "/api/v1/cases/1/split", {"mention_ids": []}, 422),
        ("POST", "/api/v1/cases/1/split", {"mention_ids": "1"}, 422),
        ("POST", "/api/v1/cases/1/merge", {"case_id": 1, "extra": True}, 422),
        ("PUT", "/api/v1/cases/1/customer", {"customer_id": 1, "action": "maybe"}, 422),
        ("PUT", "/api/v1/mentions/999999/brand", {"brand": "acme"}, 404),
        ("PUT", "/api/v1/mentions/1/brand", {"brand": "Not A Key"}, 422),
        ("GET", "/api/v1/cases?customer_state=unknown", None, 422),
        ("GET", "/api/v1/customers?q=x", None, 422),
        ("GET", "/api/v1/customers?brand=nope", None, 404),
    ],
)
def test_bad_case_requests(client: TestClient, method: str, path: str, json, status: int) -> None:
    problem(client.request(method, path, json=json), status)


# The fields of the read bodies, in the order the API has always sent them. The bodies are monitor's
# dataclasses (SourceRow, PollRow, PollResult, CaseDetail and its parts): a field renamed, moved or added
# there changes the API, and this says so.
FIELDS = {
    "source": "key kind url brand language weight interval_seconds active health error_count last_error_class "
    "last_error last_warning last_poll_at last_success_at last_http_status last_items next_poll_at polling_now reason reason_kind",
    "poll": "id source started_at finished_at outcome worker http_status pages bytes_read items_seen items_new "
    "items_updated items_skipped error_class error_message warnings duration_ms field_fill",
    "poll_result": "source poll_id outcome http_status items_seen items_new items_updated error duration_ms",
    "detail": "case places candidates drafts replies timeline promises",
    "case": "id brand status title language opened_at last_mention_at places customer_id customer_name "
    "customer_state merged_into_id updated_at category priority priority_reasons priority_by assignee "
    "response_due_at response_sla first_reply_at resolution_due_at resolution_sla resolved_at closed_at "
    "dismissed_reason places_answered places_unanswered next_place_due_at promise_due_at promise_state",
    "place": "mention_id source url title body author language published_at first_seen_at joined_by similarity "
    "reply_state clock_from reply_due_at reply_sla replied_at "
    "tone tone_reasons",
    "candidate": "customer_id external_id full_name city tier lifetime_value score reasons state",
    "draft": "id mention_id kind language text template notes state version created_by created_at updated_at "
    "approved_by approved_at promised_at",
    "reply": "id mention_id draft_id kind text url posted_at recorded_by verify_state verified_at",
    "timeline": "at actor kind mention_id data",
}


def test_read_bodies_keep_their_fields_and_their_json(client: TestClient) -> None:
    import_register(client)
    poll_and_process(client)
    case_id = client.get("/api/v1/cases").json()["items"][0]["id"]
    mention_id = client.get(f"/api/v1/cases/{case_id}").json()["places"][0]["mention_id"]
    draft = client.post(f"/api/v1/cases/{case_id}/drafts", json={"mention_id": mention_id})
    reply = client.post(f"/api/v1/cases/{case_id}/replies", json={"mention_id": mention_id, "text": "Разберёмся."})
    responses = {
        "sources": client.get("/api/v1/sources"),
        "source": client.get("/api/v1/sources/board"),
        "polls": client.get("/api/v1/sources/board/polls"),
        "poll_result": client.post("/api/v1/sources/board/poll"),
        "draft": draft,
        "reply": reply,
        "detail": client.get(f"/api/v1/cases/{case_id}"),
    }
    for name, response in responses.items():
        assert response.status_code in (200, 201), (name, response.text)
        # Compact, non-ASCII as UTF-8: what pydantic writes, for FastAPI or the detail's own dump.
        assert response.content == json.dumps(response.json(), ensure_ascii=False, separators=(",", ":")).encode()
    body = {name: response.json() for name, response in responses.items()}
    detail = body["detail"]
    shapes = {
        "source": [*body["sources"], body["source"]], "poll": body["polls"]["items"],
        "poll_result": [body["poll_result"]], "detail": [detail], "case": [detail["case"]],
        "place": detail["places"], "candidate": detail["candidates"], "draft": [body["draft"], *detail["drafts"]],
        "reply": [body["reply"], *detail["replies"]], "timeline": detail["timeline"],
    }  # fmt: skip
    for name, objects in shapes.items():
        assert objects, name
        assert {" ".join(o) for o in objects} == {FIELDS[name]}, name
    # date-times in UTC with Z, as pydantic writes an aware UTC datetime
    times = [v for group in shapes.values() for o in group for k, v in o.items() if k == "at" or k.endswith("_at")]
    assert len(times) > 40 and all(t is None or t.endswith("Z") for t in times)
