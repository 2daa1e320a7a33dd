from __future__ import annotations

import asyncio
import gzip
import itertools
import socket
import time
import tracemalloc
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
    BlockedByRobots,
    ClientError,
    ConnectionFailed,
    FetchTimeout,
    Gone,
    PermanentError,
    RateLimited,
    ServerError,
    TooLarge,
    TooManyRedirects,
    UnexpectedContent,
)
from sources.http import Fetcher, FetcherSettings, decode_text, parse_max_age, parse_retry_after
from tests.support.loopback import LoopbackServer, Request, redirect, sequence, slow, static, truncated

RU = "Здравствуйте! Третий раз пишу в поддержку: деньги списали дважды, а возврат так и не пришёл."
UK = "Доброго дня! Замовлення не доставили вчасно, а служба підтримки ігнорує мої листи вже тиждень."
BE = "Добры дзень! Пасылку страцілі, а на званкі ніхто не адказвае ўжо тыдзень. Прашу вярнуць грошы."
BOM_UK = b"\xef\xbb\xbf" + UK.encode()
UA = FetcherSettings().user_agent


def make_fetcher(transport: httpx.AsyncBaseTransport | None = None, **overrides: object) -> Fetcher:
    fast = {"timeout": 2.0, "connect_timeout": 1.0, "backoff_base": 0.001, "backoff_max": 0.01}
    return Fetcher(FetcherSettings(**{**fast, **overrides}), transport=transport)


class StartTimes(httpx.AsyncHTTPTransport):
    """Records when the client hands each request to the network.

    Spacing is the client's promise, so it is measured here: the server's clock also
    counts how long its threads took to accept, which under load compresses gaps.
    """

    def __init__(self) -> None:
        super().__init__()
        self.starts: list[tuple[str, float]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.starts.append((request.url.path, time.monotonic()))
        return await super().handle_async_request(request)

    def gaps(self, path: str | None = None) -> list[float]:
        times = [t for p, t in self.starts if path is None or p == path]
        return [b - a for a, b in itertools.pairwise(times)]


def raw_deflate(data: bytes) -> bytes:
    deflater = zlib.compressobj(wbits=-15)
    return deflater.compress(data) + deflater.flush()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed"


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
    async with make_fetcher() as fetcher:
        with pytest.raises(TooManyRedirects):
            await fetcher.get(server.url("/a"))


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


# --- size cap -------------------------------------------------------------------------------------


async def test_content_length_over_the_cap_is_rejected_before_reading(server: LoopbackServer) -> None:
    # Only 100 of the promised bytes arrive: reading them would end in a truncation error instead.
    server.routes["/feed"] = truncated(b"x" * 100, declared_length=10_000_000)
    async with make_fetcher(retries=2) as fetcher:
        with pytest.raises(TooLarge, match="Content-Length"):
            await fetcher.get(server.url("/feed"), max_bytes=1_000_000)
    assert len(server.requests_to("/feed")) == 1


async def test_body_without_length_is_cut_off_at_the_cap(server: LoopbackServer) -> None:
    def endless(request: Request) -> None:
        handler = request.handler
        handler.send_response_only(200)
        handler.send_header("Connection", "close")  # body delimited by closing, no Content-Length
        handler.end_headers()
        for _ in range(64):
            handler.wfile.write(b"x" * 16_384)

    server.routes["/feed"] = endless
    async with make_fetcher(max_bytes=100_000) as fetcher:
        with pytest.raises(TooLarge, match="while streaming"):
            await fetcher.get(server.url("/feed"))


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", lambda data: gzip.compress(data, compresslevel=6)),
        ("br", lambda data: brotli.compress(data, quality=5)),
        ("zstd", zstandard.ZstdCompressor(level=3).compress),
    ],
)
async def test_compression_bomb_is_stopped_without_inflating_it(
    server: LoopbackServer, encoding: str, compress
) -> None:
    # 100 kB at most on the wire, 60 MB once inflated (brotli and zstd manage 150 and 3,000 bytes).
    bomb = compress(b"\0" * 60_000_000)
    assert len(bomb) < 100_000
    server.routes["/feed"] = static(bomb, content_encoding=encoding)
    async with make_fetcher() as fetcher:
        tracemalloc.start()
        try:
            with pytest.raises(TooLarge, match="while streaming"):
                await fetcher.get(server.url("/feed"), max_bytes=1_000_000)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 16_000_000


