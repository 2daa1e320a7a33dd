"""The frozen moment tests pass as `now` (services take the clock as an argument, never read it)."""

from datetime import UTC, datetime

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
