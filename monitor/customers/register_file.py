"""Reading a customer register file (a CRM export): CSV or JSON lines, validated row by row.

`read_register` turns a CSV or JSON-lines file into rows, one
`RegisterRow` per good line and one `RowError` (line, external id, reason) per bad
one; a bad line never stops the file. The file as a whole is refused
(`RegisterFileError`) only when no row can be read: an encoding that is neither
UTF-8 nor plausible Windows-1251, no header, a missing required column, or a
column name that looks like a typo of a known one.

Columns (CSV header, or JSON keys; case, spaces and hyphens do not matter):

  external_id     id, customer_id, client_id, crm_id                    required
  full_name       name, fullname, customer_name, фио                    required, or else
  first_name      given_name, имя                                       these three, put together
  middle_name     patronymic, отчество                                  as "first middle last"
  last_name       surname, family_name, фамилия
  names           other_names, nicknames, aliases                       several
  emails          email, e-mail, mail                                   several
  phones          phone, tel, telephone, mobile, телефон                several
  orders          order, order_numbers, order_ids, заказы               several
  city            town, город
  tier            level, segment, уровень
  lifetime_value  ltv, value, clv

"Several" values are separated by ';' or '|' (and ',' for emails, phones and
orders); in JSON lines they may also be a list; several columns may fill one of
these ("phone", "phone2", "mobile"). Other columns are ignored, except one whose
name is one typo away from a known one ("phnoes"): that refuses the file, so a typo
in the header cannot silently drop a column. JSON lines need no header: a missing
key is an error of that row ("no external id").

Encoding: UTF-8 with or without BOM, or UTF-16 with a BOM (Excel's "Unicode
text"). A file that is not UTF-8 is read as Windows-1251 when every word of it is
all-Latin or all-Cyrillic, because that is what Russian Excel writes for "CSV";
otherwise it is refused naming the line and byte, with how to re-save it. CSV
delimiter: ',', ';' or tab, whichever the header line uses most.

A quote left open in a CSV line (`C-1006,"Broken ""quote,,,`) refuses that line,
"an unclosed quote", and the lines after it are read on their own: without that the
reader would take them into the open value, good customers among them.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from rapidfuzz.distance import OSA

from monitor.customers.register_row import RegisterRow, RowError, cell_text, validate_row

__all__ = ["COLUMNS", "RegisterFileError", "decode_register", "read_register"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "id", "customer_id", "client_id", "crm_id", "externalid", "ext_id"),
    "full_name": ("full_name", "name", "fullname", "customer_name", "client_name", "фио"),
    "first_name": ("first_name", "given_name", "firstname", "имя"),
    "middle_name": ("middle_name", "patronymic", "middlename", "отчество"),
    "last_name": ("last_name", "surname", "family_name", "lastname", "фамилия"),
    "names": ("names", "other_names", "nicknames", "nickname", "aliases", "alias"),
    "emails": ("emails", "email", "e_mail", "mail", "почта"),
    "phones": ("phones", "phone", "tel", "telephone", "mobile", "phone_number", "телефон", "телефоны"),
    "orders": ("orders", "order", "order_numbers", "order_number", "order_ids", "order_id", "заказы", "заказ"),
    "city": ("city", "town", "город"),
    "tier": ("tier", "level", "segment", "уровень"),
    "lifetime_value": ("lifetime_value", "ltv", "value", "clv", "customer_value"),
}
_ALIASES = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
REQUIRED = ("external_id", "full_name")
MANY = frozenset({"names", "emails", "phones", "orders"})
_SPACES = re.compile(r"\s+")
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]")
_MIXED = re.compile(r"[A-Za-z][\u0400-\u04ff]|[\u0400-\u04ff][A-Za-z]")


class RegisterFileError(ValueError):
    """The file cannot be read at all (encoding, header); the message says what to change."""


def decode_register(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in ("utf-8", "utf-16", "windows-1251")."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise RegisterFileError(f"{_where(data, exc.start)}: broken UTF-16; save the file as UTF-8") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("windows-1251")
    except UnicodeDecodeError:
        text = None
    # Windows-1251 decodes almost any byte, so accept it only when it reads as Cyrillic:
    # a Latin-1 "Müller" becomes "Mьller", a word that mixes scripts.
    if text is not None and _CYRILLIC_WORD.search(text) and not _MIXED.search(text):
        return text, "windows-1251"
    bad = data[utf8_error.start]
    raise RegisterFileError(
        f"{_where(data, utf8_error.start)}: byte 0x{bad:02x} is not UTF-8; save the file as UTF-8 "
        "(Excel: Save As → 'CSV UTF-8'; LibreOffice: character set 'Unicode (UTF-8)')"
    )


def _where(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    return f"line {line}, byte {offset}"


def read_register(
    data: bytes,
    *,
    filename: str | None = None,
    format: Literal["csv", "jsonl"] | None = None,
    default_region: str | None = None,
) -> Iterator[RegisterRow | RowError]:
    """The rows of a register file, in file order, with 1-based line numbers.

    Raises RegisterFileError (at the first `next()`) when the file cannot be read.
    Phones are checked with `default_region` when given; without it, a phone with no
    "+country" part is passed on as written for `import_customers` to read.
    """
    text, _ = decode_register(data)
    fmt = format or _detect_format(text, filename)
    records = _csv_records(text) if fmt == "csv" else _jsonl_records(text)
    seen: dict[str, int] = {}
    for line, record in records:
        if isinstance(record, RowError):
            yield record
            continue
        row = validate_row(line, record, default_region)
        if isinstance(row, RegisterRow):
            if row.external_id in seen:
                row = RowError(
                    line, row.external_id, f"external id already used on line {seen[row.external_id]}; row skipped"
                )
            else:
                seen[row.external_id] = line
        yield row


def _detect_format(text: str, filename: str | None) -> Literal["csv", "jsonl"]:
    name = (filename or "").lower()
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    return "jsonl" if text.lstrip()[:1] in ("{", "[") else "csv"


def _column(header: str) -> str:
    return _SPACES.sub("_", header.strip().lower().replace("-", "_"))


def _map_columns(headers: list[str], where: str, noun: str = "column") -> dict[str, str]:
    """{header as written: field}; refuses a single-valued field twice and near-misses of known names.

    Several columns may fill one field of several values ("phone", "phone2", "mobile").
    """
    mapping: dict[str, str] = {}
    for header in headers:
        key = _column(header)
        bare = key.rstrip("0123456789").rstrip("_")
        field_name = _ALIASES.get(key) or (_ALIASES.get(bare) if bare in _ALIASES and _ALIASES[bare] in MANY else None)
        if field_name is not None:
            if field_name in mapping.values() and field_name not in MANY:
                other = next(h for h, f in mapping.items() if f == field_name)
                raise RegisterFileError(f"{where}: {noun}s {other!r} and {header!r} both mean '{field_name}'")
            mapping[header] = field_name
        elif len(key) >= 4:
            near = min(_ALIASES, key=lambda alias: OSA.distance(key, alias))
            if OSA.distance(key, near) <= (1 if len(key) < 8 else 2):
                raise RegisterFileError(f"{where}: unknown {noun} {header!r}; did you mean '{near}'?")
    return mapping


def _require(mapping: dict[str, str], headers: list[str], where: str) -> None:
    for name in REQUIRED:
        if name == "full_name" and {"first_name", "last_name"} & set(mapping.values()):
            continue
        if name not in mapping.values():
            also = ", ".join(COLUMNS[name][1:4])
            if name == "full_name":
                also += "; or first_name and last_name"
            found = ", ".join(repr(h) for h in headers) or "nothing"
            raise RegisterFileError(f"{where}: no '{name}' column (also accepted: {also}); found {found}")


def _record(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Field → value, the values of several columns of one field put together."""
    record: dict[str, Any] = {}
    for name, value in pairs:
        if name in record and name in MANY:
            old = record[name] if isinstance(record[name], list) else [record[name]]
            record[name] = old + (value if isinstance(value, list) else [value])
        else:
            record[name] = value
    return record


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their ends, one at a time (a register may be hundreds of megabytes)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end + 1
        yield text[start:end]
        start = end


