from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import brotli
import httpx
import pydantic
import pytest
import zstandard

from sources.base import Validators
from sources.errors import (
    ClientError,
    ConnectionFailed,
    FetchTimeout,
    Gone,
    PermanentError,
    RateLimited,
    ServerError,
    TooManyRedirects,
    UnexpectedContent,
)
from sources.http import Fetcher, FetcherSettings, parse_max_age, parse_retry_after
from tests.support.fetcher import UA, UK, StartTimes, closed_port_url, fetch_error, make_fetcher, raw_deflate
from tests.support.loopback import LoopbackServer, Request, redirect, sequence, slow, static, truncated

# --- success, validators, HTTP facts -------------------------------------------------------


async def test_ok_response_carries_body_text_and_http_facts(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(
        "<rss>жалоба</rss>",
        content_type="application/RSS+xml; charset=utf-8",
        etag='W/"v1"',
        last_modified="Tue, 01 Oct 2024 10:00:00 GMT",
        cache_control="public, max-age=300, s-maxage=600",
    )
    async with make_fetcher() as fetcher:
        response = await fetcher.get(server.url("/feed"))

    assert response.status_code == 200
    assert response.url == server.url("/feed")
    assert response.body == "<rss>жалоба</rss>".encode()
    assert response.text == "<rss>жалоба</rss>"
    assert response.encoding == "utf-8"
    assert response.content_type == "application/rss+xml"
    assert response.validators == Validators(etag='W/"v1"', last_modified="Tue, 01 Oct 2024 10:00:00 GMT")
    assert response.max_age == 300.0
    assert response.retry_after is None
    assert response.not_modified is False
    assert response.elapsed_ms > 0
    sent = server.requests_to("/feed")[0].headers
    assert sent["User-Agent"] == UA
    assert {"gzip", "deflate", "br", "zstd"} <= {e.strip() for e in sent["Accept-Encoding"].split(",")}
    assert sent["If-None-Match"] is None


async def test_conditional_get_sends_validators_and_304_keeps_them(server: LoopbackServer) -> None:
    def feed(request: Request) -> tuple[int, list[tuple[str, str]], bytes]:
        if request.headers["If-None-Match"] == '"v1"':
            return 304, [], b""
        return 200, [("ETag", '"v1"')], b"<rss/>"

    server.routes["/feed"] = feed
    old = Validators(etag='"v1"', last_modified="Tue, 01 Oct 2024 10:00:00 GMT")
    async with make_fetcher() as fetcher:
        response = await fetcher.get(server.url("/feed"), validators=old)

    assert response.not_modified is True
    assert response.status_code == 304
    assert (response.body, response.text, response.encoding) == (b"", "", None)
    assert response.validators == old
    sent = server.requests_to("/feed")[0].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Tue, 01 Oct 2024 10:00:00 GMT"


async def test_304_with_a_new_etag_replaces_only_that_validator(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(status=304, etag='"v2"')
    old = Validators(etag='"v1"', last_modified="Tue, 01 Oct 2024 10:00:00 GMT")
    async with make_fetcher() as fetcher:
        response = await fetcher.get(server.url("/feed"), validators=old)
    assert response.validators == Validators(etag='"v2"', last_modified=old.last_modified)


async def test_user_agent_cannot_be_overridden_but_other_headers_pass(server: LoopbackServer) -> None:
    server.routes["/feed"] = static("ok")
    async with make_fetcher() as fetcher:
        await fetcher.get(server.url("/feed"), headers={"user-agent": "Mozilla/5.0", "Accept-Language": "ru"})
    sent = server.requests_to("/feed")[0].headers
    assert sent.get_all("User-Agent") == [UA]
    assert sent["Accept-Language"] == "ru"


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", raw_deflate),  # no zlib header, as some servers send it
        ("br", brotli.compress),
        ("zstd", zstandard.ZstdCompressor().compress),
    ],
)
async def test_compressed_bodies_are_decompressed(server: LoopbackServer, encoding: str, compress) -> None:
    plain = (UK * 20).encode()
    server.routes["/feed"] = static(
        compress(plain), content_type="text/plain; charset=utf-8", content_encoding=encoding
    )
    async with make_fetcher() as fetcher:
        response = await fetcher.get(server.url("/feed"))
    assert response.body == plain
    assert response.text == UK * 20


# --- retries and the errors after them ------------------------------------------------------


