"""Inputs and commands a demanding user tried while reviewing: each test names the defect."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet as pq
import pytest

from churnwatch.core.days import EPOCH
from churnwatch.core.errors import InputError
from churnwatch.ingest import parquet_folder
from churnwatch.ingest.problems import Level
from helpers import ORDERS, day, flat, ids, load, problem
from scan_helpers import fired_for, invoke, scan, stderr_of, write_exports


def test_header_only_without_final_newline_is_header_only(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount")
    with pytest.raises(InputError, match="has a header but no data rows"):
        load(exports)


def test_trailing_delimiter_on_data_rows_only_is_tolerated(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount\nC1,2025-01-02,5,\nC2,2025-01-03,6,\n")
    dataset = load(exports)
    assert ids(dataset) == ["C1", "C2"]
    assert dataset.frame("orders")["amount"].tolist() == [5.0, 6.0]
    assert dataset.problems == []


@pytest.mark.parametrize("blank", ["", '""'])
def test_a_last_column_without_a_name_that_the_rows_fill_is_a_column(write_csv, exports, blank):
    """``…,amount,`` over ``…,5,online``: the blank name was dropped as a trailing
    delimiter's, and every row rejected as one field too long."""
    write_csv(
        "orders.csv",
        f"customer_id,order_date,amount,{blank}\nC1,2025-01-02,5,online\nC2,2025-01-03,6,shop\n",
    )
    dataset = load(exports)
    assert ids(dataset) == ["C1", "C2"]
    assert dataset.frame("orders")["amount"].tolist() == [5.0, 6.0]
    assert dataset.problems == []


