"""Helpers for the tests of sources/http.py (the Fetcher): a fast-retrying Fetcher, a transport
that records when requests start, and texts in three Cyrillic languages."""

from __future__ import annotations

import itertools
import socket
import time
import zlib

import httpx
import pytest

from sources.address_guard import GuardedTransport
from sources.address_policy import LOOPBACK
from sources.http import Fetcher, FetcherSettings

RU = "Здравствуйте! Третий раз пишу в поддержку: деньги списали дважды, а возврат так и не пришёл."
UK = "Доброго дня! Замовлення не доставили вчасно, а служба підтримки ігнорує мої листи вже тиждень."
BE = "Добры дзень! Пасылку страцілі, а на званкі ніхто не адказвае ўжо тыдзень. Прашу вярнуць грошы."
BOM_UK = b"\xef\xbb\xbf" + UK.encode()
UA = FetcherSettings().user_agent


async def fetch_error(url: str, error: type[Exception], **settings: object) -> pytest.ExceptionInfo[Exception]:
    """What fetching `url` raises, which must be an `error`."""
    async with make_fetcher(**settings) as fetcher:
        with pytest.raises(error) as caught:
            await fetcher.get(url)
    return caught


def make_fetcher(transport: httpx.AsyncBaseTransport | None = None, **overrides: object) -> Fetcher:
    # The loopback test servers are allowed explicitly; nothing else is.
    fast = {
        "timeout": 2.0,
        "connect_timeout": 1.0,
        "backoff_base": 0.001,
        "backoff_max": 0.01,
        "allow_networks": LOOPBACK,
    }
    return Fetcher(FetcherSettings(**{**fast, **overrides}), transport=transport)


class StartTimes(GuardedTransport):
    """Records when the client hands each request to the network.

    Spacing is the client's promise, so it is measured here: the server's clock also
    counts how long its threads took to accept, which under load compresses gaps.
    """

    def __init__(self) -> None:
        super().__init__(LOOPBACK)
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
