"""Field specs benchmark: one 50-item listing page parsed with field specs and with plain selectors.

    .venv/bin/python bench/fields.py [--repeat 20] [--items 50]

Prints, each the best of `--repeat` runs (noise only ever adds time) in wall and in CPU time, with
the load average:

    html.parse, plain selectors     the page as sources.yaml could describe it before field specs
    html.parse, field specs         the same page with selector lists, join, own text, strip_prefix,
                                    regex, a class-name rating on a 0-50 scale, relative dates in six
                                    languages and month-precision dates, a time zone, ids from links
    relative dates                  sources.dates.read_relative against dateparser 1.5 on the same
                                    phrases: µs per phrase and how many each reads right (ground
                                    truth written next to each phrase)

The page is generated (ru, uk, be, hy, de and en reviews in turn). Target: the field-spec page
parses in under 5 ms. Nothing here touches the network or a database.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sources.dates import read_relative
from sources.html import HtmlSettings
from sources.html import parse as parse_html

FETCHED = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
TARGET_MS = 5.0

# One review per language, in turn: (author prefix, author, city, date text, text, pros, cons).
REVIEWS = [
    ("от", "Марина", "из Казани", "сегодня в 12:02", "Курьер опоздал на три дня, поддержка молчит.", "", ""),
    ("від", "Олена", "з Києва", "вчора о 14:05", "", "Ввічливий оператор.", "Гроші повертали місяць."),
    ("ад", "Андрэй", "з Мінска", "2 дні таму", "Пасылку страцілі, грошы не вярнулі.", "", ""),
    ("", "Արամ", "Երևանից", "3 օր առաջ", "Պատվերը ուշացավ մեկ շաբաթ։", "", ""),
    ("von", "Jürgen", "aus Köln", "vor 3 Tagen", "Seit zwei Wochen warte ich auf mein Paket.", "", ""),
    ("by", "Tina", "from Nottingham, MD", "Reviewed in June 2019", "Still waiting for my refund.", "", ""),
]

ITEM = """<div class="review">
  <a class="link" href="{href}">#</a><h3 class="title">Отзыв {i}</h3>
  <p class="by">{prefix} {author} <span class="city">{city}</span></p>
  <span class="stars star-rating rating-{stars}"></span><span class="date">{date}</span>
  {text}{pros}{cons}
  <div class="answer"><div class="answer-text">Ответ компании: Здравствуйте! Разберёмся.</div></div>
