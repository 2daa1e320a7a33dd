"""sources/http.py: robots.txt and per-host politeness (concurrency, delays)."""

from __future__ import annotations

import asyncio

import pytest

from sources.errors import (
    BlockedByRobots,
    ConnectionFailed,
    ServerError,
)
from tests.support.fetcher import UA, StartTimes, closed_port_url, fetch_error, make_fetcher
from tests.support.loopback import LoopbackServer, sequence, slow, static

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
    await fetch_error(server.url("/feed"), BlockedByRobots)


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
