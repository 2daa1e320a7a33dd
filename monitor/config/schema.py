"""The schema of sources.yaml: the root `Config` and the sections that have no module of their own.

Sections with rules of their own live beside this file (sla, triage, drafting, reports, alerts,
business_hours); loading and error reporting are monitor.config.loader and monitor.config.errors.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal, TypeVar

import holidays
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    create_model,
    field_validator,
    model_validator,
)

from monitor.config.alerts import AlertsConfig, ChannelConfig, check_references
from monitor.config.browser import BrowserConfig, check_browser_sources
from monitor.config.business_hours import BusinessCalendar, BusinessHoursConfig
from monitor.config.drafting import DraftingConfig, RewriteConfig
from monitor.config.outbound import check_outbound
from monitor.config.reports import ReportDefinition
from monitor.config.sla import ALWAYS, BUSINESS, ROUND_THE_CLOCK, SlaConfig
from monitor.config.tone import ToneConfig
from monitor.config.triage import TriageConfig
from monitor.config.types import Duration, Headers, Key, Language, Size, Strict, Url, Zone
from sources.address_policy import Network, parse_networks
from sources.base import SourceSpec
from sources.browser import BrowserSettings
from sources.html import SelectorStr
from sources.http import FetcherSettings
from sources.presets import apply_preset
from sources.registry import KINDS

__all__ = [
    "BrandConfig",
    "CasesConfig",
    "Config",
    "CustomerLinkConfig",
    "DedupeConfig",
    "SchedulerConfig",
    "SourceConfig",
]


_Strict = Strict  # the base of every section: unknown keys are errors, values are frozen
T = TypeVar("T")


def _networks(value: Any) -> tuple[Network, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(
            "expected a list of networks in CIDR notation, e.g. [127.0.0.0/8, '::1/128', 10.1.0.0/16] (quote IPv6 networks in YAML)"
        )
    return parse_networks(value)


class HttpConfig(_Strict):
    """Fetcher defaults; every source may override timeout, max_bytes, min_delay, obey_robots."""

    user_agent: str | None = None
    timeout: Duration = timedelta(seconds=20)
    connect_timeout: Duration = timedelta(seconds=10)
    max_bytes: Size = 5 * 2**20
    max_redirects: int = Field(default=5, ge=0, le=20)
    retries: int = Field(default=2, ge=0, le=10)
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    per_host_delay: Duration = timedelta(seconds=1)
    # 16, not more: httpcore scans its whole pool on every request (docs/PERFORMANCE.md, Polling).
    max_connections: int = Field(default=16, ge=1, le=1000)
    # Networks outbound requests may reach although the address policy refuses them (private,
    # loopback ...): sources, redirects, webhooks, Apprise hosts, the rewrite endpoint. CIDR list.
    allow_networks: Annotated[tuple[Network, ...], BeforeValidator(_networks)] = ()


def _default_parse_workers() -> int:
    # A second CPU parses while the first fetches and stores; one CPU gains nothing from a pool.
    return 2 if (os.cpu_count() or 1) >= 2 else 0


class SchedulerConfig(_Strict):
    tick: Duration = timedelta(seconds=5)
    max_concurrency: int = Field(default=32, ge=1, le=1000)
    lease: Duration = timedelta(minutes=5)
    jitter: float = Field(default=0.1, ge=0, le=0.5)
    max_backoff: Duration = timedelta(hours=1)
    # Parsing in a process pool uses the other cores; 0 parses in a thread of this process.
    parse_workers: int = Field(default_factory=_default_parse_workers, ge=0, le=32)


class PolitenessConfig(_Strict):
    obey_robots: bool = True
    timeout: Duration | None = None
    max_bytes: Size | None = None
    min_delay: Duration | None = None


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


Regex = Annotated[str, AfterValidator(_check_regex)]


class BrandConfig(_Strict):
    key: Key
    name: str = Field(min_length=1)
    # Other names and spellings: "Акме", "Acme", "Ակմե"; inflected forms are found by the matcher.
    names: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    # Phrases that contain a name but are not about the brand ("acme corporation cartoon").
    exclude: list[str] = Field(default_factory=list)
    language: Language = "en"
    timezone: Zone = "UTC"
    # ISO 3166 country: the default region of phone numbers written without a country code.
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    # How the brand's order numbers look, e.g. '\b\d{4}-\d{3}\b' or '\bAC-\d{5}\b'.
    order_pattern: Regex | None = None
    # Working hours of the brand's care team; the top-level business_hours when not given.
    business_hours: BusinessHoursConfig | None = None
    # How customers reach the team, quoted in drafted replies ("care@acme.example, +49 30 1234567").
    contact: str | None = Field(default=None, max_length=300)
    # An OpenAI-compatible endpoint that rewrites this brand's drafts; off unless enabled.
    rewrite: RewriteConfig | None = None


class DedupeConfig(_Strict):
    """Near-duplicate grouping: MinHash LSH finds candidates, a fuzzy comparison confirms."""

    # Estimated Jaccard similarity of word shingles at which LSH reports a candidate.
    candidate_threshold: float = Field(default=0.3, gt=0, lt=1)
    # rapidfuzz score (0-100) a candidate must reach to join the case.
    confirm_score: float = Field(default=80.0, ge=0, le=100)
    # Only posts published this close to each other are grouped (the published date, else when first seen).
    window: Duration = timedelta(days=60)


class CustomerLinkConfig(_Strict):
    """Customer matching: link at or above `link_at`, suggest between, never below `suggest_at`.

    Both are probabilities (0-1) that the customer wrote the case (monitor.customers.candidates).
    Until version 0.x they were scores 0-100: a value above 1 is refused with a message that says so.
    """

    link_at: float = Field(default=0.99, gt=0, le=1)
    suggest_at: float = Field(default=0.02, gt=0, le=1)
    max_suggestions: int = Field(default=3, ge=1, le=20)
    # The worker learns matching's m from each brand's own cases by EM (monitor.cases.rematch.train_register):
    # more links on every measured set, and on bench/match.py's mix one more outsider linked who has a
    # customer's very name and city (docs/PERFORMANCE.md, session 7). False keeps the built-in m.
    train: bool = True

    @field_validator("link_at", "suggest_at", mode="before")
    @classmethod
    def _probability(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value <= 100:
            raise ValueError(f"is a probability now (0-1), not a score 0-100: write {value / 100:g} for {value:g}")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> CustomerLinkConfig:
        if self.suggest_at > self.link_at:
            raise ValueError(f"suggest_at ({self.suggest_at}) must not be above link_at ({self.link_at})")
        return self


class CasesConfig(_Strict):
    dedupe: DedupeConfig = DedupeConfig()
    customers: CustomerLinkConfig = CustomerLinkConfig()
    tone: ToneConfig = ToneConfig()


class _SourceFields(_Strict):
    """A source's own keys; SourceConfig adds a `<kind>:` section for each kind in sources.registry."""

    key: Key
    kind: Literal[tuple(KINDS)]  # type: ignore[valid-type]  # the registered kinds, in its error message too
    # A known site's settings (sources/presets), merged under the entry's own keys before validation.
    preset: str | None = None
    url: Url
    interval: Duration
    brand: Key | None = None
    language: Language | None = None
    # What this source reviews, for tone (monitor.cases.tone): `health` for sites about medicines, whose
    # reviews tell the symptoms before the verdict. Unset: `cases.tone.domain`.
    tone_domain: Literal["general", "health"] | None = None
    weight: int = Field(default=1, ge=1, le=5)
    enabled: bool = True
    headers: Headers = Field(default_factory=dict)
    politeness: PolitenessConfig = PolitenessConfig()
    # "browser": render the page in headless Chromium first (pages that build their list with JavaScript).
    fetch: Literal["http", "browser"] = "http"
    # With fetch: browser, a CSS selector the rendered page is read after (else: when the network is idle).
    wait_for: SelectorStr | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _fill_from_preset(cls, data: Any) -> Any:
        return apply_preset(data) if isinstance(data, dict) and "preset" in data else data

    @model_validator(mode="after")
    def _settings_match_kind(self) -> _SourceFields:
        if self.interval < timedelta(seconds=1):
            raise ValueError(f"interval: {self.interval.total_seconds()}s is too short; expected at least 1s")
        given = {name for name in KINDS if self.settings_for(name) is not None}
        if KINDS[self.kind].needs_settings and self.kind not in given:
            raise ValueError(f"a source of kind '{self.kind}' needs a '{self.kind}:' section")
        if extra := given - {self.kind}:
            raise ValueError(f"section '{sorted(extra)[0]}:' does not belong to a source of kind '{self.kind}'")
        if self.fetch == "browser" and self.kind != "html":
            raise ValueError(f"fetch: browser renders HTML pages, so it needs kind: html (not '{self.kind}')")
        if self.wait_for is not None and self.fetch != "browser":
            raise ValueError("wait_for: is read only with fetch: browser")
        return self

    def settings_for(self, kind: str) -> Any:
        return getattr(self, _section_field(kind))

    @property
    def settings(self) -> Any:
        """The source's `<kind>:` section (sources.<kind> settings), None where a kind's defaults serve."""
        return self.settings_for(self.kind)

    def spec(self) -> SourceSpec:
        """The adapter's view of this source."""
        p = self.politeness
        return SourceSpec(
            key=self.key,
            kind=self.kind,
            url=self.url,
            headers=dict(self.headers),
            settings=self.settings,
            obey_robots=p.obey_robots,
            max_pages=getattr(self.settings, "max_pages", 1),
            timeout=p.timeout.total_seconds() if p.timeout else None,
            max_bytes=p.max_bytes,
            min_delay=p.min_delay.total_seconds() if p.min_delay else None,
            fetch=self.fetch,
            wait_for=self.wait_for,
        )


