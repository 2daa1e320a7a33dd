"""Alerts to chat channels: config, routing, delivery."""
