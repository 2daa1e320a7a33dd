"""Bodies: decoding bytes to text, reading Retry-After / Cache-Control, and bounded decompression.

Kept apart from the fetcher because each piece is a pure function of bytes and headers,
tested on its own, and the decompressors exist only to enforce the size cap (see `read_body`).
"""

from __future__ import annotations

import codecs
import math
import re
import zlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import brotli
import charset_normalizer
import httpx
import zstandard

from sources.errors import TooLarge, UnexpectedContent

__all__ = ["decode_text", "parse_max_age", "parse_retry_after", "read_body", "server_now"]

_SNIFF_BYTES = 2048
# Only these BOMs are honoured, as in the WHATWG Encoding standard.
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# WHATWG: documents labelled Latin-1 or ASCII are in practice windows-1252 (curly quotes at 0x80-0x9F).
_LABEL_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252"}
# Python codecs no web page is in; utf-7 is refused by browsers because it smuggles markup past filters.
_NOT_CHARSETS = frozenset({"utf-7", "unicode-escape", "raw-unicode-escape", "punycode", "idna", "undefined"})
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


def decode_text(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode a body to text and name the encoding used; never raises.

    Evidence is taken strongest first: a BOM (WHATWG puts it above the header, since a
    BOM cannot appear by accident while servers often send a default charset), the
    Content-Type charset, an XML declaration or <meta> charset in the first 2 KB, strict
    UTF-8, charset_normalizer's guess, and finally UTF-8 with replacement characters.
    A declared charset is trusted even when bytes do not fit it (replacement characters).
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace"), name
    header = _HEADER_CHARSET.search(content_type or "")
    declared = _codec(header.group(1)) if header else None
    if declared is None:
        head = body[:_SNIFF_BYTES]
        found = _XML_DECL.match(head) or _META_CHARSET.search(head)
        declared = _codec(found.group(1).decode("ascii")) if found else None
        # The label was readable as ASCII, so the document cannot really be UTF-16/32 (WHATWG).
        if declared is not None and declared.startswith(("utf-16", "utf-32")):
            declared = "utf-8"
    if declared is not None:
        return body.decode(declared, errors="replace"), declared
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body).best()
    guessed = _codec(best.encoding) if best is not None else None
    if guessed is not None:
        return body.decode(guessed, errors="replace"), guessed
    return body.decode("utf-8", errors="replace"), "utf-8"


def _codec(label: str) -> str | None:
    try:
        name = codecs.lookup(label.strip()).name
        # Python also registers bytes-to-bytes codecs ("base64", "zlib") under charset-like names.
        b"\0\0\0\0".decode(name, errors="replace")
    except (LookupError, UnicodeError):
        return None
    return None if name in _NOT_CHARSETS else _LABEL_ALIASES.get(name, name)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value: delta-seconds or an HTTP-date relative to `now`."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def server_now(headers: httpx.Headers) -> datetime:
    # An HTTP-date Retry-After is measured against the server's own clock when it says it,
    # so skew between our clock and theirs does not stretch or cut the wait.
    try:
        date = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return datetime.now(UTC)
    return date if date.tzinfo else date.replace(tzinfo=UTC)


def parse_max_age(cache_control: str | None) -> float | None:
    """Seconds a response may be cached from Cache-Control; None when absent or no-cache/no-store.

    s-maxage is for shared caches and is ignored: we are a private client.
    """
    max_age = None
    for directive in (cache_control or "").split(","):
        name, _, argument = directive.partition("=")
        name = name.strip().lower()
        if name in ("no-cache", "no-store"):
            return None
        if name == "max-age":
            try:
                max_age = max(0.0, float(argument.strip().strip('"')))
            except ValueError:
                return None
    return max_age if max_age is None or math.isfinite(max_age) else None


async def read_body(resp: httpx.Response, cap: int, truncate: bool) -> bytes:
    """Read and decompress the body, stopping at `cap` bytes: raise TooLarge, or keep the head.

    We decompress ourselves instead of letting httpx do it, because httpx inflates each
    network chunk in one go: 64 KiB of zstd or brotli can become gigabytes before any
    cap is checked. Our decoders emit at most _STEP bytes at a time into a counting sink.
    """
    url, status = str(resp.url), resp.status_code
    declared = resp.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > cap:
        raise TooLarge(f"Content-Length {declared} is over the {cap}-byte cap", url=url, http_status=status)
    sink = _Sink(cap)
    chain = _decoders(resp.headers.get("content-encoding", ""), sink)
    try:
        if resp.is_stream_consumed:
            # A response built in memory (httpx.MockTransport) arrives already read and decoded.
            sink.write(resp.content)
        else:
            async for raw in resp.aiter_raw():
                (chain[0] if chain else sink).write(raw)
            for decoder in chain:  # raw side first, so each flush feeds the next decoder
                decoder.close()
    except _CapPassed:
        if truncate:
            return bytes(sink.data[:cap])
        message = f"body passed the {cap}-byte cap while streaming"
        raise TooLarge(message, url=url, http_status=status) from None
    except (zlib.error, brotli.error, zstandard.ZstdError) as exc:
        message = f"body does not match its Content-Encoding: {exc}"
        raise UnexpectedContent(message, url=url, http_status=status) from exc
    return bytes(sink.data)


# Decompressed bytes produced per step, whatever the ratio: 150 bytes of brotli can inflate to 100 MB.
_STEP = 64 * 1024


class _CapPassed(Exception):
    pass


class _Writer(Protocol):
    def write(self, data: bytes, /) -> object: ...


class _Decoder(_Writer, Protocol):
    def close(self) -> None: ...


class _Sink:
    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        if len(self.data) > self.cap:
            raise _CapPassed
        return len(data)


class _Inflate:
    """gzip and deflate; deflate without the zlib header (raw) is accepted too, as browsers do."""

    def __init__(self, out: _Writer, coding: str) -> None:
        self.out, self.coding = out, coding
        self.z: zlib._Decompress | None = None

    def write(self, data: bytes) -> int:
        size = len(data)
        if self.z is None:
            zlib_header = len(data) > 1 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
            # 47: gzip or zlib header, detected; -15: raw deflate.
            self.z = zlib.decompressobj(47 if self.coding != "deflate" or zlib_header else -15)
        while data:
            self.out.write(self.z.decompress(data, _STEP))
            data = self.z.unconsumed_tail
        return size

    def close(self) -> None:
        if self.z is not None:
            self.out.write(self.z.flush())


class _Brotli:
    def __init__(self, out: _Writer) -> None:
        self.out = out
        self.d = brotli.Decompressor()

    def write(self, data: bytes) -> int:
        self.out.write(self.d.process(data, output_buffer_limit=_STEP))
        while not self.d.can_accept_more_data():
            self.out.write(self.d.process(b"", output_buffer_limit=_STEP))
        return len(data)

    def close(self) -> None:
        pass


def _decoders(content_encoding: str, sink: _Sink) -> list[_Decoder]:
    """Decoders in the order raw bytes pass through them: the last coding listed was applied last."""
    chain: list[_Decoder] = []
    out: _Writer = sink
    for coding in (c.strip().lower() for c in content_encoding.split(",")):
        decoder: _Decoder
        if coding in ("gzip", "x-gzip", "deflate"):
            decoder = _Inflate(out, coding)
        elif coding == "br":
            decoder = _Brotli(out)
        elif coding == "zstd":
            decoder = zstandard.ZstdDecompressor().stream_writer(out, write_size=_STEP, closefd=False)
        else:
            continue  # identity, or a coding we never asked for: passed through as httpx does
        chain.insert(0, decoder)
        out = decoder
    return chain
