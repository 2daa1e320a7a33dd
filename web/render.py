"""Pages from the package's Jinja2 templates: autoescaped, strict about missing names, with the filters the
pages share (times in UTC, SLA countdowns) and the headers every page of the inbox carries."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup, escape

from web.cookie import PREFIX, set_cookie

__all__ = ["CSP", "clock", "compile_templates", "countdown", "deadline", "page", "percent", "when"]

HERE = Path(__file__).resolve().parent
# No inline script or style anywhere (htmx's own indicator style is off, web/templates/base.html): a complaint
# that smuggled markup past the escaping still could not run or restyle anything.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # a complaint's site never learns the inbox's addresses
    "Cache-Control": "no-store",  # pages hold customers' names: never kept by the browser or a proxy
}


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def span(seconds: float) -> str:
    """A duration as staff read it: '3 d 4 h', '2 h 05 min', '7 min'."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins:02d} min"
    return f"{mins} min"


def countdown(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "—"
    left = (due - now).total_seconds()
    return f"in {span(left)}" if left >= 0 else f"{span(left)} late"


_TICKING = frozenset({"running", "at_risk", "breached"})


def clock(state: str, due: datetime | None, now: datetime, label: str) -> Markup:
    """An SLA clock as the queue and the case show it: the countdown while it runs (data-due lets web/static/app.js
    keep it current), else its state. A function, not a template macro: the queue shows 100 of them a page, and a
    macro call costs Jinja ten times as much."""
    ticking = due is not None and state in _TICKING
    text = countdown(due, now) if ticking else state
    due_attr = f' data-due="{due.isoformat()}"' if ticking and due is not None else ""
    state_, title = escape(state), escape(f"{label}: {state}, due {when(due)}")
    # Every part is escaped or ours (an ISO time); Markup.format or join would escape the same at twice the cost.
    return Markup(f'<span class="clock sla-{state_}"{due_attr} title="{title}">{escape(text)}</span>')  # noqa: S704


def deadline(due: datetime | None, now: datetime, label: str) -> Markup:
    """A deadline without a clock state of its own (the queue's next place due): its countdown, ticking like a
    clock's, marked late once it has passed."""
    if due is None:
        return Markup('<span class="muted">—</span>')
    late = " late" if due < now else ""
    title = escape(f"{label}: due {when(due)}")
    return Markup(  # noqa: S704 -- every part escaped or ours, as in clock()
        f'<span class="clock{late}" data-due="{due.isoformat()}" title="{title}">{escape(countdown(due, now))}</span>'
    )


def percent(probability: float) -> str:
    """A probability 0-1 as staff read it: '87%', '<1%' for a small but real one."""
    share = probability * 100
    if 0 < share < 1:
        return "<1%"
    return f"{share:.0f}%"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every value is text unless a template says otherwise (none does)
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates are package files: no stat of each one (and of what it extends) on every render.
        auto_reload=False,
    )
    env.filters["when"] = when
    env.filters["span"] = span
    env.globals["countdown"] = countdown
    env.globals["clock"] = clock
    env.globals["deadline"] = deadline
    env.filters["percent"] = percent
    return env


_ENV = _environment()


def compile_templates() -> int:
    """Compile every template now (web/warm.py), not on the first request that needs it; how many."""
    names = _ENV.list_templates(extensions=["html"])
    for name in names:
        _ENV.get_template(name)
    return len(names)


def page(request: Request, template: str, context: dict[str, Any], status: int = 200) -> Response:
    """The page `template` with `context`, the visit (who, the CSRF token) and the time of rendering."""
    visit = getattr(request.state, "visit", None)
    values = {"request": request, "visit": visit, "now": datetime.now(UTC), "prefix": PREFIX, **context}
    response = HTMLResponse(_ENV.get_template(template).render(values), status_code=status)
    if visit is not None and visit.new_cookie is not None:
        set_cookie(request, response, visit.new_cookie)
    return response


def secure(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
