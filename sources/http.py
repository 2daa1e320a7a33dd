"""The polite fetcher every adapter goes through.

One `Fetcher` owns one `httpx.AsyncClient` (keep-alive pool capped by `max_connections`)
and the politeness state of every host it has seen. Order of one `get()`:

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
5. The body is decoded to text (see `decode_text`).
"""

from __future__ import annotations

import asyncio
import codecs
import functools
import math
import random
import re
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol, Self

import brotli
import charset_normalizer
import httpx
import structlog
import zstandard
from protego import Protego
from pydantic import BaseModel, ConfigDict, Field

from sources.base import Validators
from sources.errors import (
    BlockedByRobots,
    ClientError,
    ConnectionFailed,
    FetchTimeout,
    Gone,
    PermanentError,
    RateLimited,
    ServerError,
    TooLarge,
    TooManyRedirects,
    TransientError,
    UnexpectedContent,
)

__all__ = ["Fetcher", "FetcherSettings", "Response", "decode_text", "parse_max_age", "parse_retry_after"]

log = structlog.get_logger(__name__)

ACCEPT_ENCODING = "gzip, deflate, br, zstd"
# RFC 9309 §2.5: crawlers must parse at least the first 500 KiB; the rest may be ignored.
_ROBOTS_MAX_BYTES = 500 * 1024
# A mistyped or hostile Crawl-delay (86400) must not park every source of a host for a day.
_MAX_CRAWL_DELAY = 60.0
_SNIFF_BYTES = 2048
# Only these BOMs are honoured, as in the WHATWG Encoding standard.
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# WHATWG: documents labelled Latin-1 or ASCII are in practice windows-1252 (curly quotes at 0x80-0x9F).
_LABEL_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}
# Python codecs no web page is in; utf-7 is refused by browsers because it smuggles markup past filters.
_NOT_CHARSETS = frozenset({"utf-7", "unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined"})
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


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


def decode_text(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a body to text and name the encoding used; never raises.

    Evidence is taken strongest first: a BOM (WHATWG puts it above the header, since a
    BOM cannot appear by accident while servers often send a default charset), the
    Content-Type charset, an XML declaration or <meta> charset in the first 2 KB, strict
    UTF-8, charset_normalizer's guess, and finally UTF-8 with replacement characters.
    A declared charset is trusted even when bytes do not fit it (replacement characters).
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace"), name
    header = _HEADER_CHARSET.search(content_type or "")
    declared = _codec(header.group(1)) if header else None
    if declared is None:
        head = body[:_SNIFF_BYTES]
        found = _XML_DECL.match(head) or _META_CHARSET.search(head)
        declared = _codec(found.group(1).decode("ascii")) if found else None
        # The label was readable as ASCII, so the document cannot really be UTF-16/32 (WHATWG).
        if declared is not None and declared.startswith(("utf-16", "utf-32")):
            declared = "utf-8"
    if declared is not None:
        return body.decode(declared, errors="replace"), declared
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body).best()
    guessed = _codec(best.encoding) if best is not None else None
    if guessed is not None:
        return body.decode(guessed, errors="replace"), guessed
    return body.decode("utf-8", errors="replace"), "utf-8"


def _codec(label: str) -> str | None:
    try:
        name = codecs.lookup(label.strip()).name
        # Python also registers bytes-to-bytes codecs ("base64", "zlib") under charset-like names.
        b"\0\0\0\0".decode(name, errors="replace")
    except (LookupError, UnicodeError):
        return None
    return None if name in _NOT_CHARSETS else _LABEL_ALIASES.get(name, name)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date relative to `now`."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def parse_max_age(cache_control: str | None) -> float | None:
    """Seconds a response may be cached from Cache-Control; None when absent or no-cache/no-store.

    s-maxage is for shared caches and is ignored: we are a private client.
    """
    max_age = None
    for directive in (cache_control or "").split(","):
        name, _, argument = directive.partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return None
        if name == "max-age":
            try:
                max_age = max(0.0, float(argument.strip().strip('"')))
            except ValueError:
                return None
    return max_age if max_age is None or math.isfinite(max_age) else None


def _server_now(headers: httpx.Headers) -> datetime:
    # An HTTP-date Retry-After is measured against the server's own clock when it says it,
    # so skew between our clock and theirs does not stretch or cut the wait.
    try:
        date = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return datetime.now(UTC)
    return date if date.tzinfo else date.replace(tzinfo=UTC)


