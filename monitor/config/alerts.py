"""The `channels:` and `alerts:` sections of sources.yaml.

    channels:
      - key: care-slack
        kind: apprise                       # any Apprise URL: Slack, Teams, Telegram, Mattermost, Discord, mailto ...
        url: ${SLACK_URL}
        rate_limit: 20                      # messages per minute at most
        rules:                              # the first rule that matches an event decides how it goes out
          - events: [case.sla_*, source.failing]
            min_priority: high
            brands: [acme]
            quiet_hours: {start: "22:00", end: "08:00", bypass: [case.sla_breached]}
          - events: [case.opened]
            digest: 15m                     # collect for 15 minutes, send one message
      - key: crm-hook
        kind: webhook                       # our own signed JSON webhook
        url: https://crm.example/hooks/replywatch
        secret: ${REPLYWATCH_WEBHOOK_SECRET}

This module imports nothing from monitor.config.schema (which imports it); the few shared
value types are re-stated here and durations are parsed by monitor.config.schema at
validation time. Cross-references (a rule naming a brand) are checked by
`check_references`, called from Config's own reference check.
"""

from __future__ import annotations

import fnmatch
import re
from datetime import time, timedelta
from typing import TYPE_CHECKING, Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from monitor.config.types import parse_duration

if TYPE_CHECKING:
    from monitor.config import Config

__all__ = [
    "EVENT_KINDS",
    "PRIORITIES",
    "AlertsConfig",
    "ChannelConfig",
    "ChannelRule",
    "QuietHours",
    "check_references",
    "priority_rank",
]

# Every event kind replywatch emits (or will: the response desk adds the case.* and reply.* ones).
EVENT_KINDS = (
    "case.opened",
    "case.priority_raised",
    "case.sla_at_risk",
    "case.sla_breached",
    "place.sla_breached",
    "case.promise_at_risk",
    "case.promise_broken",
    "reply.unverified",
    "reply.disappeared",
    "source.failing",
    "source.recovered",
    "source.layout_changed",
    "report.ready",
)
# Lowest first. An event without a priority (a source event) is not filtered by min_priority.
PRIORITIES = ("low", "normal", "high", "urgent")


