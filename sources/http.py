"""The polite fetcher every adapter goes through.

One `Fetcher` owns one `httpx.AsyncClient` (keep-alive pool capped by `max_connections`)
and the politeness state of every host it has seen. Order of one `get()`:

0. The URL: absolute http(s), and not a literal address the outbound policy refuses
   (sources.address_policy; a name is judged on the address it resolves to, when the
   connection is opened, by sources.address_guard).
1. robots.txt of the URL's scheme+host+port, cached `robots_ttl` seconds (RFC 9309:
   4xx means allow all; 5xx or unreachable means do not crawl, so a TransientError
   is raised and the next poll tries again; a stale cached copy is used meanwhile).
   Skipped when `obey_robots=False`.
2. A turn on the host: at most `per_host_concurrency` requests in flight, and request
   starts spaced by max(per_host_delay, robots Crawl-delay, the caller's min_delay).
3. The GET, conditional when validators are given; the body is streamed and counted
   after decompression so that neither a lying Content-Length nor a gzip bomb can
   pass `max_bytes`.
4. The status: 2xx and 304 are returned; 429/503 with a short Retry-After are waited
   out; timeouts, connection errors and 5xx back off (exponential, full jitter) and
   retry; every attempt takes a new turn on the host. Everything else raises a
   sources.errors.SourceError subclass.
5. A redirect is followed here, not by httpx, up to `max_redirects`: each hop goes through
   0-4 again (its own robots.txt, address check and host turn), without credentials when
   it changes origin.
6. The body is decoded to text (see `decode_text`).
"""

from __future__ import annotations

import asyncio
import functools
import random
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

import httpx
import structlog
from protego import Protego
from pydantic import BaseModel, ConfigDict, Field

from sources.address_guard import GuardedTransport, check_url
from sources.address_policy import Network
from sources.base import Validators
from sources.content import decode_text, parse_max_age, parse_retry_after, read_body, server_now
from sources.errors import (
    AddressRefused,
    BlockedByRobots,
    ClientError,
    ConnectionFailed,
    FetchTimeout,
    Gone,
    InvalidUrl,
    PermanentError,
    RateLimited,
    ServerError,
    TooManyRedirects,
    TransientError,
    UnexpectedContent,
)
from sources.host_turns import HostTurns
from sources.redirects import hop_headers, redirect_target

__all__ = ["Fetcher", "FetcherSettings", "Response", "decode_text", "parse_max_age", "parse_retry_after"]

log = structlog.get_logger(__name__)

ACCEPT_ENCODING = "gzip, deflate, br, zstd"
# RFC 9309 §2.5: crawlers must parse at least the first 500 KiB; the rest may be ignored.
_ROBOTS_MAX_BYTES = 500 * 1024
# A mistyped or hostile Crawl-delay (86400) must not park every source of a host for a day.
_MAX_CRAWL_DELAY = 60.0


class FetcherSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    user_agent: str = Field(default="replywatch/0.1 (+https://github.com/replywatch/replywatch)", min_length=1)
    timeout: float = Field(default=20.0, gt=0)  # read timeout, seconds
    connect_timeout: float = Field(default=10.0, gt=0)
    max_bytes: int = Field(default=5 * 1024 * 1024, gt=0)  # on the decompressed body
    max_redirects: int = Field(default=5, ge=0)
    retries: int = Field(default=2, ge=0)  # extra attempts on timeouts, connection errors, 5xx
    backoff_base: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=10.0, ge=0)
    per_host_concurrency: int = Field(default=2, ge=1)
    per_host_delay: float = Field(default=0.0, ge=0)  # between request starts; Crawl-delay raises it
    # httpx gets slower as keep-alive pools grow into the hundreds.
    max_connections: int = Field(default=64, ge=1)
    robots_ttl: float = Field(default=3600.0, ge=0)
    # 429/503 Retry-After up to this is waited out inside get(); longer raises RateLimited.
    max_inline_retry_after: float = Field(default=10.0, ge=0)
    # Networks the outbound address policy lets through (e.g. 127.0.0.0/8 for a local test server).
    allow_networks: tuple[Network, ...] = ()


@dataclass(slots=True)
class Response:
    url: str  # final URL after redirects
    status_code: int
    headers: httpx.Headers
    body: bytes  # decompressed
    text: str  # "" for 304
    encoding: str | None
    content_type: str | None  # mime type only, lower-case
    validators: Validators
    not_modified: bool
    retry_after: float | None
    max_age: float | None
    elapsed_ms: float  # the successful attempt only, without politeness waits


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~0.1 s per client; an SSLContext is safe to share.
    return httpx.create_ssl_context()


@dataclass(slots=True)
class _Robots:
    rules: Protego
    expires: float  # time.monotonic()


