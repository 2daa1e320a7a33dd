"""Opaque keyset cursors: the last id of a page, so page N costs the same as page 1."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any, Protocol, TypeVar

from api.errors import BadRequest
from api.schemas import Page


class _Identified(Protocol):
    @property
    def id(self) -> int | None: ...


T = TypeVar("T", bound=_Identified)

__all__ = ["decode_cursor", "decode_keyset", "encode_cursor", "encode_keyset", "page"]


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


def page(kind: str, items: list[T], limit: int) -> Page[Any]:
    """A page of `items` (newest first, each with an id), with the next page's cursor when this one is full."""
    next_cursor = encode_cursor(kind, items[-1].id or 0) if len(items) == limit else None
    return Page(items=items, next_cursor=next_cursor)


def encode_keyset(kind: str, sort: str, value: datetime | int | None, last_id: int) -> str:
    """A cursor for a list sorted by `sort`: the last row's sort value and id."""
    text = value.isoformat() if isinstance(value, datetime) else ("" if value is None else str(value))
    return base64.urlsafe_b64encode(f"{kind}:{sort}:{text}:{last_id}".encode()).decode().rstrip("=")


def decode_keyset(kind: str, sort: str, cursor: str | None) -> tuple[datetime | int | None, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, rest = raw.split(":", 1)
        cursor_sort, rest = rest.split(":", 1)
        text, last = rest.rsplit(":", 1)  # the value is an ISO time with colons of its own
        if prefix != kind or cursor_sort != sort:
            raise ValueError(prefix)
        last_id = int(last)
        if last_id <= 0:
            raise ValueError(last)
        value: datetime | int | None
        if not text:
            value = None
        elif sort in ("newest", "oldest", "unanswered_places"):  # sorts by a number
            value = int(text)
        else:
            value = datetime.fromisoformat(text)
            if value.tzinfo is None:
                raise ValueError(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest(
            f"cursor {cursor[:40]!r} was not given out by this list with sort={sort}; start without a cursor"
        ) from None
    return value, last_id
