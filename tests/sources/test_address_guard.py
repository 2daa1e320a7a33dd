"""The address policy in the Fetcher: URLs, resolved names, redirect hops, robots.txt of a hop.

Names resolve through a stub resolver and connections go through a backend that only ever
connects to loopback (tests/support/outbound.py): a broken guard fails the test, it never
sends anything off this machine.
"""

from __future__ import annotations

import httpx
import pytest

from sources.address_guard import GuardedTransport
from sources.address_policy import LOOPBACK
from sources.errors import AddressRefused, BlockedByRobots, ConnectionFailed
from tests.support.fetcher import make_fetcher
from tests.support.loopback import LoopbackServer, redirect, static
from tests.support.outbound import guarded


async def test_a_name_that_resolves_to_a_private_address_is_refused_before_connecting() -> None:
    transport, resolver, backend = guarded({"board.example": ["10.0.0.5"]})
    async with make_fetcher(transport) as fetcher:
        with pytest.raises(AddressRefused) as caught:
            await fetcher.get("http://board.example/feed", obey_robots=False)
    error = caught.value
    assert error.error_class == "address_refused" and not error.transient
    assert error.message == (
        "address refused: board.example resolves to 10.0.0.5, and 10.0.0.5 is a private address; "
        "to allow it, add its network to http.allow_networks"
    )
    assert error.url == "http://board.example/feed"
    assert resolver.asked == ["board.example"] and backend.asked == []


async def test_an_allowed_name_is_connected_to_by_the_address_that_was_vetted() -> None:
    with LoopbackServer({"/feed": static("<rss/>", content_type="application/rss+xml")}) as server:
        transport, resolver, backend = guarded({"board.example": ["127.0.0.1"]})
        async with make_fetcher(transport) as fetcher:
            response = await fetcher.get(f"http://board.example:{server.port}/feed")
        assert server.requests_to("/feed")[0].headers["Host"] == f"board.example:{server.port}"
    assert response.text == "<rss/>"
    # One lookup per connection, and the connection is opened to the IP it gave: nothing
    # resolves the name a second time, so a rebinding DNS answer has no second chance.
    assert set(resolver.asked) == {"board.example"} and set(backend.asked) == {"127.0.0.1"}
    assert len(backend.asked) == len(resolver.asked)


async def test_one_refused_answer_refuses_the_name() -> None:
    transport, _, backend = guarded({"board.example": ["127.0.0.1", "169.254.169.254"]})
    async with make_fetcher(transport) as fetcher:
        with pytest.raises(AddressRefused, match=r"169.254.169.254 is a cloud metadata address"):
            await fetcher.get("http://board.example/feed", obey_robots=False)
    assert backend.asked == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/feed",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0:8080/",
        "http://2852039166/",
        "http://[::ffff:10.0.0.1]/",
        "http://0x7f.1/",
        "http://127.0.0.1/",
    ],
)
async def test_literal_addresses_are_refused_before_robots_or_any_connection(url: str) -> None:
    transport, resolver, backend = guarded(allowed=())
    async with make_fetcher(transport, allow_networks=()) as fetcher:
        with pytest.raises(AddressRefused, match=r"address refused: .* http.allow_networks"):
            await fetcher.get(url)
    assert resolver.asked == [] and backend.asked == []


async def test_the_default_transport_is_guarded() -> None:
    # No transport given: the Fetcher builds a GuardedTransport from its own settings.
    async with make_fetcher(allow_networks=()) as fetcher:
        assert isinstance(fetcher._client._transport, GuardedTransport)
        with pytest.raises(AddressRefused, match=r"127.0.0.1 is a loopback address"):
            await fetcher.get("http://127.0.0.1:9/feed")


async def test_a_name_that_does_not_resolve_is_a_connection_failure() -> None:
    transport, _, backend = guarded({})
    async with make_fetcher(transport) as fetcher:
        with pytest.raises(ConnectionFailed, match=r"cannot resolve nowhere.example"):
            await fetcher.get("http://nowhere.example/feed", obey_robots=False)
    assert backend.asked == []


