"""Salvage: bad rows are skipped and reported per file and column with physical line numbers."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from churnwatch.core.errors import InputError
from churnwatch.ingest.problems import Level
from helpers import ORDERS, codes, day, ids, load, problem, summary
from scan_helpers import features_by_id, invoke, stderr_of, write_exports


def test_bad_dates_are_skipped_with_their_lines(exports, use_fixture):
    use_fixture("orders", "bad_dates.csv")
    dataset = load(exports)
    bad = problem(dataset, "bad_date")
    assert (bad.column, bad.count, bad.lines) == ("order_date", 2, (3, 5))
    assert bad.skipped and bad.level is Level.WARNING
    assert bad.describe() == (
        "orders.csv: column 'order_date': 2 rows skipped: not a valid date in the form %Y-%m-%d"
        " (lines 3, 5; e.g. '2025-02-31', 'not a date')"
    )
    assert ids(dataset) == ["C1", "C3", "C5"]
    assert summary(dataset).skipped == {"bad_date": 2}


def test_bad_and_missing_amounts_are_counted_separately(exports, use_fixture):
    use_fixture("orders", "bad_amounts.csv")
    dataset = load(exports)
    bad = problem(dataset, "bad_number")
    assert (bad.column, bad.count, bad.lines, bad.examples) == (
        "amount",
        2,
        (3, 6),
        ("abc", "1.2.3"),
    )
    missing = problem(dataset, "missing_value")
    assert (missing.column, missing.count, missing.lines) == ("amount", 1, (5,))
    assert missing.describe() == "orders.csv:5: column 'amount': 1 row skipped: missing value"
    assert ids(dataset) == ["C1", "C3"]
    assert dataset.frame("orders")["amount"].tolist() == [1.5, 3.0]
    assert summary(dataset).skipped == {"bad_number": 2, "missing_value": 1}


def test_only_the_first_five_lines_are_listed(exports, use_fixture):
    use_fixture("orders", "many_bad_dates.csv")
    dataset = load(exports)
    assert problem(dataset, "bad_date").describe() == (
        "orders.csv: column 'order_date': 8 rows skipped: not a valid date in the form %Y-%m-%d"
        " (lines 2, 3, 4, 5, 6, … 3 more; e.g. 'bad')"  # the same value is shown once
    )
    assert ids(dataset) == ["C9"]


def test_quoted_newline_counts_as_a_physical_line(exports, use_fixture):
    use_fixture("orders", "quoted_newline.csv")
    dataset = load(exports)
    assert problem(dataset, "bad_date").lines == (5,)
    assert dataset.dataset.frame("orders")["order_id"].tolist() == ["O1\n(continued)", "O2"]


def test_a_header_with_quoted_line_breaks_is_skipped_whole(exports, write_csv):
    """A header name written over two lines: the header is not read again as data, and a
    bad row's line (and the column named in the message) come out right, on one line."""
    write_csv("churnwatch.toml", '[sources.orders.columns]\namount = "Net\\nAmount"\n')
    write_csv(
        "orders.csv",
        'customer_id,order_date,"Net\nAmount"\nC1,2025-01-02,10\nC2,2025-01-03,x\n'
        "C3,2025-01-04,30\n",
    )
    dataset = load(exports)
    bad = problem(dataset, "bad_number")
    assert bad.lines == (4,)
    assert bad.describe().startswith("orders.csv:4: column 'Net\\nAmount': 1 row skipped")
    assert ids(dataset) == ["C1", "C3"]
    assert summary(dataset).rows_read == 3


def test_blank_line_counts_as_a_physical_line(exports, use_fixture):
    use_fixture("orders", "blank_line.csv")
    dataset = load(exports)
    assert problem(dataset, "bad_date").lines == (5,)
    assert ids(dataset) == ["C1", "C2"]
    assert summary(dataset).rows_read == 3


def test_wrong_field_count_rows_are_skipped_with_their_lines(exports, use_fixture):
    use_fixture("orders", "wrong_field_count.csv")
    dataset = load(exports)
    malformed = problem(dataset, "field_count")
    assert (malformed.count, malformed.lines) == (2, (3, 5))
    assert malformed.examples == ("C2,2025-01-03,2,surplus", "C4,2025-01-05")
    assert "the header has 3" in malformed.message
    assert problem(dataset, "bad_date").lines == (6,)
    assert ids(dataset) == ["C1", "C3"]
    assert (summary(dataset).rows_read, summary(dataset).rows_loaded) == (5, 2)


def test_negative_amounts_are_valid_credit_notes(exports, use_fixture):
    """'-100.00' and SAP's trailing minus '12.00-' are credit notes, not errors."""
    use_fixture("orders", "negative_amounts.csv")
    dataset = load(exports)
    assert dataset.frame("orders")["amount"].tolist() == [100.0, -100.0, -5.5, -12.0]
    # No problem, only the note that a customer with credit notes alone is not scored.
    assert [p.message for p in dataset.problems] == [
        "1 customer with nothing but credit notes (negative amounts) is not scored"
    ]


def test_exact_duplicate_rows_are_reported_and_dropped(exports, use_fixture):
    use_fixture("orders", "duplicate_rows.csv")
    dataset = load(exports)
    duplicate = problem(dataset, "duplicate")
    assert (duplicate.count, duplicate.lines, duplicate.skipped) == (2, (4, 6), True)
    # O3 repeats O1 in everything but its number: not a duplicate.
    assert dataset.dataset.frame("orders")["order_id"].tolist() == ["O1", "O2", "O3"]
    assert summary(dataset).duplicates == 2
    assert summary(dataset).skipped == {}


