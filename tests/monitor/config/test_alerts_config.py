"""The channels: and alerts: sections: good input, and bad input with errors that say where and what."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from monitor.alerts.messages import Facts
from monitor.alerts.routing import in_quiet_hours, quiet_hours_end, rule_for
from monitor.config import ConfigError, parse_config
from monitor.config.alerts import QuietHours, priority_rank
from tests.support.paths import ROOT

HEAD = "brands:\n  - {key: acme, name: Acme, timezone: Europe/Moscow}\n"
GOOD = (
    HEAD
    + """\
alerts:
  public_url: https://rw.acme.example/
  backoff: 1m
channels:
  - key: care-slack
    kind: apprise
    url: ${SLACK_URL}
    rate_limit: 20
    rules:
      - events: [case.sla_*, source.failing]
        min_priority: high
        brands: [acme]
        quiet_hours: {start: 22:00, end: "08:00", bypass: [case.sla_breached]}
      - events: [case.opened]
        digest: 15m
  - key: crm
    kind: webhook
    url: https://crm.example/hooks/replywatch
    secret: ${HOOK_SECRET}
"""
)
ENV = {"SLACK_URL": "slack://T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX", "HOOK_SECRET": "0123456789abcdef-secret"}


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, path="watch.yaml", env=ENV if env is None else env)
    return info.value.problems


def test_a_good_channels_section() -> None:
    config = parse_config(GOOD, path="watch.yaml", env=ENV)
    slack, crm = config.channels
    assert slack.url == ENV["SLACK_URL"] and slack.rate_limit == 20 and slack.max_attempts == 12
    quiet = slack.rules[0].quiet_hours
    assert quiet is not None and (quiet.start, quiet.end) == (time(22), time(8))  # unquoted 22:00 is YAML's 1320
    assert slack.rules[1].digest == timedelta(minutes=15)
    assert crm.secret == ENV["HOOK_SECRET"] and crm.rules[0].events == ["*"]
    assert config.alerts.public_url == "https://rw.acme.example" and config.alerts.backoff == timedelta(minutes=1)
    assert parse_config(HEAD, env={}).channels == []


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            "{brands: [acme, zeta]}",
            "line 9: channels[0].rules[0].brands[1]: 'zeta' is not a brand in this file (brands: acme)",
        ),
        ("{digest: 5s}", "channels[0].rules[0]: digest: 5s is out of range; expected 10s to 1d"),
        ("{digest: soon}", "channels[0].rules[0].digest: expected a duration such as 30s, 15m, 1h or 1d (got 'soon')"),
        ("{events: [case.opend]}", "channels[0].rules[0].events[0]: matches no event kind; known kinds: case.opened,"),
        ("{min_priority: medium}", "channels[0].rules[0].min_priority: expected one of low, normal, high, urgent"),
        (
            "{quiet_hours: {start: '25:00', end: '08:00'}}",
            "channels[0].rules[0].quiet_hours.start: expected a time of day",
        ),
        ("{quiet_hours: {start: '08:00', end: '08:00'}}", "start and end are the same time"),
        ("{quiet_hours: {start: '22:00', end: '08:00', timezone: Mars/Base}}", "expected an IANA time zone"),
        ("{event: [case.opened]}", "channels[0].rules[0].event: unknown key"),
    ],
)
def test_bad_rules_name_the_key_path(rule: str, expected: str) -> None:
    text = (
        HEAD
        + f"channels:\n  - key: c\n    kind: webhook\n    url: https://h.example/x\n    secret: ${{HOOK_SECRET}}\n    rules:\n      - {rule}\n"
    )
    found = problems(text)
    assert len(found) == 1 and expected in found[0], found


def test_bad_channels() -> None:
    bad_url = problems(HEAD + "channels:\n  - {key: c, kind: apprise, url: 'nope://tok3n-s3cret@x'}\n")
    assert bad_url == [
        "line 4: channels[0]: url: not an Apprise URL it can use (scheme 'nope'); see the Apprise documentation "
        "for slack://, msteams/workflow://, tgram://, mmost://, discord://, mailto://"
    ]
    short = problems(HEAD + "channels:\n  - {key: c, kind: webhook, url: 'https://h.example', secret: sh0rt}\n")
    assert "secret: a webhook channel needs a secret of 16 characters or more" in short[0]
    assert "sh0rt" not in short[0]  # secrets are never echoed
    assert (
        "expected an absolute http:// or https:// URL"
        in problems(
            HEAD + "channels:\n  - {key: c, kind: webhook, url: 'ftp://h.example', secret: 0123456789abcdef0}\n"
        )[0]
    )
    twice = problems(
        HEAD + "channels:\n  - {key: c, kind: apprise, url: 'json://h'}\n  - {key: c, kind: apprise, url: 'json://h'}\n"
    )
    assert twice == ["line 5: channels[1].key: 'c' is already used by channels[0]"]
    unset = problems(GOOD, env={"HOOK_SECRET": ENV["HOOK_SECRET"]})
    assert unset == ["line 9: channels[0].url: environment variable SLACK_URL is not set"]
    assert (
        "alerts.public_url: expected an absolute http:// or https:// URL"
        in problems(HEAD + "alerts: {public_url: rw.example}\n")[0]
    )


def test_rules_quiet_hours_and_priorities() -> None:
    config = parse_config(GOOD, path="watch.yaml", env=ENV)
    slack = config.channels[0]

    def facts(kind: str, **kw: object) -> Facts:
        return Facts(event_id=1, kind=kind, created_at=datetime(2026, 1, 1, tzinfo=UTC), **kw)  # type: ignore[arg-type]

    assert rule_for(slack, facts("case.sla_breached", brand="acme", priority="urgent")) == (0, slack.rules[0])
    assert rule_for(slack, facts("case.sla_breached", brand="acme", priority="P3")) is None  # normal < high
    assert rule_for(slack, facts("case.sla_breached", brand="acme", priority="P1"))[0] == 0  # type: ignore[index]
    assert rule_for(slack, facts("source.failing", brand="acme"))[0] == 0  # type: ignore[index]
    assert rule_for(slack, facts("source.failing")) is None  # no brand: a rule naming brands does not take it
    assert rule_for(slack, facts("case.opened")) == (1, slack.rules[1])
    assert [priority_rank(p) for p in ("low", "NORMAL", "high", "urgent", "critical", 1, "p4", "x", True)] == [
        0, 1, 2, 3, 3, 3, 0, None, None
    ]  # fmt: skip

    quiet = QuietHours(start="22:00", end="08:00")  # type: ignore[arg-type]
    moscow = facts("case.opened", timezone="Europe/Moscow")
    late = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)  # 23:00 in Moscow
    assert in_quiet_hours(quiet, moscow, late) and not in_quiet_hours(quiet, facts("case.opened"), late)
    assert quiet_hours_end(quiet, moscow, late) == datetime(2026, 11, 21, 5, 0, tzinfo=UTC)  # 08:00 Moscow
    early = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # 07:00 in Moscow
    assert in_quiet_hours(quiet, moscow, early) and quiet_hours_end(quiet, moscow, early) == early + timedelta(hours=1)
    assert not in_quiet_hours(quiet, moscow, early + timedelta(hours=1))


def test_the_example_channels_in_sources_yaml_are_valid() -> None:
    text = (ROOT / "sources.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    start = lines.index("# alerts:")
    example = "\n".join(line.removeprefix("# ") for line in lines[start:] if line.startswith("# "))
    env = {"SLACK_WEBHOOK_URL": ENV["SLACK_URL"], "REPLYWATCH_WEBHOOK_SECRET": ENV["HOOK_SECRET"]}
    config = parse_config(text + "\n" + example + "\n", path="sources.yaml", env=env)
    assert [c.key for c in config.channels] == ["care-slack", "crm"]
    assert config.channels[0].rules[1].digest == timedelta(minutes=15)
