"""Which characters a feed's bytes stand for, and whether the result looks like a wrong decode.

feedparser and the lxml fast path (`sources.rss`) each read the encoding from the document
itself, so a charset given only in the HTTP header, or a legacy encoding declared nowhere,
was read as UTF-8 or windows-1252: "Жалоба" came out as "Æàëîáà" with health ok. The
fetcher already settles the encoding of every body (`sources.content.decode_text`: BOM,
header charset, XML declaration, strict UTF-8, charset-normalizer's guess), so feeds now
use its decision as HTML pages do: both readers get its text back as UTF-8 bytes that say
they are UTF-8 (`feed_bytes`), and what they read is checked for signs of a wrong decode
(`garbled`), which the feed parser reports as a `PageWarning.ENCODING`.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from sources.content import decode_text

__all__ = ["FeedBytes", "feed_bytes", "garbled"]

_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
# The encoding pseudo-attribute of an XML declaration at the start of the text.
_DECLARED = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])([A-Za-z0-9._:-]+)\2""")
_XML_DECL_BYTES = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_UTF8 = ("utf-8", "utf8")


@dataclass(frozen=True, slots=True)
class FeedBytes:
    data: bytes
    # The charset `data` is in, for the content type handed to feedparser; None: raw bytes, its own sniffing.
    charset: str | None
    # Why the decode is doubtful (header against declaration), or None.
    warning: str | None = None


def feed_bytes(body: bytes, text: str, content_type: str | None) -> FeedBytes:
    """The document as UTF-8 bytes whose XML declaration, if any, says UTF-8.

    Rule order:
    1. `text` is the fetcher's decode of `body`; a caller that gives none gets the same
       decode here (`decode_text` with the full Content-Type header).
    2. When the header named a charset the bytes are not in (the decode holds U+FFFD) and
       the XML declaration names one they decode in strictly, the declaration wins, with a
       warning: a server default charset is the usual culprit, but one of the two is wrong.
    3. Text with NUL characters is UTF-16/32 without a BOM, which only feedparser's sniffing
       of the first four bytes recognises: the raw bytes go to it unchanged.
    """
    text = text or decode_text(body, content_type)[0]
    if "\x00" in text:
        return FeedBytes(body, None)
    warning = None
    header = _HEADER_CHARSET.search(content_type or "")
    if header and "\ufffd" in text and (declared := _declared_codec(body)) is not None:
        try:
            text = body.decode(declared)
        except UnicodeDecodeError:
            pass
        else:
            warning = (
                f"the HTTP header says charset={header.group(1)}, the bytes are {declared} as the document declares"
            )
    found = _DECLARED.match(text)
    if found and found.group(3).lower() not in _UTF8:
        # lxml and feedparser would otherwise decode the UTF-8 bytes once more by the declaration.
        text = f"{found.group(1)}{found.group(2)}utf-8{found.group(2)}{text[found.end() :]}"
    return FeedBytes(text.encode("utf-8", errors="replace"), "utf-8", warning)


def _declared_codec(body: bytes) -> str | None:
    found = _XML_DECL_BYTES.match(body.removeprefix(codecs.BOM_UTF8))
    if found is None:
        return None
    try:
        return codecs.lookup(found.group(1).decode("ascii")).name
    except LookupError:
        return None


# Signs of a wrong decode, chosen so that real text in any language almost never shows them:
# - three Latin-1 letters in a row: windows-1251 or KOI8-R Cyrillic read as windows-1252 is
#   nothing else ("Æàëîáà"), while French or German put one accent between plain letters;
# - "Ð", "Ñ" or "Ã" then a windows-1252 symbol: UTF-8 read as windows-1252 ("Ð¶Ð°");
# - "Р" or "С" then a windows-1251 symbol: UTF-8 Cyrillic read as windows-1251 ("Р¶Р°").
# Only symbols follow, not letters, so Ukrainian "Рік" or Belarusian "Сў" is no sign.
_LATIN1_RUN = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]{3,}")
_SYMBOLS_1252 = "".join(c for c in bytes(range(0x80, 0xC0)).decode("cp1252", errors="ignore") if not c.isalpha())
_SYMBOLS_1251 = "".join(c for c in bytes(range(0x80, 0xC0)).decode("cp1251", errors="ignore") if not c.isalpha())
_UTF8_AS_CP1252 = re.compile(f"[ÐÑÃ][{re.escape(_SYMBOLS_1252)}]")
_UTF8_AS_CP1251 = re.compile(f"[РС][{re.escape(_SYMBOLS_1251)}]")
_MIN_SIGNS = 6
# Enough text to judge a feed, few enough characters that the check stays in the microseconds.
_SAMPLE = 8000


def garbled(texts: list[str]) -> str | None:
    """Why these texts look wrongly decoded, or None.

    Cheap rules (a few regex scans) on at most the first 8,000 characters, each needing at
    least 6 signs, so one odd name or a stray symbol never triggers them:
    1. replacement characters (U+FFFD): bytes the chosen charset could not decode;
    2. runs of three or more Latin-1 letters (À-ÿ): Cyrillic read as windows-1252;
    3. "Ð/Ñ/Ã + symbol": UTF-8 read as windows-1252; 4. "Р/С + symbol": UTF-8 read as windows-1251.
    """
    sample = _sample(texts)
    if sample.isascii():
        return None
    if (replaced := sample.count("\ufffd")) >= _MIN_SIGNS:
        return f"{replaced} undecodable bytes (U+FFFD) in the text"
    if (runs := len(_LATIN1_RUN.findall(sample))) >= _MIN_SIGNS:
        return f"{runs} runs of Latin-1 letters (À-ÿ): text in another script read as windows-1252"
    if (pairs := len(_UTF8_AS_CP1252.findall(sample))) >= _MIN_SIGNS:
        return f"{pairs} 'Ð/Ñ/Ã + symbol' pairs: UTF-8 read as windows-1252"
    if (pairs := len(_UTF8_AS_CP1251.findall(sample))) >= _MIN_SIGNS:
        return f"{pairs} 'Р/С + symbol' pairs: UTF-8 read as windows-1251"
    return None


def _sample(texts: list[str]) -> str:
    taken: list[str] = []
    size = 0
    for text in texts:
        if size >= _SAMPLE:
            break
        taken.append(text[: _SAMPLE - size])
        size += len(taken[-1])
    return "\n".join(taken)
