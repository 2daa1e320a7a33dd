"""Which IP addresses replywatch may send requests to: the outbound address policy.

Every request the service makes (sources, redirects, next pages, robots.txt, webhooks,
Apprise's HTTP services, the rewrite endpoint) is aimed by text that someone else can
write: a watched page, a Location header, a channel URL. Without a policy such text could
point the service at the metadata service, an admin panel on the host, or anything in the
private network, and have the answer parsed as mentions (server-side request forgery).

`refusal(address, allowed)` decides, in this order:

1. an address inside one of `allowed` (the config's `http.allow_networks`) may be used;
2. an IPv6 address that carries an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-compatible
   ::a.b.c.d, 6to4 2002::/16, Teredo 2001::/32, NAT64 64:ff9b::/96) is judged by the IPv4
   address inside it, because that is where the packets end up;
3. anything that is not a public unicast address is refused, named by what it is: cloud
   metadata, unspecified, loopback, link-local, multicast, private, shared (carrier-grade
   NAT), reserved, or otherwise not global (documentation, benchmarking ranges).

The decision is made on resolved addresses, never on host names: "2852039166", "0x7f.1"
and "017700000001" are IPv4 addresses to the resolver, so they meet the same rule.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable, Sequence

__all__ = [
    "ALLOW_KEY",
    "LOOPBACK",
    "Address",
    "Network",
    "literal_address",
    "parse_networks",
    "refusal",
]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Named in every refusal, so the message says how to allow an address on purpose.
ALLOW_KEY = "http.allow_networks"
# What the demo and the tests allow: their servers listen on loopback.
LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

# Metadata services answer with credentials; they get their own word in the message.
# 169.254.169.254: AWS, GCP, Azure, OpenStack, DigitalOcean; fd00:ec2::254: AWS over IPv6;
# 100.100.100.200: Alibaba Cloud; 168.63.129.16: Azure's WireServer (a public address, so listed).
_METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16")
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# The numeric IPv4 spellings inet_aton accepts: 1 to 4 parts, decimal, octal (leading 0) or hex.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|\d+)(\.(0x[0-9a-f]*|\d+)){0,3}$", re.IGNORECASE)


def refusal(address: Address, allowed: Sequence[Network] = ()) -> str | None:
    """Why `address` may not be connected to ("10.0.0.1 is a private address"), or None when it may."""
    judged = _judge(address, allowed)
    if judged is None:
        return None
    inner, kind = judged
    return f"{address} is {kind}" if inner == address else f"{address} carries {inner}, {kind}"


def _judge(address: Address, allowed: Sequence[Network]) -> tuple[Address, str] | None:
    if any(address in network for network in allowed):
        return None
    if isinstance(address, ipaddress.IPv6Address) and (inner := _embedded_ipv4(address)):
        return next((judged for v4 in inner if (judged := _judge(v4, allowed)) is not None), None)
    kind = _kind(address)
    return None if kind is None else (address, kind)


def _kind(address: Address) -> str | None:
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private address"
    if address in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return "not a public address"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)  # the Teredo server and the client behind it
    if address in _NAT64:
        return [ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)]
    if 1 < int(address) < 2**32:
        return [ipaddress.IPv4Address(int(address))]  # IPv4-compatible ::a.b.c.d (deprecated, still routed by some)
    return []


def literal_address(host: str) -> Address | None:
    """The address a URL's host spells out by itself (IPv4 in any inet_aton form, IPv6), or None for a name."""
    text = host.strip("[]")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def parse_networks(values: Iterable[object]) -> tuple[Network, ...]:
    """CIDR strings (a bare address is one host) as networks; ValueError naming the first bad one."""
    networks: list[Network] = []
    for i, value in enumerate(values):
        if isinstance(value, ipaddress.IPv4Network | ipaddress.IPv6Network):
            networks.append(value)
            continue
        try:
            networks.append(ipaddress.ip_network(str(value).strip()))
        except ValueError as exc:
            raise ValueError(
                f"item {i}: '{value}' is not a network in CIDR notation such as 10.1.0.0/16 or ::1/128 ({exc})"
            ) from None
    return tuple(networks)