async def test_5xx_is_retried_then_raises_server_error(server: LoopbackServer) -> None:
    server.routes["/feed"] = static("down", status=500)
    async with make_fetcher(retries=2) as fetcher:
        with pytest.raises(ServerError) as caught:
            await fetcher.get(server.url("/feed"))
    assert caught.value.http_status == 500
    assert caught.value.url == server.url("/feed")
    assert len(server.requests_to("/feed")) == 3


async def test_5xx_then_success_returns_the_success(server: LoopbackServer) -> None:
    server.routes["/feed"] = sequence(static(status=502), static("<rss/>"))
    async with make_fetcher(retries=2) as fetcher:
        response = await fetcher.get(server.url("/feed"))
    assert response.text == "<rss/>"
    assert len(server.requests_to("/feed")) == 2


async def test_read_timeout_is_retried_then_raises_fetch_timeout(server: LoopbackServer) -> None:
    server.routes["/feed"] = slow(0.5, static("late"))
    async with make_fetcher(timeout=0.1, retries=1) as fetcher:
        with pytest.raises(FetchTimeout):
            await fetcher.get(server.url("/feed"))
    assert len(server.requests_to("/feed")) == 2


async def test_per_call_timeout_overrides_the_default(server: LoopbackServer) -> None:
    server.routes["/feed"] = slow(0.5, static("late"))
    async with make_fetcher(timeout=5.0, retries=0) as fetcher:
        with pytest.raises(FetchTimeout):
            await fetcher.get(server.url("/feed"), timeout=0.1)


async def test_connection_refused_raises_connection_failed() -> None:
    async with make_fetcher(retries=1) as fetcher:
        with pytest.raises(ConnectionFailed) as caught:
            await fetcher.get(closed_port_url(), obey_robots=False)
    assert "robots.txt" not in caught.value.message


async def test_truncated_body_is_connection_failed_after_retries(server: LoopbackServer) -> None:
    server.routes["/feed"] = truncated(b"<rss><item>", declared_length=1000)
    async with make_fetcher(retries=2) as fetcher:
        with pytest.raises(ConnectionFailed):
            await fetcher.get(server.url("/feed"))
    assert len(server.requests_to("/feed")) == 3


async def test_transport_errors_from_a_mock_transport_are_mapped() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("refused", request=request)
        if len(calls) == 2:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, content=b"{}", headers={"Content-Type": "application/json"})

    settings = FetcherSettings(retries=2, backoff_base=0.001)
    async with Fetcher(settings, transport=httpx.MockTransport(handler)) as fetcher:
        response = await fetcher.get("https://complaints.example/api", obey_robots=False)
    assert response.text == "{}"
    assert response.content_type == "application/json"
    assert [r.headers["User-Agent"] for r in calls] == [UA] * 3


# --- rate limits --------------------------------------------------------------------------------


async def test_short_retry_after_is_waited_out_inside_get(server: LoopbackServer) -> None:
    server.routes["/feed"] = sequence(static(status=429, retry_after="1"), static("<rss/>"))
    clock = StartTimes()
    async with make_fetcher(clock, retries=2, max_inline_retry_after=10) as fetcher:
        response = await fetcher.get(server.url("/feed"))
    assert response.text == "<rss/>"
    assert len(server.requests_to("/feed")) == 2
    assert clock.gaps("/feed")[0] >= 0.8  # asked for 1 s; without the wait it is ~1 ms


