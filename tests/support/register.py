"""Reading the register files of tests/fixtures/register, for the tests of monitor.customers."""

from __future__ import annotations

from monitor.customers.register_file import read_register
from monitor.customers.register_row import RegisterRow, RowError
from tests.support.paths import FIXTURES as TEST_FIXTURES

FIXTURES = TEST_FIXTURES / "register"


def read(name: str, region: str | None = "RU") -> list[RegisterRow | RowError]:
    return list(read_register((FIXTURES / name).read_bytes(), filename=name, default_region=region))


def good(rows: list[RegisterRow | RowError]) -> dict[str, RegisterRow]:
    return {r.external_id: r for r in rows if isinstance(r, RegisterRow)}


def errors(rows: list[RegisterRow | RowError]) -> dict[int, str]:
    return {r.line: r.reason for r in rows if isinstance(r, RowError)}