def test_rows_lacking_the_trailing_delimiter_the_sampled_rows_end_in_are_read(write_csv, exports):
    """Every sampled row ended in a delimiter (``C1,2025-01-02,5,``), a row further down
    did not: it was skipped as "wrong number of fields (the header has 3)", though it had
    just the header's 3. Such rows are read, and named; one with two blank extras too."""
    rows = [f"C{n},2025-01-{1 + n % 28:02d},{n}" for n in range(1, 1201)]
    ends = {700: "", 950: "", 800: ",,"}
    text = "".join(f"{row}{ends.get(n, ',')}\n" for n, row in enumerate(rows, start=1))
    write_csv("orders.csv", "customer_id,order_date,amount\n" + text)
    dataset = load(exports)
    assert dataset.frame("orders")["amount"].tolist() == [float(n) for n in range(1, 1201)]
    note = problem(dataset, "repaired")
    assert (
        note.message == "2 rows without the ',' at the end the other rows end in, read all the same"
    )
    assert (note.lines, note.level) == ((701, 951), Level.NOTE)
    assert [p.code for p in dataset.problems] == ["repaired"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_reports_title_above_the_header_is_left_out_and_said(write_csv, exports, newline):
    """A report saved as CSV starts with its name, the day it was made and a blank line:
    the name was taken for the header (``columns found: 'Umsatzliste 2025'``), with the
    advice to map customer_id to it."""
    write_csv(
        "orders.csv",
        "Umsatzliste 2025;;\nErstellt am 02.01.2026;;\n;;\ncustomer_id;order_date;amount\n"
        "C1;2025-01-02;5\nC2;2025-01-03;x\nC1;2025-02-03;7\n",
        newline=newline,
    )
    dataset = load(exports)
    assert ids(dataset) == ["C1", "C1"]
    assert dataset.frame("orders")["amount"].tolist() == [5.0, 7.0]
    note = problem(dataset, "title_lines")
    assert note.level is Level.NOTE
    assert note.message == (
        "the header is on line 4: the lines above it ('Umsatzliste 2025', 'Erstellt am"
        " 02.01.2026') were taken for a report's title and not read"
    )
    assert problem(dataset, "bad_number").lines == (6,)


def test_a_title_of_two_fields_above_the_header_is_named_in_the_error(write_csv, exports):
    """A title line with two fields cannot be told from a header: the error says which line
    further down names the columns, rather than listing the title's fields as the columns."""
    write_csv(
        "orders.csv",
        "Zeitraum:;01.01.2025 - 31.12.2025\n\ncustomer_id;order_date;amount\nC1;2025-01-02;5\n",
    )
    with pytest.raises(InputError, match="a line further down names them") as raised:
        load(exports)
    assert "('customer_id;order_date;amount'): that line is the header" in str(raised.value)


def test_blank_lines_above_the_header_are_left_out_without_a_note(write_csv, exports):
    write_csv(
        "orders.csv", "\n;;\ncustomer_id;order_date;amount\nC1;2025-01-02;5\nC2;2025-01-03;x\n"
    )
    dataset = load(exports)
    assert ids(dataset) == ["C1"]
    assert [(p.code, p.lines) for p in dataset.problems] == [("bad_number", (5,))]


@pytest.mark.parametrize(
    "text",
    [
        "customer_id\nC1\nC2\n",  # one column: no line of two fields to be the header
        "customer_id,name\nC1,\nC2,\n",  # rows of one filled field under a full header
    ],
)
def test_a_file_whose_rows_fill_one_field_has_no_title(write_csv, exports, text):
    write_csv("orders.csv", ORDERS)
    write_csv("customers.csv", text)
    dataset = load(exports)
    assert ids(dataset, "customers") == ["C1", "C2"]
    assert "title_lines" not in {p.code for p in dataset.problems}


@pytest.mark.parametrize(
    ("last", "blank"),  # a column not read, or a category's
    [("note", ",,,"), ("note", " , , , "), ("note", ",,,text"), ("channel", ",,,")],
)
def test_empty_rows_and_a_repeated_header_are_left_out_with_a_note_each(
    write_csv, exports, blank, last
):
    """Excel writes rows of delimiters only (``;;;``) where cells were ever touched, and
    exports joined one after the other repeat their header. Each was a missing or bad
    value in every column (five warnings for three lines here), and they counted as
    skipped rows: enough of them made a short export "not usable"."""
    header = f"customer_id,order_date,amount,{last}"
    write_csv(
        "orders.csv",
        f"{header}\nC1,2025-01-02,5,inbound\n{blank}\n{header}\nC2,2025-02-03,6,outbound\n"
        f"{blank}\n{blank}\n",
    )
    dataset = load(exports)
    assert ids(dataset) == ["C1", "C2"]
    assert [(p.code, p.level, p.message, p.lines) for p in dataset.problems] == [
        ("no_data", Level.NOTE, "3 empty rows (blank in every column read) left out", (3, 6, 7)),
        (
            "no_data",
            Level.NOTE,
            "1 line repeating the header left out (exports joined one after the other?)",
            (4,),
        ),
    ]
    orders = dataset.sources["orders"]
    assert (orders.table.rows_read, orders.rows_skipped) == (2, 0)


@pytest.mark.parametrize("parts", [0, 1], ids=["csv", "parquet"])
def test_a_reports_footer_with_a_date_is_no_customer(write_csv, exports, parts):
    """An ERP report's totals carry the report's date: they read as orders of customers
    named "Gesamtsumme" and "Anzahl Belege: 2" with the year's revenue. Written as text to
    Parquet, the note showed the row's cells run together."""
    path = write_csv(
        "orders.csv",
        "order_id;customer_id;order_date;amount\n1;C1;02.01.2025;5,00\n2;C2;03.01.2025;6,00\n"
        ";Gesamtsumme;31.12.2025;11,00\n;Anzahl Belege: 2;31.12.2025;2\n",
    )
    if parts:
        as_text_parquet(path, parts, delimiter=";")
    dataset = load(exports)
    assert ids(dataset) == ["C1", "C2"]
    [note] = dataset.problems
    assert (note.code, note.level, note.lines) == ("no_data", Level.NOTE, (4, 5))
    assert note.message == "2 lines of a report's footer at the end (totals, counts) left out"
    assert note.examples == (";Gesamtsumme;31.12.2025;11,00", ";Anzahl Belege: 2;31.12.2025;2")
    orders = dataset.sources["orders"]
    assert (orders.table.rows_read, orders.rows_skipped) == (2, 0)


def test_a_footer_of_rules_counts_and_page_numbers_is_one_note_not_skipped_rows(write_csv, exports):
    """Rows of the header's width without a customer (a total under its column, the word
    in another), lines of one field and a page break: six warnings of skipped rows before."""
    write_csv(
        "orders.csv",
        "order_id;customer_id;order_date;amount\n1;C1;02.01.2025;5,00\n"
        "----------\n;;;5,00\nSumme;;;5,00\nAnzahl Datensätze: 1\n\f\nSeite 1 von 1\n",
    )
    dataset = load(exports)
    [note] = dataset.problems
    assert note.message.startswith("6 lines of a report's footer")
    assert (note.count, note.lines) == (6, (3, 4, 5, 6, 7))  # the first five named
    assert note.examples == ("Summe;;;5,00", "Anzahl Datensätze: 1")
    orders = dataset.sources["orders"]
    assert (orders.table.rows_read, orders.rows_skipped) == (1, 0)


@pytest.mark.parametrize(
    ("lines", "count", "shown"),
    [
        ('Record Count: 1\n"Total: 1 orders"', 2, ("Record Count: 1", '"Total: 1 orders"')),
        (
            ";Total général;;5,00\nNombre de lignes : 1\nPage 1/1",
            3,
            (";Total général;;5,00", "Nombre de lignes : 1"),
        ),
        ("-----------\n\f", 2, ()),  # rules and page breaks alone
        ('"Confidential Information - Do Not Distribute"\n"Copyright (c) 2025 ACME"', 2, None),
        # the total in a column read as a date, or in one not read (a name): Lexware, Excel
        (";;;Summe;37.037,00", 1, (";;;Summe;37.037,00",)),
        (";;Gesamtsumme;30.10.2026;37.037,00", 1, (";;Gesamtsumme;30.10.2026;37.037,00",)),
    ],
    ids=["counts", "french", "rules-alone", "salesforce", "in-the-date", "in-a-name"],
)
def test_more_report_footers_are_left_out(write_csv, exports, lines, count, shown):
    """(The total in a row without a customer id was looked for in the worded columns read
    only: a total in the date column was a skipped row, a warning.)"""
    header = "order_id;customer_id;Name;order_date;amount"
    write_csv("orders.csv", f"{header}\n1;C1;Kunde 1;02.01.2025;5,00\n{lines}\n")
    dataset = load(exports)
    [note] = dataset.problems
    assert (note.code, note.count) == ("no_data", count)
    assert shown is None or note.examples == shown[:2]


@pytest.mark.parametrize(
    "last",
    [
        "C9;Summen-Verlag;03.01.2025;6,00",  # a customer whose id opens like a total
        "C9;C2;03.01.2025;Total",  # a total in a customer's row, not in its id
        "C9;C2;03.01.2025;6,00\n;Summe;;5,00\nC3;C3;04.01.2025;7,00",  # not at the end
        "SO9;TOTAL;30.12.2025;1.200,00",  # TotalEnergies' matchcode, with an order number
        "SO9;;Summe;6,00",  # an order's row without its customer: a skipped row of data
    ],
    ids=["name", "other-column", "not-at-the-end", "matchcode", "order-without-customer"],
)
def test_a_customers_last_row_is_no_footer(write_csv, exports, last):
    write_csv(
        "orders.csv", f"order_id;customer_id;order_date;amount\n1;C1;02.01.2025;5,00\n{last}\n"
    )
    dataset = load(exports)
    assert "footer" not in " ".join(p.message for p in dataset.problems)


def test_an_order_without_a_customer_above_a_total_stays_a_skipped_row(write_csv, exports):
    """An order row that lacks only its customer id is data at fault, said as such: the
    total below it must not take it into the footer's note."""
    write_csv(
        "orders.csv",
        "order_id;customer_id;order_date;amount\n1;C1;02.01.2025;5,00\n"
        "500609;;30.12.2025;1.234,56\n;Gesamtsumme;31.12.2025;1.239,56\n",
    )
    dataset = load(exports)
    assert [(p.code, p.lines) for p in dataset.problems] == [
        ("no_data", (4,)),
        ("missing_value", (3,)),
    ]


def test_a_customer_master_ending_in_a_customer_named_like_a_total_keeps_them(write_csv, exports):
    write_csv("orders.csv", ORDERS)
    write_csv("customers.csv", "customer_id,name,owner\nC1,Alpha,Ann\nSUM,Summe Verlag,Anja\n")
    dataset = load(exports)
    assert "SUM" in dataset.dataset.customer_ids
    assert not [p for p in dataset.problems if p.code == "no_data"]


def test_a_row_with_only_an_id_is_no_empty_row(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount\nC1,2025-01-02,5\n,,\nC2,,\n")
    dataset = load(exports)
    assert [(p.code, p.lines) for p in dataset.problems] == [
        ("no_data", (3,)),
        ("missing_value", (4,)),
        ("missing_value", (4,)),
    ]


@pytest.mark.parametrize("ends", [("", ""), (",", ","), (",", ""), ("", ",,")])
def test_a_header_ending_in_a_delimiter_reads_rows_with_or_without_one(write_csv, exports, ends):
    """``Kunde;Datum;Betrag;`` over rows without the last delimiter: every row was skipped
    as one of the wrong width, and the run stopped with "no valid rows"."""
    first, second = ends
    write_csv(
        "orders.csv",
        f"customer_id,order_date,amount,\nC1,2025-01-02,5{first}\nC2,2025-01-03,6{second}\n",
    )
    dataset = load(exports)
    assert ids(dataset) == ["C1", "C2"]
    assert dataset.frame("orders")["amount"].tolist() == [5.0, 6.0]
    assert {p.code for p in dataset.problems} <= {"repaired"}


def test_duplicate_header_name_is_an_error(write_csv, exports):
    write_csv("orders.csv", "customer_id,amount,order_date,amount\nC1,1,2025-01-02,2\n")
    with pytest.raises(InputError, match="column 'amount' appears 2 times in the header"):
        load(exports)


@pytest.mark.parametrize(
    ("header", "named"),
    [
        ("customer_id,order_date,Amount,AMOUNT", "'Amount' and 'AMOUNT' both name amount"),
        (
            "customer_id,order_date,Amount, AMOUNT,Amount €",
            "'Amount', ' AMOUNT' and 'Amount €' all",
        ),
        ("Customer ID,CUSTOMER-ID,order_date,amount", "'Customer ID' and 'CUSTOMER-ID' both"),
    ],
)
def test_headers_that_all_name_a_column_none_by_its_name_are_an_error(
    write_csv, exports, header, named
):
    """Either could be meant, and the last one was read: the figures followed the column
    order. The message names them and the line that chooses one."""
    write_csv("orders.csv", header + "\nC1,K1,2025-01-02,5,15\n")
    with pytest.raises(InputError) as refused:
        load(exports)
    message = " ".join(str(refused.value).split())
    assert message.startswith(f"{exports / 'orders.csv'}: columns {named}")
    assert "map the one to use in churnwatch.toml ([sources.orders.columns]" in message


def test_a_column_named_exactly_is_read_beside_lookalikes_and_they_are_noted(write_csv, exports):
    """As it always was: the exact name wins, whatever the column order; a note names the
    others and how to choose one of them instead."""
    write_csv("orders.csv", "Amount,customer_id,order_date,amount\n15,C1,2025-01-02,5\n")
    dataset = load(exports)
    assert dataset.frame("orders")["amount"].tolist() == [5.0]
    note = problem(dataset, "unread_columns")
    assert "amount is read from 'amount', not from 'Amount' (which also names it)" in note.message
    assert note.fix == ("[sources.orders.columns]", 'amount = "Amount"')


def test_a_mapping_takes_a_lookalike_by_its_exact_name_only(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,Amount,AMOUNT\nC1,2025-01-02,5,15\n")
    (exports / "churnwatch.toml").write_text('[sources.orders.columns]\namount = "AMOUNT"\n')
    assert load(exports).frame("orders")["amount"].tolist() == [15.0]
    (exports / "churnwatch.toml").write_text('[sources.orders.columns]\namount = "amount"\n')
    with pytest.raises(InputError, match="'Amount' and 'AMOUNT' both name amount"):
        load(exports)


def test_lookalike_headers_in_parquet_are_an_error_too(exports):
    table = pa.table({"customer_id": ["C1"], "order_date": ["2025-01-02"], "Amount": [5.0]})
    pq.write_table(table.append_column("AMOUNT", pa.array([15.0])), exports / "orders.parquet")
    with pytest.raises(InputError, match="'Amount' and 'AMOUNT' both name amount"):
        load(exports)


def test_huge_quoted_field_does_not_reject_the_file(exports):
    text = "customer_id,order_date,amount,note\n" + "".join(
        f"C{i},2025-01-01,{i},ok\n" for i in range(50)
    )
    text += 'C1,2025-01-02,5,"' + "x" * 20_000_000 + '"\n'
    (exports / "orders.csv").write_text(text)
    assert len(load(exports).frame("orders")) == 51


@pytest.mark.parametrize("written", ["10001.0", '"10001,0"', "10001.00"])
def test_ids_written_as_decimals_match_integer_ids(write_csv, exports, written):
    """Spreadsheets write customer 10001 as 10001.0, German ones as 10001,0."""
    write_csv("orders.csv", "customer_id,order_date,amount\n10001,2025-01-02,5\n")
    write_csv("payments.csv", f"customer_id,due_date,paid_date,amount\n{written},2025-02-01,,5\n")
    dataset = load(exports)
    assert dataset.customer_ids.tolist() == ["10001"]
    assert [p.code for p in dataset.problems] == []


def test_orphans_that_differ_only_by_leading_zeros_are_pointed_out(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount\n007,2025-01-02,5\n")
    write_csv("payments.csv", "customer_id,due_date,paid_date,amount\n7,2025-02-01,,5\n")
    orphan = problem(load(exports), "orphan", "payments")
    assert "differs from an ordering customer's only by leading zeros" in orphan.message
    assert "'7' vs '007'" in orphan.message


def test_every_orphan_id_padded_differently_is_counted(write_csv, exports):
    write_csv(
        "orders.csv",
        "customer_id,order_date,amount\n007,2025-01-02,5\n0042,2025-01-02,5\n42,2025-01-03,5\n"
        "A7,2025-01-02,5\n",
    )
    write_csv(
        "payments.csv",
        "customer_id,due_date,paid_date,amount\n7,2025-02-01,,5\n042,2025-02-01,,5\n"
        "8,2025-02-01,,5\nB7,2025-02-01,,5\n",
    )
    orphan = problem(load(exports), "orphan", "payments")
    assert "2 ids differ from an ordering customer's only by leading zeros" in orphan.message
    assert "'7' vs '007'" in orphan.message


def test_orphans_whose_number_after_a_prefix_differs_only_by_zeros_are_pointed_out(
    write_csv, exports
):
    """``KD-000017`` in the orders, ``KD-17`` in the invoices (two systems, one padding):
    only ids of digits were compared, and prefixed customer numbers are as common."""
    write_csv("orders.csv", "customer_id,order_date,amount\nKD-000017,2025-01-02,5\n")
    write_csv("payments.csv", "customer_id,due_date,paid_date,amount\nKD-17,2025-02-01,,5\n")
    orphan = problem(load(exports), "orphan", "payments")
    assert "'KD-17' vs 'KD-000017'" in orphan.message


@pytest.mark.parametrize("orphan", ["D7", "C7X", "C-7"])
def test_orphans_of_another_prefix_or_form_get_no_padding_hint(write_csv, exports, orphan):
    write_csv("orders.csv", "customer_id,order_date,amount\nC007,2025-01-02,5\n")
    write_csv("payments.csv", f"customer_id,due_date,paid_date,amount\n{orphan},2025-02-01,,5\n")
    assert "leading zeros" not in problem(load(exports), "orphan", "payments").message


@pytest.mark.parametrize(
    ("ids", "code", "said"),
    [
        (
            ("00123", "123", "0042", "42", "042", "7", "A1"),
            "padded_ids",
            "2 customer ids written both with and without leading zeros ('0042' and '042')",
        ),
        (
            ("MUELLER", "Mueller", "mueller", "SCHMIDT", "Schmidt", "KLEIN", "A1"),
            "case_ids",
            "2 customer ids written in both upper and lower case ('MUELLER' and 'Mueller')",
        ),
        (
            ("ÄÖ1", "Äö1", "äö1", "ΣΩ", "σω", "ЖУК", "Ü9"),
            "case_ids",
            "2 customer ids written in both upper and lower case ('ÄÖ1' and 'Äö1')",
        ),
    ],
    ids=["leading-zeros", "case", "case-beyond-ascii"],
)
def test_ids_spelt_two_ways_in_the_orders_are_pointed_out(write_csv, exports, ids, code, said):
    """'00123' and '123', or hand-typed matchcodes 'MUELLER' (the office) and 'Mueller' (a
    field-sales tablet), both ordered: two customers to churnwatch, each with part of the
    orders, where the business most likely has one."""
    rows = "".join(f"{customer},2025-01-0{n + 1},5\n" for n, customer in enumerate(ids))
    write_csv("orders.csv", f"customer_id,order_date,amount\n{rows}")
    twins = problem(load(exports), code)
    assert twins.level is Level.WARNING and twins.count == 5
    assert twins.message.startswith(said)


def test_prefixed_ids_with_and_without_leading_zeros_in_the_orders_are_pointed_out(
    write_csv, exports
):
    write_csv(
        "orders.csv",
        "customer_id,order_date,amount\nC0001,2025-01-02,5\nC1,2025-01-03,6\nD1,2025-01-03,6\n",
    )
    padded = problem(load(exports), "padded_ids")
    assert padded.count == 2
    assert "1 customer id written both with and without leading zeros ('C0001' and 'C1')" in (
        padded.message
    )


def test_ids_without_leading_zeros_are_not_looked_at_twice(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount\n123,2025-01-02,5\n1230,2025-01-03,6\n")
    assert [p for p in load(exports).problems if p.code == "padded_ids"] == []


def test_orphans_whose_id_differs_only_in_case_are_pointed_out(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount\nK1001,2025-01-02,5\n")
    write_csv("payments.csv", "customer_id,due_date,paid_date,amount\nk1001,2025-02-01,,5\n")
    orphan = problem(load(exports), "orphan", "payments")
    assert "1 id differs from an ordering customer's only in upper and lower case" in (
        orphan.message
    )
    assert "'k1001' vs 'K1001'" in orphan.message


def test_ids_written_with_and_without_separators_are_pointed_out(write_csv, exports):
    """'K 1001' in the invoices (a space), 'K-1001' in the complaints, 'K1001' in the orders:
    three customers, and the invoices of every customer were lost to the orders'."""
    write_csv("orders.csv", "customer_id,order_date,amount\nK1001,2025-01-02,5\nK-7,2025-01-03,6\n")
    write_csv("payments.csv", "customer_id,due_date,paid_date,amount\nK 1001,2025-02-01,,5\n")
    write_csv("customers.csv", "customer_id,name\nK.1001,Alpha\nK7,Seven\n")
    dataset = load(exports)
    orphan = problem(dataset, "orphan", "payments")
    assert "1 id differs from an ordering customer's only in spaces or punctuation" in (
        orphan.message
    )
    assert "'K 1001' vs 'K1001'" in orphan.message
    master = problem(dataset, "orphan", "customers")
    assert master.level is Level.WARNING  # every listed customer lost, not a prospect
    assert "2 ids differ from an ordering customer's only in spaces or punctuation" in (
        master.message
    )


def test_master_data_of_prospects_is_a_note_and_of_no_ordering_customer_a_warning(
    write_csv, exports
):
    write_csv("orders.csv", "customer_id,order_date,amount\nC1,2025-01-02,5\n")
    write_csv("customers.csv", "customer_id,name\nC1,Alpha\nP9,Prospect\n")
    assert problem(load(exports), "orphan", "customers").level is Level.NOTE
    write_csv("customers.csv", "customer_id,name\nX1,Alpha\nX2,Beta\n")
    assert problem(load(exports), "orphan", "customers").level is Level.WARNING


@pytest.mark.parametrize(
    "ids", [("K1", "K2", "KA"), ("k1", "k2", "ka"), ("Ab1", "Ab2", "aB3")], ids=str
)
def test_ids_in_one_case_or_of_different_letters_are_no_case_twins(write_csv, exports, ids):
    rows = "".join(f"{i},2025-01-02,5\n" for i in ids)
    write_csv("orders.csv", f"customer_id,order_date,amount\n{rows}")
    assert [p for p in load(exports).problems if p.code == "case_ids"] == []


def test_a_customer_on_several_master_data_rows_is_pointed_out(write_csv, exports):
    """The first row's owner is used: a list filtered by the second row's owner finds nobody,
    so the user must hear of it."""
    write_csv("orders.csv", "customer_id,order_date,amount\nA,2025-01-02,5\nB,2025-01-03,6\n")
    write_csv(
        "customers.csv", "customer_id,name,owner\nA,Alpha GmbH,Anna\nA,Alpha AG,Ben\nB,Beta,Anna\n"
    )
    repeated = problem(load(exports), "repeated_customer", "customers")
    assert (repeated.count, repeated.lines, repeated.examples) == (1, (3,), ("A",))
    assert repeated.level is Level.WARNING
    assert "the first row of each is used" in repeated.message


def test_stale_reference_date_is_noted(write_csv, exports):
    write_csv("orders.csv", ORDERS)
    note = problem(load(exports, as_of=dt.date(2099, 1, 1)), "stale_reference")
    assert note.message.startswith("the reference date 2099-01-01 is ")
    assert "every customer will look overdue" in note.message


def test_ambiguous_day_month_dates_are_noted(write_csv, exports):
    write_csv("orders.csv", "customer_id,order_date,amount\nC1,03/04/2025,5\nC2,05/06/2025,6\n")
    note = problem(load(exports), "ambiguous_dates")
    assert "dates read as %d/%m/%Y, but they could also be %m/%d/%Y" in note.message


def sorted_by_date(first: str, later: int) -> str:
    """A year of orders sorted by date, 45 a day up to the 12th of January (540 rows, which
    read day first as well as month first), ``later`` a day after it: with 45, the file is
    larger than the head; with 1, the head holds it whole, but samples only 500 rows."""
    days = pd.date_range("2024-01-01", "2024-12-31")
    rows = [
        f"C{n % 97},{day.strftime(first)},5"
        for day in days
        for n in range(45 if day.month == 1 and day.day <= 12 else later)
    ]
    return "customer_id,order_date,amount\n" + "\n".join(rows) + "\n"


def as_text_parquet(
    path: Path, parts: int, delimiter: str = ",", row_group_size: int | None = None
) -> None:
    """A CSV written again as Parquet with every column text (as pandas' ``astype(str)`` or
    Spark write dates), one file or a folder of ``parts`` parts (of row groups of
    ``row_group_size`` rows); the CSV removed."""
    header = path.read_text().split("\n", 1)[0].split(delimiter)
    table = pa.csv.read_csv(
        path,
        parse_options=pa.csv.ParseOptions(delimiter=delimiter),
        convert_options=pa.csv.ConvertOptions(column_types=dict.fromkeys(header, pa.string())),
    )
    path.unlink()
    if parts == 1:
        pq.write_table(table, path.with_suffix(".parquet"), row_group_size=row_group_size)
        return
    folder = path.with_suffix("")
    folder.mkdir()
    size = -(-table.num_rows // parts)
    for part in range(parts):
        part_path = folder / f"part-{part}.parquet"
        pq.write_table(table.slice(part * size, size), part_path, row_group_size=row_group_size)


@pytest.mark.parametrize(
    ("parts", "row_groups"),
    [(0, None), (1, None), (2, None), (1, 500), (2, 500)],
    ids=["csv", "parquet", "parquet-parts", "parquet-row-groups", "parquet-parts-row-groups"],
)
@pytest.mark.parametrize("later", [45, 1], ids=["large", "small"])
@pytest.mark.parametrize("written", ["%m/%d/%Y", "%d/%m/%Y"], ids=["US", "UK"])
def test_the_day_month_order_is_decided_on_rows_further_down(
    write_csv, exports, written, later, *, parts, row_groups, monkeypatch
):
    """A US export sorted by date was read day first from its first 500 rows: 60 % of its
    rows were skipped as bad dates, and the scan exited 0. The ambiguity note stood even
    where ``13/01`` further down decides it. The same dates as text in Parquet were still
    read day first. A large Parquet export (here: any, of row groups of 500 rows) is
    sampled at the starts of row groups spread over it, not read whole."""
    path = write_csv("orders.csv", sorted_by_date(written, later))
    if parts:
        as_text_parquet(path, parts, row_group_size=row_groups)
    sampled = []
    if row_groups:
        monkeypatch.setattr(parquet_folder, "SPREAD_WHOLE_ROWS", 0)
        starts = parquet_folder._at_row_group_starts
        monkeypatch.setattr(
            parquet_folder,
            "_at_row_group_starts",
            lambda *args: sampled.append(found := starts(*args)) or found,
        )
    dataset = load(exports)
    assert dataset.sources["orders"].table.dialect.date_format == written
    assert dataset.sources["orders"].rows_skipped == 0
    assert not [p for p in dataset.problems if p.code in ("ambiguous_dates", "bad_date")]
    assert dataset.frame("orders")["order_date"].max() == (dt.date(2024, 12, 31) - EPOCH).days
    if row_groups and later == 45:  # 33 row groups of 500 rows: 16 sampled, 250 rows each
        assert sampled
        assert all(table is not None and 3_900 <= table.num_rows <= 4_000 for table in sampled)


def test_grouped_amounts_first_seen_further_down_are_said_to_be_read_so(write_csv, exports):
    """Whole amounts in the first 800 rows, then '1.100': read as thousands, which the note
    on amounts that could be read either way must then say."""
    whole = [f"C{n % 40};2024-01-02;{100 + n}" for n in range(800)]
    grouped = [f"C{n % 40};2024-02-03;{1 + n % 3}.{n % 900 + 100}" for n in range(300)]
    write_csv("orders.csv", "customer_id;order_date;amount\n" + "\n".join(whole + grouped))
    dataset = load(exports, dt.date(2024, 12, 31))
    assert dataset.frame("orders")["amount"].tolist()[800] == 1100
    assert problem(dataset, "ambiguous_numbers").message.startswith("amounts such as '1.100'")


@pytest.mark.parametrize("parts", [0, 1, 2], ids=["csv", "parquet", "parquet-parts"])
@pytest.mark.parametrize("later", [2000, 20], ids=["large", "small"])
def test_a_decimal_comma_first_seen_further_down_is_read(write_csv, exports, later, parts):
    """Whole amounts in the first 800 rows (3875), a decimal comma only after them
    (1289,84): the head decided on a decimal point, and 90 % of the rows were skipped with
    exit 0."""
    whole = [f"C{n % 40};2024-01-02;{100 + n}" for n in range(800)]
    cents = [f"C{n % 40};2024-02-03;{100 + n},{n % 90 + 10}" for n in range(later)]
    path = write_csv("orders.csv", "customer_id;order_date;amount\n" + "\n".join(whole + cents))
    if parts:
        table = pa.csv.read_csv(
            path,
            parse_options=pa.csv.ParseOptions(delimiter=";"),
            convert_options=pa.csv.ConvertOptions(
                column_types=dict.fromkeys(["customer_id", "order_date", "amount"], pa.string())
            ),
        )
        path.unlink()
        if parts == 1:
            pq.write_table(table, exports / "orders.parquet")
        else:  # a folder of two parts, the second holding every amount with a comma
            (exports / "orders").mkdir()
            pq.write_table(table.slice(0, 900), exports / "orders" / "part-0.parquet")
            pq.write_table(table.slice(900), exports / "orders" / "part-1.parquet")
    dataset = load(exports, dt.date(2024, 12, 31))
    assert dataset.sources["orders"].rows_skipped == 0
    amounts = dataset.frame("orders")["amount"].tolist()
    assert amounts[800:802] == [100.10, 101.11]


def test_no_valid_rows_names_what_skipped_them_not_a_note_before_it(write_csv, exports):
    """Every amount written with a decimal comma where a point is configured: the error
    quoted the note on the dates' other form, which came first, and never named the
    amounts."""
    rows = "".join(f"C{n};{n % 28 + 1:02d}.01.2025;1.234,{n % 90 + 10}\n" for n in range(30))
    write_csv("orders.csv", "customer_id;order_date;amount\n" + rows)
    (exports / "churnwatch.toml").write_text(
        '[sources.orders]\ndate_format = "%Y-%m-%d"\ndecimal = "."\nthousands = ""\n'
    )
    with pytest.raises(InputError) as raised:
        load(exports, dt.date(2025, 3, 31))
    assert "no valid rows; orders.csv: column 'amount': 30 rows skipped: not a number" in str(
        raised.value
    )


def quoted_throughout(text: str, delimiter: str) -> str:
    """Every field of every line in quotes, as many exporters write (``"C1";"2024-01-02"``)."""
    return "".join(
        delimiter.join(f'"{field}"' for field in line.split(delimiter)) + "\n"
        for line in text.splitlines()
    )


@pytest.mark.parametrize("what", ["US dates", "decimal commas"])
def test_an_export_that_quotes_every_field_is_sampled_further_down_too(write_csv, exports, what):
    """Lines holding a quote were passed over in the rows sampled further down (a block may
    start inside a quoted field): an export quoting every field had none, and read its US
    dates day first or its decimal commas as points, skipping most rows with exit 0."""
    if what == "US dates":
        text, delimiter = sorted_by_date("%m/%d/%Y", 45), ","
    else:
        whole = [f"C{n % 40};2024-01-02;{100 + n}" for n in range(800)]
        cents = [f"C{n % 40};2024-02-03;{100 + n},{n % 90 + 10}" for n in range(2000)]
        text, delimiter = "customer_id;order_date;amount\n" + "\n".join(whole + cents), ";"
    write_csv("orders.csv", quoted_throughout(text, delimiter))
    dataset = load(exports, dt.date(2024, 12, 31))
    assert dataset.sources["orders"].rows_skipped == 0
    if what == "US dates":
        assert dataset.sources["orders"].table.dialect.date_format == "%m/%d/%Y"
    else:
        assert dataset.frame("orders")["amount"].tolist()[800:802] == [100.10, 101.11]


@pytest.mark.parametrize(
    ("rows", "said", "read"),
    [
        (
            "C1;30.12.2024;5\nC1;31.12.2024;5\nC2;2025-01-02;6\nC3;31.02.2025;1\n",
            "1 date written as %Y-%m-%d, not %d.%m.%Y, read so",
            ["2024-12-30", "2024-12-31", "2025-01-02"],
        ),
        (
            "C1;2024-12-30;5\nC1;2024-12-31;5\nC2;2024-12-29;5\nC2;02.01.2025;6\nC3;x;1\n",
            "1 date written as %d.%m.%Y, not %Y-%m-%d, read so",
            ["2024-12-30", "2024-12-31", "2024-12-29", "2025-01-02"],
        ),
        (
            "C1;30.12.2024;5\nC1;31.12.2024;5\nC2;45659;6\nC3;12345;1\n",
            "1 date written as Excel serial numbers, not %d.%m.%Y, read so",
            ["2024-12-30", "2024-12-31", "2025-01-02"],
        ),
    ],
    ids=["german-then-iso", "iso-then-german", "a-serial-number"],
)
def test_dates_of_another_unmistakable_form_in_a_column_are_read(
    write_csv, exports, rows, said, read
):
    """Two systems' exports joined at a migration: every row after it was skipped as a bad
    date (46 % of an export), with exit 0. A date that is no date stays a bad one."""
    write_csv("orders.csv", f"customer_id;order_date;amount\n{rows}")
    dataset = load(exports)
    note = problem(dataset, "other_date_form")
    assert (note.level, note.message) == (Level.NOTE, said)
    assert problem(dataset, "bad_date").lines == (len(read) + 2,)
    days = dataset.frame("orders")["order_date"].tolist()
    assert [(EPOCH + dt.timedelta(days=int(d))).isoformat() for d in days] == read


def test_a_date_format_with_day_and_month_swapped_is_refused(write_csv, exports):
    """``date_format = "%m.%d.%Y"`` on a German file: the dates that read only day first
    were read so with a note, and every date that reads either way (``06.10.2026``) with
    day and month swapped, exit 0 even with ``--strict``. Where no date reads only the
    configured way, the form is wrong: one error naming the line and the fix."""
    write_csv("churnwatch.toml", '[sources.orders]\ndate_format = "%m.%d.%Y"\n')
    write_csv("orders.csv", "customer_id;order_date;amount\nC1;06.10.2026;5\nC1;14.10.2026;5\n")
    with pytest.raises(InputError) as raised:
        load(exports)
    said = str(raised.value)
    assert "orders.csv:3: column 'order_date': dates written as %d.%m.%Y ('14.10.2026')" in said
    assert "the 1 that read either way would be read with day and month swapped" in said
    assert said.endswith('set date_format = "%d.%m.%Y" in [sources.orders] of churnwatch.toml')


def test_dates_read_either_way_among_both_forms_are_a_warning(write_csv, exports):
    """Some dates only month first (``10.14.2026``), some only day first: the ones that
    read either way cannot be told, which is a warning (``--strict`` stops), not a note."""
    write_csv("churnwatch.toml", '[sources.orders]\ndate_format = "%m.%d.%Y"\n')
    rows = "C1;10.14.2026;5\nC1;06.10.2026;5\nC2;15.10.2026;5\n"
    write_csv("orders.csv", f"customer_id;order_date;amount\n{rows}")
    warning = problem(load(exports), "other_date_form")
    assert (warning.level, warning.lines) == (Level.WARNING, (4,))
    assert warning.message.startswith(
        "1 date only readable as %d.%m.%Y, not %m.%d.%Y, read so; the 1 that read either way"
    )


@pytest.mark.parametrize(
    ("header", "config", "expected"),
    [
        ("Betrag in Cent", "", ([12.5, 0.99], "the header 'Betrag in Cent' says so")),
        ("amount_cents", "", ([12.5, 0.99], "the header 'amount_cents' says so")),
        ("Umsatz (ct)", "", ([12.5, 0.99], "the header 'Umsatz (ct)' says so")),
        ("AmountInCents", "", ([12.5, 0.99], "the header 'AmountInCents' says so")),
        ("Centbetrag", "", ([12.5, 0.99], "the header 'Centbetrag' says so")),
        ("Betrag", "cents = true\n", ([12.5, 0.99], "set so")),
        ("amount_cents", "cents = false\n", ([1250.0, 99.0], None)),
        ("Percent", "", ([1250.0, 99.0], None)),
    ],
)
def test_amounts_in_cents_are_read_in_whole_units(write_csv, exports, header, config, expected):
    """Integer cents read as euros made every revenue in the reasons and reports a hundred
    times too large."""
    amounts, said = expected
    write_csv("orders.csv", f"Kunde;Datum;{header}\nC1;2025-01-02;1250\nC2;2025-01-03;99\n")
    write_csv(
        "churnwatch.toml",
        f"[sources.orders]\n{config}[sources.orders.columns]\n"
        f'customer_id = "Kunde"\norder_date = "Datum"\namount = "{header}"\n',
    )
    dataset = load(exports)
    assert dataset.frame("orders")["amount"].tolist() == amounts
    notes = [p for p in dataset.problems if p.code == "cents"]
    assert [said in p.message for p in notes] == ([True] if said else [])


def test_a_second_file_of_an_exports_header_is_said_to_be_unread(write_csv, exports):
    """Orders exported per year: churnwatch reads orders.csv, and the rows of the other year
    were missing without a word at every scan."""
    write_csv("orders.csv", ORDERS)
    header = ORDERS.splitlines()[0]
    write_csv("orders_2024.csv", f"{header}\nC9,2024-03-01,5\n", "utf-8-sig", newline="\r\n")
    write_csv("ORDERS_OLD.csv", f"{header.upper().replace(',', ';')}\nC9;2023-03-01;5\n")
    write_csv("notes.csv", "customer_id,note\nC9,call back\n")  # another header: not said
    write_csv("orders.csv.bak", ORDERS)  # not a text export's name
    twins = [p for p in load(exports).problems if p.code == "unread_twin"]
    assert [(p.level, p.source, p.file) for p in twins] == [
        (Level.WARNING, "orders", "ORDERS_OLD.csv"),
        (Level.WARNING, "orders", "orders_2024.csv"),
    ]
    assert twins[0].message.startswith("begins with the header of orders.csv, the orders export")


def _packed(path: Path, how: str) -> Path:
    """``path`` packed as ``how`` beside it (the plain file removed), or as Parquet."""
    if how == "parquet":
        target = path.with_suffix(".parquet")
        pq.write_table(pa.csv.read_csv(path), target)
    elif how == "zip":
        target = path.with_suffix(".zip")
        with zipfile.ZipFile(target, "w") as archive:
            archive.write(path, path.name)
    else:
        target = path.with_name(path.name + "." + how)
        with pa.output_stream(str(target), compression={"gz": "gzip", "zst": "zstd"}[how]) as out:
            out.write(path.read_bytes())
    path.unlink()
    return target


@pytest.mark.parametrize("how", ["gz", "zst", "zip", "parquet"])
def test_a_packed_or_parquet_second_file_of_an_exports_header_is_said_to_be_unread(
    write_csv, exports, how
):
    """orders_2024.csv.gz beside orders.csv (or a year as Parquet): only plain text files were
    compared, and the packed year's rows were missing without a word."""
    write_csv("orders.csv", ORDERS)
    header = ORDERS.splitlines()[0]
    year = _packed(write_csv("orders_2024.csv", f"{header}\nC9,2024-03-01,5\n"), how)
    _packed(write_csv("notes.csv", "customer_id,note\nC9,call back\n"), how)  # not said
    twins = [p for p in load(exports).problems if p.code == "unread_twin"]
    assert [(p.source, p.file) for p in twins] == [("orders", year.name)]
    (exports / "orders.csv").rename(exports / "later.csv")  # the packed one read, the plain not
    write_csv("churnwatch.toml", f'[sources.orders]\npath = "{year.name}"\n')
    twins = [p for p in load(exports).problems if p.code == "unread_twin"]
    assert [(p.source, p.file) for p in twins] == [("orders", "later.csv")]


def _parts_folder(path: Path, name: str) -> Path:
    """The CSV ``path`` written as a folder ``name`` of two Parquet parts beside it (removed)."""
    table = pa.csv.read_csv(path)
    folder = path.with_name(name)
    folder.mkdir()
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), folder / "part-0.parquet")
    pq.write_table(table.slice(half), folder / "part-1.parquet")
    path.unlink()
    return folder


def test_a_folder_of_parquet_parts_of_an_exports_header_is_said_to_be_unread(write_csv, exports):
    """A year as a folder of Parquet parts beside orders.csv (orders/ is read only where no
    file is there), or an old CSV beside the folder read: the other's rows were missing
    without a word. A folder of other parts, or of no parts, is not said."""
    write_csv("orders.csv", ORDERS)
    header = ORDERS.splitlines()[0]
    _parts_folder(
        write_csv("orders_2024.csv", f"{header}\nC9,2024-03-01,5\nC8,2024-04-01,7\n"), "orders_2024"
    )
    _parts_folder(
        write_csv("earlier.csv", f"{header}\nC9,2023-03-01,5\nC8,2023-04-01,7\n"), "orders"
    )
    _parts_folder(write_csv("notes.csv", "customer_id,note\nC9,call back\nC8,later\n"), "notes")
    (exports / "empty").mkdir()
    (exports / "empty" / "readme.txt").write_text(header)
    twins = [p for p in load(exports).problems if p.code == "unread_twin"]
    assert [(p.source, p.file) for p in twins] == [
        ("orders", "orders/"),
        ("orders", "orders_2024/"),
    ]
    assert twins[0].message.startswith("begins with the header of orders.csv, the orders export")
    (exports / "orders.csv").rename(exports / "older.csv")  # now the folder orders/ is read
    twins = [p for p in load(exports).problems if p.code == "unread_twin"]
    assert [(p.file, p.message[:44]) for p in twins] == [
        ("older.csv", "begins with the header of orders/, the order"),
        ("orders_2024/", "begins with the header of orders/, the order"),
    ]


@pytest.mark.parametrize(
    ("written", "form"),
    [
        (("Di, 02.01.2024", "Mi. 03.01.2024", "Do 04.01.2024"), "%d.%m.%Y"),
        (("Tue, 2024-01-02", "Wednesday 2024-01-03", "THU 2024-01-04"), "%Y-%m-%d"),
        (("mar. 02/01/2024", "mer. 03/01/2024", "jeudi 04/01/2024"), "%d/%m/%Y"),
    ],
)
def test_dates_after_a_weekday_are_read(write_csv, exports, written, form):
    """Outlook and CRMs write 'Di, 02.01.2024': every row was skipped as a bad date. A word
    that is no weekday stays a bad date."""
    rows = "".join(f"C1;{date};5\n" for date in written)
    write_csv("orders.csv", f"customer_id;order_date;amount\n{rows}C2;Xy 05.01.2024;1\n")
    dataset = load(exports)
    assert dataset.sources["orders"].table.dialect.date_format == form
    assert dataset.frame("orders")["order_date"].tolist() == [19724, 19725, 19726]
    assert problem(dataset, "bad_date").lines == (5,)


@pytest.mark.parametrize(
    ("written", "form"),
    [
        (("2. Januar 2024", "3. März 2024", "4. Mai 2024"), "%d. %b %Y"),
        (("Jan 2, 2024", "Mar 3, 2024", "May 4, 2024"), "%b %d, %Y"),
        (("02-Jan-2024", "03-Mär-2024", "04-May-2024"), "%d-%b-%Y"),
        (("02-Jan-24", "03-Mar-24", "04-Mai-24"), "%d-%b-%y"),
        (("2 janvier 2024", "3 mars 2024", "4 mai 2024"), "%d %b %Y"),
        (("2 janvier 2024", "3 mars 2024", "4 mai 2024", "1er juin 2024"), "%d %b %Y"),
    ],
    ids=["german", "english", "excel-german", "excel-short", "french", "french-1er"],
)
def test_dates_with_a_months_name_are_read(write_csv, exports, written, form):
    """'2. Januar 2025' (Word, hand-kept lists), 'Jan 2, 2025' (US CRMs), '02-Jan-25'
    (Excel's English default): every row was skipped. A word that is no month is a bad
    date."""
    rows = "".join(f"C1;{date};5\n" for date in written)
    bad = written[0].replace("Jan", "Foo").replace("janvier", "foo")
    write_csv("orders.csv", f"customer_id;order_date;amount\n{rows}C2;{bad};1\n")
    dataset = load(exports, dt.date(2024, 12, 31))
    assert dataset.sources["orders"].table.dialect.date_format == form
    days = [day("2024-01-02"), day("2024-03-03"), day("2024-05-04"), day("2024-06-01")]
    assert dataset.frame("orders")["order_date"].tolist() == days[: len(written)]
    assert problem(dataset, "bad_date").lines == (len(written) + 2,)


def test_amounts_with_decimals_under_a_header_naming_cents_are_read_as_they_are(write_csv, exports):
    """'Betrag in Euro/Cent' holding 1000,45: euros, which were divided by 100."""
    write_csv(
        "orders.csv",
        "Kunde;Datum;Betrag in Euro/Cent\nC1;2025-01-02;1000,45\nC2;2025-01-03;99\n",
    )
    write_csv(
        "churnwatch.toml",
        '[sources.orders.columns]\ncustomer_id = "Kunde"\norder_date = "Datum"\n'
        'amount = "Betrag in Euro/Cent"\n',
    )
    dataset = load(exports)
    assert dataset.frame("orders")["amount"].tolist() == [1000.45, 99.0]
    assert "the amounts have decimals: read as they are" in problem(dataset, "cents").message


def test_validate_names_a_file_passed_instead_of_the_folder(write_csv, exports, cli):
    path = write_csv("orders.csv", ORDERS)
    result = cli("validate", path)
    assert result.exit_code == 2
    assert "is a file; pass the folder that contains the exports" in flat(result.stderr)


def test_rules_for_a_missing_folder_is_an_error(tmp_path, cli):
    result = cli("rules", tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "exports folder not found" in result.stderr


def test_config_values_must_have_the_right_type(write_csv, exports, cli):
    write_csv("orders.csv", ORDERS)
    (exports / "churnwatch.toml").write_text("[risk]\ncritical = true\n")
    result = cli("validate", exports)
    assert result.exit_code == 2
    assert "risk.critical:" in result.stderr


def test_the_old_scoring_section_says_what_replaced_it(write_csv, exports, cli):
    write_csv("orders.csv", ORDERS)
    (exports / "churnwatch.toml").write_text("[scoring]\ncritical = 70\n")
    result = cli("validate", exports)
    assert result.exit_code == 2
    assert "scoring: replaced by [risk]" in result.stderr


def test_init_refuses_before_analysing_when_a_config_exists(write_csv, exports, cli):
    write_csv("orders.csv", ORDERS)
    (exports / "churnwatch.toml").write_text("")
    result = cli("init", exports)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "already exists; use --force" in result.stderr


def test_init_leaves_plain_ascii_files_to_encoding_detection(write_csv, exports, cli):
    write_csv("orders.csv", ORDERS)
    assert cli("init", exports).exit_code == 0
    assert "encoding" not in (exports / "churnwatch.toml").read_text()


@pytest.mark.parametrize(
    ("command", "chosen", "file", "implied"),
    [("scan", "csv", "report.json", "json"), ("report", "md", "weekly.xlsx", "xlsx")],
)
def test_format_that_contradicts_the_extension_is_noted(tmp_path, command, chosen, file, implied):
    folder = write_exports(tmp_path / "exports", orders=ORDERS)
    result = invoke(command, folder, "--format", chosen, "--output", tmp_path / file)
    assert result.exit_code == 0
    note = f"writing {chosen} into {file}, whose extension suggests {implied}"
    assert note in flat(stderr_of(result))


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("order_count + 1", "needs a condition here"),
        ("order_count and days_since_last_order > 1", "needs a condition here"),
    ],
)
def test_a_rule_must_be_a_condition(tmp_path, when, message):
    folder = write_exports(tmp_path / "exports", orders=ORDERS)
    config = folder / "churnwatch.toml"
    config.write_text(f'[[rules]]\nid = "x"\ntitle = "X"\nwhen = "{when}"\nweight = 10\n')
    result = invoke("rules", "--check", config)
    assert result.exit_code == 2
    assert message in stderr_of(result)


def test_dividing_by_zero_never_fires_a_rule(tmp_path):
    folder = write_exports(tmp_path / "exports", orders=ORDERS)
    config = folder / "churnwatch.toml"
    config.write_text(
        '[[rules]]\nid = "x"\ntitle = "X"\nwhen = "order_count / 0 > 1"\nweight = 10\n'
    )
    assert fired_for(scan(folder, dt.date(2025, 1, 3), config), "x") == set()


def test_narrow_terminal_lists_customers_without_cutting_ids(tmp_path, monkeypatch):
    folder = write_exports(tmp_path / "exports", orders=ORDERS)
    monkeypatch.setenv("COLUMNS", "40")
    result = invoke("scan", folder, "--as-of", "2025-01-03")
    assert result.exit_code == 0
    assert "1. C1" in result.stdout or "1. C2" in result.stdout
    assert "…" not in result.stdout.split("\n", 3)[-1].split()[1]


def test_output_to_dev_null_leaves_the_device_alone(tmp_path):
    folder = write_exports(tmp_path / "exports", orders=ORDERS)
    result = invoke("scan", folder, "--format", "json", "--output", os.devnull)
    assert result.exit_code == 0
    assert Path(os.devnull).is_char_device()