async def test_a_redirect_to_a_private_address_is_refused(server: LoopbackServer) -> None:
    server.routes["/feed"] = redirect("http://10.0.0.1/admin")
    transport, _, backend = guarded()
    async with make_fetcher(transport) as fetcher:
        with pytest.raises(AddressRefused, match=r"10.0.0.1 is a private address") as caught:
            await fetcher.get(server.url("/feed"))
    assert caught.value.url == "http://10.0.0.1/admin"
    assert set(backend.asked) == {"127.0.0.1"}


async def test_a_redirect_to_a_name_of_the_internal_network_is_refused_at_connect(server: LoopbackServer) -> None:
    server.routes["/feed"] = redirect("http://intranet.example/wiki")
    transport, resolver, backend = guarded({"intranet.example": ["10.20.0.7"]})
    async with make_fetcher(transport) as fetcher:
        with pytest.raises(AddressRefused, match=r"intranet.example resolves to 10.20.0.7") as caught:
            await fetcher.get(server.url("/feed"))
    # robots.txt of the new origin was the first request there, and it was refused too.
    assert caught.value.url == "http://intranet.example/robots.txt"
    assert "intranet.example" in resolver.asked and set(backend.asked) == {"127.0.0.1"}


async def test_robots_txt_of_the_origin_a_redirect_leads_to_is_obeyed(server: LoopbackServer) -> None:
    with LoopbackServer({"/robots.txt": static("User-agent: *\nDisallow: /feed\n")}) as other:
        other.routes["/feed"] = static("<rss/>", content_type="application/rss+xml")
        server.routes["/feed"] = redirect(other.url("/feed"))
        async with make_fetcher() as fetcher:
            with pytest.raises(BlockedByRobots, match=f"disallowed for replywatch by {other.url('')}/robots.txt"):
                await fetcher.get(server.url("/feed"))
        assert other.requests_to("/feed") == []


async def test_robots_txt_is_obeyed_for_a_redirect_within_the_origin(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = static("User-agent: *\nDisallow: /private\n")
    server.routes["/feed"] = redirect("/private/feed")
    async with make_fetcher() as fetcher:
        with pytest.raises(BlockedByRobots):
            await fetcher.get(server.url("/feed"))
    assert server.requests_to("/private/feed") == []


async def test_credentials_do_not_follow_a_redirect_to_another_origin(server: LoopbackServer) -> None:
    with LoopbackServer({"/feed": static("<rss/>", content_type="application/rss+xml")}) as other:
        server.routes["/feed"] = redirect(other.url("/feed"))
        server.routes["/same"] = redirect("/feed2")
        server.routes["/feed2"] = static("<rss/>", content_type="application/rss+xml")
        async with make_fetcher() as fetcher:
            response = await fetcher.get(server.url("/feed"), headers={"Authorization": "Bearer s3cret", "X-Key": "k"})
            await fetcher.get(server.url("/same"), headers={"Authorization": "Bearer s3cret"})
        assert response.url == other.url("/feed")
        sent = other.requests_to("/feed")[0].headers
        assert sent["Authorization"] is None and sent["X-Key"] == "k"
    assert server.requests_to("/feed2")[0].headers["Authorization"] == "Bearer s3cret"


async def test_a_redirect_to_another_scheme_is_invalid(server: LoopbackServer) -> None:
    server.routes["/feed"] = redirect("file:///etc/passwd")
    async with make_fetcher() as fetcher:
        with pytest.raises(Exception, match="redirected to an unsupported URL: file:/etc/passwd") as caught:
            await fetcher.get(server.url("/feed"))
    assert caught.value.error_class == "invalid_url"  # type: ignore[attr-defined]


async def test_a_mock_transport_still_meets_the_url_check() -> None:
    # Adapter tests use httpx.MockTransport; a literal private address in a URL is refused all the same.
    transport = httpx.MockTransport(lambda request: pytest.fail(f"sent {request.url}"))
    async with make_fetcher(transport, allow_networks=LOOPBACK) as fetcher:
        with pytest.raises(AddressRefused):
            await fetcher.get("http://[::ffff:192.168.0.1]/feed")
