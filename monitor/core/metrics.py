"""Prometheus metrics, served at /metrics by the API."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["MENTIONS_NEW", "POLLS", "POLL_SECONDS", "record_poll"]

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