class Fetcher:
    def __init__(
        self, settings: FetcherSettings | None = None, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings or FetcherSettings()
        limits = httpx.Limits(
            max_connections=self.settings.max_connections,
            max_keepalive_connections=self.settings.max_connections,
        )
        if transport is None:
            transport = GuardedTransport(self.settings.allow_networks, verify=_tls_context(), limits=limits)
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,  # followed by _follow, one checked hop at a time
            timeout=self._timeout(None),
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )
        self._hosts: dict[str, HostTurns] = {}
        self._robots: dict[str, _Robots] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        validators: Validators | None = None,
        obey_robots: bool = True,
        timeout: float | None = None,  # noqa: ASYNC109 - httpx's read timeout for this source
        max_bytes: int | None = None,
        min_delay: float | None = None,
    ) -> Response:
        try:
            target = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise InvalidUrl(f"invalid URL: {exc}", url=url) from exc
        if target.scheme not in ("http", "https") or not target.host:
            raise InvalidUrl("only absolute http(s) URLs can be fetched", url=url)
        request_headers = httpx.Headers(headers)
        # robots.txt was matched against our User-Agent, so a source may not pose as another client.
        request_headers.pop("user-agent", None)
        if validators is not None and validators.etag:
            request_headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            request_headers["If-Modified-Since"] = validators.last_modified
        cap = self.settings.max_bytes if max_bytes is None else max_bytes
        resp, body, elapsed_ms = await self._follow(target, request_headers, timeout, cap, min_delay, obey_robots)

        status = resp.status_code
        if status != 304 and not 200 <= status < 300:
            if status in (404, 410):
                raise Gone(f"HTTP {status}", url=str(resp.url), http_status=status)
            if 400 <= status < 500:
                raise ClientError(f"HTTP {status}", url=str(resp.url), http_status=status)
            raise UnexpectedContent(f"unexpected HTTP {status}", url=str(resp.url), http_status=status)
        if status != 304 and not body:
            raise UnexpectedContent("empty body", url=str(resp.url), http_status=status)
        fresh = Validators(etag=resp.headers.get("etag"), last_modified=resp.headers.get("last-modified"))
        if status == 304:
            old = validators or Validators()
            # A 304 need not repeat the validators; the ones we sent are still the current ones.
            fresh = Validators(etag=fresh.etag or old.etag, last_modified=fresh.last_modified or old.last_modified)
            text, encoding = "", None
        else:
            text, encoding = decode_text(body, resp.headers.get("content-type"))
        mime = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        return Response(
            url=str(resp.url),
            status_code=status,
            headers=resp.headers,
            body=body if status != 304 else b"",
            text=text,
            encoding=encoding,
            content_type=mime or None,
            validators=fresh,
            not_modified=status == 304,
            retry_after=parse_retry_after(resp.headers.get("retry-after"), server_now(resp.headers)),
            max_age=parse_max_age(resp.headers.get("cache-control")),
            elapsed_ms=elapsed_ms,
        )

    def _timeout(self, read_timeout: float | None) -> httpx.Timeout:
        # No pool timeout: waiting for a free connection is our congestion, not the source's fault.
        return httpx.Timeout(
            self.settings.timeout if read_timeout is None else read_timeout,
            connect=self.settings.connect_timeout,
            pool=None,
        )

    def _host(self, name: str) -> HostTurns:
        return self._hosts.setdefault(name, HostTurns(self.settings.per_host_concurrency))

    async def _follow(
        self,
        url: httpx.URL,
        headers: httpx.Headers,
        read_timeout: float | None,
        cap: int,
        min_delay: float | None,
        obey_robots: bool,
        *,
        truncate: bool = False,
    ) -> tuple[httpx.Response, bytes, float]:
        """Fetch `url` and every redirect hop after it, each checked as if it were the first URL."""
        for _ in range(self.settings.max_redirects + 1):
            check_url(url, self.settings.allow_networks)
            if obey_robots:
                await self._check_robots(url, read_timeout)
            resp, body, elapsed_ms = await self._fetch(url, headers, read_timeout, cap, min_delay, truncate=truncate)
            if not resp.has_redirect_location:
                return resp, body, elapsed_ms
            target = redirect_target(url, resp.headers["location"])
            headers, url = hop_headers(headers, url, target), target
        message = f"redirect loop or more than {self.settings.max_redirects} redirects"
        raise TooManyRedirects(message, url=str(url))

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
        return random.uniform(0.0, ceiling)  # full jitter: retries of many sources do not align

    async def _fetch(
        self,
        url: httpx.URL,
        headers: httpx.Headers,
        read_timeout: float | None,
        cap: int,
        min_delay: float | None,
        *,
        truncate: bool = False,
    ) -> tuple[httpx.Response, bytes, float]:
        """Run the attempts; return the first response that is neither retryable nor 429.

        429/503 with Retry-After ≤ max_inline_retry_after wait that long, other 5xx,
        timeouts and connection errors back off; each wait uses up one of `retries`.
        """
        settings = self.settings
        attempts = settings.retries + 1
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                resp, body, elapsed_ms = await self._attempt(url, headers, read_timeout, cap, min_delay, truncate)
            except (FetchTimeout, ConnectionFailed) as exc:
                if last:
                    raise
                delay, reason = self._backoff(attempt), exc.message
            else:
                status = resp.status_code
                if status != 429 and status < 500:
                    return resp, body, elapsed_ms
                where = str(resp.url)
                retry_after = None
                if status in (429, 503):
                    retry_after = parse_retry_after(resp.headers.get("retry-after"), server_now(resp.headers))
                if retry_after is not None and (last or retry_after > settings.max_inline_retry_after):
                    message = f"HTTP {status}, Retry-After {retry_after:g} s"
                    raise RateLimited(message, url=where, http_status=status, retry_after=retry_after)
                if retry_after is None and status == 429:
                    raise RateLimited("HTTP 429 without Retry-After", url=where, http_status=status)
                if retry_after is None and last:
                    raise ServerError(f"HTTP {status}", url=where, http_status=status)
                delay = self._backoff(attempt) if retry_after is None else retry_after
                reason = f"HTTP {status}"
            log.info("fetch.retry", url=str(url), attempt=attempt, reason=reason, delay_s=round(delay, 3))
            await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _attempt(
        self,
        url: httpx.URL,
        headers: httpx.Headers,
        read_timeout: float | None,
        cap: int,
        min_delay: float | None,
        truncate: bool,
    ) -> tuple[httpx.Response, bytes, float]:
        delay = max(self.settings.per_host_delay, min_delay or 0.0)
        async with self._host(url.host).turn(delay):
            started = time.perf_counter()
            try:
                async with self._client.stream("GET", url, headers=headers, timeout=self._timeout(read_timeout)) as r:
                    body = await read_body(r, cap, truncate) if 200 <= r.status_code < 300 else b""
            except httpx.TimeoutException as exc:
                raise FetchTimeout(f"{type(exc).__name__}", url=str(url)) from exc
            except AddressRefused as exc:
                exc.url = str(url)  # raised by the connection, which knows the host but not the URL
                raise
            except httpx.TransportError as exc:
                # Includes a body cut short (RemoteProtocolError): worth another attempt.
                raise ConnectionFailed(f"{type(exc).__name__}: {exc}", url=str(url)) from exc
        return r, body, (time.perf_counter() - started) * 1000

    async def _check_robots(self, url: httpx.URL, read_timeout: float | None) -> None:
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        rules = await self._robots_for(origin, url.host, read_timeout)
        if not rules.can_fetch(str(url), self.settings.user_agent):
            agent = self.settings.user_agent.split("/", 1)[0]
            raise BlockedByRobots(f"disallowed for {agent} by {origin}/robots.txt", url=str(url))

    async def _robots_for(self, origin: str, host: str, read_timeout: float | None) -> Protego:
        # One lock per origin, so a burst of gets to a cold host fetches robots.txt once.
        async with self._robots_locks.setdefault(origin, asyncio.Lock()):
            cached = self._robots.get(origin)
            if cached is not None and cached.expires > time.monotonic():
                return cached.rules
            try:
                rules = await self._fetch_robots(origin, read_timeout)
            except TransientError:
                if cached is None:
                    raise
                # RFC 9309 §2.4: while robots.txt is unreachable the cached copy may be used.
                log.warning("fetch.robots_stale", origin=origin)
                return cached.rules
            self._robots[origin] = _Robots(rules, time.monotonic() + self.settings.robots_ttl)
            crawl_delay = rules.crawl_delay(self.settings.user_agent) or 0.0
            self._host(host).crawl_delay = min(max(0.0, crawl_delay), _MAX_CRAWL_DELAY)
            return rules

    async def _fetch_robots(self, origin: str, read_timeout: float | None) -> Protego:
        robots_url = httpx.URL(f"{origin}/robots.txt")
        try:
            resp, body, _ = await self._follow(
                robots_url, httpx.Headers(), read_timeout, _ROBOTS_MAX_BYTES, None, False, truncate=True
            )
        except TransientError as exc:
            raise _robots_unavailable(exc) from exc
        except AddressRefused:
            raise  # not "unavailable": the source's own request would be refused, so say why now
        except PermanentError:
            # Redirect chains, broken encodings: RFC 9309 counts these as "unavailable", i.e. allow all.
            return Protego.parse("")
        if 200 <= resp.status_code < 300:
            return Protego.parse(body.decode("utf-8", errors="replace"))
        return Protego.parse("")  # 4xx: RFC 9309 §2.3.1.3, crawl as if there were no robots.txt


def _robots_unavailable(exc: TransientError) -> TransientError:
    message = f"robots.txt unavailable, not crawling (RFC 9309): {exc.message}"
    if isinstance(exc, RateLimited):
        return RateLimited(message, url=exc.url, http_status=exc.http_status, retry_after=exc.retry_after)
    return type(exc)(message, url=exc.url, http_status=exc.http_status)