async def test_long_retry_after_raises_rate_limited_at_once(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(status=503, retry_after="120")
    async with make_fetcher(retries=2, max_inline_retry_after=10) as fetcher:
        with pytest.raises(RateLimited) as caught:
            await fetcher.get(server.url("/feed"))
    assert caught.value.retry_after == 120.0
    assert caught.value.http_status == 503
    assert len(server.requests_to("/feed")) == 1


async def test_retry_after_http_date_is_read_against_the_server_clock(server: LoopbackServer) -> None:
    # The server's clock is a year off ours: only the difference between its headers counts.
    server_now = datetime.now(UTC) - timedelta(days=365)
    server.routes["/feed"] = static(
        status=429,
        date=format_datetime(server_now, usegmt=True),
        retry_after=format_datetime(server_now + timedelta(seconds=90), usegmt=True),
    )
    async with make_fetcher() as fetcher:
        with pytest.raises(RateLimited) as caught:
            await fetcher.get(server.url("/feed"))
    assert caught.value.retry_after == 90.0


async def test_429_without_retry_after_is_rate_limited_without_retrying(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(status=429)
    async with make_fetcher(retries=2) as fetcher:
        with pytest.raises(RateLimited) as caught:
            await fetcher.get(server.url("/feed"))
    assert caught.value.retry_after is None
    assert len(server.requests_to("/feed")) == 1


async def test_inline_waits_use_up_the_attempts(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(status=503, retry_after="0")
    async with make_fetcher(retries=1) as fetcher:
        with pytest.raises(RateLimited) as caught:
            await fetcher.get(server.url("/feed"))
    assert caught.value.retry_after == 0.0
    assert len(server.requests_to("/feed")) == 2


async def test_503_without_retry_after_is_a_server_error(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(status=503)
    async with make_fetcher(retries=1) as fetcher:
        with pytest.raises(ServerError):
            await fetcher.get(server.url("/feed"))
    assert len(server.requests_to("/feed")) == 2


# --- permanent errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"), [(404, Gone), (410, Gone), (400, ClientError), (401, ClientError), (403, ClientError)]
)
async def test_4xx_statuses_are_permanent(server: LoopbackServer, status: int, error: type[Exception]) -> None:
    server.routes["/feed"] = static("no", status=status)
    async with make_fetcher(retries=2) as fetcher:
        with pytest.raises(error) as caught:
            await fetcher.get(server.url("/feed"))
    assert caught.value.http_status == status
    assert len(server.requests_to("/feed")) == 1


async def test_redirects_are_followed_to_the_final_url(server: LoopbackServer) -> None:
    server.routes["/old"] = redirect("/new", status=301)
    server.routes["/new"] = static("<rss/>")
    async with make_fetcher() as fetcher:
        response = await fetcher.get(server.url("/old"))
    assert response.url == server.url("/new")


async def test_redirect_loop_raises_too_many_redirects(server: LoopbackServer) -> None:
    server.routes["/a"] = redirect("/b")
    server.routes["/b"] = redirect("/a")
    await fetch_error(server.url("/a"), TooManyRedirects)


async def test_redirect_chain_over_the_limit_raises_too_many_redirects(server: LoopbackServer) -> None:
    for hop in range(4):
        server.routes[f"/r{hop}"] = redirect(f"/r{hop + 1}")
    server.routes["/r4"] = static("<rss/>")
    async with make_fetcher(max_redirects=4) as fetcher:
        assert (await fetcher.get(server.url("/r0"))).text == "<rss/>"
    async with make_fetcher(max_redirects=3) as fetcher:
        with pytest.raises(TooManyRedirects):
            await fetcher.get(server.url("/r0"))


async def test_empty_200_body_is_unexpected_content(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(b"")
    async with make_fetcher() as fetcher:
        with pytest.raises(UnexpectedContent, match="empty body"):
            await fetcher.get(server.url("/feed"))


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "/relative/feed", "http://"])
async def test_urls_that_cannot_be_fetched_are_permanent_errors(url: str) -> None:
    async with make_fetcher() as fetcher:
        with pytest.raises(PermanentError):
            await fetcher.get(url)


def test_settings_are_frozen_and_reject_unknown_keys() -> None:
    with pytest.raises(pydantic.ValidationError):
        FetcherSettings(per_host_delay=-1)
    with pytest.raises(pydantic.ValidationError):
        FetcherSettings(max_byte=10)
    with pytest.raises(pydantic.ValidationError):
        FetcherSettings().retries = 5  # type: ignore[misc]


# --- header parsing ------------------------------------------------------------------------------------


def test_parse_retry_after() -> None:
    now = datetime(2024, 10, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(" 0 ", now) == 0.0
    assert parse_retry_after("Tue, 01 Oct 2024 12:01:30 GMT", now) == 90.0
    assert parse_retry_after("Tue, 01 Oct 2024 11:00:00 GMT", now) == 0.0  # already past
    assert parse_retry_after("-5", now) == 0.0
    for junk in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(junk, now) is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("max-age=300", 300.0),
        ("public, max-age=60, s-maxage=600", 60.0),
        ("s-maxage=600", None),
        ('MAX-AGE="30"', 30.0),
        ("no-cache, max-age=60", None),
        ("max-age=60, no-store", None),
        ("max-age=soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_max_age(header: str | None, seconds: float | None) -> None:
    assert parse_max_age(header) == seconds