def _section_field(kind: str) -> str:
    # Not the kind's name itself: a field called `json` would shadow BaseModel.json.
    return f"{kind}_section"


# One optional `<kind>:` section per registered kind, named by the kind in the file (so errors say
# "sources[1].html.item"): a new kind in sources/ needs no change here.
SourceConfig = create_model(
    "SourceConfig",
    __base__=_SourceFields,
    __doc__="One entry of `sources:`: where to look, how often, and the settings of its kind.",
    **{_section_field(k): (kind.settings | None, Field(default=None, alias=k)) for k, kind in KINDS.items()},
)


class Config(_Strict):
    contact_url: str = "https://github.com/replywatch/replywatch"
    http: HttpConfig = HttpConfig()
    browser: BrowserConfig = BrowserConfig()
    scheduler: SchedulerConfig = SchedulerConfig()
    cases: CasesConfig = CasesConfig()
    business_hours: BusinessHoursConfig = BusinessHoursConfig()
    sla: SlaConfig = SlaConfig()
    triage: TriageConfig = TriageConfig()
    drafting: DraftingConfig = DraftingConfig()
    reports: list[ReportDefinition] = Field(default_factory=list)
    brands: list[BrandConfig] = Field(default_factory=list)
    sources: list[SourceConfig] = Field(default_factory=list)
    channels: list[ChannelConfig] = Field(default_factory=list)
    alerts: AlertsConfig = AlertsConfig()
    # Where it came from, for messages; set by load_config.
    path: str = "<memory>"
    _by_key: dict[str, SourceConfig] = PrivateAttr(default_factory=dict)
    # What is built from this config once and kept with it: business calendars, the brand matcher,
    # the desk's rules. A reloaded config is a new object, so nothing here can go stale.
    _calendars: dict[tuple[str, str], BusinessCalendar] = PrivateAttr(default_factory=dict)
    _derived: dict[str, Any] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        self._by_key = {s.key: s for s in self.sources}

    @field_validator("brands", "sources", "reports", "channels", mode="before")
    @classmethod
    def _empty_section(cls, value: Any) -> Any:
        return [] if value is None else value  # `sources:` with nothing under it

    @model_validator(mode="after")
    def _references(self) -> Config:
        _unique("brands", [b.key for b in self.brands])
        _unique("sources", [s.key for s in self.sources])
        brand_keys = {b.key for b in self.brands}
        for i, source in enumerate(self.sources):
            if source.brand is not None and source.brand not in brand_keys:
                known = ", ".join(sorted(brand_keys)) or "none declared"
                raise ValueError(f"sources[{i}].brand: '{source.brand}' is not a brand in this file (brands: {known})")
        check_references(self)
        _unique("reports", [r.key for r in self.reports])
        channel_keys = {c.key for c in self.channels}
        for i, report in enumerate(self.reports):
            for j, key in enumerate(report.brands):
                if key not in brand_keys:
                    raise ValueError(f"reports[{i}].brands[{j}]: '{key}' is not a brand in this file")
            for j, key in enumerate(report.channels):
                if key not in channel_keys:
                    known = ", ".join(sorted(channel_keys)) or "none declared"
                    raise ValueError(f"reports[{i}].channels[{j}]: '{key}' is not a channel (channels: {known})")
        for i, brand in enumerate(self.brands):
            hours = brand.business_hours or self.business_hours
            where = f"brands[{i}].business_hours" if brand.business_hours else "business_hours"
            if hours.subdivision and not brand.country:
                raise ValueError(f"{where}.subdivision: needs brands[{i}].country to say whose region it is")
            if hours.subdivision and brand.country:
                try:
                    holidays.country_holidays(brand.country, subdiv=hours.subdivision)
                except NotImplementedError:
                    raise ValueError(
                        f"{where}.subdivision: '{hours.subdivision}' is not a region of {brand.country} "
                        "known to the holidays library"
                    ) from None
        return self

    @model_validator(mode="after")
    def _outbound_addresses(self) -> Config:
        check_outbound(self, self.http.allow_networks)
        return self

    @model_validator(mode="after")
    def _browser_available(self) -> Config:
        check_browser_sources(self)
        return self

    @property
    def uses_browser(self) -> bool:
        return any(s.fetch == "browser" for s in self.sources)

    def browser_settings(self) -> BrowserSettings:
        return self.browser.settings()

    def brand(self, key: str) -> BrandConfig | None:
        return next((b for b in self.brands if b.key == key), None)

    def business_hours_of(self, brand: BrandConfig) -> BusinessHoursConfig:
        return brand.business_hours or self.business_hours

    def calendar(self, brand_key: str, name: str = BUSINESS) -> BusinessCalendar:
        """A calendar of the brand, built once per config (a calendar caches its days too): its business
        hours, `always` (round the clock) or one of `sla.calendars`, in the brand's zone and country.

        A brand no longer in the file (its cases remain) gets the default hours in UTC."""
        calendar = self._calendars.get((brand_key, name))
        if calendar is None:
            brand = self.brand(brand_key)
            zone, country = (brand.timezone, brand.country) if brand is not None else ("UTC", None)
            if name == ALWAYS:
                hours = ROUND_THE_CLOCK
            elif name in self.sla.calendars:
                hours = self.sla.calendars[name]
            else:
                hours = self.business_hours_of(brand) if brand is not None else self.business_hours
            calendar = self._calendars.setdefault(
                (brand_key, name), BusinessCalendar(hours, zone=zone, country=country)
            )
        return calendar

    def derived(self, name: str, build: Callable[[Config], T]) -> T:
        """`build(self)`, once per config and `name`: for objects made from the config that higher
        layers own (the brand matcher, the desk's rules), which this leaf package cannot import."""
        if name not in self._derived:
            self._derived.setdefault(name, build(self))  # two threads may build; one result is kept
        return self._derived[name]

    def fetcher_settings(self) -> FetcherSettings:
        h = self.http
        return FetcherSettings(
            user_agent=h.user_agent or f"replywatch/0.1 (+{self.contact_url})",
            timeout=h.timeout.total_seconds(),
            connect_timeout=h.connect_timeout.total_seconds(),
            max_bytes=h.max_bytes,
            max_redirects=h.max_redirects,
            retries=h.retries,
            per_host_concurrency=h.per_host_concurrency,
            per_host_delay=h.per_host_delay.total_seconds(),
            max_connections=h.max_connections,
            allow_networks=h.allow_networks,
        )

    def source(self, key: str) -> SourceConfig | None:
        # Called on every poll: a dict, because a scan of 2,000 sources was 2 % of a 304 poll.
        return self._by_key.get(key)

    def tone_domain(self, source_key: str | None) -> str:
        """The tone domain of the source `source_key`: its own `tone_domain`, else `cases.tone.domain`."""
        source = self._by_key.get(source_key) if source_key is not None else None
        own = source.tone_domain if source is not None else None
        return own or self.cases.tone.domain


def _unique(section: str, keys: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            raise ValueError(f"{section}[{i}].key: '{key}' is already used by {section}[{seen[key]}]")
        seen[key] = i
