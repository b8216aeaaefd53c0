"""Dialect detection without a config: delimiter, decimal and thousands separators, dates."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import day, ids, load, summary
from scan_helpers import write_exports


@pytest.mark.parametrize(
    "delimiter",
    [
        pytest.param(",", id="comma"),
        pytest.param(";", id="semicolon"),
        pytest.param("\t", id="tab"),
        pytest.param("|", id="pipe"),
    ],
)
def test_delimiter_is_detected(write_csv, exports, delimiter):
    text = "customer_id,order_date,amount,order_id\nC1,2025-01-02,10.5,A 1\nC2,2025-01-03,20,B 2\n"
    write_csv("orders.csv", text.replace(",", delimiter))
    dataset = load(exports)
    assert summary(dataset).dialect.delimiter == delimiter
    assert ids(dataset) == ["C1", "C2"]
    assert dataset.frame("orders")["amount"].tolist() == [10.5, 20.0]
    assert dataset.dataset.frame("orders")["order_id"].tolist() == ["A 1", "B 2"]


def test_semicolon_decimal_comma(exports, use_fixture):
    """German style: ';', '1.234,56', 'dd.mm.yyyy'."""
    use_fixture("orders", "semicolon_decimal_comma.csv")
    dataset = load(exports)
    found = summary(dataset).dialect
    assert (found.delimiter, found.decimal, found.thousands) == (";", ",", ".")
    assert found.date_format == "%d.%m.%Y"
    assert dataset.frame("orders")["amount"].tolist() == [1234.56, -7.5, 12.0]
    # No problem, only the note that a customer with credit notes alone is not scored.
    assert [p.message for p in dataset.problems] == [
        "1 customer with nothing but credit notes (negative amounts) is not scored"
    ]


def test_thousands_separator_comma_with_decimal_point(exports, use_fixture):
    """English style '1,234.56' (quoted in a comma-separated file)."""
    use_fixture("orders", "thousands_separator.csv")
    dataset = load(exports)
    assert (summary(dataset).dialect.decimal, summary(dataset).dialect.thousands) == (".", ",")
    assert dataset.frame("orders")["amount"].tolist() == [1234.56, 12000.0, 5.25]
    assert dataset.problems == []


@pytest.mark.parametrize("spaces", [("\u202f", "\u202f"), ("\u00a0", "\u202f"), (" ", "\u00a0")])
def test_thousands_grouped_by_any_space(write_csv, exports, spaces):
    """French number formats group thousands by a narrow no-break space (``1 000,50``),
    spreadsheets by a no-break one, and one file may hold both: all-narrow was not read at
    all, and mixed ones skipped the rows of the space not detected."""
    first, second = spaces
    write_csv(
        "orders.csv",
        f"customer_id;order_date;amount\nC1;2025-01-02;1{first}234,50\n"
        f"C2;2025-01-03;12{second}000,00\nC3;2025-01-04;7,25\n",
    )
    dataset = load(exports)
    assert summary(dataset).dialect.decimal == ","
    assert dataset.frame("orders")["amount"].tolist() == [1234.5, 12000.0, 7.25]
    assert dataset.problems == []


def test_decimal_comma_without_thousands(write_csv, exports):
    write_csv("orders.csv", "customer_id;order_date;amount\nC1;2025-01-02;12,5\nC2;2025-01-03;3\n")
    dataset = load(exports)
    assert (summary(dataset).dialect.decimal, summary(dataset).dialect.thousands) == (",", "")
    assert dataset.frame("orders")["amount"].tolist() == [12.5, 3.0]


@pytest.mark.parametrize(
    "case",
    [
        (  # whole amounts grouped in thousands: 4,800 is 4800, not 4.8
            'C1,2026-01-05,"4,800"\nC1,2026-02-05,950\nC2,2026-01-10,"12,000"\n',
            (".", ","),
            [4800.0, 950.0, 12000.0],
            "amounts such as '4,800' read as 4800 (',' separates thousands); if that is wrong,"
            ' set decimal = "," in churnwatch.toml',
        ),
        (  # the German way: 1.500 is 1500
            "C1,2026-01-05,1.500\nC1,2026-02-05,800\nC2,2026-01-10,12.000\n",
            (",", "."),
            [1500.0, 800.0, 12000.0],
            "amounts such as '1.500' read as 1500 ('.' separates thousands); if that is wrong,"
            ' set decimal = "." in churnwatch.toml',
        ),
        (  # 1250 written without a separator: the comma cannot be grouping them
            'C1,2026-01-05,"4,800"\nC1,2026-02-05,1250\n',
            (",", ""),
            [4.8, 1250.0],
            "amounts such as '4,800' read as 4.8 (',' marks decimals); if that is wrong, set"
            ' thousands = "," in churnwatch.toml',
        ),
        ('C1,2026-01-05,"4,80"\nC1,2026-02-05,12\n', (",", ""), [4.8, 12.0], None),
        ("C1,2026-01-05,0.500\nC1,2026-02-05,1.250\n", (".", ""), [0.5, 1.25], None),
    ],
)
def test_whole_amounts_with_one_separator_are_read_and_said(write_csv, exports, case):
    """'4,800' may be 4800 or 4.8: read it as the rest of the export suggests, and say so."""
    rows, dialect, amounts, note = case
    write_csv("orders.csv", "customer_id,order_date,amount\n" + rows)
    dataset = load(exports)
    assert (summary(dataset).dialect.decimal, summary(dataset).dialect.thousands) == dialect
    assert dataset.frame("orders")["amount"].tolist() == amounts
    said = [p.message for p in dataset.problems if p.code == "ambiguous_numbers"]
    assert said == ([note] if note else [])


def test_a_configured_number_format_is_not_second_guessed(write_csv, exports):
    write_csv("churnwatch.toml", '[sources.orders]\ndecimal = ","\n')
    write_csv("orders.csv", 'customer_id,order_date,amount\nC1,2026-01-05,"4,800"\n')
    dataset = load(exports)
    assert dataset.frame("orders")["amount"].tolist() == [4.8]
    assert [p for p in dataset.problems if p.code == "ambiguous_numbers"] == []


def test_day_first_dates(exports, use_fixture):
    use_fixture("orders", "day_first_dates.csv")
    dataset = load(exports)
    assert summary(dataset).dialect.date_format == "%d.%m.%Y"
    assert dataset.frame("orders")["order_date"].tolist() == [
        day("2024-12-31"),
        day("2025-02-01"),
        day("2025-03-05"),
    ]


def test_iso_dates_are_the_default(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount\nC1,2025-01-02,1\n")
    dataset = load(exports)
    assert summary(dataset).dialect.date_format == "%Y-%m-%d"
    assert dataset.frame("orders")["order_date"].tolist() == [day("2025-01-02")]


def test_timestamp_with_time_is_that_day(exports, use_fixture):
    """'2025-01-02 10:30:00' is an order on 2 January; the time is ignored, not an error."""
    use_fixture("orders", "timestamps.csv")
    dataset = load(exports)
    assert dataset.frame("orders")["order_date"].tolist() == [day("2025-01-02"), day("2025-01-03")]
    assert dataset.problems == []


def test_day_first_wins_when_slashes_are_ambiguous(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount\nC1,03/04/2025,1\nC2,01/02/2025,2\n")
    dataset = load(exports)
    assert summary(dataset).dialect.date_format == "%d/%m/%Y"
    assert dataset.frame("orders")["order_date"].tolist() == [day("2025-04-03"), day("2025-02-01")]


def test_month_first_when_a_day_is_above_twelve(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount\nC1,12/31/2024,1\nC2,01/02/2025,2\n")
    dataset = load(exports)
    assert summary(dataset).dialect.date_format == "%m/%d/%Y"
    assert dataset.frame("orders")["order_date"].tolist() == [day("2024-12-31"), day("2025-01-02")]


@pytest.mark.parametrize(
    "header",
    [
        (" Customer-ID ", "Order Date", "AMOUNT"),
        ("CustomerID", "orderdate", "Amount"),  # written together: the README promises it
    ],
)
def test_headers_match_regardless_of_case_spacing_and_punctuation(write_csv, exports, header):
    write_csv("orders.csv", ",".join(header) + "\nC1,2025-01-02,1\n")
    dataset = load(exports)
    assert dataset.sources["orders"].table.columns == dict(
        zip(("customer_id", "order_date", "amount"), header, strict=True)
    )
    assert ids(dataset) == ["C1"]


def test_configured_dialect_overrides_detection(write_csv, exports):
    """'1.234' is 1234 by detection (a German export's whole amount), but 1.234 when the
    config says '.' is the decimal point."""
    write_csv("orders.csv", "customer_id;order_date;amount\nC1;02.01.2025;1.234\n")
    assert load(exports).frame("orders")["amount"].tolist() == [1234.0]
    write_csv("churnwatch.toml", '[sources.orders]\ndecimal = "."\n')
    assert load(exports).frame("orders")["amount"].tolist() == [1.234]


def small_first(delimiter: str, later: list[str]) -> str:
    """600 small amounts (the rows the dialect is sampled from), then the rows ``later``."""
    decimal = "," if delimiter == ";" else "."
    head = delimiter.join(("customer_id", "order_date", "amount"))
    rows = [
        f"C{i % 50:03d}{delimiter}2025-03-{i % 28 + 1:02d}{delimiter}107{decimal}50"
        for i in range(600)
    ]
    return "\n".join([head, *rows, *later]) + "\n"


def test_thousands_the_first_rows_did_not_show_are_read(tmp_path: Path) -> None:
    """An export sorted by customer, small accounts first: '1.200,00' far down was skipped as
    not a number, and the customers with only large orders were gone."""
    later = ["C050;2025-01-05;1.200,00", "C051;2025-01-06;12.345", "C052;2025-01-07;1.000,00-"]
    later += ["C053;2025-01-08;0.125"]  # a first group of zeros is never thousands
    dataset = load(write_exports(tmp_path / "x", orders=small_first(";", later)))
    assert [(p.code, p.lines) for p in dataset.problems if p.skipped] == [("bad_number", (605,))]
    orders = dataset.frame("orders")
    assert orders["amount"].tail(3).tolist() == [1200.0, 12345.0, -1000.0]
    assert ids(dataset)[-3:] == ["C050", "C051", "C052"]
    (note,) = [p for p in dataset.problems if p.code == "unsampled_thousands"]
    assert note.describe().startswith(
        "orders.csv: column 'amount': 3 values with '.' between thousands, which the first rows"
        ' did not show, read as such; thousands = "." under [sources.orders] in churnwatch.toml'
        " says so (lines 602, 603, 604; e.g."
    )


def test_a_comma_beside_a_decimal_point_groups_only_with_decimals(tmp_path: Path) -> None:
    """'1,200.50' can only be 1200.5; '1,500' alone may be German for 1.5, and stays a bad
    number."""
    later = ['C050,2025-01-05,"1,200.50"', 'C051,2025-01-06,"1,500"']
    dataset = load(write_exports(tmp_path / "x", orders=small_first(",", later)))
    assert dataset.frame("orders")["amount"].iloc[-1] == 1200.5
    assert [p.code for p in dataset.problems if p.skipped] == ["bad_number"]


def test_amounts_with_a_decimal_point_in_a_file_of_decimal_commas_are_read(
    tmp_path: Path,
) -> None:
    """'99.90' typed by hand among '1.234,50': skipped as not a number, though a point before
    one or two digits can be no thousands separator. '1.234' stays thousands."""
    later = ["C050;2025-01-05;3453.40", "C051;2025-01-06;12.5", "C052;2025-01-07;1.234"]
    dataset = load(write_exports(tmp_path / "x", orders=small_first(";", later)))
    assert dataset.frame("orders")["amount"].tail(3).tolist() == [3453.4, 12.5, 1234.0]
    (note,) = [p for p in dataset.problems if p.code == "point_decimals"]
    assert note.describe() == (
        "orders.csv: column 'amount': 2 values with a decimal point, not a comma, read so"
        " (lines 602, 603; e.g. '3453.40', '12.5')"
    )


@pytest.mark.parametrize(
    "written",
    [
        "(12,50)",
        "\u221212,50",
        "\u201312,50",
        "-12,50",
        "12,50-",
        "( 12,50 )",
        "- 12,50",  # Excel's accounting format
        "12,50 \u2212",
        "\u2212 12,50 \u20ac",
        "(12,50 \u20ac)",
        "-(12,50)",
    ],
)
def test_a_negative_amount_may_carry_any_minus_or_parentheses(tmp_path: Path, written) -> None:
    """Accountants write (12,50); a word processor's minus is U+2212, its dash U+2013."""
    orders = f"customer_id;order_date;amount\nC1;2025-01-02;100,00\nC1;2025-01-03;{written}\n"
    dataset = load(write_exports(tmp_path / "x", orders=orders))
    assert dataset.frame("orders")["amount"].tolist() == [100.0, -12.5]
    assert not [p for p in dataset.problems if p.skipped]
