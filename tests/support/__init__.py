"""Helpers shared by the tests: factories, loopback servers, receivers."""
