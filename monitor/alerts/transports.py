"""Sending one message to one channel; no database here.

    Transport.send(...) -> SendResult      never raises for a delivery problem
    ├── ok                                 2xx
    ├── transient                          connection error, timeout, 5xx, 408, 429 (Retry-After kept)
    └── permanent                          any other 4xx, a URL Apprise cannot use, an address the
                                           outbound policy refuses (sources.address_policy)

Apprise channels go through Apprise (it knows each service's API); Apprise reports
only success or failure, so the HTTP status is read from its log line (`error=403`)
when it gives one. The webhook is ours: JSON, signed with HMAC-SHA256 over
`timestamp + "." + body`, sent as `X-Replywatch-Signature: t=<unix seconds>,v1=<hex>`
with an `Idempotency-Key` header that stays the same on every retry.

Outbound address policy: the webhook client connects through sources.address_guard, so the
address is judged where it is connected to. Apprise sends with `requests`, out of our reach:
its host (when the service takes one, see monitor.config.outbound.apprise_host) is resolved
and judged just before each send. Apprise then resolves it again, so a DNS server that
answers differently within that instant, or a receiver that redirects (requests follows
redirects), could still reach a refused address; closing that would need a socket-level
hook inside requests. Services with a fixed endpoint (Slack, Telegram ...) are not affected.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from monitor.alerts.dispatch import SendResult
from monitor.alerts.messages import Facts, Format, Message, link_for
from monitor.config.alerts import ChannelConfig
from monitor.config.outbound import apprise_host
from sources.address_guard import GuardedTransport, SyncResolver, resolve_and_vet, system_resolver_sync
from sources.address_policy import Network
from sources.errors import AddressRefused

__all__ = [
    "AppriseTransport",
    "WebhookTransport",
    "channel_format",
    "is_permanent",
    "retry_after_seconds",
    "sign",
    "verify_signature",
    "webhook_body",
]

SIGNATURE_HEADER = "X-Replywatch-Signature"
USER_AGENT = "replywatch-alerts/0.1"
_STATUS_IN_LOG = re.compile(r"error=(\d{3})\b")
# Services that render markdown although Apprise sends them plain text; Slack, whose mrkdwn
# has no escapes (plain text there, which Apprise escapes for Slack itself); generic
# json/form/xml receivers, which get the text as it reads.
_SCHEME_FORMAT: dict[str, Format] = {
    "mmost": "markdown",
    "mmosts": "markdown",
    "slack": "text",
    **{scheme: "text" for scheme in ("json", "jsons", "form", "forms", "xml", "xmls")},
}


def is_permanent(status: int | None) -> bool:
    return status is not None and 400 <= status < 500 and status not in (408, 425, 429)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Replywatch-Signature value for a body sent at `timestamp` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = 300) -> bool:
    """What a receiver does (also shown in the README): recompute, compare in constant time, refuse stale."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def channel_format(channel: ChannelConfig) -> Format:
    """The format complaint text is escaped for: the channel's `format`, else what the service renders."""
    if channel.format:
        return channel.format
    if channel.kind == "webhook":
        return "text"
    scheme = channel.url.split("://", 1)[0].lower()
    if scheme in _SCHEME_FORMAT:
        return _SCHEME_FORMAT[scheme]
    import apprise

    plugin = apprise.Apprise.instantiate(channel.url, suppress_exceptions=True)
    formats = [str(getattr(f, "value", f)) for f in _as_list(getattr(plugin, "notify_format", "text"))]
    # The service's own first choice when it is a rich one (Telegram: HTML), else markdown when it renders it.
    for wanted in (formats[0] if formats else "text", "markdown", "html"):
        if wanted in ("markdown", "html") and wanted in formats:
            return wanted  # type: ignore[return-value]
    return "text"


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def webhook_body(
    *, idempotency_key: str, delivery_id: int, channel: str, message: Message, events: list[Facts], public_url: str
) -> dict[str, Any]:
    """The JSON a webhook receives: the text message plus each event's own facts."""
    return {
        "id": idempotency_key,
        "delivery_id": delivery_id,
        "channel": channel,
        "digest": len(events) > 1,
        "title": message.title,
        "text": message.body,
        "link": message.link,
        "events": [
            {
                "id": f.event_id,
                "kind": f.kind,
                "created_at": f.created_at.isoformat(),
                "brand": f.brand,
                "priority": f.priority,
                "case_id": f.case_id,
                "source": f.source,
                "title": f.title,
                "url": f.url,
                "link": link_for(f, public_url),
                "payload": f.payload,
            }
            for f in events
        ],
    }