def test_an_export_joined_from_two_writers_is_compared_whole(write_csv, exports):
    """The same rows written twice, by a writer that quotes text and pads it and one that
    does not (an export joined to an older one): each copy is a duplicate, however it is
    quoted. Rows that agree in every column read but not in one left unread (the product of
    an order's lines) are not; they are combined as the lines of one order."""
    first = 'O1,C1,2025-01-02,5.00,"Kabel",2\nO2,C2,2025-01-03,7.50," Stecker ",1\n'
    lines = "O3,C1,2025-02-02,4.00,Kabel,1\nO3,C1,2025-02-02,4.00,Dose,1\n"
    second = 'O1, C1 ,2025-01-02,5.00,Kabel,2\n"O2",C2,2025-01-03,7.50,Stecker,1\n'
    header = "order_id,customer_id,order_date,amount,product,quantity\n"
    write_csv("orders.csv", header + first + lines + second)
    dataset = load(exports)
    duplicate = problem(dataset, "duplicate")
    assert (duplicate.count, duplicate.lines) == (2, (6, 7))
    orders = dataset.dataset.frame("orders")
    assert orders["order_id"].tolist() == ["O1", "O2", "O3"]
    assert orders["amount"].tolist() == [5.0, 7.5, 8.0]


def test_parquet_rows_are_compared_whole_with_columns_of_lists(exports):
    """A Parquet export's rows are compared in every column, one of lists too (an order's
    products): equal lists make a duplicate, different ones do not."""
    table = pa.table(
        {
            "order_id": ["O1", "O1", "O2", "O2"],
            "customer_id": ["C1", "C1", "C2", "C2"],
            "order_date": ["2025-01-02"] * 4,
            "amount": [5.0, 5.0, 7.5, 7.5],
            "products": [["Kabel", "Dose"], ["Kabel", "Dose"], ["Kabel"], ["Dose"]],
        }
    )
    pq.write_table(table, exports / "orders.parquet")
    dataset = load(exports)
    assert problem(dataset, "duplicate").lines == (3,)
    assert dataset.dataset.frame("orders")["amount"].tolist() == [5.0, 15.0]


def test_parquet_twins_with_json_columns_and_nans_of_other_bits_are_duplicates(exports):
    """Rows equal but for a NaN's sign bit (``inf - inf`` gives -NaN), beside a column of
    Arrow's JSON type: the comparison stopped with "internal error" on the JSON column,
    and took the two NaNs for different values; their text, as before, is one."""
    nans = np.array([0x7FF8000000000000, 0xFFF8000000000000, 1, 1], np.uint64).view(np.float64)
    nans[2:] = 1.0
    table = pa.table(
        {
            "customer_id": ["K1", "K1", "K2", "K2"],
            "order_date": ["2025-01-02", "2025-01-02", "2025-03-01", "2025-03-01"],
            "amount": [10.0, 10.0, 5.0, 5.0],
            "score": pa.array(nans),
            "meta": pa.ExtensionArray.from_storage(pa.json_(), pa.array(["{}"] * 4)),
        }
    )
    pq.write_table(table, exports / "orders.parquet")
    dataset = load(exports)
    assert problem(dataset, "duplicate").lines == (3, 5)


def test_unknown_channel_is_kept_as_missing_with_a_warning(exports, use_fixture):
    use_fixture("orders", "unknown_channel.csv")
    dataset = load(exports)
    warning = problem(dataset, "unknown_value")
    assert warning.level is Level.WARNING and not warning.skipped
    assert (warning.column, warning.count, warning.lines) == ("channel", 1, (3,))
    assert "'carrier pigeon' 1 row" in warning.message
    assert "kept, with the channel unknown (3 rows understood)" in warning.message
    assert warning.fix == (
        "[sources.orders.values.channel]",
        'inbound = ["inbound", "Webshop"]',
        'outbound = ["Außendienst"]',
        '# inbound or outbound? add each to a list: "carrier pigeon"',
    )
    channels = dataset.frame("orders")["channel"].tolist()
    assert channels[0] == channels[2] == "inbound"  # 'Webshop' is a known spelling
    assert channels[4] == "outbound"
    assert math.isnan(channels[1]) and math.isnan(channels[3])
    assert ids(dataset) == ["C1", "C2", "C3", "C4", "C5"]


def test_unknown_value_in_a_required_category_keeps_the_row(write_csv, exports, use_fixture):
    write_csv("orders.csv", ORDERS)
    use_fixture("contacts", "unknown_outcome.csv")
    dataset = load(exports)
    unknown = problem(dataset, "unknown_value", "contacts")
    assert (unknown.lines, unknown.skipped, unknown.level) == ((3,), False, Level.WARNING)
    outcomes = dataset.frame("contacts")["outcome"].tolist()
    assert outcomes[0] == "reached" and outcomes[2] == "not_reached"
    assert math.isnan(outcomes[1])


def test_one_sided_vocabulary_puts_the_unknown_values_on_the_other_side(write_csv, exports):
    write_csv(
        "orders.csv",
        "customer_id,order_date,amount,channel\n"
        "C1,2025-01-02,1,Online-Shop\nC1,2025-01-03,1,Telefon\nC1,2025-01-04,1,Hausmesse\n",
    )
    dataset = load(exports)
    note = problem(dataset, "inferred_value")
    assert note.level is Level.NOTE
    assert "'Hausmesse' as outbound ('Hausmesse' 1 row)" in note.message
    assert dataset.frame("orders")["channel"].tolist() == ["inbound", "inbound", "outbound"]


def test_empty_customer_id_skips_the_row(exports, use_fixture):
    use_fixture("orders", "orders_empty_customer_id.csv")
    dataset = load(exports)
    missing = problem(dataset, "missing_value")
    assert (missing.column, missing.lines) == ("customer_id", (3,))
    assert list(dataset.customer_ids) == ["C1", "C2"]


