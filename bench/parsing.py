"""Parsing and matching speed on fixed inputs: the figures the tests used to print.

    .venv/bin/python bench/parsing.py [--repeat 5]

Prints, each the best of `--repeat` runs (the machine's noise only ever adds time):

    feed.parse     an RSS feed of 50 complaints (~100 KB)
    html.parse     an HTML listing of 50 complaints behind 200 navigation links, and one of 5,000 (~8 MB)
    text.tokens    1 MB of complaint text split into words
    brand match    1 MB naming no brand, the same with a typo'd brand name at the end, one 1 MB "word";
                   every demo complaint (mean and p99 per mention, word cache warm), and building the matcher

Nothing here touches the network or a database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from monitor.cases.brands import BrandMatcher
from monitor.config import parse_config
from monitor.core.text import tokens
from sources.feed import parse as parse_feed
from sources.html import HtmlSettings
from sources.html import parse as parse_html

DEMO = Path(__file__).resolve().parent.parent / "monitor" / "demo"
COMPLAINT = "Деньги списали дважды, поддержка молчит третью неделю, прошу вернуть средства. "
HTML_SETTINGS = HtmlSettings(
    item="div.review",
    fields={"body": "div.text", "id": "@data-id", "title": "h3.title", "author": ".author", "url": "a.permalink@href",
            "published": "time@datetime", "rating": ".rating", "reply": ".answer-text"},
)  # fmt: skip


def best_ms(run: Callable[[], Any], repeat: int) -> float:
    """The fastest of `repeat` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


def feed(items: int) -> bytes:
    entry = (
        "<item><title>Жалоба {i}: банк не отвечает</title><link>/c/{i}</link><guid>c-{i}</guid>"
        "<pubDate>Sun, 22 Nov 2026 14:05:00 +0300</pubDate><description><![CDATA[<p>{text}</p><p>{text}</p>]]>"
        "</description></item>"
    )
    body = "".join(entry.format(i=i, text=COMPLAINT * 6) for i in range(items))
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'.encode()


def listing(items: int, navigation: int) -> str:
    item = (
        '<div class="review" data-id="r{i}"><h3 class="title">Жалоба №{i}</h3>'
        '<a class="permalink" href="/r/{i}">#</a><span class="author">Клиент {i}</span>'
        '<time datetime="2026-11-22T14:05:00Z">22 ноября 2026</time><span class="rating">2 из 5</span>'
        '<div class="text"><p>{text}</p><p>{text}</p></div>'
        '<div class="answer"><div class="answer-text">Здравствуйте! Разберёмся.</div></div></div>\n'
    )
    chrome = "<nav>" + "<a href='/x'>Раздел</a>" * navigation + "</nav>"
    return (
        f"<html><body>{chrome}" + "".join(item.format(i=i, text=COMPLAINT * 4) for i in range(items)) + "</body></html>"
    )


def megabyte(chunk: str) -> str:
    return (chunk * (1_000_000 // len(chunk) + 1))[:1_000_000]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each measurement (the best is shown)")
    args = parser.parse_args()
    n = args.repeat

    body = feed(50)
    ms = best_ms(
        lambda: parse_feed(
            body=body, text="", url="https://x.example/", content_type="application/rss+xml", settings=None
        ),
        n,
    )
    print(f"feed.parse   {len(body) / 1024:6.0f} KB, {'50 items':<24}{ms:8.1f} ms")
    for items, navigation in ((50, 200), (5_000, 0)):
        page = listing(items, navigation)
        data = page.encode()
        ms = best_ms(lambda data=data, page=page: parse_html(body=data, text=page, url="https://x.example/",
                                                             content_type="text/html", settings=HTML_SETTINGS), n)  # fmt: skip
        print(f"html.parse   {len(data) / 1024:6.0f} KB, {f'{items:,} items':<24}{ms:8.1f} ms")
    text = megabyte("Купил электрочайник в магазине Акме на Ленина, 14. Ластаўка прывезла 😀 Lastochka app. ")
    print(f"text.tokens  {'1 MB':<34}{best_ms(lambda: tokens(text), n):8.1f} ms")

    config = parse_config((DEMO / "sources.yaml").read_bytes(), env={"REPLYWATCH_DEMO_BOARD": "http://127.0.0.1:9"})
    build = best_ms(lambda: BrandMatcher(config.brands), n)
    matcher = BrandMatcher(config.brands)
    filler = megabyte("Доставку перенесли уже третий раз, курьер не отвечает, деньги списали. 😀 ")
    for what, sample in (
        ("naming nothing", filler),
        ("a typo'd name at the end", filler[:-20] + " Ластачке " + "x" * 10),
        ("a single 1 MB word", "Ластаўцы" + "я" * 1_000_000),
    ):
        print(f"brand match  1 MB, {what:<28}{best_ms(lambda s=sample: matcher.match(s), n):8.1f} ms")
    complaints = orjson.loads((DEMO / "complaints.json").read_bytes())["complaints"]
    texts = [f"{c.get('title') or ''}\n{c['body']}" for c in complaints]
    for t in texts:
        matcher.match(t)  # warm the word cache, as a running service has
    times = []
    for _ in range(20):
        for t in texts:
            started = time.perf_counter()
            matcher.match(t)
            times.append(time.perf_counter() - started)
    times.sort()
    print(f"brand match  per demo mention: mean {statistics.mean(times) * 1e6:.0f} µs, "
          f"p99 {times[int(len(times) * 0.99)] * 1e6:.0f} µs over {len(times)}; build {build:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