class _Host:
    """Politeness state for one host name."""

    def __init__(self, concurrency: int) -> None:
        self.slots = asyncio.Semaphore(concurrency)
        self.start_lock = asyncio.Lock()
        self.last_start = -math.inf
        self.crawl_delay = 0.0

    @asynccontextmanager
    async def turn(self, delay: float) -> AsyncIterator[None]:
        async with self.slots:
            # The lock is held while sleeping so that waiting requests start one by one,
            # each at least `delay` after the previous start, in arrival order.
            async with self.start_lock:
                wait = self.last_start + max(delay, self.crawl_delay) - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                self.last_start = time.monotonic()
            yield


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
        self._client = httpx.AsyncClient(
            transport=transport,
            limits=limits,
            follow_redirects=True,
            max_redirects=self.settings.max_redirects,
            timeout=self._timeout(None),
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            verify=_tls_context(),
        )
        self._hosts: dict[str, _Host] = {}
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
            raise PermanentError(f"invalid URL: {exc}", url=url) from exc
        if target.scheme not in ("http", "https") or not target.host:
            raise PermanentError("only absolute http(s) URLs can be fetched", url=url)
        if obey_robots:
            await self._check_robots(target, timeout)
        request_headers = httpx.Headers(headers)
        # robots.txt was matched against our User-Agent, so a source may not pose as another client.
        request_headers.pop("user-agent", None)
        if validators is not None and validators.etag:
            request_headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            request_headers["If-Modified-Since"] = validators.last_modified
        cap = self.settings.max_bytes if max_bytes is None else max_bytes
        resp, body, elapsed_ms = await self._fetch(target, request_headers, timeout, cap, min_delay)

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
            retry_after=parse_retry_after(resp.headers.get("retry-after"), _server_now(resp.headers)),
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

    def _host(self, name: str) -> _Host:
        return self._hosts.setdefault(name, _Host(self.settings.per_host_concurrency))

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
                    retry_after = parse_retry_after(resp.headers.get("retry-after"), _server_now(resp.headers))
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
                    body = await _read_body(r, cap, truncate) if 200 <= r.status_code < 300 else b""
            except httpx.TimeoutException as exc:
                raise FetchTimeout(f"{type(exc).__name__}", url=str(url)) from exc
            except httpx.TooManyRedirects as exc:
                message = f"redirect loop or more than {self.settings.max_redirects} redirects"
                raise TooManyRedirects(message, url=str(url)) from exc
            except httpx.UnsupportedProtocol as exc:
                raise PermanentError(f"redirected to an unsupported URL: {exc}", url=str(url)) from exc
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
            resp, body, _ = await self._fetch(
                robots_url, httpx.Headers(), read_timeout, _ROBOTS_MAX_BYTES, None, truncate=True
            )
        except TransientError as exc:
            raise _robots_unavailable(exc) from exc
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


async def _read_body(resp: httpx.Response, cap: int, truncate: bool) -> bytes:
    """Read and decompress the body, stopping at `cap` bytes: raise TooLarge, or keep the head.

    We decompress ourselves instead of letting httpx do it, because httpx inflates each
    network chunk in one go: 64 KiB of zstd or brotli can become gigabytes before any
    cap is checked. Our decoders emit at most _STEP bytes at a time into a counting sink.
    """
    url, status = str(resp.url), resp.status_code
    declared = resp.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > cap:
        raise TooLarge(f"Content-Length {declared} is over the {cap}-byte cap", url=url, http_status=status)
    sink = _Sink(cap)
    chain = _decoders(resp.headers.get("content-encoding", ""), sink)
    try:
        if resp.is_stream_consumed:
            # A response built in memory (httpx.MockTransport) arrives already read and decoded.
            sink.write(resp.content)
        else:
            async for raw in resp.aiter_raw():
                (chain[0] if chain else sink).write(raw)
            for decoder in chain:  # raw side first, so each flush feeds the next decoder
                decoder.close()
    except _CapPassed:
        if truncate:
            return bytes(sink.data[:cap])
        message = f"body passed the {cap}-byte cap while streaming"
        raise TooLarge(message, url=url, http_status=status) from None
    except (zlib.error, brotli.error, zstandard.ZstdError) as exc:
        message = f"body does not match its Content-Encoding: {exc}"
        raise UnexpectedContent(message, url=url, http_status=status) from exc
    return bytes(sink.data)


# Decompressed bytes produced per step, whatever the ratio: 150 bytes of brotli can inflate to 100 MB.
_STEP = 64 * 1024


class _CapPassed(Exception):
    pass


class _Writer(Protocol):
    def write(self, data: bytes, /) -> object: ...


class _Decoder(_Writer, Protocol):
    def close(self) -> None: ...


class _Sink:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        if len(self.data) > self.cap:
            raise _CapPassed
        return len(data)


class _Inflate:
    """gzip and deflate; deflate without the zlib header (raw) is accepted too, as browsers do."""

    def __init__(self, out: _Writer, coding: str) -> None:
        self.out, self.coding = out, coding
        self.z: zlib._Decompress | None = None

    def write(self, data: bytes) -> int:
        size = len(data)
        if self.z is None:
            zlib_header = len(data) > 1 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            # 47: gzip or zlib header, detected; -15: raw deflate.
            self.z = zlib.decompressobj(47 if self.coding != "deflate" or zlib_header else -15)
        while data:
            self.out.write(self.z.decompress(data, _STEP))
            data = self.z.unconsumed_tail
        return size

    def close(self) -> None:
        if self.z is not None:
            self.out.write(self.z.flush())


class _Brotli:
    def __init__(self, out: _Writer) -> None:
        self.out = out
        self.d = brotli.Decompressor()

    def write(self, data: bytes) -> int:
        self.out.write(self.d.process(data, output_buffer_limit=_STEP))
        while not self.d.can_accept_more_data():
            self.out.write(self.d.process(b"", output_buffer_limit=_STEP))
        return len(data)

    def close(self) -> None:
        pass


def _decoders(content_encoding: str, sink: _Sink) -> list[_Decoder]:
    """Decoders in the order raw bytes pass through them: the last coding listed was applied last."""
    chain: list[_Decoder] = []
    out: _Writer = sink
    for coding in (c.strip().lower() for c in content_encoding.split(",")):
        decoder: _Decoder
        if coding in ("gzip", "x-gzip", "deflate"):
            decoder = _Inflate(out, coding)
        elif coding == "br":
            decoder = _Brotli(out)
        elif coding == "zstd":
            decoder = zstandard.ZstdDecompressor().stream_writer(out, write_size=_STEP, closefd=False)
        else:
            continue  # identity, or a coding we never asked for: passed through as httpx does
        chain.insert(0, decoder)
        out = decoder
    return chain
