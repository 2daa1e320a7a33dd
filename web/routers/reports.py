"""The coverage report for a chosen period, on the page and as downloads (CSV, Markdown, one HTML file, JSON)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

import anyio
import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from monitor.cases.lifecycle import desk_rules
from monitor.core.db import session_scope
from monitor.reports.render import render, to_json
from monitor.reports.report import CoverageReport, coverage_report
from web.cookie import PREFIX
from web.errors import WebError
from web.render import page
from web.session import Viewer

router = APIRouter(prefix=PREFIX)
MEDIA = {"csv": "text/csv; charset=utf-8", "md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8",
         "json": "application/json"}  # fmt: skip
Day = Annotated[date | None, Query()]


def _period(start: date | None, end: date | None, now: datetime) -> tuple[datetime, datetime]:
    """Whole UTC days, `end` included; the last 7 days by default."""
    today = now.date()
    end = end or today
    start = start or end - timedelta(days=6)
    if end < start:
        raise WebError(400, "Check the period", f"the period ends ({end}) before it starts ({start})")
    period_from = datetime.combine(start, time(), UTC)
    if period_from >= now:
        raise WebError(400, "Check the period", f"the period starts ({start}) after today ({today})")
    return period_from, datetime.combine(end + timedelta(days=1), time(), UTC)


async def _report(request: Request, start: date | None, end: date | None, brand: str | None) -> CoverageReport:
    now = datetime.now(UTC)
    period_from, period_to = _period(start, end, now)
    config = request.app.state.config
    rules = desk_rules(config)
    calendars = {b.key: rules.calendar(b.key) for b in config.brands}

    def run() -> CoverageReport:
        # A write transaction, as the API's: the first report over a day saves that day's roll-up.
        with session_scope(request.app.state.sessions) as session:
            return coverage_report(session=session, period_from=period_from, period_to=min(period_to, now), now=now,
                                   brand=brand, calendars=calendars)  # fmt: skip

    return await anyio.to_thread.run_sync(run)


@router.get("/reports/coverage")
async def coverage(request: Request, current: Viewer, start: Day = None, end: Day = None,
                   brand: Annotated[str | None, Query(max_length=64)] = None) -> Response:  # fmt: skip
    brand = brand or None
    report = await _report(request, start, end, brand)
    config = request.app.state.config
    return page(request, "coverage.html", {
        "report": report, "brands": [b.key for b in config.brands], "brand": brand,
        "start": report.period_from.date(), "end": (report.period_to - timedelta(seconds=1)).date(),
    })  # fmt: skip


@router.get("/reports/coverage.{fmt}")
async def download(request: Request, current: Viewer, fmt: Literal["csv", "md", "html", "json"], start: Day = None,
                   end: Day = None, brand: Annotated[str | None, Query(max_length=64)] = None) -> Response:  # fmt: skip
    report = await _report(request, start, end, brand or None)
    body = orjson.dumps(to_json(report)) if fmt == "json" else render(report, fmt, _base(request)).encode("utf-8")
    name = f"coverage-{report.period_from.date()}-{(report.period_to - timedelta(seconds=1)).date()}.{fmt}"
    # An attachment: the HTML report opens from disk, never as a page of the inbox (its own styles are inline).
    return Response(body, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _base(request: Request) -> str:
    """The address the browser used: a downloaded report's case links open this inbox."""
    return str(request.base_url).rstrip("/")
