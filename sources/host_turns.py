"""Politeness state for one host: how many requests may be in flight, and how far apart they start."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["HostTurns"]


class HostTurns:
    """Politeness state for one host name; the Fetcher keeps one per host it has seen."""

    def __init__(self, concurrency: int) -> None:
        self.slots = asyncio.Semaphore(concurrency)
        self.start_lock = asyncio.Lock()
        self.last_start = -math.inf
        self.crawl_delay = 0.0

    @asynccontextmanager
    async def turn(self, delay: float) -> AsyncIterator[None]:
        async with self.slots:
            # The lock is held while sleeping so that waiting requests start one by one,
            # each at least `delay` after the previous start, in arrival order.
            async with self.start_lock:
                wait = self.last_start + max(delay, self.crawl_delay) - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.last_start = time.monotonic()
            yield
