"""Opaque keyset cursors: the last id of a page, so page N costs the same as page 1."""

from __future__ import annotations

import base64
import binascii

from api.errors import BadRequest

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(kind: str, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != kind:
            raise ValueError(prefix)
        last_id = int(value)
        if last_id <= 0:
            raise ValueError(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(f"cursor {cursor[:40]!r} was not given out by this list; start without a cursor") from None
    return last_id
