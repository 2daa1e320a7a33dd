"""CSV cells that would start a spreadsheet formula are written as text."""

from __future__ import annotations

import csv
import io

import pytest

from monitor.core.csv_cells import SafeWriter, safe_cell


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ольга =1", "Ольга =1"),  # only the start of a cell makes a formula
        ("", ""),
        (-5, -5),  # numbers stay numbers
        (0.25, 0.25),
        (None, None),
    ],
)
def test_formula_starts_are_neutralised_and_nothing_else_changes(cell: object, written: object) -> None:
    assert safe_cell(cell) == written


def test_the_writer_round_trips_through_a_csv_reader() -> None:
    out = io.StringIO()
    SafeWriter(out).writerow(["agent", '=HYPERLINK("http://evil.example","x")', 3, "a,b"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "agent", "'=HYPERLINK(\"http://evil.example\",\"x\")", "3", "a,b",
    ]  # fmt: skip
