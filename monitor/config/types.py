"""The value types of sources.yaml shared by every config section: durations, sizes, keys, zones, URLs."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "Duration",
    "Headers",
    "Key",
    "Language",
    "Size",
    "Strict",
    "Url",
    "Zone",
    "check_headers",
    "check_url",
    "parse_duration",
    "parse_size",
]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": 2**20, "gb": 10**9, "gib": 2**30}


def parse_duration(value: object) -> timedelta:
    """'90s', '15m', '1h30m', '2d', or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 15m, 1h or 1d")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        parts = _DURATION.findall(text)
        if not text or "".join(n + u for n, u in parts) != text:
            raise ValueError("expected a duration such as 30s, 15m, 1h or 1d")
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    else:
        raise ValueError("expected a duration such as 30s, 15m, 1h or 1d")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return timedelta(seconds=seconds)


def parse_size(value: object) -> int:
    """'5MiB', '500kb', or a number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise ValueError("expected a size such as 512KiB or 5MiB")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("expected an IANA time zone such as Europe/Moscow") from None
    return value


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
Size = Annotated[int, BeforeValidator(parse_size), Field(gt=0)]
Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Zone = Annotated[str, AfterValidator(_check_zone)]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]


def check_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/?#]+[^\s]*$", value):
        raise ValueError("expected an absolute http:// or https:// URL")
    return value


Url = Annotated[str, AfterValidator(check_url)]

# RFC 9110 token characters: what a header name may be made of.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def check_headers(value: dict[str, str]) -> dict[str, str]:
    """A source's extra request headers, refused here rather than at poll time.

    The HTTP client encodes header values as ASCII, so a non-ASCII value (a Cyrillic token, a
    typographic quote pasted from a document) would raise UnicodeEncodeError on every poll; a
    line break or NUL would be refused as well (and would split the request, were it sent).
    """
    for name, text in value.items():
        if not _HEADER_NAME.match(name):
            raise ValueError(f"header name {name!r} is not a valid HTTP header name (letters, digits, - and _)")
        for i, ch in enumerate(text):
            if ch in "\r\n\0":
                raise ValueError(f"header {name!r}: a line break or NUL at character {i + 1} is not allowed")
            if not ch.isascii():
                raise ValueError(
                    f"header {name!r}: {ch!r} at character {i + 1} is not ASCII; HTTP header values must be"
                    " ASCII (percent-encode it, or move it into the URL)"
                )
    return value


Headers = Annotated[dict[str, str], AfterValidator(check_headers)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
