"""sources/browser.py: pages built by JavaScript, rendered in the machine's Chromium, on loopback.

Every test drives the real Chromium (Debian's package, as CI installs it) through Playwright;
none reaches the internet: the page's requests are answered by the loopback servers, and the
browser itself has no network (see the module docstring)."""

from __future__ import annotations

import ipaddress
import os

import pytest

from sources.base import PageWarning, SourceSpec, Validators, collect
from sources.browser import BrowserFetcher, BrowserSettings, browser_problem
from sources.errors import BlockedByRobots, BrowserUnavailable, FetchTimeout, PermanentError, TooLarge
from sources.html import parse
from tests.support.fetcher import UA, make_fetcher
from tests.support.js_site import REVIEWS, html_settings, serve_js_site
from tests.support.loopback import LoopbackServer, slow, static

# In CI a missing browser fails these tests instead of skipping them (.ci/run installs Chromium).
pytestmark = pytest.mark.skipif(
    browser_problem() is not None and not os.environ.get("CI"), reason=f"no browser here: {browser_problem()}"
)

ONLY_FIRST = (ipaddress.ip_network("127.0.0.1/32"),)


def browser_fetcher(fetcher_overrides: dict[str, object] | None = None, **settings: object) -> BrowserFetcher:
    return BrowserFetcher(make_fetcher(**(fetcher_overrides or {})), BrowserSettings(**settings))


def spec(url: str, *, fetch: str = "browser", wait_for: str | None = None) -> SourceSpec:
    return SourceSpec(key="board", kind="html", url=url, settings=html_settings(), fetch=fetch, wait_for=wait_for)


async def test_plain_fetch_sees_no_review_and_the_browser_sees_them_all(server: LoopbackServer) -> None:
    url = serve_js_site(server)
    async with browser_fetcher() as browser:
        plain = await collect(spec(url, fetch="http"), fetcher=browser.fetcher, parser=parse, validators=Validators())
        rendered = await collect(spec(url), fetcher=browser.fetcher, parser=parse, validators=Validators(),
                                 browser=browser)  # fmt: skip
        await browser.fetcher.aclose()

    assert plain.items == []
    assert [w.kind for w in plain.facts.warnings] == [PageWarning.NOTHING_MATCHED]
    assert [(m.external_id, m.author, m.body) for m in rendered.items] == [
        (r["id"], r["author"], r["text"]) for r in REVIEWS
    ]
    assert rendered.facts.warnings == []
    assert rendered.facts.http_status == 200
    assert rendered.facts.fill == {"id": 6, "body": 6, "author": 6}
    # The browser's requests went out with our User-Agent, pictures were never asked for, and
    # robots.txt was read once for the page and its scripts alike.
    assert {r.headers["User-Agent"] for r in server.requests} == {UA}
    assert server.requests_to("/logo.png") == []
    assert len(server.requests_to("/api/reviews.json")) == 1
    assert len(server.requests_to("/robots.txt")) == 1


async def test_wait_for_reads_the_page_once_the_selector_is_there(server: LoopbackServer) -> None:
    url = serve_js_site(server)
    async with browser_fetcher() as browser:
        response = await browser.get(url, wait_for="body[data-ready=yes] li.review")
        await browser.fetcher.aclose()
    assert response.content_type == "text/html"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert all(r["text"] in response.text for r in REVIEWS)
    assert response.body == response.text.encode("utf-8")


async def test_a_page_that_never_finishes_loading_times_out_and_frees_its_host(server: LoopbackServer) -> None:
    url = serve_js_site(server, extra_html='<script src="/stalls.js"></script>')
    server.routes["/stalls.js"] = slow(20, static("", content_type="text/javascript"))
    # One request per host at a time: the stalled script's request must give its turn back.
    async with browser_fetcher({"per_host_concurrency": 1, "timeout": 30.0}, timeout=1.0) as browser:
        with pytest.raises(FetchTimeout) as caught:
            await browser.get(url)
        after = await browser.fetcher.get(server.url("/app.js"))
        await browser.fetcher.aclose()
    assert "did not finish loading in 1 s (browser.timeout)" in caught.value.message
    assert caught.value.url == url
    assert caught.value.transient
    assert after.status_code == 200


