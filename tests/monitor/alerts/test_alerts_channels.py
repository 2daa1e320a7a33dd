"""Each channel kind's message, received by a loopback server; escaping of untrusted text per format.

Slack, Discord and Telegram plugins hard-code their service's host: their requests are
re-addressed to the loopback receiver (the real plugin still builds the real payload).
Mattermost and json:// take a host and reach loopback directly; Teams (workflows://) is
re-addressed too; e-mail goes to a minimal SMTP server on loopback.
Nothing leaves 127.0.0.1: any other host makes the test fail.
"""

from __future__ import annotations

import email
import email.policy
import re
import socketserver
import threading
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import requests

from monitor.alerts.messages import Facts, defuse, escape, render
from monitor.alerts.transports import AppriseTransport, channel_format, sign, verify_signature
from monitor.config.alerts import ChannelConfig
from sources.address_policy import LOOPBACK
from tests.support.alert_receiver import Receiver
from tests.support.clock import NOW
from tests.support.outbound import StubResolver
from tests.support.paths import ROOT

EVIL = "Refund now <!here> @channel @everyone <b>bold</b> [click](https://evil.example) *x* & `code`"
HOSTED = {"hooks.slack.com", "discord.com", "api.telegram.org", "teams.example"}
PUBLIC = {"teams.example": ["93.184.216.34"]}  # only judged by the address policy, never connected to


def case_facts(text: str = EVIL, **kw: object) -> Facts:
    values: dict = {"event_id": 1, "kind": "case.opened", "created_at": NOW, "brand": "acme", "brand_name": "Acme",
                    "case_id": 7, "title": text, "url": "https://board.example/c/7", "priority": "high"}  # fmt: skip
    values.update(kw)
    return Facts(**values)


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with Receiver() as recv:
        original = requests.sessions.Session.request

        def to_loopback(self: requests.Session, method: str, url: str, *args: object, **kwargs: object):
            parts = urlsplit(url)
            if parts.hostname == "127.0.0.1":
                return original(self, method, url, *args, **kwargs)
            assert parts.hostname in HOSTED, f"a test tried to reach {parts.hostname}"
            return original(self, method, f"http://127.0.0.1:{recv.port}/{parts.hostname}{parts.path}", *args, **kwargs)

        monkeypatch.setattr(requests.sessions.Session, "request", to_loopback)
        yield recv


def channel(url: str, **kw: object) -> ChannelConfig:
    return ChannelConfig(key="chat", kind="apprise", url=url, **kw)


def send(ch: ChannelConfig, facts: Facts) -> None:
    message = render([facts], fmt=channel_format(ch), public_url="https://rw.example")
    # The receiver is on loopback; teams.example is judged as a public name (requests is re-addressed).
    apprise = AppriseTransport(timeout=5, allow_networks=LOOPBACK, resolver=StubResolver(PUBLIC).sync)
    result = apprise.send_sync(ch, message)
    assert result.ok, result


def assert_defused(text: str) -> None:
    assert "<!here>" not in text and "<b>bold" not in text
    assert not re.search(r"@(channel|everyone)", text)  # a word joiner follows every @


def test_slack(receiver: Receiver) -> None:
    receiver.ok_body, receiver.ok_type = b"ok", "text/plain"
    send(channel("slack://T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX"), case_facts())
    (request,) = receiver.ok()
    assert request.path == "/hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX"
    attachment = request.json["attachments"][0]
    assert attachment["title"] == "[Acme] New complaint: case 7"
    assert request.json["mrkdwn"] is False  # Slack mrkdwn has no escapes: plain text, Apprise escapes &<>
    assert "https://rw.example/inbox/cases/7" in attachment["text"]
    assert_defused(attachment["text"])


def test_discord(receiver: Receiver) -> None:
    send(channel("discord://1234567/abcdefg"), case_facts())
    (request,) = receiver.ok()
    assert request.path == "/discord.com/api/webhooks/1234567/abcdefg"
    content = request.json["content"]
    assert "[Open case 7](https://rw.example/inbox/cases/7)" in content
    assert r"\[click\]\(https://evil.example\)" in content  # the complaint's link is text, not a link
    assert_defused(content)


def test_telegram(receiver: Receiver) -> None:
    send(channel("tgram://123456789:abcdefg_hijklmnop/-100123"), case_facts())
    (request,) = receiver.ok()
    assert request.path.startswith("/api.telegram.org/bot123456789:abcdefg_hijklmnop/sendMessage")
    assert request.json["parse_mode"] == "HTML"
    text = request.json["text"]
    assert '<a href="https://rw.example/inbox/cases/7">Open case 7</a>' in text
    assert "&amp;" in text and "‹b›bold‹/b›" in text
    assert_defused(text)


def test_mattermost(receiver: Receiver) -> None:
    send(channel(f"mmost://127.0.0.1:{receiver.port}/tokentoken"), case_facts())
    (request,) = receiver.ok()
    assert request.path == "/hooks/tokentoken"
    assert "[Open case 7](https://rw.example/inbox/cases/7)" in request.json["text"]
    assert r"\*x\*" in request.json["text"]
    assert_defused(request.json["text"])