def priority_rank(value: object) -> int | None:
    """Rank of a priority word (or of 1-4 / p1-p4, 1 being the most urgent); None when unknown."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in PRIORITIES:
            return PRIORITIES.index(text)
        if text == "critical":
            return len(PRIORITIES) - 1
        text = text.removeprefix("p")
        if text.isdigit():
            value = int(text)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(PRIORITIES):
        return len(PRIORITIES) - value
    return None


def _duration(value: object) -> timedelta:
    return parse_duration(value)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as Europe/Moscow") from None
    return value


def _clock(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 22:00 as the sexagesimal number 1320.
        value = f"{value // 60:02d}:{value % 60:02d}"
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", str(value).strip())
    if not match:
        raise ValueError("expected a time of day such as 22:00")
    return time(int(match.group(1)), int(match.group(2)))


def _event_pattern(value: str) -> str:
    if not any(fnmatch.fnmatchcase(kind, value) for kind in EVENT_KINDS):
        raise ValueError(f"matches no event kind; known kinds: {', '.join(EVENT_KINDS)}")
    return value


def _priority(value: object) -> str:
    if priority_rank(value) is None:
        raise ValueError(f"expected one of {', '.join(PRIORITIES)}")
    return str(value).lower()


def _http_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/?#]+[^\s]*$", value):
        raise ValueError("expected an absolute http:// or https:// URL")
    return value.rstrip("/")


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Zone = Annotated[str, AfterValidator(_zone)]
Clock = Annotated[time, BeforeValidator(_clock)]
EventPattern = Annotated[str, AfterValidator(_event_pattern)]
Priority = Annotated[str, BeforeValidator(_priority)]
HttpUrl = Annotated[str, AfterValidator(_http_url)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QuietHours(_Strict):
    """Hours when a rule's events are held; they go out when the quiet hours end.

    `start`..`end` is read in `timezone`, else in the event's brand's zone, else UTC;
    a span past midnight (22:00-08:00) is fine. Events matching `bypass` go out anyway.
    """

    start: Clock
    end: Clock
    timezone: Zone | None = None
    bypass: list[EventPattern] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end are the same time; leave quiet_hours out instead")
        return self


class ChannelRule(_Strict):
    """Which events go to the channel, and how (at once, held for quiet hours, or in a digest)."""

    events: list[EventPattern] = Field(default_factory=lambda: ["*"], min_length=1)
    min_priority: Priority | None = None
    brands: list[Key] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None
    digest: Duration | None = None

    @model_validator(mode="after")
    def _digest_window(self) -> ChannelRule:
        if self.digest is not None and not timedelta(seconds=10) <= self.digest <= timedelta(days=1):
            raise ValueError(f"digest: {self.digest.total_seconds():g}s is out of range; expected 10s to 1d")
        return self

    def matches_kind(self, kind: str) -> bool:
        return any(fnmatch.fnmatchcase(kind, pattern) for pattern in self.events)


class ChannelConfig(_Strict):
    key: Key
    kind: Literal["apprise", "webhook"]
    url: str = Field(min_length=1)
    # kind webhook: the HMAC-SHA256 key for X-Replywatch-Signature (use ${NAME}); never echoed in errors.
    secret: str | None = None
    # How complaint text is escaped; default: what the service renders (Apprise channels) or text.
    format: Literal["text", "markdown", "html"] | None = None
    rate_limit: int = Field(default=30, ge=1, le=100_000, description="messages per minute at most")
    max_attempts: int = Field(default=12, ge=1, le=100)
    enabled: bool = True
    rules: list[ChannelRule] = Field(default_factory=lambda: [ChannelRule()], min_length=1)

    @model_validator(mode="after")
    def _url_fits_kind(self) -> ChannelConfig:
        if self.kind == "webhook":
            _http_url(self.url)
            if not self.secret or len(self.secret) < 16:
                raise ValueError(
                    "secret: a webhook channel needs a secret of 16 characters or more, e.g. secret: ${HOOK_SECRET}"
                )
        else:
            if self.secret is not None:
                raise ValueError("secret belongs to webhook channels; an Apprise URL carries its own credentials")
            import apprise

            if apprise.Apprise.instantiate(self.url, suppress_exceptions=True) is None:
                scheme = self.url.split("://", 1)[0] if "://" in self.url else self.url[:20]
                raise ValueError(
                    f"url: not an Apprise URL it can use (scheme '{scheme}'); "
                    "see the Apprise documentation for slack://, msteams/workflow://, tgram://, mmost://, discord://, mailto://"
                )
        return self


class AlertsConfig(_Strict):
    """How deliveries are made; every value has a default."""

    # The address of the API and its web inbox as staff reach them: messages link to {public_url}/inbox/cases/{id}.
    public_url: HttpUrl = "http://127.0.0.1:8000"
    tick: Duration = timedelta(seconds=2)
    batch: int = Field(default=200, ge=1, le=5000)
    concurrency: int = Field(default=8, ge=1, le=256)
    # A delivery claimed by a process that died is sent again once this has passed.
    lease: Duration = timedelta(minutes=2)
    timeout: Duration = timedelta(seconds=10)
    backoff: Duration = timedelta(seconds=30)
    max_backoff: Duration = timedelta(hours=1)


def check_references(config: Config) -> None:
    """Raise ValueError naming the key path of the first channel that refers to something unknown."""
    seen: dict[str, int] = {}
    brand_keys = {b.key for b in config.brands}
    for i, channel in enumerate(config.channels):
        if channel.key in seen:
            raise ValueError(f"channels[{i}].key: '{channel.key}' is already used by channels[{seen[channel.key]}]")
        seen[channel.key] = i
        for j, rule in enumerate(channel.rules):
            for k, brand in enumerate(rule.brands):
                if brand not in brand_keys:
                    known = ", ".join(sorted(brand_keys)) or "none declared"
                    raise ValueError(
                        f"channels[{i}].rules[{j}].brands[{k}]: '{brand}' is not a brand in this file (brands: {known})"
                    )
