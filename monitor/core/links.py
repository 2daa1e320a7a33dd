"""Addresses of the web inbox's pages (web/, mounted at INBOX by api/app.py), for chat alerts and reports.

Kept here, below alerts and reports, because both link to the same pages; tests/web checks that every link
made here opens the page it names."""

from __future__ import annotations

from urllib.parse import quote, urlencode

__all__ = ["INBOX", "case_url", "queue_url", "source_url"]

INBOX = "/inbox"


def case_url(public_url: str, case_id: int) -> str:
    return f"{public_url.rstrip('/')}{INBOX}/cases/{case_id}"


def source_url(public_url: str, key: str) -> str:
    return f"{public_url.rstrip('/')}{INBOX}/sources/{quote(key, safe='')}"


def queue_url(public_url: str, brand: str | None = None) -> str:
    """The queue's open cases (of one brand)."""
    query = [("status", "open"), *((("brand", brand),) if brand else ())]
    return f"{public_url.rstrip('/')}{INBOX}?{urlencode(query)}"
