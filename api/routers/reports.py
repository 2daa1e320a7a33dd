"""Reports: moderation coverage and answer times for a period, as JSON, CSV, Markdown or one HTML file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from api.deps import Caller, ConfigDep, WriteSession
from api.errors import BadRequest
from api.schemas import Instant
from monitor.cases.lifecycle import desk_rules
from monitor.reports.render import render, to_json
from monitor.reports.report import coverage_report

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])
PROBLEM = {"content": {"application/problem+json": {}}}
MEDIA = {"csv": "text/csv; charset=utf-8", "md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


@router.get(
    "/coverage",
    response_model=dict[str, Any],
    responses={
        200: {"description": "The report; JSON unless `format` asks otherwise",
              "content": {"text/csv": {"schema": {"type": "string"}}, "text/markdown": {"schema": {"type": "string"}},
                          "text/html": {"schema": {"type": "string"}}}},
        400: {"description": "A period without time zone, or one that ends before it starts", **PROBLEM},
        404: {"description": "No such brand", **PROBLEM},
    },
    summary="Was every source checked on its period, and did every case get a timely public reply",
)  # fmt: skip
def coverage(
    session: WriteSession,
    _: Caller,
    config: ConfigDep,
    period_from: Annotated[Instant, Query(alias="from", description="Start, with a time zone")],
    period_to: Annotated[Instant, Query(alias="to", description="End (exclusive), with a time zone")],
    brand: Annotated[str | None, Query(max_length=64)] = None,
    format: Literal["json", "csv", "md", "html"] = "json",
) -> Response:
    if period_from.tzinfo is None or period_to.tzinfo is None:
        raise BadRequest("from and to need a time zone, e.g. 2026-11-01T00:00:00Z")
    now = datetime.now(UTC)
    # Checked here, not left to coverage_report's Invalid (a 422): this route documents a 400 for it.
    if min(period_to, now) <= period_from:
        raise BadRequest("the period must end after it starts (and start before now)")
    rules = desk_rules(config)
    calendars = {b.key: rules.calendar(b.key) for b in config.brands}

    # A write session, not the read path: the first report over a day saves that day's roll-up (poll_day).
    # An unknown brand is coverage_report's NotFound: the API's 404.
    report = coverage_report(session=session, period_from=period_from, period_to=period_to, now=now, brand=brand,
                             calendars=calendars)  # fmt: skip
    if format == "json":
        return JSONResponse(to_json(report))
    text = render(report, format, config.alerts.public_url)
    return HTMLResponse(text) if format == "html" else PlainTextResponse(text, media_type=MEDIA[format])