def test_blank_customer_id_skips_the_row(exports, use_fixture):
    use_fixture("orders", "orders_blank_customer_id.csv")
    dataset = load(exports)
    assert list(dataset.customer_ids) == ["C1", "C2"]
    assert problem(dataset, "missing_value").lines == (3,)


def test_text_columns_stay_with_their_row_after_a_skipped_row(write_csv, exports, use_fixture):
    write_csv("orders.csv", ORDERS.replace("C2", "C3") + "C2,2025-01-04,1\n")
    use_fixture("customers", "customers_empty_first_id.csv")
    dataset = load(exports)
    names = [str(name) for name in dataset.frame("customers")["name"]]
    assert dict(zip(ids(dataset, "customers"), names, strict=True)) == {
        "C1": "Alpha GmbH",
        "C2": "Beta AG",
        "C3": "Gamma KG",
    }


def test_orders_differing_in_order_id_are_not_duplicates_after_skipped_rows(exports, use_fixture):
    use_fixture("orders", "orders_skipped_then_distinct_orders.csv")
    dataset = load(exports)
    assert codes(dataset) == [("orders", "bad_date")]
    assert dataset.dataset.frame("orders")["order_id"].tolist() == ["O3", "O9", "O5", "O6"]


def test_document_numbers_speed_up_the_duplicate_check_without_changing_it(tmp_path: Path) -> None:
    """Numeric document ids take part in the pre-filter (and an export sorted by them skips
    it); exact twins are still found, and '007' is not taken for '7'."""
    import random

    rows = [f"{n},C{n % 5000},2025-01-{1 + n % 28:02d},{n % 97}.5" for n in range(1, 150_001)]
    random.Random(3).shuffle(rows)  # not in document order
    twin = rows[10]
    rows.insert(90_000, twin)  # an exact duplicate, far from its original
    order_id, rest = twin.split(",", 1)
    rows.append(f"00{order_id},{rest}")  # the same document number written otherwise
    folder = write_exports(
        tmp_path / "exports",
        orders="order_id,customer_id,order_date,amount\n" + "\n".join(rows) + "\n",
    )
    cut = load(folder, dt.date(2025, 1, 31))
    duplicates = [p for p in cut.problems if p.code == "duplicate"]
    assert len(duplicates) == 1 and duplicates[0].count == 1
    assert len(cut.frame("orders")) == 150_001
    ordered = write_exports(
        tmp_path / "ordered",
        orders="order_id,customer_id,order_date,amount\n"
        + "\n".join(sorted(rows[:1000], key=lambda r: int(r.split(",")[0])))
        + "\n",
    )
    assert not [p for p in load(ordered, dt.date(2025, 1, 31)).problems if p.code == "duplicate"]


def test_every_exact_twin_is_found_among_many_rows_with_numeric_customer_ids(
    tmp_path: Path,
) -> None:
    """A quarter of a million rows from a small domain, so thousands of twins: the count
    equals that of distinct lines (numeric customer ids go through the pre-filter too)."""
    import random

    pick = random.Random(11)
    rows = [
        f"{pick.randint(1, 3000)},2025-01-{pick.randint(1, 28):02d},{pick.randint(1, 40)}.25"
        for _ in range(250_000)
    ]
    folder = write_exports(
        tmp_path / "exports", orders="customer_id,order_date,amount\n" + "\n".join(rows) + "\n"
    )
    cut = load(folder, dt.date(2025, 1, 31))
    duplicates = [p for p in cut.problems if p.code == "duplicate"]
    twins = len(rows) - len(set(rows))
    assert twins > 1000
    assert duplicates[0].count == twins
    assert len(cut.frame("orders")) == len(set(rows))


def test_far_dates_beside_an_empty_one_are_reported_not_a_crash(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,9999-12-31,1\nB,1900-01-02,2\nC,,3\nA,2025-01-01,4\n",
    )
    cut = load(folder, dt.date(2025, 1, 31))
    assert len(cut.frame("orders")) == 2  # 1900-01-02 is in range; 9999 and the empty are not
    assert summary(cut).last_date == "2025-01-01"


def test_an_id_only_on_skipped_rows_is_no_customer(tmp_path: Path) -> None:
    """The reader keeps a column's dictionary when it drops bad rows: an id seen only there
    must not join the customers (it would shift every code and the training sample)."""
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\n"
        "A,2025-01-05,10\nGHOST,2025-13-45,5\nB,2025-01-07,11\nPHANTOM,2025-01-08,\n",
        payments="customer_id,due_date,paid_date,amount\n"
        "A,2025-01-20,2025-01-21,10\nNOBODY,not a date,2025-01-22,4\n",
    )
    cut = load(folder, dt.date(2025, 1, 31))
    assert list(cut.customer_ids) == ["A", "B"]
    assert codes(cut) == [
        ("orders", "bad_date"),
        ("orders", "missing_value"),
        ("payments", "bad_date"),
    ]


def test_duplicates_are_found_after_rows_without_a_customer_id_are_dropped(
    tmp_path: Path,
) -> None:
    """Blank ids go first; the duplicate check's row positions must follow (a crash, or
    twins missed, before). Small and above the pre-filter's threshold."""
    small = "customer_id,order_date,amount\nB,2025-01-02,5\n   ,2025-01-03,1\nB,2025-01-02,5\n"
    cut = load(write_exports(tmp_path / "small", orders=small), dt.date(2025, 1, 31))
    assert problem(cut, "duplicate").count == 1
    rows = [f"C{n % 4000},2025-01-{1 + n % 28:02d},{n % 89}.5" for n in range(120_000)]
    rows = [f"   ,2025-01-0{1 + n % 9},1" for n in range(50)] + rows + rows[:35]
    big = write_exports(
        tmp_path / "big", orders="customer_id,order_date,amount\n" + "\n".join(rows) + "\n"
    )
    cut = load(big, dt.date(2025, 1, 31))
    twins = len(rows) - 50 - len(set(rows[50:]))
    assert problem(cut, "duplicate").count == twins >= 35


