"""Structured-data parse time: schema.org Reviews from JSON-LD and microdata, ours against extruct.

    .venv/bin/python bench/structured.py [--repeat 21]

Prints the median and best of `--repeat` runs, in milliseconds per page, for:

    real page      Trustpilot's saved company page (tests/fixtures/html/real/trustpilot, 20 reviews in a
                   JSON-LD @graph: ground truth 20) with `kind: structured`
    50 JSON-LD     a generated product page: 50 reviews in one JSON-LD block and 150 KB of listing markup
    50 microdata   the same 50 reviews as microdata (itemscope Review, nested Person and Rating)
    50 embedded    the same 50 reviews as __NEXT_DATA__ with `kind: embedded_json`

and, on the same pages in the same run, the plain baselines: lexbor parsing the page alone (the least any
reader of the page pays), the `html` kind reading 50 reviews with selectors, and extruct (the maintained
library for the job; its figures only if it is installed) extracting the same syntax. The load average is
printed with the figures: the machine is shared. Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sources.embedded import EmbeddedJsonSettings
from sources.embedded import parse as parse_embedded
from sources.html import HtmlSettings
from sources.html import parse as parse_listing
from sources.structured import StructuredSettings
from sources.structured import parse as parse_structured
from sources.text import parse_html

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "fixtures" / "html" / "real" / "trustpilot" / "free-now.html"
URL = "https://shop.example/p/kettle-9"
TEXT = "Курьер не привёз заказ, деньги списали дважды, поддержка молчит третью неделю. "


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Median and best of `repeat` runs, in milliseconds (CPU time of this process)."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000, min(times) * 1000


def reviews(n: int) -> list[dict[str, Any]]:
    return [
        {"id": f"r{i}", "author": f"Покупатель {i}", "date": f"2026-11-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
         "title": f"Отзыв {i}", "body": TEXT * (2 + i % 4), "rating": 1 + i % 5}
        for i in range(n)
    ]  # fmt: skip


def chrome() -> str:
    # A real page's weight around the reviews: navigation, product cards, scripts.
    links = "".join(f'<li><a href="/c/{i}" class="nav-link">Категория {i}</a></li>' for i in range(400))
    cards = "".join(
        f'<div class="card"><img src="/i/{i}.jpg"><span class="price">{i} ₽</span></div>' for i in range(300)
    )
    return f"<nav><ul>{links}</ul></nav><section>{cards}</section><script>var x = {{}};</script>"


def json_ld_page(items: list[dict[str, Any]]) -> str:
    doc = {
        "@context": "https://schema.org", "@type": "Product", "name": "Чайник",
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": "3", "reviewCount": str(len(items))},
        "review": [
            {"@type": "Review", "@id": r["id"], "author": {"@type": "Person", "name": r["author"]},
             "datePublished": r["date"], "name": r["title"], "reviewBody": r["body"],
             "reviewRating": {"@type": "Rating", "ratingValue": str(r["rating"]), "bestRating": "5"}}
            for r in items
        ],
    }  # fmt: skip
    script = f'<script type="application/ld+json">{json.dumps(doc, ensure_ascii=False)}</script>'
    return f"<!doctype html><html><head>{script}</head><body>{chrome()}</body></html>"


def microdata_page(items: list[dict[str, Any]]) -> str:
    rows = "".join(
        f'<div class="review" itemprop="review" itemscope itemtype="https://schema.org/Review" itemid="{r["id"]}">'
        f'<h3 itemprop="name">{r["title"]}</h3><span itemprop="author" itemscope itemtype="https://schema.org/Person">'
        f'<span itemprop="name">{r["author"]}</span></span><time itemprop="datePublished" datetime="{r["date"]}">вчера</time>'
        f'<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating"><meta itemprop="ratingValue" '
        f'content="{r["rating"]}"></div><div class="text" itemprop="reviewBody"><p>{r["body"]}</p></div></div>'
        for r in items
    )
    product = f'<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Чайник</h1>{rows}</div>'
    return f"<!doctype html><html><body>{chrome()}{product}</body></html>"


def embedded_page(items: list[dict[str, Any]]) -> str:
    doc = {"props": {"pageProps": {"reviews": items}}}
    script = f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(doc, ensure_ascii=False)}</script>'
    return f"<!doctype html><html><body>{chrome()}{script}</body></html>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    try:
        import extruct
    except ImportError:  # the comparison is optional; ours is what is measured
        extruct = None

    items = reviews(50)
    real = REAL.read_text(encoding="utf-8")
    pages = {"real page": real, "50 JSON-LD": json_ld_page(items), "50 microdata": microdata_page(items),
             "50 embedded": embedded_page(items)}  # fmt: skip
    auto, micro = StructuredSettings(), StructuredSettings(format="microdata")
    embedded = EmbeddedJsonSettings(
        items="props.pageProps.reviews",
        fields={
            "body": "body",
            "id": "id",
            "title": "title",
            "author": "author",
            "published": "date",
            "rating": "rating",
        },
    )
    listing = HtmlSettings(
        item="div.review",
        fields={"body": "div.text", "id": "@itemid", "title": "h3", "author": "span[itemprop=author]",
                "published": "time@datetime", "rating": "meta[itemprop=ratingValue]@content"},
    )  # fmt: skip

    def ours(page: str, settings: Any, parse: Callable[..., Any] = parse_structured) -> Callable[[], Any]:
        return lambda: parse(body=b"", text=page, url=URL, content_type="text/html", settings=settings)

    rows: list[tuple[str, str, Callable[[], Any], int | None]] = [
        ("real page", "structured (json-ld via auto)", ours(real, auto), 20),
        ("50 JSON-LD", "structured (auto)", ours(pages["50 JSON-LD"], auto), 50),
        ("50 microdata", "structured (microdata)", ours(pages["50 microdata"], micro), 50),
        ("50 microdata", "structured (auto: no JSON-LD, then microdata)", ours(pages["50 microdata"], auto), 50),
        ("50 microdata", "baseline: html kind, selectors", ours(pages["50 microdata"], listing, parse_listing), 50),
        ("50 embedded", "embedded_json", ours(pages["50 embedded"], embedded, parse_embedded), 50),
    ]
    for name, page in pages.items():
        rows.append((name, "baseline: lexbor parse only", lambda page=page: parse_html(page), None))
    if extruct is not None:
        rows += [
            ("real page", "extruct json-ld", lambda: extruct.extract(real, syntaxes=["json-ld"]), None),
            ("50 JSON-LD", "extruct json-ld", lambda: extruct.extract(pages["50 JSON-LD"], syntaxes=["json-ld"]), None),
            ("50 microdata", "extruct microdata",
             lambda: extruct.extract(pages["50 microdata"], syntaxes=["microdata"], uniform=True), None),
        ]  # fmt: skip

    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}, "
          f"{os.cpu_count()} CPUs, {args.repeat} runs each")  # fmt: skip
    print(f"{'page':<13} {'KB':>5}  {'reader':<48} {'median ms':>9} {'best ms':>8}  items")
    for name, reader, run, expected in rows:
        found = run()
        count = len(found.items) if hasattr(found, "items") and isinstance(found.items, list) else None
        if expected is not None and count != expected:
            raise SystemExit(f"{name} / {reader}: read {count} items, expected {expected}")
        median, best = timed(run, args.repeat)
        kb = len(pages[name].encode()) // 1024
        shown = "" if count is None else str(count)
        print(f"{name:<13} {kb:>5}  {reader:<48} {median:>9.2f} {best:>8.2f}  {shown}")
    print(f"load average after {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