class _LineSource:
    """The physical lines handed to `csv.reader`, numbered, with the lines of a refused record put back.

    The reader pulls a line only when its record needs one, so `taken` holds exactly the lines of the
    record it last returned; `put_back` makes the lines after a refused record's first one read again.
    """

    def __init__(self, text: str, delimiter: str) -> None:
        self.delimiter = delimiter
        self._lines = enumerate(_lines(text), start=1)
        self._back: list[tuple[int, str]] = []  # put back, last first
        self.taken: list[tuple[int, str]] = []
        self.at_end = False

    def __iter__(self) -> _LineSource:
        return self

    def __next__(self) -> str:
        item = self._back.pop() if self._back else next(self._lines, None)
        if item is None:
            self.at_end = True
            raise StopIteration
        self.taken.append(item)
        return item[1]

    def put_back(self, lines: list[tuple[int, str]]) -> None:
        self._back.extend(reversed(lines))


def _unclosed_quote(cells: list[str], headers: list[str], source: _LineSource) -> str | None:
    """Why a record read across line ends is an unclosed quote, or None when it is a real multi-line cell.

    A quote left open makes the lenient CSV reader take the next lines, good customers among them,
    into one value, until some later quote or the end of the file. A real multi-line value (Excel's
    Alt+Enter) is quoted by the rules: its record reads again under `strict=True`. A record that
    spans lines and does not (a closing quote followed by more text, or none before the end of the
    file) is a quote left open on its first line. Records on one line keep the lenient reading.
    """
    if len(source.taken) < 2 and not source.at_end:
        return None
    try:
        next(csv.reader(["".join(line for _, line in source.taken)], delimiter=source.delimiter, strict=True))
    except csv.Error:
        column = next((h for h, c in zip(headers, cells, strict=False) if "\n" in c or "\r" in c), None)
        if source.at_end:
            return "an unclosed quote: the value runs to the end of the file"
        where = f"the value of {column!r}" if column else "a quoted value"
        return f"an unclosed quote: {where} runs past the end of the line"
    return None