def test_twins_whose_ids_differ_only_in_blanks_are_duplicates(tmp_path: Path) -> None:
    """Ids are trimmed before rows are compared, even when the raw ids are in order."""
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-02,5\nA ,2025-01-02,5\nB,2025-01-03,7\n",
    )
    cut = load(folder, dt.date(2025, 1, 31))
    assert problem(cut, "duplicate").count == 1
    assert ids(cut) == ["A", "B"]


@pytest.mark.parametrize("quoted_newline", [False, True])
def test_lines_of_one_order_for_different_products_are_not_duplicates(
    tmp_path: Path, quoted_newline: bool
) -> None:
    """An export of order lines: two products at the same price agree in every column
    churnwatch reads, but not in the product; only the line repeated whole is a duplicate
    (dropping the other lost a hundred of revenue). Also where lines are counted record by
    record."""
    note = '"gift\nwrapped"' if quoted_newline else "-"
    folder = write_exports(
        tmp_path / "exports",
        orders="order_id,customer_id,order_date,product,amount,note\n"
        "A1,K1,2025-01-10,Widget,100.00,-\nA1,K1,2025-01-10,Gadget,100.00,-\n"
        f"A1,K1,2025-01-10,Gizmo,50.00,{note}\nA1,K1,2025-01-10, Gadget ,100.00,-\n",
    )
    cut = load(folder, dt.date(2025, 1, 31))
    duplicate = problem(cut, "duplicate")
    assert (duplicate.count, duplicate.lines) == (1, (6,) if quoted_newline else (5,))
    assert cut.frame("orders")["amount"].sum() == 250.0


def test_a_paid_date_of_zeros_is_an_open_invoice_not_a_bad_row(tmp_path: Path) -> None:
    """SAP and DATEV write 00.00.0000 for "not yet": skipping those rows hid every open
    invoice, where a complaint's closing date of zeros was already read as open."""
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id;order_date;amount\nK1;10.04.2025;500,00\nK1;12.04.2025;5,00\n",
        payments="customer_id;due_date;paid_date;amount\n"
        "K1;01.05.2025;03.05.2025;100,00\nK1;01.06.2025;00.00.0000;250,00\n"
        "K1;05.06.2025;0000-00-00;50,00\nK1;10.06.2025;31.02.2025;70,00\n",
    )
    cut = load(folder, dt.date(2025, 6, 30))
    note = problem(cut, "zero_date", "payments")
    assert note.level is Level.NOTE and not note.skipped
    assert (note.column, note.count, note.lines) == ("paid_date", 2, (3, 4))
    assert note.describe() == (
        "payments.csv: column 'paid_date': 2 dates standing for none (zeros, a dash, a word)"
        " read as empty (no date yet) (lines 3, 4; e.g. '00.00.0000', '0000-00-00')"
    )
    assert problem(cut, "bad_date", "payments").count == 1  # 31.02. is still no date
    features = features_by_id(folder, dt.date(2025, 6, 30)).loc["K1"]
    assert features["open_overdue_invoices"] == 2
    assert features["open_overdue_amount"] == pytest.approx(300)


@pytest.mark.parametrize("placeholder", ["01.01.1900", "01.01.1970"])
def test_a_placeholder_order_date_is_no_order_from_long_ago(
    tmp_path: Path, placeholder: str
) -> None:
    """Excel's and Unix's first day stand for a missing date: taken as real, one such row made
    a regular customer's first order decades old and their risk critical."""
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id;order_date;amount\n"
        f"K1;10.04.2025;500,00\nK1;{placeholder};10,00\nK1;24.04.2025;5,00\n",
    )
    cut = load(folder, dt.date(2025, 4, 30))
    warning = problem(cut, "placeholder_date", "orders")
    assert warning.level is Level.WARNING and warning.skipped
    assert (warning.column, warning.count, warning.lines) == ("order_date", 1, (3,))
    assert "which systems write for a missing date" in warning.describe()
    features = features_by_id(folder, dt.date(2025, 4, 30)).loc["K1"]
    assert features["order_count"] == 2
    assert features["first_order_date"] == day("2025-04-10")


def test_a_paid_date_of_a_dash_a_word_or_a_placeholder_is_an_open_invoice(
    tmp_path: Path,
) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id;order_date;amount\nK1;10.04.2025;500,00\nK1;12.04.2025;5,00\n",
        payments="customer_id;due_date;paid_date;amount\n"
        "K1;01.05.2025;03.05.2025;100,00\nK1;01.06.2025;offen;250,00\n"
        "K1;05.06.2025; - ;50,00\nK1;07.06.2025;01.01.1900;20,00\nK1;08.06.2025;Offen;1,00\n"
        "K1;09.06.2025;bald;2,00\n",
    )
    cut = load(folder, dt.date(2025, 6, 30))
    said = problem(cut, "zero_date", "payments")
    assert (said.level, said.count, said.lines) == (Level.NOTE, 3, (3, 4, 6))
    placeholder = problem(cut, "placeholder_date", "payments")
    assert (placeholder.level, placeholder.count, placeholder.lines) == (Level.NOTE, 1, (5,))
    assert not placeholder.skipped
    assert problem(cut, "bad_date", "payments").count == 1  # "bald" (soon) is no date
    features = features_by_id(folder, dt.date(2025, 6, 30)).loc["K1"]
    assert features["open_overdue_invoices"] == 4
    assert features["open_overdue_amount"] == pytest.approx(321)


