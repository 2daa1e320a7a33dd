"""The web inbox for tests: signing a TestClient in through the sign-in form, and the CSRF token of a page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support.factories import authorize

__all__ = ["csrf_of", "sign_in", "token_of"]

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def token_of(client: TestClient, role: str, name: str | None = None) -> str:
    """A new API token of `role` (the client keeps no Authorization header: the inbox never reads one)."""
    secret = authorize(client, role, name)
    client.headers.pop("Authorization", None)
    return secret


def sign_in(client: TestClient, role: str, name: str | None = None) -> str:
    """Sign the client in as a new token of `role` through the form; returns the session's CSRF token."""
    secret = token_of(client, role, name)
    page = client.get("/inbox/sign-in")
    assert page.status_code == 200, page.text
    response = client.post("/inbox/sign-in", data={"csrf": csrf_of(page.text), "token": secret, "next": "/inbox"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text
    queue = client.get("/inbox")
    assert queue.status_code == 200, queue.text
    return csrf_of(queue.text)
