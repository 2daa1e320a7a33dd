from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.loopback import LoopbackServer


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A loopback HTTP server with no routes yet; tests assign `server.routes[path]`."""
    with LoopbackServer() as running:
        yield running