def test_a_complaint_closed_before_it_was_opened_is_said_with_its_line(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nK1,2025-01-10,5\nK1,2025-02-10,5\n",
        complaints="customer_id,opened_date,closed_date,severity\n"
        "K1,2025-01-20,2025-01-10,high\nK1,2025-01-21,2025-01-25,low\nK1,2025-01-22,,low\n",
    )
    cut = load(folder, dt.date(2025, 3, 1))
    warning = problem(cut, "date_order", "complaints")
    assert (warning.level, warning.count, warning.lines) == (Level.WARNING, 1, (2,))
    assert warning.describe() == (
        "complaints.csv:2: column 'closed_date': 1 complaint closed before it was opened: each"
        " counted as resolved on the day it came in; check the two dates in the export"
    )
    features = features_by_id(folder, dt.date(2025, 3, 1)).loc["K1"]
    assert features["median_resolution_days"] == 2  # 0 and 4 days


def test_an_invoice_paid_in_a_mistyped_year_is_skipped_with_its_line(tmp_path: Path) -> None:
    """A year typed 2015 for 2025 made a customer who now pays 24 days late look ten years
    early on average, hiding the delay; 2052 made the invoice open, and overdue, at any
    reference date before it. Paying in advance (Vorkasse) stays an early payment."""
    header = "customer_id,invoice_date,due_date,paid_date,amount\n"
    late = "".join(f"K1,2025-0{m}-01,2025-0{m}-15,2025-{m + 1:02d}-09,10\n" for m in (4, 5))
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nK1,2025-01-10,5\nK1,2025-05-10,5\n",
        payments=header
        + late
        + "K1,2025-05-20,2025-06-03,2015-06-28,10\n"  # a year typo, paid "before"
        + "K1,2025-06-01,2025-06-15,2052-06-20,10\n"  # a year typo, paid "after"
        + "K1,2025-03-01,2025-03-15,2024-12-01,10\n",  # paid 90 days ahead
    )
    cut = load(folder, dt.date(2025, 6, 30))
    warning = problem(cut, "date_order", "payments")
    assert (warning.level, warning.count, warning.lines, warning.skipped) == (
        Level.WARNING,
        2,
        (4, 5),
        True,
    )
    assert warning.column == "paid_date"
    assert "a typo in the year?" in warning.message
    assert cut.dataset.sources["payments"].rows_skipped == 2
    features = features_by_id(folder, dt.date(2025, 6, 30)).loc["K1"]
    assert (features["days_late_recent"], features["open_overdue_invoices"]) == (24.5, 0)


def test_due_dates_worked_out_from_payment_terms_skip_the_rows_lacking_either(
    tmp_path: Path,
) -> None:
    """Without a due date, each is the invoice date plus the payment terms; a row without
    an invoice date, without terms or with terms that are no number of days is skipped,
    said with the column at fault. Terms beside a due date are not read at all."""
    header = "customer_id,invoice_date,payment_terms,paid_date,amount\n"
    rows = (
        "K1,2025-01-02,30,2025-01-20,5\nK1,2025-02-05,14,,5\nK1,,30,,1\nK1,2025-03-03,,,1\n"
        "K1,2025-03-03,-5,,1\nK1,2025-03-03,7.5,,1\n"
    )
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nK1,2025-01-10,5\n",
        payments=header + rows,
    )
    cut = load(folder, dt.date(2025, 6, 30))
    assert cut.frame("payments")["due_date"].tolist() == [day("2025-02-01"), day("2025-02-19")]
    said = [(p.code, p.column, p.lines) for p in cut.problems if p.source == "payments"]
    assert said == [
        ("missing_value", "invoice_date", (4,)),
        ("missing_value", "payment_terms", (5,)),
        ("bad_number", "payment_terms", (6, 7)),
        ("derived", None, ()),
    ]
    assert cut.dataset.sources["payments"].rows_skipped == 4
    features = features_by_id(folder, dt.date(2025, 6, 30)).loc["K1"]
    assert (features["open_overdue_invoices"], features["max_days_overdue"]) == (1, 131)
    beside = write_exports(
        tmp_path / "beside",
        orders="customer_id,order_date,amount\nK1,2025-01-10,5\n",
        payments="customer_id,due_date,payment_terms,paid_date,amount\nK1,2025-02-01,x,,5\n",
    )
    said = [p.code for p in load(beside, dt.date(2025, 6, 30)).problems if p.source == "payments"]
    assert said == []


def test_payment_terms_that_are_no_days_are_quoted_as_the_export_writes_them(
    tmp_path: Path,
) -> None:
    """Terms typed '30,5' in a German export were quoted as '30.5', which a search of the
    file does not find."""
    folder = write_exports(
        tmp_path / "exports",
        orders="Kunde;Datum;Betrag\nK1;10.01.2025;5,00\n",
        payments="Kunde;Rechnungsdatum;Zahlungsziel;Bezahlt am;Betrag\n"
        "K1;02.01.2025;30,5;;5,00\nK1;03.01.2025;14;;7,25\nK1;04.01.2025;-2;;1,00\n",
        **{
            "churnwatch.toml": "[sources.orders.columns]\n"
            'customer_id = "Kunde"\norder_date = "Datum"\namount = "Betrag"\n'
            "[sources.payments.columns]\n"
            'customer_id = "Kunde"\ninvoice_date = "Rechnungsdatum"\n'
            'payment_terms = "Zahlungsziel"\npaid_date = "Bezahlt am"\namount = "Betrag"\n'
        },
    )
    cut = load(folder, dt.date(2025, 6, 30))
    [said] = [p for p in cut.problems if p.code == "bad_number"]
    assert (said.column, said.lines, said.examples) == ("Zahlungsziel", (2, 4), ("30,5", "-2"))


