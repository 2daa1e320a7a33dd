"""Working a case through the inbox's forms: each change by the API's rules, each refusal a page that says why."""

from __future__ import annotations

import re

import pytest

from tests.support.api import DELIVERY, desk_client
from tests.support.web import sign_in

# A complaint that carries markup: the feed's text is HTML-escaped once more, so the stored text holds the tags
# as characters (a feed's own <script> is dropped by the parser before we ever see it).
HOSTILE = ('Acme ruined my order &lt;script&gt;document.title="owned"&lt;/script&gt; '
           '&lt;img src=x onerror=alert(1)&gt; "quoted" &amp; \'single\'')  # fmt: skip


def _case_id(client) -> int:  # type: ignore[no-untyped-def]
    return int(re.findall(r'<td><a href="/inbox/cases/(\d+)">', client.get("/inbox?status=any&q=Заказ").text)[0])


def _place(html: str) -> str:
    return re.findall(r'name="mention_id" value="(\d+)"', html)[0]


def test_an_agent_and_a_lead_work_a_case_from_new_to_resolved(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        agent = sign_in(client, "agent", "Olena")
        case = _case_id(client)
        page = client.get(f"/inbox/cases/{case}").text
        place = _place(page)
        assert DELIVERY in page and "open the place" in page

        answer = client.post(f"/inbox/cases/{case}/change", data={"csrf": agent, "assignee": "Olena"})
        assert answer.status_code == 200 and "The case was changed." in answer.text  # after the redirect
        assert "<dd>Olena</dd>" in answer.text
        page = client.post(f"/inbox/cases/{case}/change", data={"csrf": agent, "priority": "urgent"}).text
        assert "<dd>urgent" in page

        page = client.post(f"/inbox/cases/{case}/drafts", data={"csrf": agent, "mention_id": place}).text
        assert "A draft was written" in page
        draft, version = re.findall(r'action="/inbox/drafts/(\d+)">\s*<input type="hidden" name="csrf" value="[^"]+">'
                                    r'<input type="hidden" name="version" value="(\d+)">', page)[0]  # fmt: skip
        text = "Здравствуйте! Мы нашли ваш заказ 7731-220 и передали его курьеру, он приедет завтра."
        page = client.post(f"/inbox/drafts/{draft}", data={"csrf": agent, "version": version, "text": text}).text
        assert "The draft was saved." in page and text in page
        refused = client.post(f"/inbox/drafts/{draft}", data={"csrf": agent, "state": "approved"})
        assert refused.status_code == 403 and "only a lead or an admin may approve a draft" in refused.text

        lead = sign_in(client, "lead", "Mariam")
        page = client.post(f"/inbox/drafts/{draft}", data={"csrf": lead, "state": "approved"}).text
        assert "The draft was approved." in page and "approved by Mariam" in page

        sign_in(client, "agent", "Olena")
        agent = re.findall(r'name="csrf" value="([^"]+)"', client.get("/inbox").text)[0]
        page = client.post(f"/inbox/cases/{case}/replies", data={
            "csrf": agent, "mention_id": place, "draft_id": draft, "url": "https://board.example/c/1#reply",
        }).text  # fmt: skip
        assert "The reply was recorded." in page and 'id="case-status">acknowledged' in page
        assert re.search(r'id="response-clock"><span class="clock sla-met"', page)  # the first reply's clock stopped
        page = client.post(f"/inbox/cases/{case}/replies", data={
            "csrf": agent, "mention_id": place, "text": "Курьер доставил заказ, спасибо за терпение.",
            "closing": "on", "posted_at": "2026-11-22T12:00",
        }).text  # fmt: skip
        assert 'id="case-status">resolved' in page
        assert re.search(r'id="resolution-clock"><span class="clock sla-(met|missed)"', page)
        assert "2026-11-22 12:00 UTC" in page  # posted_at from a datetime-local field is UTC
        kinds = re.findall(r"<strong>([a-z_.]+)</strong> by", page)
        assert {"reply.recorded", "draft.approved"} <= set(kinds) or len(kinds) >= 5


def test_a_refused_change_is_the_case_page_with_the_reason_and_nothing_changed(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        agent = sign_in(client, "agent")
        case = _case_id(client)
        refused = client.post(f"/inbox/cases/{case}/change", data={"csrf": agent, "status": "closed"})
        assert refused.status_code == 409 and "#" in refused.text and 'role="alert"' in refused.text
        dismissed = client.post(f"/inbox/cases/{case}/change", data={"csrf": agent, "status": "dismissed",
                                                                      "dismissed_reason": "spam"})  # fmt: skip
        assert dismissed.status_code == 403 and "only a lead or an admin may dismiss" in dismissed.text
        assert 'id="case-status">new' in client.get(f"/inbox/cases/{case}").text


@pytest.mark.parametrize(("data", "status", "words"), [
    ({"priority": "whenever"}, 422, "priority"),
    ({"assignee": "Ann\u0000a"}, 422, "control characters"),
    ({"assignee": "x" * 129}, 422, "assignee"),
    ({"note": "n" * 2001, "status": "dismissed"}, 422, "note"),
    ({"dismissed_reason": "spam"}, 400, "goes with the status dismissed"),
    ({"wat": "1"}, 422, "wat"),
])  # fmt: skip
def test_a_form_value_that_does_not_fit_names_the_field(db_url: str, data: dict, status: int, words: str) -> None:
    with desk_client(db_url, "viewer") as client:
        agent = sign_in(client, "agent")
        case = _case_id(client)
        page = client.post(f"/inbox/cases/{case}/change", data={"csrf": agent, **data})
        assert page.status_code == status and words in page.text, page.text[-800:]


def test_hostile_bodies_are_refused_before_any_change(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        agent = sign_in(client, "agent")
        case = _case_id(client)
        url = f"/inbox/cases/{case}/replies"
        form = {"content-type": "application/x-www-form-urlencoded"}
        checks = [
            (client.post(url, content=b"csrf=" + agent.encode() + b"&text=\xff\xfe", headers=form), 400, "not UTF-8"),
            (client.post(url, content=f"csrf={agent}&text=%FF%FE".encode(), headers=form), 400, "not UTF-8"),
            (client.post(url, json={"csrf": agent, "text": "x"}), 415, "application/x-www-form-urlencoded"),
            (client.post(url, content=("&".join(f"f{i}=1" for i in range(100))).encode(), headers=form), 400,
             "more than 64 fields"),
            (client.post(url, data={"csrf": agent, "mention_id": "1", "text": "ok", "url": "javascript:alert(1)"}), 422,
             "url"),
            (client.post(url, data={"csrf": agent, "mention_id": "99999", "text": "ok"}), 422, "not a place of case"),
            (client.post(url, data={"csrf": agent, "mention_id": "1"}), 422, "draft_id"),
            (client.post(url, data={"csrf": agent, "mention_id": "1", "text": "x" * 20_001}), 422, "text"),
        ]  # fmt: skip
        for response, status, words in checks:
            assert response.status_code == status and words in response.text, (status, words, response.text[-600:])
        huge = client.post(url, data={"csrf": agent, "text": "я" * 400_000})
        assert huge.status_code == 413  # api/guard.py caps every body before the app reads it
        assert 'id="case-status">new' in client.get(f"/inbox/cases/{case}").text


def test_every_form_needs_the_session_csrf_token(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        sign_in(client, "admin")
        case = _case_id(client)
        before = client.get(f"/inbox/cases/{case}").text.split("<h2>Timeline</h2>")[0]
        for path, data in [(f"/inbox/cases/{case}/change", {"priority": "urgent"}),
                           (f"/inbox/cases/{case}/drafts", {"mention_id": "1"}),
                           (f"/inbox/cases/{case}/replies", {"mention_id": "1", "text": "hi"}),
                           (f"/inbox/cases/{case}/customer", {"customer_id": "1", "action": "confirm"}),
                           ("/inbox/drafts/1", {"state": "approved"}), ("/inbox/sources/board/poll", {}),
                           ("/inbox/alerts/1/retry", {})]:  # fmt: skip
            for token in (None, "", "forged-token"):
                sent = data if token is None else {**data, "csrf": token}
                answer = client.post(path, data=sent)
                assert answer.status_code == 403 and "security token does not match" in answer.text, path
        after = client.get(f"/inbox/cases/{case}").text.split("<h2>Timeline</h2>")[0]
        strip = lambda html: re.sub(r'name="csrf" value="[^"]+"|data-due="[^"]+"|in \d+ h \d+ min', "", html)  # noqa: E731
        assert strip(after) == strip(before)


def test_a_viewer_cannot_change_anything(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        viewer = sign_in(client, "viewer")
        case = _case_id(client)
        for path in (f"/inbox/cases/{case}/change", f"/inbox/cases/{case}/drafts", f"/inbox/cases/{case}/replies",
                     f"/inbox/cases/{case}/customer", "/inbox/drafts/1", "/inbox/sources/board/poll",
                     "/inbox/alerts/1/retry"):  # fmt: skip
            answer = client.post(path, data={"csrf": viewer, "priority": "urgent"})
            assert answer.status_code == 403 and "needs the agent role" in answer.text, path


def test_a_complaint_with_markup_is_shown_as_text(db_url: str) -> None:
    items = [("1", 'Acme <b>bold</b> "title" &lt;script&gt;', HOSTILE)]
    with desk_client(db_url, "viewer", items=items) as client:
        sign_in(client, "viewer")
        queue = client.get("/inbox?status=any").text
        (case,) = re.findall(r'<td><a href="/inbox/cases/(\d+)">', queue)
        page = client.get(f"/inbox/cases/{case}").text
        assert "&lt;script&gt;document.title=&#34;owned&#34;&lt;/script&gt;" in page
        assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "<img src=x" not in page and "<script>document" not in page and "<script>" not in queue


REGISTER = ("external_id,full_name,emails,phones,orders,city,tier,lifetime_value\n"
            "c-1,Петров Иван Сергеевич,ivan.petrov@mail.example,+7 912 345-67-89,7731-220,Москва,gold,125000\n"
            "c-2,Վարդան Պետրոսյան,vardan@mail.example,,,Երևան,silver,900\n")  # fmt: skip


def test_customer_search_and_confirming_a_customer_for_a_case(db_url: str) -> None:
    with desk_client(db_url, "lead") as client:  # the client's bearer token imports the register through the API
        imported = client.post("/api/v1/customers/import", params={"brand": "acme"}, content=REGISTER.encode(),
                               headers={"Content-Type": "text/csv"})  # fmt: skip
        assert imported.status_code == 200 and imported.json()["created"] == 2, imported.text
        agent = sign_in(client, "agent")
        found = client.get("/inbox/customers", params={"q": "Петров Иван"}).text
        assert "Петров Иван Сергеевич" in found and "Вардан" not in found
        armenian = client.get("/inbox/customers", params={"q": "Պետրոսյան", "brand": "acme"}).text
        assert "Վարդան Պետրոսյան" in armenian and "Երևան" in armenian
        assert "Nobody in the register fits" in client.get("/inbox/customers", params={"q": "Zzyzx Qwerty"}).text
        (customer,) = re.findall(r'href="/inbox\?status=any&amp;customer_id=(\d+)"', found)
        case = _case_id(client)
        page = client.post(f"/inbox/cases/{case}/customer", data={"csrf": agent, "customer_id": customer,
                                                                  "action": "confirm"})  # fmt: skip
        assert page.status_code == 200 and "The customer decision was saved." in page.text
        assert "<strong>Петров Иван Сергеевич</strong> (confirmed)" in page.text
        listed = client.get(f"/inbox?status=any&customer_id={customer}").text
        assert re.findall(r'<td><a href="/inbox/cases/(\d+)">', listed) == [str(case)]
        refused = client.post(f"/inbox/cases/{case}/customer", data={"csrf": agent, "customer_id": "999999",
                                                                     "action": "confirm"})  # fmt: skip
        assert refused.status_code == 422 and "not in the register of this case" in refused.text
        bad = client.post(f"/inbox/cases/{case}/customer", data={"csrf": agent, "customer_id": customer,
                                                                 "action": "maybe"})  # fmt: skip
        assert bad.status_code == 422 and "action" in bad.text
