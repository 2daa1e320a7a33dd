"""sources/http.py: the body of a response, capped in size, decompressed and decoded."""

from __future__ import annotations

import gzip
import tracemalloc

import brotli
import pytest
import zstandard

from sources.errors import (
    TooLarge,
    UnexpectedContent,
)
from sources.http import decode_text
from tests.support.fetcher import BE, BOM_UK, RU, UK, make_fetcher
from tests.support.loopback import LoopbackServer, Request, static, truncated

# --- size cap -------------------------------------------------------------------------------------


async def test_content_length_over_the_cap_is_rejected_before_reading(server: LoopbackServer) -> None:
    # Only 100 of the promised bytes arrive: reading them would end in a truncation error instead.
    server.routes["/feed"] = truncated(b"x" * 100, declared_length=10_000_000)
    async with make_fetcher(retries=2) as fetcher:
        with pytest.raises(TooLarge, match="Content-Length"):
            await fetcher.get(server.url("/feed"), max_bytes=1_000_000)
    assert len(server.requests_to("/feed")) == 1


async def test_body_without_length_is_cut_off_at_the_cap(server: LoopbackServer) -> None:
    def endless(request: Request) -> None:
        handler = request.handler
        handler.send_response_only(200)
        handler.send_header("Connection", "close")  # body delimited by closing, no Content-Length
        handler.end_headers()
        for _ in range(64):
            handler.wfile.write(b"x" * 16_384)

    server.routes["/feed"] = endless
    async with make_fetcher(max_bytes=100_000) as fetcher:
        with pytest.raises(TooLarge, match="while streaming"):
            await fetcher.get(server.url("/feed"))


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", lambda data: gzip.compress(data, compresslevel=6)),
        ("br", lambda data: brotli.compress(data, quality=5)),
        ("zstd", zstandard.ZstdCompressor(level=3).compress),
    ],
)
async def test_compression_bomb_is_stopped_without_inflating_it(
    server: LoopbackServer, encoding: str, compress
) -> None:
    # 100 kB at most on the wire, 60 MB once inflated (brotli and zstd manage 150 and 3,000 bytes).
    bomb = compress(b"\0" * 60_000_000)
    assert len(bomb) < 100_000
    server.routes["/feed"] = static(bomb, content_encoding=encoding)
    async with make_fetcher() as fetcher:
        tracemalloc.start()
        try:
            with pytest.raises(TooLarge, match="while streaming"):
                await fetcher.get(server.url("/feed"), max_bytes=1_000_000)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 16_000_000


async def test_stacked_content_encodings_are_undone_in_reverse(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(brotli.compress(gzip.compress(RU.encode())), content_encoding="gzip, br")
    async with make_fetcher() as fetcher:
        assert (await fetcher.get(server.url("/feed"))).text == RU


async def test_corrupt_compressed_body_is_unexpected_content(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(b"\x1f\x8b\x08\x00garbage, not gzip", content_encoding="gzip")
    async with make_fetcher(retries=2) as fetcher:
        with pytest.raises(UnexpectedContent, match="Content-Encoding"):
            await fetcher.get(server.url("/feed"))
    assert len(server.requests_to("/feed")) == 1


async def test_body_exactly_at_the_cap_passes(server: LoopbackServer) -> None:
    server.routes["/feed"] = static(b"x" * 1000)
    async with make_fetcher(max_bytes=1000) as fetcher:
        assert len((await fetcher.get(server.url("/feed"))).body) == 1000


# --- decoding -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "text", "encoding"),
    [
        pytest.param(RU.encode("cp1251"), "text/html; charset=windows-1251", RU, "cp1251", id="cp1251-header"),
        pytest.param(RU.encode("koi8-r"), "text/plain; charset=KOI8-R", RU, "koi8-r", id="koi8r-header"),
        pytest.param(UK.encode("cp1251"), 'text/html; charset="cp1251"', UK, "cp1251", id="quoted-label"),
        pytest.param(
            b'<html><head><meta charset="windows-1251"></head><body>' + UK.encode("cp1251"),
            "text/html",
            f'<html><head><meta charset="windows-1251"></head><body>{UK}',
            "cp1251",
            id="cp1251-meta-charset",
        ),
        pytest.param(
            b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>' + RU.encode("koi8-r"),
            None,
            f'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r"><p>{RU}',
            "koi8-r",
            id="koi8r-http-equiv",
        ),
        pytest.param(
            b'<?xml version="1.0" encoding="windows-1251"?><rss>' + BE.encode("cp1251") + b"</rss>",
            "application/rss+xml",
            f'<?xml version="1.0" encoding="windows-1251"?><rss>{BE}</rss>',
            "cp1251",
            id="cp1251-xml-declaration",
        ),
        pytest.param(BE.encode("cp1251"), None, BE, "cp1251", id="cp1251-undeclared-guessed"),
        pytest.param(BOM_UK, None, UK, "utf-8", id="utf8-bom"),
        pytest.param(BOM_UK, "text/html; charset=windows-1251", UK, "utf-8", id="bom-beats-header"),
        pytest.param(RU.encode(), "text/plain; charset=x-no-such-charset", RU, "utf-8", id="unknown-label"),
        pytest.param(RU.encode(), "text/plain; charset=base64", RU, "utf-8", id="non-text-codec-label"),
        pytest.param(RU.encode(), "text/plain; charset=unicode_escape", RU, "utf-8", id="python-only-codec"),
        # WHATWG: a Latin-1 label means windows-1252, where 0x93/0x94 are curly quotes.
        pytest.param(b"\x93Refund\x94", "text/plain; charset=iso-8859-1", "“Refund”", "cp1252", id="latin1"),
    ],
)
def test_decode_text(body: bytes, content_type: str | None, text: str, encoding: str) -> None:
    assert decode_text(body, content_type) == (text, encoding)


def test_wrong_declared_charset_replaces_instead_of_raising() -> None:
    text, encoding = decode_text(RU.encode("cp1251"), "text/plain; charset=utf-8")
    assert encoding == "utf-8"
    assert "\ufffd" in text
    assert "!" in text  # the ASCII survives


def test_undecodable_bytes_never_raise() -> None:
    text, _ = decode_text(bytes(range(256)) * 4, None)
    assert isinstance(text, str)


async def test_response_text_is_decoded_from_the_header_charset(server: LoopbackServer) -> None:
    server.routes["/ru"] = static(RU.encode("koi8-r"), content_type="text/html; charset=koi8-r")
    server.routes["/by"] = static(BE.encode("cp1251"), content_type="text/plain")
    async with make_fetcher() as fetcher:
        ru = await fetcher.get(server.url("/ru"))
        by = await fetcher.get(server.url("/by"))
    assert (ru.text, ru.encoding, ru.content_type) == (RU, "koi8-r", "text/html")
    assert (by.text, by.encoding) == (BE, "cp1251")