def test_rows_ending_in_empty_fields_the_header_lacks_are_read(tmp_path: Path) -> None:
    """Excel writes ';;' after rows whose cells right of the data were ever formatted: a third
    of an export was skipped as rows of the wrong width."""
    folder = write_exports(
        tmp_path / "exports",
        orders="Kunde;Datum;Betrag\nK1;02.01.2025;5,00;;\nK1;09.01.2025;6,00\n"
        'K2;"10.01.2025";7,00; \nK2;11.01.2025;8,00;x\nK2;"12.01.\n2025";9,00\n'
        "K2;13.01.2025;10,00;\n",
        **{
            "churnwatch.toml": "[sources.orders.columns]\n"
            'customer_id = "Kunde"\norder_date = "Datum"\namount = "Betrag"\n'
        },
    )
    cut = load(folder, dt.date(2025, 1, 31))
    note = problem(cut, "repaired", "orders")
    assert (note.level, note.count, note.lines) == (Level.NOTE, 3, (2, 4, 8))
    assert note.message == (
        "3 rows with empty fields the header does not have (a ';' at the end) read without them"
    )
    wrong = problem(cut, "field_count", "orders")  # a filled extra field is no blank one
    assert (wrong.count, wrong.lines) == (1, (5,))
    bad = problem(cut, "bad_date", "orders")  # a date broken over two lines, after the others
    assert bad.lines == (6,)
    assert sorted(cut.frame("orders")["amount"]) == [5.0, 6.0, 7.0, 10.0]


def _orders_ending_in_blank_fields(notes: dict[int, str]) -> str:
    """300 orders of 40 customers, each row ending in ';;', with ``notes`` on some rows."""
    rows = ["customer_id;order_date;amount;note"]
    for i in range(300):
        rows.append(f"A{i % 40};2025-01-{i % 28 + 1:02d};{i},5;{notes.get(i, '')};;")
    return "\n".join(rows) + "\n"


def test_a_note_over_two_lines_on_a_row_ending_in_empty_fields_is_read(tmp_path: Path) -> None:
    """The copy without the blank fields was made line by line, and a line whose quote did not
    close was copied as it was: the row of a note over two lines kept its ';;' and was skipped
    as one of the wrong width, with no line named. Its last line is now cut, as any other; the
    note names the line the row starts on, as every other message does."""
    notes = {1: '"call back\nabout it"', 50: '"call back\nabout the invoice"', 200: "n;x"}
    folder = write_exports(tmp_path / "exports", orders=_orders_ending_in_blank_fields(notes))
    cut = load(folder, dt.date(2025, 1, 31))
    repaired = problem(cut, "repaired")
    assert (repaired.count, repaired.lines) == (299, (2, 3, 5, 6, 7))
    wrong = problem(cut, "field_count")  # x: a filled extra field
    assert (wrong.count, wrong.lines) == (1, (204,))  # the notes took two lines each
    assert 50.5 in set(cut.frame("orders")["amount"])
    assert len(cut.frame("orders")) == 299


@pytest.mark.parametrize("closed_on", [150, None])
def test_a_stray_quote_among_rows_ending_in_empty_fields_is_refused(
    tmp_path: Path, closed_on: int | None
) -> None:
    """A quote left open on row 100 swallows the rows after it, up to the next quote or to
    the end. Those lines end in ';;', so they were not taken for rows of the header's width:
    closed on row 150, the 50 orders were one skipped row."""
    notes = {100: '"urgent'} | ({closed_on: 'done"'} if closed_on else {})
    folder = write_exports(tmp_path / "exports", orders=_orders_ending_in_blank_fields(notes))
    with pytest.raises(InputError) as raised:
        load(folder, dt.date(2025, 1, 31))
    lines = "50 lines" if closed_on else "199 lines"
    assert "orders.csv:102: a quote opened on this line is not closed" in str(raised.value)
    assert f"the {lines} after it, each a row of its own" in str(raised.value)


@pytest.mark.parametrize("note", ["", '"Lieferung\r\nverspätet"'])
def test_an_inch_mark_on_a_row_ending_in_empty_fields_is_text(tmp_path: Path, note: str) -> None:
    """``Monitor 24"``: a quote inside a field is text, for pyarrow as for the csv module. The
    copy without the blank fields took it for a quote left open and kept the row's ';;', so
    the row was skipped with no line named and every later line was off by one (the Dask
    engine stopped with an internal error). With a note over two lines beside it, counting
    the quotes took the first line for a whole record."""
    rows = ["order_id;customer_id;order_date;amount;item;note"]
    for i in range(1, 21):
        item, text = ('Monitor 24"', note) if i == 6 else ("Kabel", "")
        date = "31.02.2024" if i == 10 else f"{i % 28 + 1:02d}.{i % 12 + 1:02d}.2024"
        rows.append(f"{i};K{i};{date};{i},00;{item};{text};;")
    folder = write_exports(
        tmp_path / "exports",
        orders="\r\n".join(rows) + "\r\n",
        **{"churnwatch.toml": '[sources.orders]\ndate_format = "%d.%m.%Y"\n'},
    )
    cut = load(folder, dt.date(2025, 1, 31))
    assert "field_count" not in {p.code for p in cut.problems}
    assert problem(cut, "repaired").count == 20
    assert problem(cut, "bad_date").lines == (12 if note else 11,)
    assert len(cut.frame("orders")) == 19


