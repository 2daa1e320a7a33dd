"""The outbound address policy for alert deliveries and the rewrite endpoint.

Names resolve through a stub resolver; httpx connections go through a loopback-only backend
and Apprise's `requests` is replaced by a function that fails the test: a broken guard fails
the test without sending anything off this machine.
"""

from __future__ import annotations

import httpx
import pytest
import requests

from monitor.alerts.messages import Message
from monitor.alerts.transports import AppriseTransport, WebhookTransport
from monitor.config.alerts import ChannelConfig
from monitor.config.drafting import RewriteConfig
from monitor.desk.draft_rewrite import rewrite_draft
from sources.address_guard import GuardedSyncTransport, GuardedTransport
from sources.address_policy import LOOPBACK
from tests.support.alert_receiver import Receiver
from tests.support.outbound import LoopbackOnly, LoopbackOnlySync, StubResolver

SECRET = "test-secret-0123456789"
MESSAGE = Message(title="New complaint", body="text", link=None, format="text")


def hook(url: str) -> ChannelConfig:
    return ChannelConfig(key="hook", kind="webhook", url=url, secret=SECRET)


def chat(url: str) -> ChannelConfig:
    # Built directly: the config check would refuse a literal private address before any send.
    return ChannelConfig.model_construct(key="chat", kind="apprise", url=url, secret=None, format=None)


@pytest.fixture
def no_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: requests.Session, method: str, url: str, *args: object, **kwargs: object) -> None:
        pytest.fail(f"Apprise was let through to {url}", pytrace=False)

    monkeypatch.setattr(requests.sessions.Session, "request", refuse)


async def test_a_webhook_to_a_name_of_the_internal_network_is_a_permanent_failure() -> None:
    resolver, backend = StubResolver({"crm.internal.example": ["10.0.0.5"]}), LoopbackOnly()
    client = httpx.AsyncClient(transport=GuardedTransport(LOOPBACK, resolver=resolver, backend=backend))
    async with client:
        transport = WebhookTransport(client=client)
        result = await transport.send(
            hook("https://crm.internal.example/hooks"), body={}, idempotency_key="k", kind="x"
        )
    assert not result.ok and result.permanent
    assert result.error == (
        "address refused: crm.internal.example resolves to 10.0.0.5, and 10.0.0.5 is a private address; "
        "to allow it, add its network to http.allow_networks"
    )
    assert backend.asked == []


async def test_the_webhook_client_is_guarded_by_the_configured_networks() -> None:
    with Receiver() as receiver:
        refusing = WebhookTransport(timeout=5)
        allowing = WebhookTransport(timeout=5, allow_networks=LOOPBACK)
        try:
            refused = await refusing.send(hook(receiver.url("/hook")), body={}, idempotency_key="k", kind="x")
            sent = await allowing.send(hook(receiver.url("/hook")), body={}, idempotency_key="k", kind="x")
        finally:
            await refusing.aclose()
            await allowing.aclose()
        assert len(receiver.ok()) == 1
    assert not refused.ok and refused.permanent and "127.0.0.1 is a loopback address" in (refused.error or "")
    assert sent.ok


@pytest.mark.usefixtures("no_requests")
@pytest.mark.parametrize(
    ("url", "table", "why"),
    [
        ("json://10.0.0.1/notify", {}, "10.0.0.1 is a private address"),
        ("jsons://[fd00:ec2::254]/notify", {}, "fd00:ec2::254 is a cloud metadata address"),
        ("mmost://chat.internal.example/token", {"chat.internal.example": ["192.168.1.1"]}, "192.168.1.1 is a private"),
        ("ntfy://2852039166/topic", {}, "169.254.169.254 is a cloud metadata address"),
    ],
)
def test_an_apprise_host_of_the_internal_network_is_refused_before_apprise_sends(
    url: str, table: dict[str, list[str]], why: str
) -> None:
    resolver = StubResolver(table)
    result = AppriseTransport(timeout=5, resolver=resolver.sync).send_sync(chat(url), MESSAGE)
    assert not result.ok and result.permanent
    assert why in (result.error or "") and "http.allow_networks" in (result.error or "")


@pytest.mark.usefixtures("no_requests")
def test_an_apprise_host_that_does_not_resolve_is_a_transient_failure_not_left_to_apprise() -> None:
    result = AppriseTransport(timeout=5, resolver=StubResolver({}).sync).send_sync(
        chat("json://gone.example/"), MESSAGE
    )
    assert not result.ok and not result.permanent
    assert "cannot resolve gone.example" in (result.error or "")


def test_a_service_with_its_own_endpoint_is_not_judged_by_its_token(monkeypatch: pytest.MonkeyPatch) -> None:
    # slack://T…/B…/… : "T0001" is a token, not a host; Apprise posts to hooks.slack.com.
    sent: list[str] = []
    monkeypatch.setattr(requests.sessions.Session, "request", lambda self, method, url, *a, **kw: sent.append(url))
    resolver = StubResolver({})
    AppriseTransport(timeout=5, resolver=resolver.sync).send_sync(chat("slack://T0001/B0002/XXXXXXXXXXXX"), MESSAGE)
    assert resolver.asked == []
    assert sent and sent[0].startswith("https://hooks.slack.com/")


def test_the_rewrite_endpoint_is_refused_with_the_template_kept() -> None:
    resolver, backend = StubResolver({"llm.internal.example": ["10.9.8.7"]}), LoopbackOnlySync()
    config = RewriteConfig(enabled=True, url="https://llm.internal.example/v1", model="small")
    with httpx.Client(transport=GuardedSyncTransport((), resolver=resolver.sync, backend=backend)) as client:
        result = rewrite_draft("Draft RW-1", config=config, language="en", case_ref="RW-1", client=client, env={})
    assert (result.text, result.rewritten) == ("Draft RW-1", False)
    assert result.reason == (
        "rewrite failed: address refused: llm.internal.example resolves to 10.9.8.7, and 10.9.8.7 is a private "
        "address; to allow it, add its network to http.allow_networks"
    )
    assert backend.asked == []
