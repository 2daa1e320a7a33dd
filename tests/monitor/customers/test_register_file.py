"""Reading customer register files (CRM exports: CSV, JSON lines), row by row."""

from __future__ import annotations

import codecs

import pytest

from monitor.customers.register_file import RegisterFileError, decode_register, read_register
from monitor.customers.register_row import RegisterRow, RowError, read_money
from tests.support.register import FIXTURES, errors, good, read


def test_utf8_csv_gives_every_column_normalised() -> None:
    rows = good(read("customers_utf8.csv"))
    assert list(rows) == ["C-001", "C-002", "C-003", "C-004", "C-005"]
    ivan = rows["C-001"]
    assert ivan.line == 2 and ivan.full_name == "Петров Иван Сергеевич"
    assert ivan.names == ("vanya_p88", "Ваня")
    assert ivan.phones == ("+79123456789",)  # "8 (912) 345-67-89" read in the brand's country
    assert ivan.orders == ("7731-220", "7731-245")
    assert (ivan.city, ivan.tier, ivan.lifetime_value) == ("Москва", "gold", 12490.5)
    assert rows["C-002"].emails == ("olga.svetlova@mail.example",)
    assert rows["C-003"].phones == ("+491701234567",) and rows["C-003"].full_name == "Jürgen Becker"
    assert rows["C-004"].full_name == "Արամ Պետրոսյան" and rows["C-004"].lifetime_value == 0.0


def test_bom_semicolons_and_russian_headers() -> None:
    rows = good(read("customers_bom.csv"))
    assert rows["101"].full_name == "Кузнецов Дмитрий Андреевич"
    assert rows["101"].emails == ("d.kuznetsov@mail.example",) and rows["101"].orders == ("7731-245",)
    assert rows["102"].phones == ("+79035551235",) and rows["102"].emails == ()


def test_windows_1251_from_russian_excel_is_read_and_name_parts_are_joined() -> None:
    data = (FIXTURES / "customers_cp1251.csv").read_bytes()
    assert decode_register(data)[1] == "windows-1251"
    rows = good(read("customers_cp1251.csv"))
    assert rows["201"].full_name == "Виктор Павлович Лебедев"
    assert rows["201"].lifetime_value == 1200.0 and rows["201"].city == "Тверь"
    assert rows["202"].full_name == "Тамара Николаевна Фролова"


def test_utf16_with_bom_and_tabs_is_read() -> None:
    text = "external_id\tfull_name\tphones\nU-1\tАнна Ковалёва\t+7 903 555-12-34\n"
    rows = good(list(read_register(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))))
    assert rows["U-1"].full_name == "Анна Ковалёва" and rows["U-1"].phones == ("+79035551234",)


def test_a_file_in_neither_utf8_nor_cyrillic_1251_is_refused_naming_line_and_byte() -> None:
    with pytest.raises(RegisterFileError, match=r"line 2, byte 32: byte 0xfc is not UTF-8; save the file as UTF-8"):
        read("latin1.csv")


def test_missing_required_column_says_what_is_accepted() -> None:
    with pytest.raises(RegisterFileError) as caught:
        read("missing_column.csv")
    message = str(caught.value)
    assert "no 'full_name' column" in message and "first_name and last_name" in message
    assert "found 'id', 'email', 'phone'" in message


def test_a_header_one_typo_from_a_known_column_refuses_the_file() -> None:
    with pytest.raises(RegisterFileError, match=r"unknown column 'phnoes'; did you mean 'phones'\?"):
        read("header_typo.csv")


def test_empty_file_and_json_array_are_refused() -> None:
    with pytest.raises(RegisterFileError, match="empty"):
        list(read_register(b"\n\n", filename="x.csv"))
    with pytest.raises(RegisterFileError, match="JSON array"):
        list(read_register(b'[{"id": 1}]', filename="x.json"))


def test_bad_rows_are_reported_with_line_and_reason_and_good_rows_kept() -> None:
    rows = read("bad_rows.csv")
    assert set(good(rows)) == {"B-1", "B-8"}
    assert good(rows)["B-8"].emails == ("q@mail.example", "second@mail.example")
    assert good(rows)["B-8"].lifetime_value == 1000.5 and good(rows)["B-8"].full_name == "Quoted, Name"
    assert errors(rows) == {
        3: "malformed email 'not-an-email'",
        4: "unreadable phone number '+7 000' (read in RU)",
        5: "external id already used on line 2; row skipped",
        6: "no external id",
        7: "no name",
        8: "lifetime value '-5' is negative",
        9: "city is 121 characters long; at most 120",
        10: "7 fields but the header has 6 (1 too many; a value with ',' must be quoted)",
    }
    assert str(next(r for r in rows if isinstance(r, RowError))) == (
        "line 3 (external id 'B-2'): malformed email 'not-an-email'"
    )