async def test_stacked_content_encodings_are_undone_in_reverse(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(brotli.compress(gzip.compress(RU.encode())), content_encoding="gzip, br")
    async with make_fetcher() as fetcher:
        assert (await fetcher.get(server.url("/feed"))).text == RU


async def test_corrupt_compressed_body_is_unexpected_content(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(b"\x1f\x8b\x08\x00garbage, not gzip", content_encoding="gzip")
    async with make_fetcher(retries=2) as fetcher:
        with pytest.raises(UnexpectedContent, match="Content-Encoding"):
            await fetcher.get(server.url("/feed"))
    assert len(server.requests_to("/feed")) == 1


async def test_body_exactly_at_the_cap_passes(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(b"x" * 1000)
    async with make_fetcher(max_bytes=1000) as fetcher:
        assert len((await fetcher.get(server.url("/feed"))).body) == 1000


# --- decoding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "text", "encoding"),
    [
        pytest.param(RU.encode("cp1251"), "text/html; charset=windows-1251", RU, "cp1251", id="cp1251-header"),
        pytest.param(RU.encode("koi8-r"), "text/plain; charset=KOI8-R", RU, "koi8-r", id="koi8r-header"),
        pytest.param(UK.encode("cp1251"), 'text/html; charset="cp1251"', UK, "cp1251", id="quoted-label"),
        pytest.param(
            b'<html><head><meta charset="windows-1251"></head><body>' + UK.encode("cp1251"),
            "text/html",
            f'<html><head><meta charset="windows-1251"></head><body>{UK}',
            "cp1251",
            id="cp1251-meta-charset",
        ),
        pytest.param(
            b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>' + RU.encode("koi8-r"),
            None,
            f'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>{RU}',
            "koi8-r",
            id="koi8r-http-equiv",
        ),
        pytest.param(
            b'<?xml version="1.0" encoding="windows-1251"?><rss>' + BE.encode("cp1251") + b"</rss>",
            "application/rss+xml",
            f'<?xml version="1.0" encoding="windows-1251"?><rss>{BE}</rss>',
            "cp1251",
            id="cp1251-xml-declaration",
        ),
        pytest.param(BE.encode("cp1251"), None, BE, "cp1251", id="cp1251-undeclared-guessed"),
        pytest.param(BOM_UK, None, UK, "utf-8", id="utf8-bom"),
        pytest.param(BOM_UK, "text/html; charset=windows-1251", UK, "utf-8", id="bom-beats-header"),
        pytest.param(RU.encode(), "text/plain; charset=x-no-such-charset", RU, "utf-8", id="unknown-label"),
        pytest.param(RU.encode(), "text/plain; charset=base64", RU, "utf-8", id="non-text-codec-label"),
        pytest.param(RU.encode(), "text/plain; charset=unicode_escape", RU, "utf-8", id="python-only-codec"),
        # WHATWG: a Latin-1 label means windows-1252, where 0x93/0x94 are curly quotes.
        pytest.param(b"\x93Refund\x94", "text/plain; charset=iso-8859-1", "“Refund”", "cp1252", id="latin1"),
    ],
)
def test_decode_text(body: bytes, content_type: str | None, text: str, encoding: str) -> None:
    assert decode_text(body, content_type) == (text, encoding)


def test_wrong_declared_charset_replaces_instead_of_raising() -> None:
    text, encoding = decode_text(RU.encode("cp1251"), "text/plain; charset=utf-8")
    assert encoding == "utf-8"
    assert "\ufffd" in text
    assert "!" in text  # the ASCII survives


def test_undecodable_bytes_never_raise() -> None:
    text, _ = decode_text(bytes(range(256)) * 4, None)
    assert isinstance(text, str)


async def test_response_text_is_decoded_from_the_header_charset(server: LoopbackServer) -> None:
    server.routes["/ru"] = static(RU.encode("koi8-r"), content_type="text/html; charset=koi8-r")
    server.routes["/by"] = static(BE.encode("cp1251"), content_type="text/plain")
    async with make_fetcher() as fetcher:
        ru = await fetcher.get(server.url("/ru"))
        by = await fetcher.get(server.url("/by"))
    assert (ru.text, ru.encoding, ru.content_type) == (RU, "koi8-r", "text/html")
    assert (by.text, by.encoding) == (BE, "cp1251")


# --- robots.txt ---------------------------------------------------------------------------------------


async def test_robots_disallow_blocks_and_is_fetched_once(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = static("User-agent: *\nDisallow: /private\n")
    server.routes["/public"] = static("ok")
    server.routes["/private/feed"] = static("secret")
    async with make_fetcher() as fetcher:
        with pytest.raises(BlockedByRobots) as caught:
            await fetcher.get(server.url("/private/feed"))
        await asyncio.gather(*(fetcher.get(server.url("/public")) for _ in range(3)))

    assert server.url("/robots.txt") in caught.value.message
    assert caught.value.url == server.url("/private/feed")
    assert server.requests_to("/private/feed") == []
    assert len(server.requests_to("/robots.txt")) == 1
    assert all(r.headers["User-Agent"] == UA for r in server.requests)


async def test_robots_group_for_our_agent_applies(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = static("User-agent: replywatch\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
    server.routes["/feed"] = static("ok")
    async with make_fetcher() as fetcher:
        with pytest.raises(BlockedByRobots):
            await fetcher.get(server.url("/feed"))


async def test_robots_is_refetched_after_its_ttl(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = static("User-agent: *\nAllow: /\n")
    server.routes["/feed"] = static("ok")
    async with make_fetcher(robots_ttl=0) as fetcher:
        await fetcher.get(server.url("/feed"))
        await fetcher.get(server.url("/feed"))
    assert len(server.requests_to("/robots.txt")) == 2


@pytest.mark.parametrize("status", [401, 403, 404, 410])
async def test_robots_4xx_allows_everything(server: LoopbackServer, status: int) -> None:
    server.routes["/robots.txt"] = static("User-agent: *\nDisallow: /\n", status=status)
    server.routes["/feed"] = static("ok")
    async with make_fetcher() as fetcher:
        assert (await fetcher.get(server.url("/feed"))).text == "ok"


async def test_robots_5xx_means_do_not_crawl_now(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = static(status=500)
    server.routes["/feed"] = static("ok")
    async with make_fetcher(retries=1) as fetcher:
        with pytest.raises(ServerError, match=r"robots\.txt") as caught:
            await fetcher.get(server.url("/feed"))
    assert caught.value.transient
    assert caught.value.http_status == 500
    assert server.requests_to("/feed") == []
    assert len(server.requests_to("/robots.txt")) == 2


async def test_unreachable_robots_is_connection_failed() -> None:
    async with make_fetcher(retries=0) as fetcher:
        with pytest.raises(ConnectionFailed, match=r"robots\.txt"):
            await fetcher.get(closed_port_url())


async def test_cached_robots_is_kept_while_the_refresh_fails(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = sequence(static("User-agent: *\nDisallow: /private\n"), static(status=503))
    server.routes["/public"] = static("ok")
    async with make_fetcher(robots_ttl=0, retries=0) as fetcher:
        await fetcher.get(server.url("/public"))
        with pytest.raises(BlockedByRobots):
            await fetcher.get(server.url("/private"))
        assert (await fetcher.get(server.url("/public"))).text == "ok"
    assert len(server.requests_to("/robots.txt")) == 3


async def test_crawl_delay_spaces_requests_to_the_host(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = static("User-agent: *\nCrawl-delay: 0.3\n")
    server.routes["/feed"] = static("ok")
    clock = StartTimes()
    async with make_fetcher(clock) as fetcher:
        await asyncio.gather(fetcher.get(server.url("/feed")), fetcher.get(server.url("/feed")))
    assert len(clock.starts) == 3
    assert all(gap >= 0.24 for gap in clock.gaps())  # Crawl-delay 0.3 s


async def test_obey_robots_false_skips_robots_entirely(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = static("User-agent: *\nDisallow: /\n")
    server.routes["/feed"] = static("ok")
    async with make_fetcher() as fetcher:
        assert (await fetcher.get(server.url("/feed"), obey_robots=False)).text == "ok"
    assert server.requests_to("/robots.txt") == []


# --- per-host politeness ----------------------------------------------------------------------------


async def test_per_host_concurrency_is_capped(server: LoopbackServer) -> None:
    server.routes["/feed"] = slow(0.1, static("ok"))
    async with make_fetcher(per_host_concurrency=2) as fetcher:
        await asyncio.gather(*(fetcher.get(server.url("/feed"), obey_robots=False) for _ in range(6)))
    assert len(server.requests_to("/feed")) == 6
    assert server.max_in_flight == 2


async def test_per_host_delay_spaces_request_starts(server: LoopbackServer) -> None:
    server.routes["/feed"] = static("ok")
    clock = StartTimes()
    async with make_fetcher(clock, per_host_delay=0.2, per_host_concurrency=4) as fetcher:
        await asyncio.gather(*(fetcher.get(server.url("/feed"), obey_robots=False) for _ in range(4)))
    assert len(server.requests) == 4
    assert all(gap >= 0.16 for gap in clock.gaps())  # per_host_delay 0.2 s


async def test_min_delay_raises_the_host_delay_for_that_request(server: LoopbackServer) -> None:
    server.routes["/feed"] = static("ok")
    clock = StartTimes()
    async with make_fetcher(clock) as fetcher:
        await fetcher.get(server.url("/feed"), obey_robots=False)
        await fetcher.get(server.url("/feed"), obey_robots=False, min_delay=0.25)
    assert clock.gaps() and clock.gaps()[0] >= 0.2  # min_delay 0.25 s


async def test_different_hosts_do_not_wait_on_each_other(server: LoopbackServer) -> None:
    server.routes["/feed"] = slow(0.3, static("ok"))
    async with make_fetcher(per_host_concurrency=1, per_host_delay=1.0) as fetcher:
        await asyncio.gather(
            fetcher.get(server.url("/feed"), obey_robots=False),
            fetcher.get(server.url("/feed", host="localhost"), obey_robots=False),
        )
    assert server.max_in_flight == 2
    assert {r.headers["Host"].split(":")[0] for r in server.requests} == {"127.0.0.1", "localhost"}


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
