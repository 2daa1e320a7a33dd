"""The outbound address policy as a pure decision: which addresses may be connected to, and why not."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from sources.address_policy import LOOPBACK, literal_address, parse_networks, refusal


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("10.0.0.1", "10.0.0.1 is a private address"),
        ("169.254.169.254", "169.254.169.254 is a cloud metadata address"),
        ("192.168.1.1", "192.168.1.1 is a private address"),
        ("172.16.5.4", "172.16.5.4 is a private address"),
        ("fd00:ec2::254", "fd00:ec2::254 is a cloud metadata address"),
        ("fc00::1", "fc00::1 is a private address"),
        ("0.0.0.0", "0.0.0.0 is the unspecified address"),
        ("::", ":: is the unspecified address"),
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("::1", "::1 is a loopback address"),
        ("169.254.1.1", "169.254.1.1 is a link-local address"),
        ("fe80::1", "fe80::1 is a link-local address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("ff02::1", "ff02::1 is a multicast address"),
        ("100.64.0.1", "100.64.0.1 is a shared (carrier-grade NAT) address"),
        ("::ffff:10.0.0.1", "::ffff:a00:1 carries 10.0.0.1, a private address"),
        ("::ffff:169.254.169.254", "::ffff:a9fe:a9fe carries 169.254.169.254, a cloud metadata address"),
        ("2002:0a00:0001::", "2002:a00:1:: carries 10.0.0.1, a private address"),
        ("64:ff9b::a00:1", "64:ff9b::a00:1 carries 10.0.0.1, a private address"),
        ("::a00:1", "::a00:1 carries 10.0.0.1, a private address"),
    ],
)
def test_refused_addresses_are_named_by_what_they_are(address: str, why: str) -> None:
    assert refusal(ip(address)) == why


def test_teredo_is_judged_by_the_ipv4_addresses_inside() -> None:
    # Server 65.54.227.120, client 10.0.0.1 (stored obfuscated: every bit inverted).
    client = int(ipaddress.IPv4Address("10.0.0.1")) ^ 0xFFFFFFFF
    teredo = ipaddress.IPv6Address((0x20010000 << 96) | (int(ipaddress.IPv4Address("65.54.227.120")) << 64) | client)
    assert refusal(teredo) == f"{teredo} carries 10.0.0.1, a private address"


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:4700::1111", "1.1.1.1", "::ffff:93.184.216.34", "2002:5db8:d822::"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ip(address)) is None


@pytest.mark.parametrize(
    ("host", "address"),
    [("2852039166", "169.254.169.254"), ("0x7f.1", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("127.1", "127.0.0.1")],
)
def test_numeric_spellings_are_addresses_as_the_resolver_reads_them(host: str, address: str) -> None:
    assert literal_address(host) == ip(address)
    # The system resolver agrees without asking DNS, so the connect-time check sees the same address.
    assert socket.getaddrinfo(host, 80, type=socket.SOCK_STREAM)[0][4][0] == address
    assert refusal(literal_address(host)) is not None  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["board.example", "0x", "123abc", "xn--80ak6aa92e.example"])
def test_names_are_not_literal_addresses(host: str) -> None:
    assert literal_address(host) is None


def test_literal_address_reads_bracketed_ipv6() -> None:
    assert literal_address("[fd00:ec2::254]") == ip("fd00:ec2::254")


def test_allow_networks_make_exceptions_and_nothing_more() -> None:
    allowed = parse_networks(["10.1.0.0/16", "127.0.0.0/8", "::1/128"])
    assert refusal(ip("10.1.2.3"), allowed) is None
    assert refusal(ip("10.2.0.1"), allowed) == "10.2.0.1 is a private address"
    assert refusal(ip("127.0.0.1"), LOOPBACK) is None and refusal(ip("::1"), LOOPBACK) is None
    # An allowed IPv4 network covers its IPv4-mapped form, which reaches the same host.
    assert refusal(ip("::ffff:127.0.0.1"), LOOPBACK) is None
    assert refusal(ip("::ffff:10.1.0.9"), allowed) is None
    assert refusal(ip("169.254.169.254"), allowed) == "169.254.169.254 is a cloud metadata address"
    assert refusal(ip("169.254.169.254"), parse_networks(["169.254.169.254"])) is None


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "10.0.0.1/8", "localhost", ""])
def test_parse_networks_names_the_bad_item(bad: str) -> None:
    with pytest.raises(ValueError, match=r"item 1: '.*' is not a network in CIDR notation"):
        parse_networks(["127.0.0.0/8", bad])
