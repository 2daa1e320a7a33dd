"""Every page of the inbox for a viewer: what it shows, what it refuses, and its headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from monitor.alerts.messages import Facts, link_for
from monitor.core.links import queue_url
from tests.support.api import desk_client
from tests.support.web import sign_in
from web.render import CSP

PAGES = ["/inbox", "/inbox?status=any", "/inbox/cases/1", "/inbox/sources", "/inbox/sources/board",
         "/inbox/reports/coverage", "/inbox/alerts", "/inbox/customers", "/inbox/customers?q=Иван"]  # fmt: skip
# An inline script, an inline style or an event handler attribute: none may be in any page (the CSP forbids them).
INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.I)


def test_every_page_for_a_viewer_reads_without_a_single_form_that_changes_something(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        sign_in(client, "viewer")
        for path in PAGES:
            page = client.get(path)
            assert page.status_code == 200, (path, page.text[:300])
            assert page.headers["content-security-policy"] == CSP and "'unsafe-inline'" not in CSP
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["cache-control"] == "no-store"
            assert re.fullmatch(r"app;dur=[\d.]+, cpu;dur=[\d.]+, gc;dur=[\d.]+", page.headers["server-timing"])
            assert not INLINE.search(page.text), path
            # The one form a viewer has is the sign-out; nothing that changes a case, a draft or a source.
            assert re.findall(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page.text) == ["/inbox/sign-out"], path
        case = client.get("/inbox/cases/1").text
        assert "you can read this case but not change it" in case


def test_the_queue_puts_unanswered_cases_first_and_filters_as_the_api(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        bearer = client.headers["Authorization"]
        sign_in(client, "viewer")
        ids = lambda html: re.findall(r'<td><a href="/inbox/cases/(\d+)">', html)  # noqa: E731
        default = client.get("/inbox").text
        assert len(ids(default)) == 4 and 'aria-current="page">Unanswered' in default
        # sorted by the first reply's deadline: the urgent complaints (fire, lawyer) before the mild one
        api = client.get("/api/v1/cases?status=new&sort=response_due", headers={"Authorization": bearer})
        assert ids(default) == [str(c["id"]) for c in api.json()["items"]]
        assert len(ids(client.get("/inbox?status=any&q=kettle").text)) == 1
        assert ids(client.get("/inbox?status=resolved&status=closed").text) == []
        assert "No case fits these filters" in client.get("/inbox?status=any&brand=nobody").text
        paged = client.get("/inbox?status=any&limit=3")
        (next_url,) = re.findall(r'<a href="([^"]+)" rel="next"', paged.text)
        rest = client.get(next_url.replace("&amp;", "&"))
        assert len(ids(rest.text)) == 1 and not set(ids(rest.text)) & set(ids(paged.text))


@pytest.mark.parametrize(("path", "status", "words"), [
    ("/inbox?sort=sideways", 422, "sort"),
    ("/inbox?limit=100000", 422, "limit"),
    ("/inbox?cursor=not-a-cursor", 400, "cursor"),
    ("/inbox?status=any&opened_from=2026-11-01T00:00:00", 400, "time zone"),
    ("/inbox/cases/999999", 404, "no case 999999"),
    ("/inbox/cases/0", 422, "case_id"),
    ("/inbox/cases/%3Cscript%3E", 422, "case_id"),
    ("/inbox/sources/nope", 404, "no source with key"),
    ("/inbox/sources/..%2F..", 404, "no such page"),
    ("/inbox/sources/A%20B", 422, "key"),
    ("/inbox/customers?q=x&brand=nobody", 404, "no brand"),
    ("/inbox/reports/coverage?start=2026-11-10&end=2026-11-01", 400, "ends"),
    ("/inbox/reports/coverage?start=9999-01-01&end=9999-01-02", 400, "after today"),
    ("/inbox/reports/coverage?start=yesterday", 422, "start"),
    ("/inbox/alerts?cursor=%00", 400, "cursor"),
    ("/inbox/no-such-page", 404, "no such page"),
])  # fmt: skip
def test_a_bad_address_is_a_page_with_a_precise_status(db_url: str, path: str, status: int, words: str) -> None:
    with desk_client(db_url, "viewer") as client:
        sign_in(client, "viewer")
        page = client.get(path)
        assert page.status_code == status, page.text[:500]
        assert page.headers["content-type"].startswith("text/html") and words in page.text
        assert "<script>" not in page.text.replace('<script src="/inbox/static/', "")


def test_coverage_for_a_period_and_its_downloads(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        sign_in(client, "viewer")
        page = client.get("/inbox/reports/coverage")
        assert page.status_code == 200 and "board" in page.text and "Sources checked on their period" in page.text
        links = re.findall(r'href="(/inbox/reports/coverage\.(\w+)\?[^"]+)"', page.text)
        assert sorted(fmt for _, fmt in links) == ["csv", "html", "json", "md"]
        for link, fmt in links:
            download = client.get(link.replace("&amp;", "&"))
            assert download.status_code == 200, download.text[:300]
            assert download.headers["content-disposition"].startswith('attachment; filename="coverage-')
            assert download.content, fmt
        assert client.get(links[0][0].replace("&amp;", "&")).headers["content-type"].startswith("text/csv")


def test_alert_links_open_the_pages_they_name(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        sign_in(client, "viewer")
        base = "http://testserver"
        case = Facts(
            event_id=1, kind="case.opened", case_id=3, source="board", brand="acme", created_at=datetime.now(UTC)
        )
        source = Facts(event_id=2, kind="source.failing", source="board", created_at=datetime.now(UTC))
        for link in (link_for(case, base), link_for(source, base), queue_url(base, "acme")):
            assert link is not None
            page = client.get(link)
            assert page.status_code == 200, link
        assert "#3" in client.get(link_for(case, base) or "").text
