"""Prometheus metrics, served at /metrics by the API."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

__all__ = ["MENTIONS_NEW", "POLLS", "POLL_SECONDS", "record_poll", "source_health"]

POLLS = Counter("replywatch_polls_total", "Polls finished, by outcome", ["outcome"])
MENTIONS_NEW = Counter("replywatch_mentions_new_total", "New mentions stored")
POLL_SECONDS = Histogram(
    "replywatch_poll_fetch_seconds",
    "Time to fetch and parse one source",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


def record_poll(outcome: str, new: int, seconds: float) -> None:
    POLLS.labels(outcome=outcome).inc()
    MENTIONS_NEW.inc(new)
    POLL_SECONDS.observe(seconds)


class _Health(Collector):
    def __init__(self, rows: Iterable[tuple[str, str, str | None]]) -> None:
        self.rows = rows

    def collect(self) -> Iterable[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "replywatch_source_health",
            "1 for each source, labelled with its health and the kind of the reason when it is not ok",
            labels=["source", "health", "reason_kind"],
        )
        for key, health, reason_kind in self.rows:
            gauge.add_metric([key, health, reason_kind or ""], 1)
        yield gauge


def source_health(rows: Iterable[tuple[str, str, str | None]]) -> bytes:
    """The sources' health as exposition text, from (source key, health, reason kind) rows.

    Read from the database at scrape time rather than kept in a process gauge: the API that serves
    /metrics is not the worker that polls. Labels stay bounded: one series per source, and the reason
    is its kind (an error class or warning kind), never its free text (that is in the API).
    """
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Health(list(rows)))
    return generate_latest(registry)