async def test_requests_to_a_forbidden_address_never_leave(server: LoopbackServer) -> None:
    with LoopbackServer({"/secret": static('{"token": "x"}')}, host="127.0.0.2") as forbidden:
        secret = forbidden.url("/secret")
        probe = f"""<script>
          fetch('{secret}').then(() => {{ document.body.dataset.leak = 'yes'; }},
                                 () => {{ document.body.dataset.leak = 'no'; }});
          const ws = new WebSocket('ws://127.0.0.2:{forbidden.port}/ws');
          ws.onerror = ws.onopen = () => {{ document.body.dataset.ws = 'done'; }};
        </script><iframe src="{forbidden.url("/frame")}"></iframe><img src="{forbidden.url("/pixel")}">
        <link rel="prefetch" href="{forbidden.url("/prefetch")}">"""
        url = serve_js_site(server, extra_html=probe)
        async with browser_fetcher({"allow_networks": ONLY_FIRST}) as browser:
            response = await browser.get(url, wait_for="body[data-leak][data-ready][data-ws]")
            await browser.fetcher.aclose()
        assert forbidden.requests == []
    assert 'data-leak="no"' in response.text
    assert all(r["text"] in response.text for r in REVIEWS)  # the allowed requests were answered


async def test_robots_disallow_of_the_page_stops_before_the_browser(server: LoopbackServer) -> None:
    url = serve_js_site(server)
    server.routes["/robots.txt"] = static("User-agent: *\nDisallow: /reviews\n")
    async with browser_fetcher() as browser:
        with pytest.raises(BlockedByRobots):
            await browser.get(url)
        await browser.fetcher.aclose()
        assert browser._browser is None  # nothing to render: Chromium was not even started
    assert server.requests_to("/reviews") == []


async def test_robots_disallow_of_the_pages_api_is_obeyed_by_its_scripts(server: LoopbackServer) -> None:
    url = serve_js_site(server)
    server.routes["/robots.txt"] = static("User-agent: *\nDisallow: /api/\n")
    async with browser_fetcher() as browser:
        got = await collect(spec(url), fetcher=browser.fetcher, parser=parse, validators=Validators(), browser=browser)
        await browser.fetcher.aclose()
    assert got.items == []
    assert [w.kind for w in got.facts.warnings] == [PageWarning.NOTHING_MATCHED]
    assert server.requests_to("/api/reviews.json") == []


async def test_a_page_that_floods_requests_and_posts_is_capped(server: LoopbackServer) -> None:
    flood = """<script>
      for (let i = 0; i < 40; i++) fetch('/api/reviews.json?n=' + i).catch(() => {});
      fetch('/api/reviews.json', {method: 'POST', body: 'x'}).catch(() => {});
    </script>"""
    url = serve_js_site(server, extra_html=flood)
    async with browser_fetcher(max_requests=5) as browser:
        await browser.get(url)
        await browser.fetcher.aclose()
    assert [r for r in server.requests if r.method == "POST"] == []
    # The page itself is fetched before the browser; its own requests stop at the cap.
    assert len(server.requests) - len(server.requests_to("/robots.txt")) - len(server.requests_to("/reviews")) == 5


async def test_a_rendered_page_over_the_size_cap_is_refused(server: LoopbackServer) -> None:
    grow = "<script>document.body.append('ж'.repeat(300000));</script>"
    url = serve_js_site(server, extra_html=grow)
    async with browser_fetcher() as browser:
        with pytest.raises(TooLarge) as caught:
            await browser.get(url, max_bytes=200_000)
        await browser.fetcher.aclose()
    assert "over the 200000-byte cap" in caught.value.message


async def test_not_modified_is_answered_without_rendering(server: LoopbackServer) -> None:
    server.routes["/reviews"] = static(status=304, etag='"v1"')
    async with browser_fetcher() as browser:
        response = await browser.get(server.url("/reviews"), validators=Validators(etag='"v1"'))
        await browser.fetcher.aclose()
        assert browser._browser is None
    assert response.not_modified


async def test_a_missing_chromium_is_a_permanent_error_naming_the_setting(server: LoopbackServer) -> None:
    url = serve_js_site(server)
    async with browser_fetcher(executable="/nonexistent/chromium") as browser:
        with pytest.raises(BrowserUnavailable) as caught:
            await browser.get(url)
        await browser.fetcher.aclose()
    assert isinstance(caught.value, PermanentError)
    assert "'/nonexistent/chromium' (browser.executable)" in caught.value.message


