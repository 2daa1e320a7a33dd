"""sources.yaml: its schema, loader and error reporting. A leaf: it imports monitor.core and sources only.

types          the value types every section shares (durations, sizes, keys, zones, URLs)
errors         YAML line numbers, key paths and ${NAME} substitution for messages
schema         the root Config and the small sections (http, scheduler, brands, sources, cases)
business_hours, sla, triage (+ triage_keywords), drafting, reports, alerts: one section each
loader         find, read, substitute and validate the file
"""

from monitor.config.loader import DEFAULT_PATH, ENV_VAR, ConfigError, find_config_path, load_config, parse_config
from monitor.config.schema import (
    BrandConfig,
    CasesConfig,
    Config,
    CustomerLinkConfig,
    DedupeConfig,
    SchedulerConfig,
    SourceConfig,
)
from monitor.config.types import parse_duration, parse_size

__all__ = [
    "DEFAULT_PATH",
    "ENV_VAR",
    "BrandConfig",
    "CasesConfig",
    "Config",
    "ConfigError",
    "CustomerLinkConfig",
    "DedupeConfig",
    "SchedulerConfig",
    "SourceConfig",
    "find_config_path",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_size",
]
