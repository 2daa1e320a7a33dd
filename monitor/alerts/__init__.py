"""Alerts to chat channels: the outbox's events reach people, and none is lost on the way.

    config      the `channels:` and `alerts:` sections of sources.yaml (imported by monitor.config.schema)
    models      alert_delivery, alert_delivery_event, alert_attempt, alert_cursor, alert_routed, alert_channel
    routing     events → deliveries, by each channel's first matching rule (quiet hours, digests)
    dispatch    claim due deliveries with a lease, record results, backoff, dead letters, retry
    messages    what a message says, with untrusted text defused and escaped per format
    transports  sending: Apprise for chat services, our signed JSON webhook
    runner      the two scheduler jobs (route, dispatch) a worker runs
    views       reading deliveries for the API and the CLI

Nothing is imported here, so monitor.config.schema can import monitor.config.alerts without a cycle.
"""