async def test_a_browser_source_without_a_browser_fails_clearly(server: LoopbackServer) -> None:
    url = serve_js_site(server)
    async with make_fetcher() as fetcher:
        with pytest.raises(PermanentError, match="source 'board' is fetched with a browser, and none was started"):
            await collect(spec(url), fetcher=fetcher, parser=parse, validators=Validators())


async def test_the_browser_has_no_network_of_its_own(server: LoopbackServer) -> None:
    # What escapes interception (here: a page opened without it) meets the dead proxy, loopback included.
    server.routes["/page"] = static("<p>hi</p>", content_type="text/html")
    async with browser_fetcher() as browser:
        chromium = await browser._started()
        context = await chromium.new_context()
        page = await context.new_page()
        with pytest.raises(Exception, match=r"ERR_PROXY_CONNECTION_FAILED|ERR_NAME_NOT_RESOLVED"):
            await page.goto(server.url("/page"))
        await context.close()
        await browser.fetcher.aclose()
    assert server.requests == []


async def test_a_page_whose_script_never_yields_times_out(server: LoopbackServer) -> None:
    # The first review added sets the page's main thread spinning forever: the DOM cannot even be read.
    spin = "new MutationObserver(() => { for (;;) {} }).observe(document.getElementById('reviews'), {childList: true});"
    url = serve_js_site(server, extra_html=f"<script>{spin}</script>")
    async with browser_fetcher(timeout=2.0) as browser:
        with pytest.raises(FetchTimeout) as caught:
            await browser.get(url, wait_for="li.review")
        # The browser is still usable for the next page.
        server.routes["/calm"] = static("<ul><li class='review'>ok</li></ul>", content_type="text/html")
        calm = await browser.get(server.url("/calm"))
        await browser.fetcher.aclose()
    assert "(browser.timeout)" in caught.value.message
    assert '<li class="review">ok</li>' in calm.text


async def test_the_sources_headers_go_to_its_own_origin_only(server: LoopbackServer) -> None:
    with LoopbackServer({"/widget.js": static("", content_type="text/javascript")}, host="127.0.0.2") as other:
        url = serve_js_site(server, extra_html=f'<script src="{other.url("/widget.js")}"></script>')
        async with browser_fetcher() as browser:
            await browser.get(url, headers={"X-Consent": "yes", "Authorization": "Bearer s3cret"}, wait_for="li")
            await browser.fetcher.aclose()
        (widget,) = other.requests_to("/widget.js")
    (api,) = server.requests_to("/api/reviews.json")
    assert api.headers["Authorization"] == "Bearer s3cret"
    assert widget.headers["Authorization"] is None and widget.headers["X-Consent"] is None
    assert widget.headers["User-Agent"] == UA
    assert widget.headers["Referer"] == server.url("/")  # strict-origin-when-cross-origin, as browsers send it


async def test_a_browser_that_died_is_started_again(server: LoopbackServer) -> None:
    url = serve_js_site(server)
    async with browser_fetcher() as browser:
        first = await browser._started()
        await first.close()  # as if Chromium had crashed or been killed
        response = await browser.get(url, wait_for="li.review")
        assert browser._browser is not None and browser._browser is not first and browser._browser.is_connected()
        await browser.fetcher.aclose()
    assert all(r["text"] in response.text for r in REVIEWS)


async def test_a_windows_1251_page_and_script_with_header_only_charsets_render_right(server: LoopbackServer) -> None:
    page = "<html><body><ul><li class='review'><p class='text'>Курьер не привёз заказ.</p></li></ul>" \
           "<script src='/more.js'></script></body></html>"  # fmt: skip
    script = "document.querySelector('ul').insertAdjacentHTML('beforeend', " \
             "\"<li class='review'><p class='text'>Деньги списали дважды, поддержка молчит.</p></li>\");"  # fmt: skip
    server.routes["/board"] = static(page.encode("cp1251"), content_type="text/html; charset=windows-1251")
    server.routes["/more.js"] = static(script.encode("cp1251"), content_type="text/javascript; charset=windows-1251")
    async with browser_fetcher() as browser:
        got = await collect(spec(server.url("/board")), fetcher=browser.fetcher, parser=parse,
                            validators=Validators(), browser=browser)  # fmt: skip
        await browser.fetcher.aclose()
    assert [m.body for m in got.items] == ["Курьер не привёз заказ.", "Деньги списали дважды, поддержка молчит."]
    assert got.facts.warnings == []
