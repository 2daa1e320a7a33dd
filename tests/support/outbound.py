"""Stubs for tests of the outbound address policy, which must never send a byte off this machine.

A `StubResolver` answers host names from a table (a name not in it does not resolve); a
`LoopbackOnly` backend connects to loopback addresses only and fails the test, before any
socket is opened, when asked for anything else. So a broken guard fails the test without
sending anything, and the test can see which addresses it was asked to connect to.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Mapping
from typing import Any

import httpcore
import pytest

from sources.address_guard import GuardedTransport
from sources.address_policy import LOOPBACK, Network

__all__ = ["LoopbackOnly", "LoopbackOnlySync", "StubResolver", "guarded"]


class StubResolver:
    def __init__(self, table: Mapping[str, list[str]]) -> None:
        self.table = dict(table)
        self.asked: list[str] = []

    def _answer(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not in the test's resolver table")
        return self.table[host]

    async def __call__(self, host: str, port: int) -> list[str]:
        return self._answer(host)

    def sync(self, host: str, port: int) -> list[str]:
        return self._answer(host)


def _loopback_or_fail(host: str, port: int) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False  # a name: the guard should have resolved it itself
    if not loopback:
        pytest.fail(f"the guard let a connection to {host}:{port} through", pytrace=False)


class LoopbackOnly(httpcore.AsyncNetworkBackend):
    def __init__(self) -> None:
        self.asked: list[str] = []
        self._real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.asked.append(host)
        _loopback_or_fail(host, port)
        return await self._real.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._real.sleep(seconds)


class LoopbackOnlySync(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self.asked: list[str] = []
        self._real = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.asked.append(host)
        _loopback_or_fail(host, port)
        return self._real.connect_tcp(host, port, timeout, local_address, socket_options)


def guarded(
    table: Mapping[str, list[str]] | None = None, allowed: tuple[Network, ...] = LOOPBACK
) -> tuple[GuardedTransport, StubResolver, LoopbackOnly]:
    """A guarded transport over a stub resolver and a loopback-only backend, and the two stubs."""
    resolver, backend = StubResolver(table or {}), LoopbackOnly()
    return GuardedTransport(allowed, resolver=resolver, backend=backend), resolver, backend
