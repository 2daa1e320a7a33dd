"""The per-place desk in the inbox: places answered and the next place's deadline in the queue, its filters and
order, each place's own clock and promises on the case page, promises set by staff, candidates as percentages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from monitor.core.db import session_scope
from monitor.models import Case, CaseCandidate, Customer
from tests.support.api import DELIVERY, SAFETY, desk_client
from tests.support.web import sign_in

# The same complaint posted three times (as on three sites), merged by a lead into one case of three places; and
# a case of one place.
ITEMS = [("1", "Заказ 7731-220 не пришёл", DELIVERY), ("2", "Где заказ 7731-220?", DELIVERY + " Пишу второй раз."),
         ("3", "Акме, ответьте про 7731-220", DELIVERY + " Пишу уже третий раз."), ("4", "Чайник загорелся", SAFETY)]  # fmt: skip
ANSWER = "Здравствуйте! Мы нашли ваш заказ 7731-220, курьер привезёт его завтра. RW-7"


def _cases(client: TestClient, query: str = "status=any") -> list[tuple[int, str]]:
    """(case id, the places cell's text) of each row on a queue page, in order."""
    html = client.get(f"/inbox?{query}").text
    return [(int(i), text) for i, text in re.findall(
        r'<td><a href="/inbox/cases/(\d+)">.*?<td class="places"><span class="\w+">([^<]+)</span>', html, re.S)]  # fmt: skip


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    """The desk with the three posts of the same complaint merged through the API into one case (the client is
    then signed out of the API: each test signs in to the inbox)."""
    with desk_client(db_url, "lead", ITEMS) as c:
        found = c.get("/api/v1/cases", params={"q": "7731-220", "sort": "oldest"}).json()["items"]
        assert len(found) == 3, found
        for other in found[1:]:
            merged = c.post(f"/api/v1/cases/{found[0]['id']}/merge", json={"case_id": other["id"]})
            assert merged.status_code == 200, merged.text
        c.headers.pop("Authorization", None)
        yield c


def _three(client: TestClient) -> tuple[int, list[int]]:
    [(case, _)] = [(c, t) for c, t in _cases(client) if "of 3 places" in t]
    places = re.findall(r'<article class="place" id="place-(\d+)"', client.get(f"/inbox/cases/{case}").text)
    return case, [int(p) for p in places]


def _utc_field(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")  # as <input type=datetime-local> sends it


def test_a_three_place_case_answered_on_one_place_is_one_of_three(client: TestClient) -> None:
    csrf = sign_in(client, "agent", "Olena")
    rows = _cases(client)
    assert sorted(t for _, t in rows) == ["0 of 1 place answered", "0 of 3 places answered"], rows
    case, places = _three(client)
    page = client.get(f"/inbox/cases/{case}").text
    assert page.count('class="reply-state rs-unanswered"') == 3 and "0 of 3 places answered" in page
    assert "Next place due:" in page and page.count("this place&#39;s first reply: running") == 3

    page = client.post(f"/inbox/cases/{case}/replies", data={"csrf": csrf, "mention_id": places[0], "text": ANSWER,
                                                             "url": "https://board.example/c/1#r"}).text  # fmt: skip
    assert "The reply was recorded." in page and '<span id="places-answered">1 of 3 places answered' in page
    states = re.findall(r'class="reply-state rs-(\w+)"', page)
    assert states == ["replied", "unanswered", "unanswered"]
    clocks = re.findall(r"this place&#39;s first reply: (\w+)", page)
    assert clocks == ["met", "running", "running"]
    assert dict(_cases(client))[case] == "1 of 3 places answered"


def test_the_queue_filters_and_sorts_by_unanswered_places(client: TestClient) -> None:
    csrf = sign_in(client, "agent")
    case, _ = _three(client)
    ordered = _cases(client, "status=open&sort=unanswered_places")
    assert ordered[0][0] == case  # three places waiting before one
    single = next(c for c, _ in ordered if c != case)
    single_place = re.findall(r'id="place-(\d+)"', client.get(f"/inbox/cases/{single}").text)[0]
    client.post(f"/inbox/cases/{single}/replies", data={"csrf": csrf, "mention_id": single_place, "text": ANSWER})
    assert [c for c, _ in _cases(client, "status=open&unanswered_places=true")] == [case]
    assert [c for c, _ in _cases(client, "status=open&place_sla=met")] == [single]
    assert {c for c, _ in _cases(client, "status=open&place_sla=running")} == {case}
    tab = client.get("/inbox").text
    href = re.findall(r'<a href="([^"]+)"[^>]*>Places waiting</a>', tab)[0].replace("&amp;", "&")
    waiting = client.get(href).text
    assert re.search(r'aria-current="page">Places waiting<', waiting)
    assert [int(i) for i in re.findall(r'<td><a href="/inbox/cases/(\d+)">', waiting)] == [case]
    assert '<option value="unanswered_places" selected>' in waiting
    for bad, name in (("unanswered_places=maybe", "unanswered_places"), ("place_sla=late", "place_sla"),
                      ("sort=places", "sort"), ("place_sla=" + "x" * 10_000, "place_sla")):  # fmt: skip
        answer = client.get(f"/inbox?{bad}")
        assert answer.status_code == 422 and name in answer.text, bad


def test_staff_set_a_promise_and_a_reply_carries_one(client: TestClient) -> None:
    csrf = sign_in(client, "agent", "Olena")
    case, places = _three(client)
    due = datetime.now(UTC) + timedelta(days=2)
    page = client.post(f"/inbox/cases/{case}/promises", data={"csrf": csrf, "mention_id": places[1],
                                                              "due_at": _utc_field(due)}).text  # fmt: skip
    assert "The promise was recorded" in page
    promised = re.findall(r'<article class="place" id="place-(\d+)".*?</article>', page, re.S)
    assert len(promised) == 3
    block = re.search(rf'id="place-{places[1]}".*?</article>', page, re.S)
    assert block and f'promised <time datetime="{due.replace(second=0, microsecond=0).isoformat()}' in block.group()
    assert "<strong>open</strong>" in block.group() and "staff" in block.group() and "by Olena" in block.group()

    later = datetime.now(UTC) + timedelta(days=4)
    page = client.post(f"/inbox/cases/{case}/replies", data={
        "csrf": csrf, "mention_id": places[0], "text": "Здравствуйте! Мы разбираемся с доставкой. RW-8",
        "promise_due_at": _utc_field(later),
    }).text  # fmt: skip
    assert "The reply was recorded." in page
    block = re.search(rf'id="place-{places[0]}".*?</article>', page, re.S)
    assert block and later.strftime("%Y-%m-%d %H:%M UTC") in block.group()
    row = re.search(rf'<a href="/inbox/cases/{case}">.*?</tr>', client.get("/inbox?status=any").text, re.S)
    assert row and "promise in " in row.group()


@pytest.mark.parametrize(("due", "status", "says"), [
    ("2001-01-05T17:00", 422, "not in the future"),
    ("", 422, "due_at"),
    ("tomorrow", 422, "due_at"),
    ("9" * 5000, 422, "due_at"),
    ("2026-13-45T99:99", 422, "due_at"),
])  # fmt: skip
def test_bad_promise_dates_are_refused_with_the_reason(client: TestClient, due: str, status: int, says: str) -> None:
    csrf = sign_in(client, "agent")
    case, places = _three(client)
    answer = client.post(f"/inbox/cases/{case}/promises", data={"csrf": csrf, "mention_id": places[0], "due_at": due})
    assert answer.status_code == status and says in answer.text, answer.text[-2000:]
    assert "<strong>open</strong>" not in client.get(f"/inbox/cases/{case}").text  # nothing was recorded


def test_a_promise_needs_the_agent_role_a_csrf_token_and_a_place_of_the_case(client: TestClient) -> None:
    due = _utc_field(datetime.now(UTC) + timedelta(days=1))
    viewer = sign_in(client, "viewer")
    case, places = _three(client)
    assert "Set a promise date" not in client.get(f"/inbox/cases/{case}").text
    answer = client.post(f"/inbox/cases/{case}/promises", data={"csrf": viewer, "mention_id": places[0], "due_at": due})
    assert answer.status_code == 403 and "needs the agent role" in answer.text
    agent = sign_in(client, "agent")
    assert "Set a promise date" in client.get(f"/inbox/cases/{case}").text
    answer = client.post(f"/inbox/cases/{case}/promises", data={"mention_id": places[0], "due_at": due})
    assert answer.status_code == 403 and "security token does not match" in answer.text
    answer = client.post(f"/inbox/cases/{case}/promises", data={"csrf": agent, "mention_id": 10**9, "due_at": due})
    assert answer.status_code == 422 and "is not a place of case" in answer.text
    answer = client.post("/inbox/cases/999999/promises", data={"csrf": agent, "due_at": due})
    assert answer.status_code == 404


def test_candidates_show_their_probability_as_a_percentage_with_reasons(client: TestClient) -> None:
    sign_in(client, "viewer")
    case, _ = _three(client)
    with session_scope(client.app.state.sessions) as session:
        brand, now = session.scalar(sa.select(Case.brand_id).where(Case.id == case)), datetime.now(UTC)
        for n, (name, score) in enumerate((("Иван Петров", 0.873), ("Ірина Коваль", 0.004), ("Anna Schmidt", 0.0))):
            customer = Customer(brand_id=brand, external_id=f"C-{n}", full_name=name, created_at=now, updated_at=now)
            session.add(customer)
            session.flush()
            session.add(CaseCandidate(case_id=case, customer_id=customer.id, score=score,
                                      reasons=["order number 7731-220", "name"], state="suggested", created_at=now))  # fmt: skip
    page = client.get(f"/inbox/cases/{case}").text
    cells = re.findall(r'<td class="score" title="probability [^"]+">([^<]+)</td><td>([^<]*)</td>', page)
    assert cells == [("87%", "order number 7731-220, name"), ("&lt;1%", "order number 7731-220, name"),
                     ("0%", "order number 7731-220, name")]  # fmt: skip
