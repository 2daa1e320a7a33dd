"""The app factory: nothing is built at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import structlog
from fastapi import Depends, FastAPI

from api.auth import FailedAuthThrottle, TokenCache
from api.deps import get_caller, open_read_pool
from api.docs import install_docs
from api.errors import install_error_handlers
from api.guard import Guard, Limits
from api.openapi import install_openapi
from api.routers import alerts, cases, customers, drafts, health, mentions, reports, sources, tokens
from monitor.cases.lifecycle import desk_rules
from monitor.config import Config, load_config
from monitor.core.db import describe_url, make_engine, make_session_factory
from monitor.core.logs import configure_logging
from monitor.core.revisions import head_revision
from monitor.core.settings import Settings
from monitor.desk.drafts import templates_of
from monitor.worker.poller import Poller
from monitor.worker.service import Worker
from sources.http import Fetcher
from web.app import PREFIX as WEB_PREFIX
from web.app import install_web
from web.warm import cool_down, warm_up

__all__ = ["app_from_environment", "create_app"]

log = structlog.get_logger("replywatch.api")
PROBLEM = {"content": {"application/problem+json": {}}}


def create_app(
    config: Config,
    settings: Settings | None = None,
    *,
    run_worker: bool = False,
    fetcher: Fetcher | None = None,
) -> FastAPI:
    """Build the API. With `run_worker` the same process also polls the sources on schedule."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.database_url = settings.database_url  # for the import's worker process (its own engine)
        app.state.sessions = make_session_factory(engine)
        app.state.tokens = TokenCache()
        app.state.auth_throttle = FailedAuthThrottle(settings.auth_failure_limit, settings.auth_failure_window)
        # One customer import at a time per API process (each in a worker process): two would only take turns
        # at the database's write lock, and each holds its file in memory.
        app.state.import_limiter = anyio.CapacityLimiter(1)
        app.state.schema_head = head_revision()
        app.state.config = config
        # Compiled now, so a broken reply template stops the start (with file and line), not a request.
        templates_of(desk_rules(config))
        # The poller serves "poll now"; the worker's schedule runs here only with run_worker.
        poller = Poller(config=config, sessions=app.state.sessions, fetcher=fetcher)
        app.state.poller = poller
        worker = Worker(poller) if run_worker else None
        counts = await poller.sync()
        # Opened last, once nothing else can fail to start: a refused start leaves no pool behind.
        app.state.read_pool = read_pool = open_read_pool(engine)
        if read_pool is not None:
            await read_pool.open(wait=False)
        await warm_up(engine, read_pool)
        if worker is not None:
            worker.start()
        log.info(
            "api.started",
            database=describe_url(settings.database_url),
            config=config.path,
            sources=len(config.sources),
            brands=len(config.brands),
            worker=run_worker,
            **counts,
        )
        try:
            yield
        finally:
            await (worker.aclose() if worker is not None else poller.aclose())
            if read_pool is not None:
                await read_pool.close()
            engine.dispose()
            cool_down()
            log.info("api.stopped")

    app = FastAPI(
        title="replywatch",
        version="0.1.0",
        description="Watches public complaint sites and feeds and tracks every complaint to a timely public reply.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's page loads Swagger UI from a CDN; api/docs.py serves it from the package
        redoc_url=None,
    )
    install_error_handlers(app)
    # Body caps: every JSON route the guard's default; the import streams its own upload (up to MAX_UPLOAD).
    limits = Limits(streamed={customers.IMPORT_PATH: customers.MAX_UPLOAD})
    app.add_middleware(Guard, limits=limits, docs_need_token=settings.docs_need_token, own_auth=(WEB_PREFIX,))
    install_openapi(app, limits)
    install_docs(app)
    app.include_router(health.router)  # no token (api/guard.py: OPEN_PATHS): probes must not need secrets
    auth = {
        "dependencies": [Depends(get_caller)],
        "responses": {
            401: {"description": "No API token, or an unknown or revoked one", **PROBLEM},
            429: {"description": "Too many refused tokens from this address; wait for Retry-After", **PROBLEM},
            503: {"description": "The database is unavailable; send the request again after Retry-After", **PROBLEM},
        },
    }
    for module in (sources, mentions, cases, drafts, customers, reports, alerts, tokens):
        app.include_router(module.router, **auth)
    install_web(app, settings)  # the staff's pages under /inbox: a session cookie, not a bearer token
    return app


def app_from_environment() -> FastAPI:
    """The API as `replywatch serve` and `demo` start it, by its import string (monitor.cli.serving.APP_FACTORY): settings and
    watch list from REPLYWATCH_DATABASE_URL and REPLYWATCH_CONFIG, the poller only with REPLYWATCH_RUN_WORKER.

    The CLI names the app instead of importing it, as any ASGI server does, so monitor never imports api."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(load_config(settings.config), settings, run_worker=settings.run_worker)
