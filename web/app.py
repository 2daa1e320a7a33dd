"""Mounts the inbox on the API's app: its routers, its static files, its error pages and its headers."""

from __future__ import annotations

import gc
import time
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.core.settings import Settings
from web.cookie import PREFIX
from web.errors import install_web_errors
from web.render import HEADERS, HERE
from web.routers import alerts, auth, case_actions, cases, customers, queue, reports, sources
from web.session import Signer

__all__ = ["PREFIX", "install_web"]


class _GcClock:
    """Milliseconds this process has spent in garbage collection, for Server-Timing's `gc` (a slow page's
    cause told apart: its queries and rendering, or a collection that landed in it)."""

    def __init__(self) -> None:
        self.ms = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.ms += (time.perf_counter() - self._started) * 1000


GC_CLOCK = _GcClock()


class PageHeaders:
    """The inbox's security headers (web/render.py: HEADERS) on every response under PREFIX, errors and
    redirects and static files included; and `Server-Timing: app;dur=<ms>, cpu;dur=<ms>`: the time from the
    request's arrival to the response's headers (a page is rendered whole before them), and the process's CPU
    time meanwhile (the request's own cost when it is the only one in flight, as in bench/web.py), and the
    time garbage collections took meanwhile, for the browser's tools and the benchmark."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._headers = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        static = path.startswith(PREFIX + "/static/")
        started, cpu, collecting = time.perf_counter(), time.process_time(), GC_CLOCK.ms

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [
                    (k, v) for k, v in self._headers if k not in present and not (static and k == b"cache-control")
                ]
                timing = (f"app;dur={(time.perf_counter() - started) * 1000:.2f}, "
                          f"cpu;dur={(time.process_time() - cpu) * 1000:.2f}, "
                          f"gc;dur={GC_CLOCK.ms - collecting:.2f}").encode()  # fmt: skip
                message = {**message, "headers": [*message.get("headers", []), *extra, (b"server-timing", timing)]}
            await send(message)

        await self.app(scope, receive, with_headers)


def install_web(app: FastAPI, settings: Settings) -> None:
    app.state.web_signer = Signer(settings.web_secret, settings.web_session_hours * 3600)
    install_web_errors(app, PREFIX)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="web-static")
    for module in (auth, queue, cases, case_actions, sources, reports, alerts, customers):
        app.include_router(module.router, include_in_schema=False)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse(PREFIX, status_code=307)

    app.add_middleware(PageHeaders)
    if GC_CLOCK not in gc.callbacks:
        gc.callbacks.append(GC_CLOCK)