@pytest.mark.parametrize("where", ["line ends", "a note"])
def test_bare_carriage_returns_on_rows_ending_in_empty_fields(tmp_path: Path, where: str) -> None:
    """Excel for the Mac ends lines with a bare CR, and a note may hold one. The copy without
    the blank fields split lines at LF only and took a CR for a line's end: half the rows were
    skipped, a note said "0 rows … read without them", and the Dask engine stopped with an
    internal error."""
    rows = ["order_id;customer_id;order_date;amount;note"]
    for i in range(1, 41):
        note = '"first\rsecond"' if where == "a note" and i in (7, 21) else ""
        date = "31.02.2024" if i == 30 else f"{i % 28 + 1:02d}.{i % 12 + 1:02d}.2024"
        rows.append(f"{i};K{i};{date};{i},00;{note}" + (";;" if i % 2 else ""))
    end = "\r" if where == "line ends" else "\r\n"
    folder = write_exports(
        tmp_path / "exports",
        orders=end.join(rows) + end,
        **{"churnwatch.toml": '[sources.orders]\ndate_format = "%d.%m.%Y"\n'},
    )
    cut = load(folder, dt.date(2025, 1, 31))
    assert "field_count" not in {p.code for p in cut.problems}
    assert problem(cut, "repaired").count == 20
    assert problem(cut, "bad_date").lines == (31,)
    assert len(cut.frame("orders")) == 39


def _tab_export_ending_in_blank_fields(folder: Path, encoding: str) -> Path:
    """60 orders, tab-separated, every third ending in two blank fields, a bad date on line
    41, written in ``encoding`` (UTF-16 with its byte-order mark: Excel's "Unicode text")."""
    rows = ["customer_id\torder_date\tamount\tnote"]
    for i in range(60):
        extra = "\t\t" if i % 3 == 0 else ""
        date = f"{1 + i % 28:02d}.{1 + i % 12:02d}.2025"
        rows.append(f"K{i % 30}\t{date}\t{10 + i},50\tMüller{extra}")
    rows[40] = rows[40].replace(".2025", ".2o25")
    folder.mkdir()
    (folder / "orders.csv").write_bytes(("\r\n".join(rows) + "\r\n").encode(encoding))
    config = f'[sources.orders]\nencoding = "{encoding}"\ndate_format = "%d.%m.%Y"\n'
    (folder / "churnwatch.toml").write_text(config)
    return folder


@pytest.mark.parametrize("encoding", ["utf-16", "latin1", "iso-8859-15", "cp850"])
def test_rows_ending_in_empty_fields_are_read_in_any_encoding(
    tmp_path: Path, encoding: str
) -> None:
    """The copy without the blank fields was made only for a list of encoding names: in
    UTF-16 (Excel's "Unicode text") a third of the rows were skipped with exit 0, and so
    they were in ``latin1``, Python's name for the ISO-8859-1 that was listed."""
    folder = _tab_export_ending_in_blank_fields(tmp_path / "exports", encoding)
    cut = load(folder, dt.date(2025, 12, 31))
    assert "field_count" not in {p.code for p in cut.problems}
    repaired = problem(cut, "repaired")
    assert (repaired.count, repaired.lines) == (20, (2, 5, 8, 11, 14))
    assert problem(cut, "bad_date").lines == (41,)
    assert len(cut.frame("orders")) == 59


def test_both_engines_read_a_utf16_export_ending_in_empty_fields_alike(tmp_path: Path) -> None:
    """The Dask engine read every row where the default engine skipped a third of them."""
    folder = _tab_export_ending_in_blank_fields(tmp_path / "exports", "utf-16")
    outputs = []
    for engine in ("local", "dask"):
        result = invoke("scan", folder, "--as-of", "2025-12-31", "-f", "csv", "--engine", engine)
        assert result.exit_code == 0, stderr_of(result)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") == 31


def test_rows_ending_in_empty_fields_with_a_cp1252_line_among_them(tmp_path: Path) -> None:
    """Rows the sniffer sees ending in ';;' are copied without them before the first read;
    a cp1252 line among them is then found in that copy, which is made UTF-8 in turn."""
    rows = [b"customer_id;order_date;amount"]
    for i in range(3000):
        customer = f"Kö{i % 40}".encode("cp1252" if i == 2000 else "utf-8")
        rows.append(customer + f";2025-01-{1 + i % 28:02d};{i},5".encode() + b";;" * (i % 2))
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "orders.csv").write_bytes(b"\n".join(rows) + b"\n")
    cut = load(folder, dt.date(2025, 2, 28))
    assert problem(cut, "encoding").lines == (2002,)
    repaired = problem(cut, "repaired")
    assert (repaired.count, repaired.lines[:2]) == (1500, (3, 5))
    assert "… 1,495 more" in repaired.describe()
    assert len(cut.frame("orders")) == 3000 and len(cut.customer_ids) == 40