def _external_id(cells: list[str], headers: list[str], mapping: dict[str, str]) -> str | None:
    """The refused record's external id when it is on its first line (a value past it is not the row's)."""
    cell = next((c for h, c in zip(headers, cells, strict=False) if mapping.get(h) == "external_id"), None)
    return None if cell is None or "\n" in cell or "\r" in cell else cell_text(cell)


def _csv_records(text: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    first_line = text[: text.find("\n")] if "\n" in text else text
    delimiter = max((",", ";", "\t"), key=first_line.count)
    source = _LineSource(text, delimiter)
    reader = csv.reader(source, delimiter=delimiter)
    mapping: dict[str, str] | None = None
    headers: list[str] = []
    while True:
        source.taken = []
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            start = source.taken[0][0]
            yield start, RowError(start, None, f"cannot be read as CSV: {exc}")
            continue
        start = source.taken[0][0]
        if mapping is not None and (reason := _unclosed_quote(cells, headers, source)):
            # The lines after this one are read again on their own: the good rows among them are kept.
            source.put_back(source.taken[1:])
            source.at_end = False
            yield start, RowError(start, _external_id(cells, headers, mapping), reason)
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if mapping is None:
            headers = [h.strip() for h in cells]
            mapping = _map_columns(headers, f"line {start} (header)")
            _require(mapping, headers, f"line {start} (header)")
            continue
        if len(cells) > len(headers):
            extra = len(cells) - len(headers)
            yield (
                start,
                RowError(
                    start,
                    None,
                    f"{len(cells)} fields but the header has {len(headers)} ({extra} too many; a value with '{delimiter}' must be quoted)",
                ),
            )
            continue
        yield start, _record((mapping[h], cell) for h, cell in zip(headers, cells, strict=False) if h in mapping)
    if mapping is None:
        raise RegisterFileError("the file is empty: expected a header line, then one customer per line")


def _jsonl_records(text: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    if text.lstrip().startswith("["):
        raise RegisterFileError("line 1: a JSON array; expected JSON lines (one object per line)")
    for number, raw in enumerate(_lines(text), start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw.rstrip("\r\n"))
        except json.JSONDecodeError as exc:
            yield number, RowError(number, None, f"not valid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(obj, dict):
            yield number, RowError(number, None, f"expected a JSON object, got {type(obj).__name__}")
            continue
        try:
            mapping = _map_columns(list(obj), f"line {number}", noun="key")
        except RegisterFileError as exc:
            yield number, RowError(number, cell_text(obj.get("external_id", obj.get("id"))), str(exc).split(": ", 1)[1])
            continue
        yield number, _record((mapping[k], v) for k, v in obj.items() if k in mapping)
