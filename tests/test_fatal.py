"""Unusable input: an InputError naming the file from the library, exit code 2 from the CLI."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from churnwatch.core.errors import InputError
from churnwatch.ingest.problems import Level
from helpers import ORDERS, flat, load, problem


def orders_missing(exports, use_fixture):
    use_fixture("customers", "orders_empty_customer_id.csv")  # any file, just not orders
    return exports / "orders.csv", "orders file not found"


def empty(exports, use_fixture):
    path = use_fixture("orders", "empty.csv")
    return path, "the file is empty; expected a header line and data rows"


def header_only(exports, use_fixture):
    return use_fixture("orders", "header_only.csv"), "has a header but no data rows"


def no_valid_rows(exports, use_fixture):
    return use_fixture("orders", "no_valid_rows.csv"), (
        "no valid rows; orders.csv: column 'order_date': 2 rows skipped: not a valid date in the"
        " form %Y-%m-%d (lines 2, 3; e.g. 'soon', 'later')"
    )


def required_column_missing(exports, use_fixture):
    return use_fixture("orders", "orders_missing_customer_id.csv"), (
        "required column 'customer_id' is missing; columns found: 'Kundennr', 'order_date',"
        " 'amount'; 'Kundennr' looks like it — map it in churnwatch.toml:"
        ' [sources.orders.columns] customer_id = "Kundennr"'
    )


def missing_column_named_over_two_lines(exports, use_fixture):
    path = exports / "orders.csv"
    path.write_text('"Customer\nNumber",order_date,amount\nC1,2025-01-02,5\n')
    return path, (  # the mapping to paste is valid TOML, and the message one line
        "required column 'customer_id' is missing; columns found: 'Customer\\nNumber',"
        " 'order_date', 'amount'; 'Customer\\nNumber' looks like it — map it in churnwatch.toml:"
        ' [sources.orders.columns] customer_id = "Customer\\nNumber"'
    )


def amount_missing_beside_a_text_column_named_alike(exports, use_fixture):
    path = exports / "orders.csv"
    path.write_text("customer_id,order_date,Country\nC1,2025-01-02,United Kingdom\n")
    return path, (  # 'Country' is spelled like 'amount', but holds no numbers
        "required column 'amount' is missing; columns found: 'customer_id', 'order_date',"
        " 'Country'; map one of them in churnwatch.toml"
    )


def two_columns_missing_at_once(exports, use_fixture):
    path = exports / "orders.csv"
    path.write_text("customer_id;Datum;Betrag\nC1;02.01.2025;5,00\n")
    return path, (  # both named in one run, not the second after the first is fixed
        "required columns 'order_date', 'amount' are missing; columns found: 'customer_id',"
        " 'Datum', 'Betrag'; 'Datum' looks like order_date, 'Betrag' looks like amount — map"
        ' them in churnwatch.toml: [sources.orders.columns] order_date = "Datum", amount ='
        ' "Betrag"'
    )


def configured_delimiter_that_splits_nothing(exports, use_fixture):
    (exports / "churnwatch.toml").write_text('[sources.orders]\ndelimiter = ";"\n')
    path = exports / "orders.csv"
    path.write_text("customer_id\torder_date\tamount\nC1\t2025-01-02\t5\n")
    return path, (  # the delimiter to fix, not three columns to map
        "the header is one column ('customer_id\\torder_date\\tamount'): the file is not"
        " delimited by ';' as churnwatch.toml says, but by '\\t'; set delimiter = \"\\t\""
        " under [sources.orders], or remove the delimiter setting to have it detected"
    )


def comma_configured_on_a_german_file(exports, use_fixture):
    (exports / "churnwatch.toml").write_text('[sources.orders]\ndelimiter = ","\n')
    path = exports / "orders.csv"
    path.write_text("Kundennummer;Belegdatum;Betrag\n10001;02.10.2026;1.234,56\n")
    return path, (  # the decimal comma split each row in two: the header taken for a title
        "the header is 2 columns ('10001;02.10.2026;1.234', '56'): the file is not delimited"
        " by ',' as churnwatch.toml says, but by ';'; set delimiter = \";\" under"
        " [sources.orders], or remove the delimiter setting to have it detected"
    )


def date_missing_beside_an_order_id(exports, use_fixture):
    path = exports / "orders.csv"
    path.write_text("order_id,customer_id,amount\nO1,C1,5\n")
    return path, (
        "required column 'order_date' is missing; columns found: 'order_id', 'customer_id',"
        " 'amount'; map one of them in churnwatch.toml"  # not order_id: it is the order id
    )


def orders_saved_as_a_workbook(exports, use_fixture):
    (exports / "orders.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(32, 127)) * 4)
    return exports / "orders.csv", (
        "orders file not found; orders.xlsx is a spreadsheet, which churnwatch does not read:"
        " save the sheet as CSV (orders.csv)"
    )


def not_text(signature: bytes, what: str):
    def setup(exports, use_fixture):
        path = exports / "orders.csv"
        path.write_bytes(signature + bytes(range(32, 127)) * 4)
        return path, f"not a text file: looks like {what}"

    return setup


def fake_zip(exports, use_fixture):
    path = exports / "orders.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(range(32, 127)) * 4)
    return path, "not a text file: looks like an Excel workbook or ZIP archive"


def random_binary(exports, use_fixture):
    path = exports / "orders.csv"
    path.write_bytes(random.Random(7).randbytes(2048))
    return path, "not a text file (binary content); expected a CSV export"


def program_with_many_nul_bytes(exports, use_fixture):
    """A third of the bytes NUL, as in UTF-16 text, but on both byte positions: a program
    (an ELF header and code), not UTF-16 without its BOM."""
    path = exports / "orders.csv"
    rng = random.Random(11)
    body = bytes(0 if rng.random() < 0.4 else rng.randrange(1, 256) for _ in range(3000))
    path.write_bytes(b"\x7fELF\x02\x01\x01" + body)
    return path, "not a text file (binary content); expected a CSV export"


def truncated_gzip(exports, use_fixture):
    path = exports / "orders.csv"
    path.write_bytes(gzip.compress(ORDERS.encode())[:20])  # a gzipped CSV is read; a cut one not
    return path, "cannot unpack this gzip file"


def orders_is_a_folder(exports, use_fixture):
    (exports / "orders.csv").mkdir()
    return exports / "orders.csv", "is a folder without Parquet parts, not a CSV file"


def payments_not_text(exports, use_fixture):
    (exports / "orders.csv").write_text(ORDERS)
    path = exports / "payments.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(100))
    return path, "not a text file: looks like an Excel workbook or ZIP archive"


FATAL = [
    orders_missing,
    empty,
    header_only,
    no_valid_rows,
    required_column_missing,
    missing_column_named_over_two_lines,
    amount_missing_beside_a_text_column_named_alike,
    two_columns_missing_at_once,
    configured_delimiter_that_splits_nothing,
    comma_configured_on_a_german_file,
    date_missing_beside_an_order_id,
    orders_saved_as_a_workbook,
    pytest.param(fake_zip, id="xlsx"),
    pytest.param(not_text(b"\xd0\xcf\x11\xe0", "an old-style Excel/Office file"), id="xls"),
    pytest.param(not_text(b"%PDF-1.7\n", "a PDF document"), id="pdf"),
    random_binary,
    program_with_many_nul_bytes,
    truncated_gzip,
    orders_is_a_folder,
    payments_not_text,
]


@pytest.mark.parametrize("setup", FATAL)
def test_library_raises_input_error_naming_the_file(exports, use_fixture, setup):
    path, message = setup(exports, use_fixture)
    with pytest.raises(InputError) as raised:
        load(exports)
    assert str(raised.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize("setup", FATAL)
def test_cli_exits_2_with_one_message_and_no_traceback(exports, use_fixture, cli, setup):
    path, message = setup(exports, use_fixture)
    result = cli("validate", exports)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert flat(result.stderr).startswith(flat(f"error: {path}: {message}"))
    assert "Traceback" not in result.stderr


def test_missing_orders_file_hints_at_init(exports, use_fixture):
    orders_missing(exports, use_fixture)
    with pytest.raises(InputError) as raised:
        load(exports)
    assert raised.value.hint == (
        "set sources.orders.path in churnwatch.toml or run `churnwatch init`"
    )


def test_exports_folder_missing(tmp_path, cli):
    missing = tmp_path / "nowhere"
    with pytest.raises(InputError, match="exports folder not found"):
        load(missing)
    result = cli("validate", missing)
    assert result.exit_code == 2
    assert flat(result.stderr) == f"error: {missing}: exports folder not found"


def test_required_column_missing_without_a_near_match_suggests_init(write_csv, exports):
    path = write_csv("orders.csv", "order_date,amount\n2025-01-02,1\n")
    with pytest.raises(InputError) as raised:
        load(exports)
    assert str(raised.value) == (
        f"{path}: required column 'customer_id' is missing; columns found: 'order_date',"
        " 'amount'; map one of them in churnwatch.toml: [sources.orders.columns] customer_id ="
        ' "…" (`churnwatch init` proposes a whole mapping; --force replaces an existing file)'
    )


def test_configured_column_missing_names_the_configured_header(write_csv, exports):
    path = write_csv("orders.csv", "Kunde,order_date,amount\nC1,2025-01-02,1\n")
    write_csv("churnwatch.toml", '[sources.orders.columns]\ncustomer_id = "Kundennummer"\n')
    with pytest.raises(InputError) as raised:
        load(exports)
    message = str(raised.value)
    assert message.startswith(f"{path}: required column 'Kundennummer' is missing;")
    assert "columns found: 'Kunde', 'order_date', 'amount'" in message


def test_optional_source_with_header_only_is_left_out_with_a_note(write_csv, exports, use_fixture):
    write_csv("orders.csv", ORDERS)
    use_fixture("payments", "payments_header_only.csv")
    dataset = load(exports)
    assert not dataset.has("payments")
    note = problem(dataset, "empty", "payments")
    assert note.message.endswith("has a header but no data rows; payments is left out")
    assert note.level is Level.WARNING


def test_optional_source_empty_file_is_left_out(write_csv, exports, use_fixture):
    write_csv("orders.csv", ORDERS)
    use_fixture("payments", "empty.csv")
    dataset = load(exports)
    assert not dataset.has("payments")
    assert "the file is empty" in problem(dataset, "empty", "payments").message


def header_only_no_newline(folder: Path, name: str) -> Path:
    """A header without the line break after it (some exporters write no final newline)."""
    path = folder / name
    path.write_bytes(b"customer_id,due_date,paid_date,amount,order_date")
    return path


def test_header_only_without_newline_is_reported_as_header_only(exports):
    path = header_only_no_newline(exports, "orders.csv")
    with pytest.raises(InputError) as raised:
        load(exports)
    assert str(raised.value) == f"{path}: has a header but no data rows"


def test_optional_header_only_without_newline_is_left_out(write_csv, exports):
    write_csv("orders.csv", ORDERS)
    header_only_no_newline(exports, "payments.csv")
    dataset = load(exports)
    assert not dataset.has("payments")


def test_missing_column_suggestion_is_not_a_header_already_mapped(write_csv, exports, use_fixture):
    write_csv("orders.csv", ORDERS)
    path = use_fixture("payments", "payments_missing_paid_date.csv")
    with pytest.raises(InputError) as raised:
        load(exports)
    message = str(raised.value)
    assert message.startswith(f"{path}: required column 'paid_date' is missing;")
    assert 'paid_date = "due_date"' not in message


@pytest.mark.parametrize(
    ("name", "code"), [("payments.xlsx", "spreadsheet"), ("payments.csv.7z", "unread_archive")]
)
def test_an_optional_source_not_read_is_left_out_under_its_own_code(exports, name, code):
    """Scripts tell a workbook from an archive by the code, never by the message."""
    (exports / "orders.csv").write_text(ORDERS)
    (exports / name).write_bytes(b"PK\x03\x04" if name.endswith("xlsx") else b"7z\xbc\xaf\x27")
    said = problem(load(exports), code, source="payments")
    assert said.file == name
    assert said.level is Level.WARNING


def test_an_optional_source_saved_as_a_workbook_is_left_out_with_a_warning(exports, cli):
    """payments.xlsx instead of payments.csv: the run goes on without the payment signals,
    and says so, rather than scoring everyone as if they had no invoices."""
    (exports / "orders.csv").write_text(ORDERS)
    (exports / "payments.xlsx").write_bytes(b"PK\x03\x04" + bytes(range(32, 127)) * 4)
    result = cli("validate", exports)
    assert result.exit_code == 0, result.stderr
    assert (
        "warning: payments.xlsx: a spreadsheet, which churnwatch does not read; the payments are"
        " left out: save the sheet as CSV (payments.csv)"
    ) in flat(result.stdout)  # validate's report
