"""The outbound address policy (sources.address_policy) enforced where connections are opened.

A check of the URL alone would leave a DNS-rebinding gap: the name is resolved once to be
judged and again to be connected to, and a hostile DNS server can answer differently the
second time. So the check lives in the network backend of httpcore's connection pool,
which every request of an httpx client goes through (redirect hops included):

    connect_tcp(host, port)
      1. resolve host (an injectable resolver; the system's getaddrinfo by default), unless
         it is an address already (in any spelling inet_aton reads, see literal_address);
      2. judge every address; one refused address refuses the host (AddressRefused), since a
         name that resolves into the internal network is a mistake or an attack either way,
         and a partial answer would make fetching depend on the order of DNS records;
      3. connect to the vetted IP itself, trying the addresses in order, so nothing
         resolves the name again. TLS still uses the host name: httpcore passes the
         origin's host to start_tls for SNI and certificate checks.

`check_url` refuses a literal address in a URL before anything is sent, with the same
message, for a cheap and clear error (and for clients built on a mock transport).

`GuardedTransport` / `GuardedSyncTransport` are httpx transports with this backend; the
Fetcher, the webhook transport and the rewrite endpoint's client use them. Environment
proxies (HTTP_PROXY ...) are not used by them: behind a proxy the address connected to is
the proxy's, and the guard could not see where the request really goes.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

import anyio
import httpcore
import httpx

from sources.address_policy import ALLOW_KEY, Network, literal_address, refusal
from sources.errors import AddressRefused

__all__ = [
    "GuardedBackend",
    "GuardedSyncBackend",
    "GuardedSyncTransport",
    "GuardedTransport",
    "Resolver",
    "SyncResolver",
    "check_host",
    "check_url",
    "resolve_and_vet",
    "system_resolver",
    "system_resolver_sync",
    "vet",
]

# (host, port) -> IP addresses as text, in the order to try them.
Resolver = Callable[[str, int], Awaitable[list[str]]]
SyncResolver = Callable[[str, int], list[str]]


async def system_resolver(host: str, port: int) -> list[str]:
    # anyio's getaddrinfo is the one anyio.connect_tcp would have called: one lookup, not two.
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def system_resolver_sync(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _refused(host: str, address: str, why: str, url: str | None = None, *, verb: str = "resolves to") -> AddressRefused:
    where = why if host.strip("[]") == address else f"{host} {verb} {address}, and {why}"
    return AddressRefused(f"address refused: {where}; to allow it, add its network to {ALLOW_KEY}", url=url)


def vet(host: str, addresses: Iterable[str], allowed: Sequence[Network]) -> list[str]:
    """The addresses of `host` that may be connected to; AddressRefused when any of them may not."""
    vetted = []
    for text in addresses:
        address = literal_address(text.split("%", 1)[0])  # a scoped fe80::1%eth0 is judged without its scope
        why = f"{text} is not an IP address" if address is None else refusal(address, allowed)
        if why is not None:
            raise _refused(host, text, why)
        vetted.append(text)
    return vetted


def resolve_and_vet(
    host: str, port: int, allowed: Sequence[Network], resolver: SyncResolver = system_resolver_sync
) -> list[str]:
    """Blocking: the addresses of `host` that may be connected to (see vet); OSError when it does not resolve."""
    literal = literal_address(host)
    return vet(host, [str(literal)] if literal is not None else resolver(host, port), allowed)


def check_host(host: str, allowed: Sequence[Network], *, url: str | None = None) -> None:
    """AddressRefused when `host` is itself an address the policy refuses; names are judged at connect time."""
    address = literal_address(host)
    if address is not None and (why := refusal(address, allowed)) is not None:
        raise _refused(host, str(address), why, url, verb="is another spelling of")


def check_url(url: httpx.URL, allowed: Sequence[Network]) -> None:
    check_host(url.host, allowed, url=str(url))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's default backend behind a resolve → vet → connect-to-the-IP step (see the module docstring)."""

    def __init__(
        self,
        allowed: Sequence[Network] = (),
        *,
        resolver: Resolver | None = None,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allowed = tuple(allowed)
        self._resolve = resolver or system_resolver
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        deadline = None if timeout is None else time.monotonic() + timeout
        literal = literal_address(host)
        try:
            if literal is not None:
                addresses = [str(literal)]  # nothing to look up (and no thread to wait for)
            else:
                with anyio.fail_after(timeout):
                    addresses = await self._resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout:g} s") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        for ip in vet(host, addresses, self.allowed):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                return await self._backend.connect_tcp(ip, port, left, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # the next address may answer, as anyio's own connect_tcp would try it
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        # Only a transport built with uds= asks for this, and none of ours is.
        raise httpcore.ConnectError("unix sockets are not used by replywatch's outbound clients")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class GuardedSyncBackend(httpcore.NetworkBackend):
    """The blocking twin of GuardedBackend, for httpx.Client (the rewrite endpoint)."""

    def __init__(
        self,
        allowed: Sequence[Network] = (),
        *,
        resolver: SyncResolver | None = None,
        backend: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.allowed = tuple(allowed)
        self._resolve = resolver or system_resolver_sync
        self._backend = backend or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            vetted = resolve_and_vet(host, port, self.allowed, self._resolve)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        for ip in vetted:
            try:
                return self._backend.connect_tcp(ip, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used by replywatch's outbound clients")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport whose connection pool connects through GuardedBackend."""

    def __init__(
        self,
        allowed: Sequence[Network] = (),
        *,
        resolver: Resolver | None = None,
        backend: httpcore.AsyncNetworkBackend | None = None,
        verify: Any = True,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),
    ) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify)  # once: loading the CA bundle takes ~0.1 s
        super().__init__(verify=ssl_context, limits=limits)
        # httpx has no argument for the network backend, so the pool it built is replaced by the
        # same pool with ours; tests/sources/test_address_guard.py fails if httpx stops using `_pool`.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allowed, resolver=resolver, backend=backend),
        )


class GuardedSyncTransport(httpx.HTTPTransport):
    """httpx's blocking transport whose connection pool connects through GuardedSyncBackend."""

    def __init__(
        self,
        allowed: Sequence[Network] = (),
        *,
        resolver: SyncResolver | None = None,
        backend: httpcore.NetworkBackend | None = None,
        verify: Any = True,
        limits: httpx.Limits = httpx.Limits(max_connections=100, max_keepalive_connections=20),
    ) -> None:
        ssl_context = httpx.create_ssl_context(verify=verify)
        super().__init__(verify=ssl_context, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedSyncBackend(allowed, resolver=resolver, backend=backend),
        )
