"""http.allow_networks and the URLs of sources.yaml that name an address the outbound policy refuses."""

from __future__ import annotations

import ipaddress

import pytest

from monitor.config import parse_config
from monitor.config.loader import ConfigError
from monitor.config.outbound import apprise_host

SECRET = "0123456789abcdef0"


def problems(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, path="t.yaml", env={})
    return str(caught.value)


def source(url: str) -> str:
    return f"sources:\n  - {{key: a, kind: feed, url: '{url}', interval: 5m}}\n"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://10.0.0.1/feed", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
        ("http://192.168.1.1/", "192.168.1.1 is a private address"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"),
        ("http://0.0.0.0/", "0.0.0.0 is the unspecified address"),
        ("http://2852039166/", "2852039166 is another spelling of 169.254.169.254, and 169.254.169.254 is a cloud"),
        ("http://127.0.0.1:8000/feed", "127.0.0.1 is a loopback address"),
    ],
)
def test_a_source_url_with_a_refused_address_is_a_config_error(url: str, why: str) -> None:
    message = problems(source(url))
    assert f"line 2: sources[0].url: address refused: {why}" in message
    assert "add its network to http.allow_networks" in message


def test_allow_networks_lets_the_named_networks_through() -> None:
    config = parse_config(
        "http: {allow_networks: [127.0.0.0/8, '::1/128', 10.1.0.0/16]}\n" + source("http://10.1.2.3/feed"), env={}
    )
    assert config.http.allow_networks == tuple(
        ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128", "10.1.0.0/16")
    )
    assert config.fetcher_settings().allow_networks == config.http.allow_networks
    assert parse_config(source("https://board.example/feed"), env={}).fetcher_settings().allow_networks == ()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[10.0.0.0/33]", "http.allow_networks: item 0: '10.0.0.0/33' is not a network in CIDR notation"),
        ("[10.0.0.1/8]", "http.allow_networks: item 0: '10.0.0.1/8' is not a network in CIDR notation"),
        ("10.0.0.0/8", "http.allow_networks: expected a list of networks in CIDR notation"),
    ],
)
def test_a_bad_allow_networks_names_the_key(value: str, expected: str) -> None:
    assert expected in problems(f"http: {{allow_networks: {value}}}\n")


def test_channel_urls_with_a_refused_address_are_config_errors() -> None:
    hook = f"channels:\n  - {{key: h, kind: webhook, url: 'http://10.0.0.1/hook', secret: {SECRET}}}\n"
    assert "channels[0].url: address refused: 10.0.0.1 is a private address" in problems(hook)
    chat = "channels:\n  - {key: c, kind: apprise, url: 'json://[fd00:ec2::254]/x'}\n"
    assert "channels[0].url: address refused: fd00:ec2::254 is a cloud metadata address" in problems(chat)
    allowed = parse_config("http: {allow_networks: [10.0.0.0/8]}\n" + hook, env={})
    assert allowed.channels[0].url == "http://10.0.0.1/hook"


def test_a_rewrite_endpoint_with_a_refused_address_is_a_config_error() -> None:
    text = (
        "brands:\n  - key: acme\n    name: Acme\n"
        "    rewrite: {enabled: true, url: 'http://127.0.0.1:11434/v1', model: small}\n"
    )
    assert "brands[0].rewrite.endpoint: address refused: 127.0.0.1 is a loopback address" in problems(text)
    assert parse_config("http: {allow_networks: [127.0.0.0/8]}\n" + text, env={}).brands[0].rewrite is not None


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("json://10.0.0.1/notify", "10.0.0.1"),
        ("mmost://chat.example/3ccdd113474722377935511fc85d3dd4", "chat.example"),
        ("xml://[fd00::1]:80/", "fd00::1"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", None),
        ("tgram://123456789:abcdefg_hijklmnop/12315544/", None),
    ],
)
def test_apprise_host_is_the_host_apprise_sends_to_not_a_token(url: str, host: str | None) -> None:
    assert apprise_host(url) == host