</div>
"""

PLAIN = {
    "id": "a.link@href",
    "url": "a.link",
    "title": "h3.title",
    "body": "div.text",
    "author": "p.by",
    "rating": "span.stars@class",
    "published": "span.date",
    "reply": ".answer-text",
}
SPECS: dict[str, Any] = {
    "id": {"select": "a.link@href", "url_pattern": r"/review/(\d+)"},
    "url": "a.link",
    "title": ["h3.title", "h2"],
    "body": {"select": ["div.text", "div.pros", "div.cons"], "join": "\n\n"},
    "author": {"select": "p.by", "own_text": True, "strip_prefix": ["от", "від", "ад", "von", "by"]},
    "rating": {"select": "span.stars@class", "regex": r"rating-(\d+)", "scale": 50},
    "published": {"select": "span.date", "formats": ["%d.%m.%Y %H:%M"]},
    "reply": {"select": ".answer-text", "strip_prefix": "Ответ компании:"},
}


def page(items: int) -> str:
    out = ["<html><body><nav>" + "<a href='/x'>Раздел</a>" * 200 + "</nav>"]
    for i in range(items):
        prefix, author, city, date, text, pros, cons = REVIEWS[i % len(REVIEWS)]
        out.append(
            ITEM.format(
                i=i,
                # Absolute and relative links in turn: the id must come out the same either way.
                href=f"https://otzovik.example/shop/review/{1000 + i}/" if i % 2 else f"/shop/review/{1000 + i}",
                prefix=prefix,
                author=author,
                city=city,
                stars=10 * (i % 5 + 1),
                date=date,
                text=f'<div class="text"><p>{text}</p><p>{text}</p></div>' if text else "",
                pros=f'<div class="pros">{pros}</div>' if pros else "",
                cons=f'<div class="cons">{cons}</div>' if cons else "",
            )
        )
    return "".join(out) + "</body></html>"


def best_ms(run: Callable[[], Any], repeat: int, clock: Callable[[], float] = time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        started = clock()
        run()
        times.append(clock() - started)
    return min(times) * 1000


# Phrases with the answer a person reads in them, fetched at FETCHED (UTC): (phrase, expected start).
DAY = timedelta(days=1)
MIDNIGHT = FETCHED.replace(hour=0)
PHRASES = [
    ("сегодня в 12:02", FETCHED.replace(hour=12, minute=2)),
    ("вчера", MIDNIGHT - DAY),
    ("2 дня назад", MIDNIGHT - 2 * DAY),
    ("неделю назад", MIDNIGHT - 7 * DAY),
    ("сьогодні о 12:02", FETCHED.replace(hour=12, minute=2)),
    ("вчора", MIDNIGHT - DAY),
    ("2 дні тому", MIDNIGHT - 2 * DAY),
    ("тиждень тому", MIDNIGHT - 7 * DAY),
    ("сёння ў 12:02", FETCHED.replace(hour=12, minute=2)),
    ("учора", MIDNIGHT - DAY),
    ("2 дні таму", MIDNIGHT - 2 * DAY),
    ("тыдзень таму", MIDNIGHT - 7 * DAY),
    ("այսօր 12:02", FETCHED.replace(hour=12, minute=2)),
    ("երեկ", MIDNIGHT - DAY),
    ("2 օր առաջ", MIDNIGHT - 2 * DAY),
    ("մեկ ժամ առաջ", FETCHED - timedelta(hours=1)),
    ("heute um 12:02", FETCHED.replace(hour=12, minute=2)),
    ("gestern", MIDNIGHT - DAY),
    ("vor 3 Tagen", MIDNIGHT - 3 * DAY),
    ("vor einer Woche", MIDNIGHT - 7 * DAY),
    ("today at 12:02", FETCHED.replace(hour=12, minute=2)),
    ("yesterday", MIDNIGHT - DAY),
    ("2 days ago", MIDNIGHT - 2 * DAY),
    ("an hour ago", FETCHED - timedelta(hours=1)),
]


def _right(found: datetime | None, expected: datetime) -> bool:
    # A phrase that names a day ("вчера", "2 days ago"; expected at midnight) is read right on that
    # day, whatever the clock time (dateparser gives it the fetch's); one with a clock time, to the minute.
    if found is None:
        return False
    if expected.time() == datetime.min.time():
        return found.date() == expected.date()
    return abs(found - expected) < timedelta(minutes=1)


def relative_dates(repeat: int) -> None:
    ours = [read_relative(p, now=FETCHED) for p, _ in PHRASES]
    ms = best_ms(lambda: [read_relative(p, now=FETCHED) for p, _ in PHRASES], repeat)
    right = sum(_right(d.at if d else None, e) for d, (_, e) in zip(ours, PHRASES, strict=True))
    print(f"relative dates, sources.dates   {ms * 1000 / len(PHRASES):8.1f} µs/phrase, {right}/{len(PHRASES)} right")
    try:
        from dateparser.date import DateDataParser
    except ImportError:
        return
    settings = {"RELATIVE_BASE": FETCHED.replace(tzinfo=None), "PREFER_DATES_FROM": "past"}
    parser = DateDataParser(languages=["en", "ru", "uk", "be", "hy", "de"], settings=settings)
    parser.get_date_data("вчера")  # load the language data outside the timing

    def run() -> list[datetime | None]:
        found = [parser.get_date_data(p).date_obj for p, _ in PHRASES]
        return [f.replace(tzinfo=UTC) if f else None for f in found]

    theirs = run()
    ms = best_ms(run, max(1, repeat // 5))
    right = sum(_right(f, e) for f, (_, e) in zip(theirs, PHRASES, strict=True))
    missed = [p for f, (p, e) in zip(theirs, PHRASES, strict=True) if not _right(f, e)]
    print(
        f"relative dates, dateparser 1.5  {ms * 1000 / len(PHRASES):8.1f} µs/phrase, {right}/{len(PHRASES)} right;"
        f" missed: {', '.join(missed)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs of each measurement (the best is shown)")
    parser.add_argument("--items", type=int, default=50)
    args = parser.parse_args()

    html = page(args.items)
    data = html.encode()
    runs = {
        "plain selectors": HtmlSettings.model_validate({"item": "div.review", "fields": PLAIN}),
        "field specs": HtmlSettings.model_validate(
            {"item": "div.review", "fields": SPECS, "timezone": "Europe/Moscow"}
        ),
    }
    print(load())
    timings: dict[str, float] = {}
    for name, settings in runs.items():

        def run(settings: HtmlSettings = settings) -> Any:
            return parse_html(
                body=data, text=html, url="https://otzovik.example/shop/reviews/", content_type="text/html",
                settings=settings, fetched_at=FETCHED,
            )  # fmt: skip

        got = run()
        filled = sum(1 for m in got.items for v in (m.external_id, m.author, m.rating, m.published_at) if v)
        ms = best_ms(run, args.repeat)
        # CPU time of this process: on a shared machine it is what a quiet machine's wall time would be,
        # near enough, while wall time also counts the waits for a CPU.
        cpu = timings[name] = best_ms(run, args.repeat, time.process_time)
        print(
            f"html.parse, {name:<16} {len(data) / 1024:5.0f} KB, {len(got.items)} items,"
            f" {filled} of {4 * len(got.items)} id/author/rating/date filled: {ms:6.2f} ms wall, {cpu:6.2f} ms CPU"
        )
    ratio = timings["field specs"] / timings["plain selectors"]
    verdict = "met" if timings["field specs"] < TARGET_MS else "MISSED"
    print(f"field specs / plain: {ratio:.2f}x CPU; target: field-spec page under {TARGET_MS:.0f} ms CPU: {verdict}")
    relative_dates(args.repeat)
    print(load())


def load() -> str:
    # The same pure-Python loop as bench/machine.py (about 0.25 s on this machine when idle), in CPU
    # time too: how much slower than usual this process ran, for comparing runs.
    wall, cpu = time.perf_counter(), time.process_time()
    total = 0
    for i in range(5_000_000):
        total += i
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    one, five, fifteen = os.getloadavg()
    return (
        f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} CPUs);"
        f" 5M-iteration loop {wall:.2f} s wall, {cpu:.2f} s CPU"
    )


if __name__ == "__main__":
    main()