# The desk issue's sample: a quote opened in the name and never closed.
BROKEN_QUOTE = 'C-1006,"Broken ""quote,,,'
UNCLOSED = "an unclosed quote: the value runs to the end of the file"


def test_an_unclosed_quote_is_refused_on_its_line_and_the_rows_after_it_kept() -> None:
    header = "external_id,full_name,email\n"
    for ending in ("", "\n", "\r\n"):
        rows = list(read_register(f"{header}C-1005,Anna Good,a@x.example\n{BROKEN_QUOTE}{ending}".encode()))
        assert set(good(rows)) == {"C-1005"} and errors(rows) == {3: UNCLOSED}
    middle = (f"{header}C-1005,Anna Good,a@x.example\n{BROKEN_QUOTE}\nC-1007,Boris Good,b@x.example\n"
              'C-1008,"Quoted, Name",c@x.example\n')  # fmt: skip
    rows = list(read_register(middle.encode()))
    assert errors(rows) == {3: "an unclosed quote: the value of 'full_name' runs past the end of the line"}
    assert set(good(rows)) == {"C-1005", "C-1007", "C-1008"} and good(rows)["C-1008"].full_name == "Quoted, Name"
    assert str(next(r for r in rows if isinstance(r, RowError))).startswith("line 3 (external id 'C-1006')")
    # ... and the quote left open in a column we do not read swallows nothing either
    rows = list(read_register(b'id;name;note\nC-1;A B;"open\nC-2;C D;x\n'))
    assert set(good(rows)) == {"C-2"} and errors(rows) == {2: UNCLOSED}


def test_a_quoted_value_across_lines_by_the_rules_is_one_value() -> None:
    data = b'id,name,note\nC-1,"Anna\nWeber","first line\nsecond line"\nC-2,Boris,\n'
    rows = list(read_register(data))
    assert good(rows)["C-1"].full_name == "Anna Weber" and good(rows)["C-2"].line == 5 and not errors(rows)


def test_json_lines_with_lists_numbers_aliases_and_broken_lines() -> None:
    rows = good(read("customers.jsonl"))
    assert rows["J-1"].emails == ("m.hoffmann@mail.example",) and rows["J-1"].phones == ("+491707654321",)
    assert rows["2"].full_name == "Нарек Саргсян" and rows["2"].names == ("narek_s",)
    assert rows["J-3"].orders == ("6620-031", "6620-032") and rows["J-3"].lifetime_value == 1234.56
    broken = read("broken.jsonl")
    assert set(good(broken)) == {"K-1"}
    assert errors(broken) == {
        2: "not valid JSON: Expecting ',' delimiter at column 50",
        3: "expected a JSON object, got list",
        4: "malformed email 'bad@@mail'",
        5: "no external id",
    }


def test_several_columns_fill_one_field_of_several_values() -> None:
    data = b"id,name,phone,phone2,mobile,email,e-mail\n1,A B,+79123456789,+79123456780,,a@x.example,b@x.example\n"
    (row,) = read_register(data)
    assert isinstance(row, RegisterRow)
    assert row.phones == ("+79123456789", "+79123456780") and row.emails == ("a@x.example", "b@x.example")
    with pytest.raises(RegisterFileError, match="columns 'city' and 'town' both mean 'city'"):
        list(read_register(b"id,name,city,town\n1,A B,X,Y\n"))


def test_over_long_values_are_row_errors() -> None:
    data = f"id,name,names,tier\n1,{'Я' * 301},,\n2,A B,{'x' * 201},\n3,A B,,{'t' * 33}\n".encode()
    assert errors(list(read_register(data))) == {
        2: "full_name is 301 characters long; at most 300",
        3: "a value in names is 201 characters long; at most 200",
        4: "tier is 33 characters long; at most 32",
    }


@pytest.mark.parametrize(
    ("written", "value"),
    [("12490", 12490.0), ("12 490,50", 12490.5), ("1,234.56", 1234.56), ("1.234,56", 1234.56), ("1,234", 1234.0),
     ("12,5", 12.5), (" 7 ", 7.0), (3, 3.0), ("", None), (None, None)],
)  # fmt: skip
def test_lifetime_values_as_spreadsheets_write_them(written: object, value: float | None) -> None:
    assert read_money(written) == value


@pytest.mark.parametrize("written", ["abc", "-1", "nan", "inf", True])
def test_lifetime_values_that_are_refused(written: object) -> None:
    with pytest.raises(ValueError, match="lifetime value"):
        read_money(written)