def test_teams_workflow(receiver: Receiver) -> None:
    send(channel("workflows://teams.example/workflowid/signature"), case_facts())
    (request,) = receiver.ok()
    assert request.path.startswith("/teams.example/")
    card = request.json["attachments"][0]["content"]
    text = " ".join(block.get("text", "") for block in card["body"])
    assert "[Open case 7](https://rw.example/inbox/cases/7)" in text
    assert_defused(text)


def test_generic_json_to_any_service(receiver: Receiver) -> None:
    send(channel(f"json://127.0.0.1:{receiver.port}/notify"), case_facts(kind="source.failing", case_id=None,
                                                                         source="board", detail="HTTP 503 <!here>"))  # fmt: skip
    (request,) = receiver.ok()
    assert request.json["title"] == "[Acme] Source failing: source board"
    assert "https://rw.example/inbox/sources/board" in request.json["message"]
    assert_defused(request.json["message"])


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (EHLO, AUTH, MAIL, RCPT, DATA) to accept a message on loopback."""

    def handle(self) -> None:
        def say(text: str) -> None:
            self.wfile.write(text.encode() + b"\r\n")

        say("220 loopback ESMTP")
        data: list[str] | None = None
        while line := self.rfile.readline():
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if data is not None:
                if text == ".":
                    self.server.messages.append("\r\n".join(data))  # type: ignore[attr-defined]
                    data = None
                    say("250 queued")
                else:
                    data.append(text)
                continue
            verb = text[:4].upper()
            if verb == "EHLO":
                say("250-loopback")
                say("250 AUTH PLAIN LOGIN")
            elif verb == "AUTH":
                say("235 accepted")
            elif verb == "DATA":
                data = []
                say("354 go on")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")


def test_email_over_smtp() -> None:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.daemon_threads = True
    server.messages = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    try:
        port = server.server_address[1]
        ch = channel(f"mailto://rw:pw@127.0.0.1:{port}?mode=insecure&from=rw@acme.example&to=care@acme.example")
        assert channel_format(ch) == "html"
        send(ch, case_facts())
    finally:
        server.shutdown()
        server.server_close()
    (raw,) = server.messages  # type: ignore[attr-defined]
    mail = email.message_from_string(raw, policy=email.policy.default)
    assert mail["Subject"] == "[Acme] New complaint: case 7" and mail["To"] == "care@acme.example"
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert '<a href="https://rw.example/inbox/cases/7">Open case 7</a>' in html
    assert "‹b›bold‹/b›" in html and "&amp;" in html
    assert_defused(html)


def test_escaping_per_format() -> None:
    assert defuse("a\n\n b  @here <x>") == "a b @\u2060here ‹x›"
    assert escape("*bold* [l](u) #h", "markdown") == r"\*bold\* \[l\]\(u\) \#h"
    assert escape('"a" & b', "html") == "&quot;a&quot; &amp; b"
    assert escape("x" * 1000, "text").endswith("…") and len(escape("x" * 1000, "text")) == 280
    message = render([case_facts(url="javascript:alert(1)")], fmt="markdown", public_url="https://rw.example")
    assert "javascript:" not in message.body
    message = render([case_facts(url="https://evil.example/@everyone (x)")], fmt="markdown", public_url="https://rw")
    assert "[the place](https://evil.example/%40everyone%20%28x%29)" in message.body


def test_digest_message_is_short_whatever_the_burst() -> None:
    events = [case_facts(f"Complaint {i} " + "long " * 100, event_id=i, case_id=i,
                         created_at=NOW + timedelta(seconds=i)) for i in range(500)]  # fmt: skip
    for fmt in ("text", "markdown", "html"):
        message = render(events, fmt=fmt, public_url="https://rw.example", digest=True)  # type: ignore[arg-type]
        assert message.title == "[Acme] 500 × new complaint in 8 min"
        assert len(message.body) <= 1900 and "… and 490 more" in message.body


def test_the_readme_verify_snippet_accepts_our_signature_and_refuses_tampering() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(.*?def verify\(.*?)```", readme, re.S)
    assert snippet, "README.md shows how a receiver verifies the webhook signature"
    namespace: dict = {}
    exec(snippet.group(1), namespace)
    verify = namespace["verify"]
    body = b'{"id":"rw-hook-1","events":[]}'
    import time

    header = sign("s3cret-s3cret-s3cret", int(time.time()), body)
    assert verify("s3cret-s3cret-s3cret", header, body)
    assert verify_signature("s3cret-s3cret-s3cret", header, body)
    assert not verify("s3cret-s3cret-s3cret", header, body + b" ")
    assert not verify("another-secret-value", header, body)
    old = sign("s3cret-s3cret-s3cret", int(time.time()) - 3600, body)
    assert not verify("s3cret-s3cret-s3cret", old, body)
