"""The outbound address policy at load time: URLs in sources.yaml that name a refused address.

A URL whose host is a literal address outside `http.allow_networks` (http://10.0.0.1/,
http://2852039166/, json://[fd00::1]/) is an error of the file, reported with its key path,
rather than a poll or a delivery that fails later. Host names are judged when they are
connected to (sources.address_guard), since what they resolve to can change.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sources.address_guard import check_host
from sources.address_policy import Network
from sources.errors import AddressRefused

if TYPE_CHECKING:
    from monitor.config import Config

__all__ = ["apprise_host", "check_outbound"]


def apprise_host(url: str) -> str | None:
    """The network host an Apprise URL sends to, or None when the service's own endpoint is used.

    In slack://T1/B2/C3 or tgram://123:abc/ the "host" is a token and Apprise posts to the
    service's fixed address; in json://, mmost://, ntfy://host/ it is where the request goes.
    Apprise says which is which: a plugin whose URL templates contain {host} takes a host.
    """
    import apprise

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None or not any("{host}" in template for template in getattr(plugin, "templates", ())):
        return None
    host = getattr(plugin, "host", None)
    return str(host).strip("[]") if host else None


def _urls(config: Config) -> Iterator[tuple[str, str | None]]:
    for i, source in enumerate(config.sources):
        yield f"sources[{i}].url", urlsplit(source.url).hostname
    for i, channel in enumerate(config.channels):
        host = urlsplit(channel.url).hostname if channel.kind == "webhook" else apprise_host(channel.url)
        yield f"channels[{i}].url", host
    for i, brand in enumerate(config.brands):
        if brand.rewrite is not None and brand.rewrite.enabled:
            yield f"brands[{i}].rewrite.endpoint", urlsplit(brand.rewrite.endpoint).hostname


def check_outbound(config: Config, allowed: Sequence[Network]) -> None:
    """Raise ValueError naming the key path of the first URL whose host is a refused literal address."""
    for where, host in _urls(config):
        if not host:
            continue
        try:
            check_host(host, allowed)
        except AddressRefused as exc:
            raise ValueError(f"{where}: {exc.message}") from None