class WebhookTransport:
    """POSTs signed JSON with one shared async HTTP client."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
        allow_networks: Sequence[Network] = (),
    ) -> None:
        self._own = client is None
        self._timeout = timeout
        self._client = client
        self._allowed = tuple(allow_networks)

    @property
    def client(self) -> httpx.AsyncClient:
        # Made on first use: a worker without webhook channels never opens one.
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=GuardedTransport(self._allowed),
                timeout=httpx.Timeout(self._timeout),
                headers={"User-Agent": USER_AGENT},
                follow_redirects=False,
            )
        return self._client

    async def send(
        self, channel: ChannelConfig, *, body: Mapping[str, Any], idempotency_key: str, kind: str
    ) -> SendResult:
        assert channel.secret is not None
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
            "X-Replywatch-Event": kind,
            SIGNATURE_HEADER: sign(channel.secret, int(time.time()), raw),
        }
        started = time.perf_counter()
        try:
            response = await self.client.post(channel.url, content=raw, headers=headers)
        except httpx.HTTPError as exc:
            return SendResult(ok=False, error=f"{type(exc).__name__}: {exc}"[:500], duration_ms=_ms(started))
        except AddressRefused as exc:
            return SendResult(ok=False, error=exc.message[:500], permanent=True, duration_ms=_ms(started))
        status = response.status_code
        if 200 <= status < 300:
            return SendResult(ok=True, status=status, duration_ms=_ms(started))
        return SendResult(
            ok=False,
            status=status,
            error=f"HTTP {status}: {response.text[:200]}",
            permanent=is_permanent(status),
            retry_after=retry_after_seconds(response.headers.get("Retry-After")) if status in (429, 503) else None,
            duration_ms=_ms(started),
        )

    async def aclose(self) -> None:
        if self._own and self._client is not None:
            await self._client.aclose()
            self._client = None


class AppriseTransport:
    """Sends through Apprise in worker threads; one Apprise object per channel, one send at a time per channel."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        allow_networks: Sequence[Network] = (),
        resolver: SyncResolver = system_resolver_sync,
    ) -> None:
        self.timeout = timeout
        self._allowed = tuple(allow_networks)
        self._resolve = resolver
        self._hosts: dict[str, str | None] = {}
        self._objects: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _object(self, channel: ChannelConfig) -> tuple[Any, threading.Lock]:
        import apprise

        with self._guard:
            if channel.key not in self._objects:
                obj = apprise.Apprise()
                if not obj.add(channel.url):
                    self._objects[channel.key] = None
                else:
                    self._objects[channel.key] = obj
                self._locks[channel.key] = threading.Lock()
                self._hosts[channel.key] = apprise_host(channel.url)
            return self._objects[channel.key], self._locks[channel.key]

    def send_sync(self, channel: ChannelConfig, message: Message) -> SendResult:
        started = time.perf_counter()
        obj, lock = self._object(channel)
        if obj is None:
            return SendResult(ok=False, permanent=True, error="Apprise cannot use this URL", duration_ms=_ms(started))
        if problem := self._host_problem(self._hosts.get(channel.key)):
            error, permanent = problem
            return SendResult(ok=False, permanent=permanent, error=error, duration_ms=_ms(started))
        with lock:
            result = obj.notify(
                body=message.body, title=message.title, body_format=message.format, timeout=self.timeout
            )
        if result:
            return SendResult(ok=True, duration_ms=_ms(started))
        lines = [str(getattr(entry, "message", entry)) for entry in result.logs()]
        status = next((int(m.group(1)) for line in lines if (m := _STATUS_IN_LOG.search(line))), None)
        error = "; ".join(lines)[-500:] or "Apprise reported a failure"
        return SendResult(
            ok=False, status=status, error=error, permanent=is_permanent(status), duration_ms=_ms(started)
        )

    def _host_problem(self, host: str | None) -> tuple[str, bool] | None:
        """(error, permanent) when the service's host may not be sent to; None when it may, or has none of its own."""
        if host is None:
            return None
        try:
            resolve_and_vet(host, 0, self._allowed, self._resolve)
        except AddressRefused as exc:
            return exc.message[:500], True
        except OSError as exc:
            # Not left to Apprise: it would resolve the name itself, unjudged.
            return f"cannot resolve {host}: {exc}"[:500], False
        return None

    async def send(self, channel: ChannelConfig, message: Message) -> SendResult:
        return await asyncio.to_thread(self.send_sync, channel, message)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
