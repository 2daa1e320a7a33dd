"""One record of a customer register file (its fields as the file gives them) validated into a
`RegisterRow`, or the `RowError` that says why the line was skipped (monitor.customers.register_file
reads the file into records)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from monitor.customers.keys import KEY_MAX, normalise_email, normalise_order, normalise_phone

__all__ = ["MAX_LENGTH", "RegisterRow", "RowError", "cell_text", "read_money", "validate_row"]

_SPACES = re.compile(r"\s+")
# Lengths of the Customer columns; a longer value is a mistake in the file, not something to cut.
MAX_LENGTH = {"external_id": 128, "full_name": 300, "city": 120, "tier": 32}
_SPLIT_NAMES = re.compile(r"[;|]")
_SPLIT_IDS = re.compile(r"[;|,]")
_THOUSANDS = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One customer as the file gives it, validated; emails are lower-case, phones E.164 where readable."""

    line: int
    external_id: str
    full_name: str
    names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    orders: tuple[str, ...] = ()
    city: str | None = None
    tier: str | None = None
    lifetime_value: float | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    external_id: str | None
    reason: str

    def __str__(self) -> str:
        who = f" (external id {self.external_id!r})" if self.external_id else ""
        return f"line {self.line}{who}: {self.reason}"


def cell_text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = _SPACES.sub(" ", str(value)).strip()
    return text or None


def _many(value: Any, splitter: re.Pattern[str]) -> list[str]:
    items = value if isinstance(value, list) else splitter.split(str(value)) if value is not None else []
    return [t for t in (cell_text(item) for item in items) if t]


def validate_row(line: int, record: dict[str, Any], region: str | None) -> RegisterRow | RowError:
    external_id = cell_text(record.get("external_id"))
    parts = (cell_text(record.get(p)) for p in ("first_name", "middle_name", "last_name"))
    full_name = cell_text(record.get("full_name")) or cell_text(" ".join(p for p in parts if p))
    if external_id is None:
        return RowError(line, None, "no external id")
    if full_name is None:
        return RowError(line, external_id, "no name")
    values: dict[str, Any] = {"external_id": external_id, "full_name": full_name}
    for name in ("city", "tier"):
        values[name] = cell_text(record.get(name))
    for name, limit in MAX_LENGTH.items():
        if values[name] is not None and len(values[name]) > limit:
            return RowError(line, external_id, f"{name} is {len(values[name])} characters long; at most {limit}")
    values["names"] = tuple(dict.fromkeys(_many(record.get("names"), _SPLIT_NAMES)))
    emails = []
    for raw in _many(record.get("emails"), _SPLIT_IDS):
        email = normalise_email(raw)
        if email is None:
            return RowError(line, external_id, f"malformed email {raw[:80]!r}")
        emails.append(email)
    phones = []
    for raw in _many(record.get("phones"), _SPLIT_IDS):
        phone = normalise_phone(raw, region) if region or raw.startswith("+") else raw
        if phone is None:
            where = f" (read in {region})" if region else ""
            return RowError(line, external_id, f"unreadable phone number {raw[:40]!r}{where}")
        phones.append(phone)
    orders = _many(record.get("orders"), _SPLIT_IDS)
    for name, items in (("names", values["names"]), ("orders", orders)):
        if long := next((item for item in items if len(item) > KEY_MAX), None):
            return RowError(line, external_id, f"a value in {name} is {len(long)} characters long; at most {KEY_MAX}")
    if bad := next((o for o in orders if not normalise_order(o)), None):
        return RowError(line, external_id, f"order number {bad!r} has no letters or digits")
    try:
        values["lifetime_value"] = read_money(record.get("lifetime_value"))
    except ValueError as exc:
        return RowError(line, external_id, str(exc))
    return RegisterRow(
        line=line,
        emails=tuple(dict.fromkeys(emails)),
        phones=tuple(dict.fromkeys(phones)),
        orders=tuple(dict.fromkeys(orders)),
        **values,
    )


def read_money(value: Any) -> float | None:
    """A lifetime value as a spreadsheet writes it: 12490, "12 490,50", "1,234.56", "12490.5"."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"lifetime value {value!r} is not a number")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("\u202f", "")
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        elif "," in text and "." in text:
            # the later mark is the decimal one: "1.234,56" / "1,234.56"
            text = (
                text.replace(".", "").replace(",", ".") if text.rfind(",") > text.rfind(".") else text.replace(",", "")
            )
        else:
            text = text.replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"lifetime value {str(value)[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"lifetime value {value!r} is not a number")
    if number < 0:
        raise ValueError(f"lifetime value {value!r} is negative")
    return number
