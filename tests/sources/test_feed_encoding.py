"""Feeds in legacy Cyrillic encodings, fetched by the real fetcher from a loopback server and
parsed as a poll parses them (sources.base.collect), and the checks of sources.feed_encoding."""

from __future__ import annotations

import pytest

from sources.base import PageWarning, SourceSpec, Validators, collect
from sources.feed import parse
from sources.feed_encoding import garbled
from tests.support.fetcher import make_fetcher
from tests.support.loopback import LoopbackServer, static

TITLE = "Жалоба: курьер не привёз заказ"
BODY = "Заказ оплачен неделю назад, курьер так и не приехал, в поддержке не отвечают. Верните деньги!"


def rss(declaration: str = "") -> str:
    return (
        f'{declaration}<rss version="2.0"><channel><title>Жалобы покупателей</title>'
        f"<item><title>{TITLE}</title><guid>1</guid><description>{BODY}</description></item>"
        f"<item><title>Возврат не пришёл</title><guid>2</guid><description>Прошло три недели.</description></item>"
        "</channel></rss>"
    )


def atom() -> str:
    return (
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>Жалобы</title><id>urn:f</id><updated>2026-11-22T10:00:00Z</updated>'
        f"<entry><id>urn:1</id><title>{TITLE}</title><updated>2026-11-22T10:00:00Z</updated>"
        f"<summary>{BODY}</summary></entry></feed>"
    )


async def poll(
    server: LoopbackServer, body: bytes, content_type: str
) -> tuple[list[str], list[str], list[PageWarning]]:
    server.routes["/feed"] = static(body, content_type=content_type)
    spec = SourceSpec(key="shop", kind="feed", url=server.url("/feed"))
    async with make_fetcher() as fetcher:
        got = await collect(spec, fetcher=fetcher, parser=parse, validators=Validators())
    return [m.title or "" for m in got.items], [m.body for m in got.items], got.facts.warnings


@pytest.mark.parametrize("encoding", ["windows-1251", "koi8-r"])
@pytest.mark.parametrize("content_type", ["application/rss+xml", "text/xml", "application/xml"])
async def test_charset_only_in_the_http_header(server: LoopbackServer, encoding: str, content_type: str) -> None:
    titles, bodies, warnings = await poll(server, rss().encode(encoding), f"{content_type}; charset={encoding}")

    assert titles == [TITLE, "Возврат не пришёл"]
    assert bodies[0] == BODY
    assert warnings == []


@pytest.mark.parametrize("encoding", ["windows-1251", "koi8-r"])
async def test_atom_with_charset_only_in_the_http_header(server: LoopbackServer, encoding: str) -> None:
    titles, _, warnings = await poll(server, atom().encode(encoding), f"application/atom+xml; charset={encoding}")
    assert (titles, warnings) == ([TITLE], [])


@pytest.mark.parametrize("encoding", ["windows-1251", "koi8-r"])
async def test_encoding_declared_nowhere_is_detected(server: LoopbackServer, encoding: str) -> None:
    titles, bodies, warnings = await poll(server, rss().encode(encoding), "application/rss+xml")

    assert titles == [TITLE, "Возврат не пришёл"]
    assert bodies[0] == BODY
    assert warnings == []


async def test_header_charset_wins_over_the_declaration_when_the_bytes_agree(server: LoopbackServer) -> None:
    body = rss('<?xml version="1.0" encoding="utf-8"?>').encode("windows-1251")
    titles, _, warnings = await poll(server, body, "text/xml; charset=windows-1251")
    assert (titles[0], warnings) == (TITLE, [])


async def test_declaration_wins_when_the_header_charset_does_not_fit_with_a_warning(server: LoopbackServer) -> None:
    body = rss('<?xml version="1.0" encoding="koi8-r"?>').encode("koi8-r")
    titles, _, warnings = await poll(server, body, "application/rss+xml; charset=utf-8")

    assert titles[0] == TITLE
    (warning,) = warnings
    assert warning.kind == PageWarning.ENCODING and "charset=utf-8" in warning.text


async def test_a_wrong_header_charset_is_stored_but_reported(server: LoopbackServer) -> None:
    # UTF-8 bytes served as windows-1251 (and declared so): nothing says otherwise, so the decode
    # stands, but it reads as "Р–Р°Р»РѕР±Р°" and the poll must not look healthy.
    body = rss('<?xml version="1.0" encoding="windows-1251"?>').encode()
    titles, _, warnings = await poll(server, body, "application/rss+xml; charset=windows-1251")

    assert titles[0] != TITLE
    (warning,) = warnings
    assert warning.kind == PageWarning.ENCODING and "windows-1251" in warning.text


async def test_utf8_feed_is_unchanged(server: LoopbackServer) -> None:
    titles, _, warnings = await poll(server, rss().encode(), "application/rss+xml")
    assert (titles[0], warnings) == (TITLE, [])


@pytest.mark.parametrize(
    "text",
    [
        (TITLE + BODY).encode("windows-1251").decode("cp1252"),  # Æàëîáà: êóðüåð íå ïðèâ¸ç çàêàç
        (TITLE + BODY).encode("koi8-r").decode("cp1252", errors="replace"),
        BODY.encode().decode("cp1252", errors="replace"),  # Ð—Ð°ÐºÐ°Ð·
        BODY.encode().decode("cp1251"),  # Р—Р°РєР°Р·
        BODY.encode("koi8-r").decode("utf-8", errors="replace"),
    ],
)
def test_mojibake_is_recognised(text: str) -> None:
    assert garbled([text]) is not None


@pytest.mark.parametrize(
    "text",
    [
        TITLE,
        BODY,
        "Der Kundendienst hat meine Rückerstattung für die Bestellung nicht überwiesen, schöne Grüße.",
        "Le livreur n'est jamais venu, j'ai attendu toute la journée: très déçu, remboursez-moi.",
        "Crème brûlée: déçu, façade, naïve, où, été, à côté, hôtel, garçon, élève, Noël",
        "Привет из Москвы! Ёлки-палки, Сбер, СМС, РЖД, ССР — аббревиатуры не мешают.",
        "ASCII only, nothing to check",
    ],
)
def test_real_text_is_not_mojibake(text: str) -> None:
    assert garbled([text]) is None
