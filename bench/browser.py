"""Pages per minute of `fetch: browser` on loopback, against plain HTTP fetches of the same board.

    .venv/bin/python bench/browser.py [--pages 40] [--reviews 50]

The board is tests/support/js_site.py's: an empty list that /app.js fills from a JSON API, here
with `--reviews` complaints in six languages. Rows, each fetching and parsing `--pages` pages:

    http, JS page         the plain fetch of the JavaScript-built page (finds no item: the baseline's cost)
    http, server-built    the same reviews written into the HTML by the server (what a plain source costs)
    browser c=1 idle      rendered one at a time, read when the network has been idle 500 ms (the default)
    browser c=1 wait_for  rendered one at a time, read as soon as `wait_for: li.review` is in the DOM
    browser c=2 wait_for  two pages rendering at once (browser.max_concurrency: 2)

Chromium's start (once per worker) is timed apart. Nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sources.address_policy import LOOPBACK
from sources.base import SourceSpec, Validators, collect
from sources.browser import BrowserFetcher, BrowserSettings
from sources.html import parse
from sources.http import Fetcher, FetcherSettings
from tests.support.js_site import REVIEWS, html_settings, serve_js_site
from tests.support.loopback import LoopbackServer, static


def _reviews(count: int) -> list[dict[str, str]]:
    return [{**REVIEWS[i % len(REVIEWS)], "id": f"r{i}"} for i in range(count)]


def _server_built(reviews: list[dict[str, str]]) -> str:
    rows = "".join(
        f'<li class="review" id="{r["id"]}"><b class="author">{r["author"]}</b><p class="text">{r["text"]}</p></li>'
        for r in reviews
    )
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body><ul id='reviews'>{rows}</ul></body></html>"


async def _run(label: str, spec: SourceSpec, pages: int, concurrency: int, fetcher: Fetcher,
               browser: BrowserFetcher | None) -> None:  # fmt: skip
    times: list[float] = []
    counts: list[int] = []
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            started = time.perf_counter()
            got = await collect(spec, fetcher=fetcher, parser=parse, validators=Validators(), browser=browser)
            times.append((time.perf_counter() - started) * 1000)
            counts.append(len(got.items))

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(pages)))
    wall = time.perf_counter() - started
    print(f"{label:<22} {pages / wall * 60:>9.0f} pages/min   median {statistics.median(times):>7.1f} ms/page"
          f"   p90 {sorted(times)[int(len(times) * 0.9) - 1]:>7.1f} ms   items/page {set(counts)}")  # fmt: skip


async def main(pages: int, reviews: int) -> None:
    board = _reviews(reviews)
    with LoopbackServer() as server:
        url = serve_js_site(server, reviews=board)
        server.routes["/static"] = static(_server_built(board), content_type="text/html; charset=utf-8")
        settings = FetcherSettings(per_host_delay=0, per_host_concurrency=4, allow_networks=LOOPBACK)
        async with Fetcher(settings) as fetcher:
            browser = BrowserFetcher(fetcher, BrowserSettings(max_concurrency=2))
            try:
                js = SourceSpec(key="js", kind="html", url=url, settings=html_settings())
                plain = SourceSpec(key="plain", kind="html", url=server.url("/static"), settings=html_settings())
                idle = SourceSpec(key="b", kind="html", url=url, settings=html_settings(), fetch="browser")
                waiting = SourceSpec(key="b", kind="html", url=url, settings=html_settings(), fetch="browser",
                                     wait_for="li.review")  # fmt: skip
                await _run("http, JS page", js, pages, 1, fetcher, None)
                await _run("http, server-built", plain, pages, 1, fetcher, None)
                started = time.perf_counter()
                await browser._started()
                print(f"{'chromium start':<22} {(time.perf_counter() - started) * 1000:>9.0f} ms (once per worker)")
                await _run("browser c=1 idle", idle, pages, 1, fetcher, browser)
                await _run("browser c=1 wait_for", waiting, pages, 1, fetcher, browser)
                await _run("browser c=2 wait_for", waiting, pages, 2, fetcher, browser)
            finally:
                await browser.aclose()
    print(f"load average (1, 5, 15 min) after the run: {os.getloadavg()}; cpus: {os.cpu_count()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--reviews", type=int, default=50)
    args = parser.parse_args()
    print(f"load average (1, 5, 15 min) before the run: {os.getloadavg()}; cpus: {os.cpu_count()}")
    asyncio.run(main(args.pages, args.reviews))
