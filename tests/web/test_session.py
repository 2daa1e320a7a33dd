"""Sign-in, the signed session cookie, CSRF and sign-out: what the inbox lets through and what it refuses."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from monitor.core.db import session_scope
from monitor.core.settings import Settings
from monitor.desk.tokens import revoke_token
from tests.support.api import desk_client
from tests.support.web import csrf_of, sign_in, token_of
from web.session import COOKIE, Signer


def _cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    (header,) = [v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(COOKIE)]
    return header


def test_a_page_without_a_session_sends_the_browser_to_sign_in_and_back(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        secret = token_of(client, "agent", "Анна Петрова")
        response = client.get("/inbox/cases/2?done=changed", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/inbox/sign-in?next=/inbox/cases/2"
        page = client.get(response.headers["location"])
        header = _cookie_header(page).lower()
        assert "httponly" in header and "samesite=lax" in header and "path=/inbox" in header
        assert "secure" not in header  # plain HTTP: a Secure cookie would never come back
        answer = client.post("/inbox/sign-in", data={"csrf": csrf_of(page.text), "token": secret,
                                                      "next": "/inbox/cases/2"}, follow_redirects=False)  # fmt: skip
        assert answer.status_code == 303 and answer.headers["location"] == "/inbox/cases/2"
        assert secret not in _cookie_header(answer)  # the cookie carries the token's id, never its secret
        case = client.get("/inbox/cases/2")
        assert case.status_code == 200 and "Анна Петрова" in case.text and "agent" in case.text


def test_over_tls_the_cookie_is_secure(db_url: str) -> None:
    with desk_client(db_url, "viewer", base_url="https://testserver") as client:
        assert "secure" in _cookie_header(client.get("/inbox/sign-in")).lower()


@pytest.mark.parametrize("token", ["", "rw_not-a-token", "x" * 300, "rw_\u0000\ud7ff"])
def test_a_wrong_token_is_refused_with_the_reason(db_url: str, token: str) -> None:
    with desk_client(db_url, "viewer") as client:
        page = client.get("/inbox/sign-in")
        answer = client.post("/inbox/sign-in", data={"csrf": csrf_of(page.text), "token": token})
        assert answer.status_code == 401
        assert ("Paste an API token" if not token else "unknown or revoked") in answer.text
        assert client.get("/inbox", follow_redirects=False).status_code == 303  # still signed out


def test_sign_in_needs_the_form_of_this_browser(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        secret = token_of(client, "admin")
        client.get("/inbox/sign-in")
        for data in ({"token": secret}, {"token": secret, "csrf": "forged"}):
            answer = client.post("/inbox/sign-in", data=data)
            assert answer.status_code == 403 and "security token does not match" in answer.text
        assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_too_many_refused_tokens_from_one_address_are_a_429(db_url: str) -> None:
    settings = Settings(auth_failure_limit=2, auth_failure_window=600)
    with desk_client(db_url, "viewer", settings=settings) as client:
        csrf = csrf_of(client.get("/inbox/sign-in").text)
        codes = [client.post("/inbox/sign-in", data={"csrf": csrf, "token": f"rw_guess{i}"}).status_code
                 for i in range(3)]  # fmt: skip
        assert codes == [401, 401, 429]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/api/v1/tokens", "/inbox\\@evil"])
def test_after_sign_in_the_browser_stays_in_the_inbox(db_url: str, target: str) -> None:
    with desk_client(db_url, "viewer") as client:
        secret = token_of(client, "viewer")
        csrf = csrf_of(client.get("/inbox/sign-in").text)
        answer = client.post("/inbox/sign-in", data={"csrf": csrf, "token": secret, "next": target},
                             follow_redirects=False)  # fmt: skip
        assert answer.headers["location"] == "/inbox"


def test_a_forged_an_expired_and_a_revoked_session_each_sign_out(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        client.app.state.web_signer = Signer("a key for this test", 3600)
        sign_in(client, "agent")
        good = client.cookies[COOKIE]
        client.cookies.set(COOKIE, good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"), path="/inbox")
        answer = client.get("/inbox", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].endswith("why=forged")
        assert "was not one this server signed" in client.get(answer.headers["location"]).text

        client.cookies.set(COOKIE, good, path="/inbox")
        assert client.get("/inbox").status_code == 200
        client.app.state.web_signer = Signer("a key for this test", -1)  # every cookie is now too old
        answer = client.get("/inbox", follow_redirects=False)
        assert answer.headers["location"].endswith("why=expired")

        client.app.state.web_signer = Signer("a key for this test", 3600)
        client.cookies.set(COOKIE, good, path="/inbox")
        with session_scope(client.app.state.sessions) as session:
            revoke_token(session=session, token_id=2, now=datetime.now(UTC))
        client.app.state.tokens.clear()  # as the API's revoke does when it commits
        answer = client.get("/inbox", follow_redirects=False)
        assert answer.headers["location"].endswith("why=revoked")


def test_an_api_token_header_is_no_session(db_url: str) -> None:
    with desk_client(db_url, "admin") as client:  # the client sends Authorization: Bearer … of an admin
        assert client.get("/inbox", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(db_url: str) -> None:
    with desk_client(db_url, "viewer") as client:
        csrf = sign_in(client, "viewer")
        assert client.post("/inbox/sign-out", data={"csrf": "stale"}).status_code == 403
        answer = client.post("/inbox/sign-out", data={"csrf": csrf}, follow_redirects=False)
        assert answer.status_code == 303 and re.search(r"Max-Age=0|expires=", _cookie_header(answer), re.I)
        assert client.get("/inbox", follow_redirects=False).status_code == 303
