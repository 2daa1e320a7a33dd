"""The inbox in a real browser: Debian's chromium driven by Playwright (never a downloaded browser), against the
app under uvicorn on a loopback port. Screenshots go to test-artifacts/web/."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.api import DELIVERY, SAFETY
from tests.support.inbox_server import InboxServer, inbox_server
from tests.support.paths import ROOT

playwright = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

expect.set_options(timeout=60_000)  # a loaded machine, not a budget: nothing here measures time

ARTIFACTS = ROOT / "test-artifacts" / "web"
HOSTILE = ('Acme испортила заказ &lt;script&gt;document.title="owned";window.owned=1&lt;/script&gt; '
           '&lt;img src=x onerror="window.owned=2"&gt; и не отвечает')  # fmt: skip
ITEMS = [("1", "Заказ 7731-220 не пришёл", DELIVERY), ("2", "Чайник загорелся", SAFETY),
         ("3", "Ответьте уже &lt;b&gt;Acme&lt;/b&gt;", HOSTILE)]  # fmt: skip


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: .ci/run installs Debian's chromium")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    return found


@pytest.fixture
def server(db_url: str) -> Iterator[InboxServer]:
    with inbox_server(db_url, ITEMS) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[Browser]:
    path = _chromium()
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB", timezone_id="UTC")
    page = context.new_page()
    page.set_default_timeout(60_000)  # a loaded machine, not a budget: nothing here measures time
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("dialog", lambda d: (violations.append(f"dialog: {d.message}"), d.dismiss()))
    page.violations = violations  # type: ignore[attr-defined]
    yield page
    context.close()
    assert violations == [], violations  # no page of ours needs anything the CSP forbids, and nothing ran


def _shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, server: InboxServer, role: str, target: str = "/inbox") -> None:
    page.goto(server.url + target)
    if "/sign-in" not in page.url:  # signed in as someone else: sign out first
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        page.goto(server.url + target)
    expect(page).to_have_url(re.compile(r"/inbox/sign-in\?next="))
    page.get_by_label("API token").fill(server.tokens[role])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".me .role")).to_have_text(role)


def open_case(page: Page, words: str) -> None:
    page.get_by_role("link", name=re.compile(words)).first.click()
    expect(page.locator("h1")).to_contain_text(words)


def test_a_case_is_worked_from_new_to_resolved_in_the_browser(server: InboxServer, page: Page) -> None:
    sign_in(page, server, "agent")
    expect(page.locator("table.queue tbody tr")).to_have_count(3)
    expect(page.locator("table.queue")).to_contain_text("Чайник загорелся")
    _shot(page, "queue")

    open_case(page, "Заказ 7731-220")
    expect(page.locator("#case-status")).to_have_text("new")
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator(".flash.ok")).to_have_text("The case was changed.")
    page.locator("summary", has_text="Draft a reply").first.click()
    page.get_by_role("button", name="Write draft").first.click()
    expect(page.locator(".flash.ok")).to_contain_text("A draft was written")
    text = "Здравствуйте! Мы нашли ваш заказ 7731-220: курьер привезёт его завтра до 18:00."
    page.locator(".drafts textarea[name=text]").first.fill(text)
    page.get_by_role("button", name="Save text").first.click()
    expect(page.locator(".flash.ok")).to_have_text("The draft was saved.")
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)  # an agent cannot approve
    case_url = page.url.split("?")[0]

    sign_in(page, server, "lead", case_url.removeprefix(server.url))
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash.ok")).to_have_text("The draft was approved.")

    sign_in(page, server, "agent", case_url.removeprefix(server.url))
    form = page.locator("form.record-reply").first
    expect(form).to_contain_text("Publishes approved draft")
    form.get_by_label("URL of the reply").fill("https://board.example/c/1#answer")
    form.get_by_role("button", name="Record reply").click()
    expect(page.locator("#case-status")).to_have_text("acknowledged")
    expect(page.locator("#response-clock .clock")).to_have_text("met")  # the first reply's clock stopped
    expect(page.locator(".replies")).to_contain_text(text)
    _shot(page, "case")

    page.locator("summary", has_text="Record reply").first.click()
    form = page.locator("form.record-reply").first
    form.get_by_label("Text as posted").fill("Заказ доставлен 23 ноября. Спасибо, что дождались.")
    form.get_by_label("closing reply (resolves the case)").check()
    form.get_by_role("button", name="Record reply").click()
    expect(page.locator("#case-status")).to_have_text("resolved")
    expect(page.locator("#resolution-clock .clock")).to_have_text(re.compile("^(met|missed)$"))
    _shot(page, "case-resolved")


def test_a_viewer_reads_everything_and_can_change_nothing(server: InboxServer, page: Page) -> None:
    sign_in(page, server, "viewer")
    open_case(page, "Чайник загорелся")
    expect(page.locator(".notice")).to_contain_text("you can read this case but not change it")
    expect(page.locator("form[method=post]")).to_have_count(1)  # sign-out only
    expect(page.get_by_role("button", name="Record reply")).to_have_count(0)
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    case_id = page.url.rstrip("/").split("/")[-1]
    # The forms an agent sees, posted by hand from the viewer's session: refused with the role's reason.
    answer = page.request.post(
        f"{server.url}/inbox/cases/{case_id}/change", form={"csrf": csrf or "", "priority": "low"}
    )
    assert answer.status == 403 and "needs the agent role" in answer.text()
    for path in ("/inbox/sources", "/inbox/reports/coverage", "/inbox/alerts", "/inbox/customers"):
        page.goto(server.url + path)
        expect(page.locator("form[method=post]")).to_have_count(1)
    _shot(page, "viewer-coverage")


def test_a_complaint_carrying_a_script_never_runs_it(server: InboxServer, page: Page) -> None:
    sign_in(page, server, "agent")
    expect(page.locator("table.queue")).to_contain_text("Ответьте уже <b>Acme</b>")  # the title's tags as text
    open_case(page, "Ответьте уже")
    complaint = page.locator(".complaint").first
    expect(complaint).to_contain_text('<script>document.title="owned";window.owned=1</script>')
    expect(complaint).to_contain_text('<img src=x onerror="window.owned=2">')
    assert page.evaluate("window.owned") is None and page.title() != "owned"
    assert page.locator(".complaint img, .complaint script").count() == 0
    _shot(page, "hostile-case")


# The same complaint posted three times, merged into one case of three places by a lead (through the API).
THREE = [("1", "Заказ 7731-220 не пришёл", DELIVERY), ("2", "Где заказ 7731-220?", DELIVERY + " Пишу второй раз."),
         ("3", "Акме, ответьте про 7731-220", DELIVERY + " Пишу уже третий раз.")]  # fmt: skip


@pytest.fixture
def three_places(db_url: str) -> Iterator[InboxServer]:
    with (
        inbox_server(db_url, THREE) as running,
        httpx.Client(
            base_url=running.url, headers={"Authorization": f"Bearer {running.tokens['lead']}"}, timeout=120
        ) as api,
    ):
        found = api.get("/api/v1/cases", params={"sort": "oldest"}).json()["items"]
        for other in found[1:]:
            assert api.post(f"/api/v1/cases/{found[0]['id']}/merge", json={"case_id": other["id"]}).status_code == 200
        yield running


def test_a_three_place_case_is_one_of_three_after_one_reply(three_places: InboxServer, page: Page) -> None:
    sign_in(page, three_places, "agent")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue td.places")).to_have_text("0 of 3 places answered")
    open_case(page, "Заказ 7731-220")
    expect(page.locator("#places-answered")).to_have_text("0 of 3 places answered")
    expect(page.locator(".place .reply-state")).to_have_text(["unanswered"] * 3)

    first = page.locator("article.place").first
    first.locator("summary", has_text="Record reply").click()
    first.get_by_label("Text as posted").fill("Здравствуйте! Мы разбираемся с заказом 7731-220. RW-7")
    promised, later = (datetime.now(UTC) + timedelta(days=d) for d in (3, 5))
    first.get_by_label("Promised next contact").fill(promised.strftime("%Y-%m-%dT%H:%M"))
    first.get_by_role("button", name="Record reply").click()
    expect(page.locator(".flash.ok")).to_have_text("The reply was recorded.")
    expect(page.locator("#places-answered")).to_have_text("1 of 3 places answered")
    expect(page.locator(".place .reply-state")).to_have_text(["replied", "unanswered", "unanswered"])
    expect(page.locator("article.place").first.locator(".promise")).to_contain_text(
        promised.strftime("%Y-%m-%d %H:%M UTC")
    )

    second = page.locator("article.place").nth(1)
    second.locator("summary", has_text="Set a promise date").click()
    second.get_by_label("Customer hears from us next by (UTC)").fill(later.strftime("%Y-%m-%dT%H:%M"))
    second.get_by_role("button", name="Set promise").click()
    expect(page.locator(".flash.ok")).to_contain_text("The promise was recorded")
    expect(page.locator("article.place").nth(1).locator(".promise")).to_contain_text(
        later.strftime("%Y-%m-%d %H:%M UTC · open")
    )
    _shot(page, "case-places")

    page.get_by_role("link", name="← Queue").click()
    page.get_by_role("link", name="Places waiting").click()
    expect(page.locator("table.queue td.places")).to_have_text("1 of 3 places answered")
    _shot(page, "queue-places")