def test_a_file_of_many_rejected_rows_is_read_the_same_in_one_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond MANY_REJECTED rejected rows the read goes on in one thread, where pyarrow's
    call for each is cheap (667,000 took 12 s of the kernel's time from its threads): the
    rows, the skipped ones and their lines are the same."""
    from churnwatch.ingest import csv_reader

    notes = {i: "n;x" for i in range(0, 300, 7)} | {50: '"call back\nabout the invoice"'}
    folder = write_exports(tmp_path / "exports", orders=_orders_ending_in_blank_fields(notes))
    found = []
    for many in (10_000, 5):
        monkeypatch.setattr(csv_reader, "MANY_REJECTED", many)
        cut = load(folder, dt.date(2025, 1, 31))
        wrong = problem(cut, "field_count")
        found.append((wrong.count, wrong.lines, sorted(cut.frame("orders")["amount"])))
    assert found[0] == found[1]
    assert found[0][0] == 43 and found[0][1][:3] == (2, 9, 16)


def test_a_row_differing_only_by_empty_fields_at_its_end_is_a_duplicate(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="order_id,customer_id,order_date,amount\nA1,K1,2025-01-02,5,,\n"
        "A1,K1,2025-01-02,5\nA2,K1,2025-01-09,6\n",
    )
    cut = load(folder, dt.date(2025, 1, 31))
    duplicate = problem(cut, "duplicate")
    assert (duplicate.count, duplicate.lines) == (1, (3,))
    assert sorted(cut.frame("orders")["amount"]) == [5.0, 6.0]


def test_a_date_of_a_year_no_business_date_has_is_said_so(tmp_path: Path) -> None:
    """9999-12-31 (SAP's "open") is in the form: the message says what is wrong with it."""
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-02,1\nB,9999-12-31,2\nC,2025-02-30,3\n",
    )
    said = [p.describe() for p in load(folder).problems if p.code == "bad_date"]
    assert said == [
        "orders.csv:3: column 'order_date': 1 row skipped: a date of a year outside 1900–2199"
        " (e.g. '9999-12-31')",
        "orders.csv:4: column 'order_date': 1 row skipped: not a valid date in the form %Y-%m-%d"
        " (e.g. '2025-02-30')",
    ]
    read_by_pyarrow = write_exports(  # every date ISO: pyarrow reads them, and says the same
        tmp_path / "typed", orders="customer_id,order_date,amount\nA,2025-01-02,1\nB,9999-12-31,2\n"
    )
    assert [p.describe() for p in load(read_by_pyarrow).problems if p.code == "bad_date"] == [
        said[0]
    ]


@pytest.mark.parametrize("paid", ["9999-12-31", "31.12.9999"])
def test_a_paid_date_of_year_9999_is_an_open_invoice(tmp_path: Path, paid: str) -> None:
    """SAP writes 31.12.9999 where an invoice is not paid yet: the invoice was skipped, so
    exactly the open invoices were lost to the payment signals. Read as open, as a closing
    date of that year already was, and said in a note with its line."""
    due = "2025-01-05" if "-" in paid else "05.01.2025"
    payments = f"customer_id;due_date;paid_date;amount\nC1;{due};{paid};10\nC1;{due};{due};20\n"
    folder = write_exports(tmp_path / "exports", orders=ORDERS, **{"payments.csv": payments})
    cut = load(folder, dt.date(2025, 3, 31))
    note = problem(cut, "bad_date", "payments")
    assert (note.level, note.lines, note.skipped) == (Level.NOTE, (2,), False)
    assert "(treated as empty)" in note.message
    frame = cut.frame("payments")
    assert sorted(frame["amount"]) == [10.0, 20.0]
    assert frame["paid_date"].isna().tolist() == [True, False]


def test_a_long_bad_value_is_quoted_by_its_start(tmp_path: Path) -> None:
    """A 5,000-character cell was quoted whole: stderr, and a cron job's mail, filled up."""
    folder = write_exports(
        tmp_path / "exports",
        orders=f"customer_id,order_date,amount\nA,2025-01-02,1\nB,2025-01-03,{'7' * 5000}x\n",
    )
    described = problem(load(folder), "bad_number").describe()
    assert f"e.g. '{'7' * 59}…')" in described and len(described) < 200


def test_an_export_of_sales_as_negative_amounts_is_warned_of(tmp_path: Path) -> None:
    """Every amount negative (an export that writes sales with a minus): every customer was
    left out of an empty list, said only in a note, exit 0."""
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nK1,2025-01-02,-5\nK2,2025-01-03,-7\n"
        "K3,2025-01-04,-2\nK3,2025-02-04,4\n",
    )
    result = invoke("scan", folder, "--as-of", "2025-02-28")
    assert result.exit_code == 0
    assert (
        "warning: orders.csv: 2 customers with nothing but credit notes (negative amounts) are"
        " not scored, against 1 who ordered: if the export writes sales as negative amounts,"
        " export them as positive ones (credit notes negative)"
    ) in stderr_of(result)


@pytest.mark.parametrize(("between", "end"), [("\n", "\n"), ("\r\n", "\r\n"), ("\n", "")])
def test_a_file_that_ends_inside_a_quoted_field_is_said(
    tmp_path: Path, between: str, end: str
) -> None:
    """``K2;"95`` as the last line: the reader takes the file's end for the closing quote and
    reads 95, silently, though an export cut short in the middle of a quoted amount ("95.50")
    ends just so, its last rows gone."""
    rows = ["customer_id;order_date;amount"] + [f"K{i};0{i}.03.2025;{i}0,50" for i in range(1, 8)]
    text = between.join([*rows, 'K2;09.03.2025;"95']) + end
    folder = write_exports(tmp_path / "exports", orders=text)
    cut = load(folder, dt.date(2025, 3, 31))
    said = problem(cut, "quote_open_at_the_end")
    assert said.level is Level.WARNING and said.lines == (9,)
    assert "cut short" in said.message
    assert len(cut.frame("orders")) == 8  # read as it stands


@pytest.mark.parametrize("last", ['K2;09.03.2025;"95,50"', 'K2;09.03.2025;95;"a ""b"""'])
def test_a_last_line_whose_quotes_close_is_not_said(tmp_path: Path, last: str) -> None:
    rows = ["customer_id;order_date;amount;note", 'K1;01.03.2025;5;"x"', last]
    folder = write_exports(tmp_path / "exports", orders="\n".join(rows) + "\n")
    assert "quote_open_at_the_end" not in {
        p.code for p in load(folder, dt.date(2025, 3, 31)).problems
    }


def test_a_last_line_skipped_for_its_width_is_not_said_to_be_read(tmp_path: Path) -> None:
    """``O3,C3,2026-09-03,"12.5`` under a header of five: the row is skipped as one of the
    wrong width, and the warning that it "was read as it stands" contradicted that."""
    rows = ["customer_id,order_date,amount,channel,note", "K1,2025-03-01,5,web,x"]
    folder = write_exports(
        tmp_path / "exports", orders="\n".join([*rows, 'K2,2025-03-02,"12.5']) + "\n"
    )
    codes = {p.code for p in load(folder, dt.date(2025, 3, 31)).problems}
    assert "field_count" in codes and "quote_open_at_the_end" not in codes
