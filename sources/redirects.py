"""One redirect hop, as the Fetcher follows them itself.

httpx could follow redirects, but then only the first URL would pass the Fetcher's checks.
The Fetcher asks for each hop here and sends it through the same path as the first
request: scheme and address policy, robots.txt of the hop's origin, a turn on its host.
"""

from __future__ import annotations

import httpx

from sources.errors import InvalidUrl

__all__ = ["hop_headers", "redirect_target"]

# Sent on purpose to one origin; another origin must not receive them (httpx drops them too).
_CREDENTIALS = ("authorization", "cookie", "proxy-authorization")


def redirect_target(url: httpx.URL, location: str) -> httpx.URL:
    """The absolute URL a Location header points to; InvalidUrl when it is not one we may fetch."""
    try:
        target = url.join(location)
    except httpx.InvalidURL as exc:
        raise InvalidUrl(f"redirected to an invalid URL: {exc}", url=str(url)) from exc
    if target.scheme not in ("http", "https") or not target.host:
        raise InvalidUrl(f"redirected to an unsupported URL: {str(target)[:200]}", url=str(url))
    return target


def hop_headers(headers: httpx.Headers, source: httpx.URL, target: httpx.URL) -> httpx.Headers:
    """The request headers for the next hop: the same ones, less credentials when the origin changes."""
    if (source.scheme, source.host, source.port) == (target.scheme, target.host, target.port):
        return headers
    kept = httpx.Headers(headers)
    for name in _CREDENTIALS:
        kept.pop(name, None)
    return kept
