"""Compressed CSVs and Parquet files read exactly as the plain CSV exports they hold."""

from __future__ import annotations

import bz2
import datetime as dt
import errno
import gzip
import lzma
import os
import shutil
import uuid
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from churnwatch.core.sources import Kind
from churnwatch.ingest.csv_reader import _parquet_column
from helpers import load

SOURCES = ("orders", "payments", "complaints", "contacts", "customers")
AS_OF = "2026-09-30"


def _pack(path: Path, how: str) -> None:
    """Replace ``path`` (a CSV) by its packed form, as an export system would write it."""
    data = path.read_bytes()
    if how == "gz":
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data))
    elif how == "gz-padded":  # a copy off a tape or block device: zeros after the data
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data) + bytes(1024))
    elif how == "zst-pzstd":  # pzstd starts with a skippable frame (here: of 4 bytes)
        sink = pa.BufferOutputStream()
        with pa.CompressedOutputStream(sink, "zstd") as out:
            out.write(data)
        frame = b"\x50\x2a\x4d\x18" + (4).to_bytes(4, "little") + b"\x10\x00\x00\x00"
        path.with_name(path.name + ".zst").write_bytes(frame + sink.getvalue().to_pybytes())
    elif how == "bz2":
        path.with_name(path.name + ".bz2").write_bytes(bz2.compress(data))
    elif how == "xz":
        path.with_name(path.name + ".xz").write_bytes(lzma.compress(data))
    elif how in ("zst", "lz4"):
        codec = {"zst": "zstd", "lz4": "lz4"}[how]
        with pa.output_stream(str(path.with_name(f"{path.name}.{how}")), compression=codec) as out:
            out.write(data)
    elif how == "zip":
        with zipfile.ZipFile(path.with_suffix(".zip"), "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"export/{path.name}", data)
    elif how == "zip-finder":  # macOS Finder's "Compress" adds its metadata to every archive
        with zipfile.ZipFile(path.with_suffix(".zip"), "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"export/{path.name}", data)
            archive.writestr("export/.DS_Store", b"\0\0\0\1Bud1")
            archive.writestr(f"__MACOSX/export/._{path.name}", b"\0\5\26\7 Mac OS X")
    elif how == "parquet":
        pq.write_table(pacsv.read_csv(path), path.with_suffix(".parquet"))
    path.unlink()


HEADER = b"customer_id,order_date,amount\n"


def _lz4(data: bytes) -> bytes:
    """``data`` in LZ4's frame format, as the ``lz4`` command writes it."""
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "lz4") as out:
        out.write(data)
    return sink.getvalue().to_pybytes()


def _scan_csv(cli: Any, folder: Path, target: Path, *extra: str) -> bytes:
    result = cli("scan", folder, "--as-of", AS_OF, "-f", "csv", "-o", target, *extra)
    assert result.exit_code == 0, result.output
    return target.read_bytes()


@pytest.mark.parametrize(
    "how",
    ["gz", "gz-padded", "zst", "zst-pzstd", "bz2", "xz", "lz4", "zip", "zip-finder", "parquet"],
)
def test_packed_exports_give_the_same_scan(
    cli, examples_dir: Path, tmp_path: Path, how: str
) -> None:  # type: ignore[no-untyped-def]
    plain = _scan_csv(cli, examples_dir / "exports", tmp_path / "plain.csv")
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    for source in SOURCES:
        _pack(folder / f"{source}.csv", how)
    assert _scan_csv(cli, folder, tmp_path / "packed.csv") == plain  # every feature, risk, rank


def test_mixed_packings_in_one_folder(cli, examples_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    plain = _scan_csv(cli, examples_dir / "exports", tmp_path / "plain.csv")
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    for source, how in zip(SOURCES, ("gz", "parquet", "zip", "zst", "bz2"), strict=True):
        _pack(folder / f"{source}.csv", how)
    assert _scan_csv(cli, folder, tmp_path / "packed.csv") == plain


def test_messages_name_the_packed_file_with_the_lines_of_the_csv(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports-de"
    shutil.copytree(examples_dir / "exports-de", folder)
    _pack(folder / "Auftraege.csv", "gz")
    config = folder / "churnwatch.toml"
    config.write_text(config.read_text().replace('"Auftraege.csv"', '"Auftraege.csv.gz"'))
    result = cli("validate", folder)
    assert "Auftraege.csv.gz: column 'Belegdatum': 2 rows skipped" in result.stdout + result.stderr
    assert "lines 3165, 3937" in result.stdout + result.stderr


def test_parquet_with_text_dates_and_typed_amounts(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    folder.mkdir()
    table = pa.table(
        {
            "Kundennummer": pa.array([10001, 10001, 10001, 10002, 10002], pa.int64()),
            "Belegdatum": ["02.01.2025", "03.02.2025", "31.02.2025", "04.01.2025", "05.03.2025"],
            "Betrag": pa.array([100, 120, 90, 50, 60], pa.int32()),
        }
    )
    pq.write_table(table, folder / "orders.parquet")
    (folder / "churnwatch.toml").write_text(
        "[sources.orders.columns]\n"
        'customer_id = "Kundennummer"\norder_date = "Belegdatum"\namount = "Betrag"\n'
    )
    result = cli("validate", folder, "--as-of", "2025-03-31")
    text = result.stdout + result.stderr
    # row 3 is numbered as a CSV export of the table would put it: line 4
    assert "orders.parquet:4: column 'Belegdatum': 1 row skipped" in text
    # the typed amounts need no number format: only the dates' format is named
    assert "read as Parquet (columns written as text: dates %d.%m.%Y)" in text


def _as_bytes(table: pa.Table) -> pa.Table:
    """The table as an old Hive or Impala writer stores it: text as bytes, no UTF-8 mark."""
    return pa.table({name: table[name].cast(pa.binary()) for name in table.column_names})


def test_parquet_text_stored_as_bytes_is_read_as_the_text_it_holds(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """German dates and amounts in columns of bytes are told apart as in text columns (they
    were left out of the formats' detection, and every row failed)."""
    table = pa.table(
        {
            "customer_id": ["K1", "K1", "K1", "K2", "K2"],
            "order_date": ["02.01.2025", "03.02.2025", "13.03.2025", "04.01.2025", "25.03.2025"],
            "amount": ["1.234,50", "99,90", "12,00", "7,25", "1.000,00"],
        }
    )
    outputs = []
    for name, written in (("text", table), ("bytes", _as_bytes(table))):
        folder = tmp_path / name
        folder.mkdir()
        pq.write_table(written, folder / "orders.parquet")
        result = cli("scan", folder, "--as-of", "2025-03-31", "-f", "csv")
        assert result.exit_code == 0, result.output
        assert "skipped" not in result.stderr, result.stderr
        outputs.append((result.stdout, result.stderr))
    assert outputs[0] == outputs[1]


def test_parquet_bytes_that_are_not_utf8_are_read_as_cp1252_and_said(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A Latin-1 ``ü`` in a column of bytes stopped the scan as an internal error."""
    folder = tmp_path / "exports"
    folder.mkdir()
    dates = ["2025-01-02", "2025-02-03", "2025-03-04"]
    pq.write_table(
        pa.table({"customer_id": ["K1", "K2", "K3"], "order_date": dates, "amount": [1.0] * 3}),
        folder / "orders.parquet",
    )
    names = [b"M\xfcller", "Bäcker".encode(), b"Schmidt"]
    pq.write_table(
        pa.table({"customer_id": ["K1", "K2", "K3"], "name": pa.array(names, pa.binary())}),
        folder / "customers.parquet",
    )
    result = cli("scan", folder, "--as-of", "2025-03-31", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert (
        "customers.parquet:2: column 'name': bytes, not text; UTF-8, except for 1 value read as"
        " cp1252 (check the umlauts there; write the column as UTF-8 text)" in result.stderr
    )
    assert '"Müller"' in result.stdout and '"Bäcker"' in result.stdout


def test_parquet_uuid_ids_are_read_as_their_text(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """DuckDB and Spark write ids as UUIDs (16 bytes): read as a CSV of the table writes
    them, so the other exports' text ids find their customers."""
    ids = [uuid.UUID(int=7), uuid.UUID("c7a79d0f-83d4-45fb-92fc-41b9f1886b4d")]
    folder = tmp_path / "exports"
    folder.mkdir()
    stored = pa.ExtensionArray.from_storage(
        pa.uuid(), pa.array([i.bytes for i in ids] * 2, pa.binary(16))
    )
    orders = pa.table(
        {
            "customer_id": stored,
            "order_date": [
                dt.date(2025, 1, 2),
                dt.date(2025, 1, 3),
                dt.date(2025, 2, 4),
                dt.date(2025, 2, 5),
            ],
            "amount": [10.0] * 4,
        }
    )
    pq.write_table(orders, folder / "orders.parquet")
    pd_ids = "\n".join(f"{i},2025-02-01,2025-03-03,,10.0" for i in ids)
    (folder / "payments.csv").write_text(
        f"customer_id,invoice_date,due_date,paid_date,amount\n{pd_ids}\n"
    )
    result = cli("scan", folder, "--as-of", "2025-03-31", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert "no orders" not in result.stderr, result.stderr
    assert f'"{ids[0]}"' in result.stdout and f'"{ids[1]}"' in result.stdout


def test_a_nan_among_float_ids_is_a_missing_id_not_a_customer(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Polars and Spark leave a number out as NaN: read as the text 'nan', it was a customer
    ranked first, without a word."""
    folder = tmp_path / "exports"
    folder.mkdir()
    days = [dt.date(2025, 1, d) for d in (2, 9, 16, 23)]
    ids = pa.array([10001.0, float("nan"), 10001.0, 10002.0], pa.float64(), from_pandas=False)
    pq.write_table(
        pa.table({"customer_id": ids, "order_date": days, "amount": [10.0] * 4}),
        folder / "orders.parquet",
    )
    result = cli("scan", folder, "--as-of", "2025-01-31", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert "orders.parquet:3: column 'customer_id': 1 row skipped: missing value" in result.stderr
    ranked = pacsv.read_csv(pa.py_buffer(result.stdout.encode()))
    assert sorted(ranked["customer_id"].cast(pa.string()).to_pylist()) == ["10001", "10002"]


def test_a_parquet_footers_empty_cells_are_shown_empty(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A CSV's empty cell is nothing between two delimiters; Parquet's showed as 'None'."""
    folder = tmp_path / "exports"
    folder.mkdir()
    days = [f"2025-01-{n % 28 + 1:02d}" for n in range(40)]
    pq.write_table(
        pa.table(
            {
                "customer_id": [f"K{n % 7}" for n in range(40)] + ["Gesamtsumme"],
                "order_date": [*days, "2025-01-31"],
                "amount": [10.0 + n for n in range(40)] + [400.0],
                "channel": ["web"] * 40 + [None],
            }
        ),
        folder / "orders.parquet",
    )
    result = cli("scan", folder, "--as-of", "2025-02-01", "-f", "csv")
    assert result.exit_code == 0, result.output
    assert "left out (e.g. 'Gesamtsumme;2025-01-31;400.0;')" in result.stderr


def test_typed_parquet_is_described_without_text_formats(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Typed dates and amounts are taken as they are: neither validate nor init may claim a
    decimal separator or date format was used on them, nor write one into the config."""
    folder = tmp_path / "exports"
    folder.mkdir()
    for source in ("orders", "payments"):
        table = pacsv.read_csv(examples_dir / "exports" / f"{source}.csv")
        pq.write_table(table, folder / f"{source}.parquet")
    assert pq.read_schema(folder / "orders.parquet").field("order_date").type == pa.date32()
    validated = cli("validate", folder, "--as-of", AS_OF)
    assert validated.exit_code == 0, validated.output
    assert "orders: orders.parquet read as Parquet\n" in validated.stdout
    assert "written as text" not in validated.stdout + validated.stderr
    proposed = cli("init", folder)
    assert proposed.exit_code == 0, proposed.output
    assert "orders ← orders.parquet (Parquet)" in proposed.stdout
    written = (folder / "churnwatch.toml").read_text()
    assert "date_format" not in written and "decimal" not in written
    scanned = cli("scan", folder, "--as-of", AS_OF, "-f", "csv")  # the config reads back
    assert scanned.exit_code == 0, scanned.output


@pytest.mark.parametrize("scale", [2, 4])
def test_parquet_decimal_amounts_are_the_numbers_of_the_csv(
    cli, examples_dir: Path, tmp_path: Path, scale: int
) -> None:  # type: ignore[no-untyped-def]
    """ERP systems write amounts as DECIMAL: each must become the float its digits give in
    a CSV, to the last bit (Arrow's own cast misses by one in the last place for about one
    amount in seven of the examples)."""
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    for source in ("orders", "payments"):
        path = folder / f"{source}.csv"
        decimals = pacsv.ConvertOptions(column_types={"amount": pa.decimal128(14, scale)})
        pq.write_table(pacsv.read_csv(path, convert_options=decimals), path.with_suffix(".parquet"))
        path.unlink()
    as_of = dt.date(2026, 9, 30)
    plain, packed = load(examples_dir / "exports", as_of), load(folder, as_of)
    for source in ("orders", "payments"):
        expected = plain.frame(source)["amount"].to_numpy()
        assert packed.frame(source)["amount"].to_numpy().tobytes() == expected.tobytes()
    assert _scan_csv(cli, folder, tmp_path / "packed.csv") == _scan_csv(
        cli, examples_dir / "exports", tmp_path / "plain.csv"
    )


@pytest.mark.parametrize(
    ("digits", "kind"),
    [
        # unscaled 2**53 + 1, 2**53 - 1, 2**53: the last float-exact integers and the first not
        (["90071992547409.93", "-90071992547409.93", "90071992547409.91"], pa.decimal128(18, 2)),
        (["12345678901234567890.1234", "-0.0029"], pa.decimal128(38, 4)),  # through the digits
        (["0.0029", "-1.5", "0"], pa.decimal256(40, 4)),
        (["0.0000000000000000000000001234"], pa.decimal128(38, 28)),  # 10**28: not exact
        (["0.29", "-7.01"], pa.decimal32(5, 2)),
        (["0.29", "-7.01"], pa.decimal64(12, 2)),
    ],
)
def test_decimals_become_the_float_of_their_digits(digits: list[str], kind: pa.DataType) -> None:
    """What a CSV of the same digits gives: the nearest float64 (a None stays empty)."""
    column = pa.array([*map(Decimal, digits), None], kind)
    floats = _parquet_column(pa.chunked_array([column.slice(0), column]), Kind.NUMBER)
    expected = np.array([float(Decimal(d)) for d in digits] + [np.nan])
    got = floats.to_numpy()
    assert got[: len(expected)].tobytes() == expected.tobytes()
    assert got[len(expected) :].tobytes() == expected.tobytes()  # a second block


def test_float32_amounts_become_the_float_of_their_digits() -> None:
    """A float32 amount of 1383.94 is 1383.93994140625 as a float64: the output showed
    1383.9399 where the CSV of the same table gives 1383.94."""
    digits = [1383.94, -0.1, 12.5]
    column = pa.array([*digits, None], pa.float32())
    floats = _parquet_column(pa.chunked_array([column]), Kind.NUMBER)
    assert floats.type == pa.float64()
    assert floats.to_pylist() == [*digits, None]


def test_parquet_timestamps_are_dates(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    folder.mkdir()
    moments = [dt.datetime(2025, 1, d, 15, 30) for d in (2, 9, 16, 23, 30)]
    pq.write_table(
        pa.table({"customer_id": ["A"] * 5, "order_date": moments, "amount": [10.0] * 5}),
        folder / "orders.parquet",
    )
    result = cli("scan", folder, "--as-of", "2025-01-31", "-f", "json")
    assert result.exit_code == 0, result.output
    assert '"last_order_date":"2025-01-30"' in result.stdout


def test_zoned_parquet_timestamps_are_the_dates_of_their_own_clock(tmp_path: Path) -> None:
    """A German shop's order at 00:30 on 1 March (23:30 UTC the day before) is an order of
    1 March, as the shop's own CSV export would say."""
    folder = tmp_path / "exports"
    folder.mkdir()
    berlin = ZoneInfo("Europe/Berlin")
    moments = [
        dt.datetime(2025, 3, 1, 0, 30, tzinfo=berlin),
        dt.datetime(2025, 3, 30, 23, 45, tzinfo=berlin),
    ]
    pq.write_table(
        pa.table(
            {
                "customer_id": ["A", "A"],
                "order_date": pa.array(moments, pa.timestamp("us", tz="Europe/Berlin")),
                "amount": [10.0, 12.0],
            }
        ),
        folder / "orders.parquet",
    )
    days = load(folder, dt.date(2025, 4, 30)).frame("orders")["order_date"].to_numpy()
    epoch = dt.date(1970, 1, 1)
    assert [epoch + dt.timedelta(days=int(d)) for d in days] == [
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 30),
    ]


@pytest.mark.parametrize("as_folder", [False, True])
def test_int96_timestamps_past_2262_are_their_own_dates(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, as_folder: bool
) -> None:
    """Spark's and Hive's old timestamps (INT96) hold any year; read in nanoseconds, a year
    typed 2525 wrapped into 1940 and counted as a real order, without a word."""
    folder = tmp_path / "exports"
    folder.mkdir()
    days = [dt.datetime(2025, 1, d) for d in (2, 9, 16)] + [dt.datetime(2525, 1, 23)]
    table = pa.table({"customer_id": ["A"] * 4, "order_date": days, "amount": [10.0] * 4})
    target = folder / "orders.parquet"
    if as_folder:
        target.mkdir()
        for index, rows in enumerate((table.slice(0, 2), table.slice(2))):
            pq.write_table(
                rows, target / f"part-{index}.parquet", use_deprecated_int96_timestamps=True
            )
    else:
        pq.write_table(table, target, use_deprecated_int96_timestamps=True)
    result = cli("scan", folder, "--as-of", "2025-01-31", "-f", "json")
    assert result.exit_code == 0, result.output
    assert "1 row skipped: a date of a year outside 1900–2199 (e.g. '2525-01-23')" in result.stderr
    assert '"first_order_date":"2025-01-02"' in result.stdout


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda p: p.write_bytes(gzip.compress(b"customer_id,order_date,amount\n")[:12]),
            "cannot unpack this gzip file",
        ),
        (lambda p: p.write_bytes(lzma.compress(HEADER * 50)[:40]), "cannot unpack this xz file"),
        (lambda p: p.write_bytes(b"\xfd7zXZ\x00" + b"not xz" * 9), "cannot unpack this xz file"),
        (lambda p: p.write_bytes(_lz4(HEADER * 50)[:30]), "cannot unpack this lz4 file"),
        (  # `lz4 -l`: magic, then blocks each after its length; was "binary content"
            lambda p: p.write_bytes(b"\x02\x21\x4c\x18" + b"\x09\x00\x00\x00" + b"\x80x,y,z\n12"),
            "an LZ4 file in the legacy format (as `lz4 -l` writes it)",
        ),
        (lambda p: _zip(p, {"a.csv": b"x", "b.csv": b"y"}), "should hold one CSV file; it holds 2"),
        (lambda p: _zip(p, {}), "should hold one CSV file; it holds 0 (none)"),  # not "binary"
        (
            lambda p: _zip(p, {"xl/workbook.xml": b"<x/>", "[Content_Types].xml": b""}),
            "looks like an Excel workbook",
        ),
        (lambda p: p.write_bytes(b"PAR1 not really parquet"), "cannot be read as Parquet"),
    ],
)
def test_broken_packings_are_one_clear_error(cli, tmp_path: Path, make: Any, message: str) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    folder.mkdir()
    make(folder / "orders.csv")  # the kind is read from the bytes, not the name
    result = cli("scan", folder)
    assert result.exit_code == 2
    assert message in result.stderr and "orders.csv" in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output


@pytest.mark.parametrize("engine", ["local", "dask"])
def test_parquet_rows_that_differ_only_in_a_column_not_read_are_no_duplicates(
    cli, examples_dir: Path, tmp_path: Path, engine: str
) -> None:  # type: ignore[no-untyped-def]
    """Two deliveries of one order differ only in a note churnwatch does not read: the CSV
    export's lines tell them apart, and so must the Parquet file's rows; a true copy of a
    row is still dropped, in both."""
    if engine == "dask":
        pytest.importorskip("distributed")
    folder = tmp_path / "csv"
    shutil.copytree(examples_dir / "exports", folder)
    orders = pacsv.read_csv(folder / "orders.csv")
    rows = orders.num_rows
    orders = orders.append_column("note", pa.array([f"delivery {i}" for i in range(rows)]))
    second = orders.slice(rows - 1, 1)
    second = second.set_column(second.num_columns - 1, "note", pa.array(["second delivery"]))
    orders = pa.concat_tables([orders, second, orders.slice(0, 1)])  # and a true copy
    pacsv.write_csv(orders, folder / "orders.csv")
    plain = _scan_csv(cli, folder, tmp_path / "plain.csv", "--engine", engine)
    _pack(folder / "orders.csv", "parquet")
    result = cli(
        "scan", folder, "--as-of", AS_OF, "-f", "csv", "-o", tmp_path / "pq.csv", "--engine", engine
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "pq.csv").read_bytes() == plain
    dropped = [line for line in result.stderr.splitlines() if "exact duplicate" in line]
    assert dropped == [
        f"warning: orders.parquet:{rows + 3}: 1 row dropped: exact duplicate of an earlier row"
    ]


@pytest.mark.parametrize("engine", ["local", "dask"])
@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("amount", pa.array([{"value": 12.5}, {"value": 3.0}])),
        ("customer_id", pa.array([["K1"], ["K2"]])),
        ("channel", pa.array([{"web": 1}, {"shop": 2}], pa.map_(pa.string(), pa.int64()))),
    ],
)
def test_a_parquet_column_of_lists_records_or_maps_is_one_clear_error(
    cli, tmp_path: Path, column: str, values: pa.Array, engine: str
) -> None:  # type: ignore[no-untyped-def]
    """pyarrow cannot cast them to text: an internal error, even for an optional column."""
    if engine == "dask":
        pytest.importorskip("distributed")
    columns = {
        "customer_id": pa.array(["K1", "K2"]),
        "order_date": pa.array(["2025-01-01", "2025-02-01"]),
        "amount": pa.array([12.5, 3.0]),
        "channel": pa.array(["web", "shop"]),
    }
    folder = tmp_path / "exports"
    folder.mkdir()
    pq.write_table(pa.table({**columns, column: values}), folder / "orders.parquet")
    result = cli("scan", folder, "--engine", engine)
    assert result.exit_code == 2
    assert f"orders.parquet: column '{column}' holds values of type" in result.stderr
    assert "write it with one plain value per row" in result.stderr
    assert "internal error" not in result.output


def test_a_zip_cut_short_says_so(cli, examples_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Not "export the sheet as CSV", which is about Excel workbooks."""
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    _pack(folder / "orders.csv", "zip")
    whole = (folder / "orders.zip").read_bytes()
    (folder / "orders.zip").write_bytes(whole[: len(whole) // 2])
    result = cli("scan", folder)
    assert result.exit_code == 2
    assert f"{folder / 'orders.zip'}: this ZIP archive cannot be opened" in result.stderr
    assert "damaged or cut short: copy or export it again" in result.stderr
    assert "sheet" not in result.stderr


def _zip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_two_exports_of_one_source_are_refused(cli, examples_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    _pack(folder / "orders.csv", "gz")
    pq.write_table(
        pa.table({"customer_id": ["A"], "order_date": ["2025-01-01"], "amount": [1.0]}),
        folder / "orders.parquet",
    )
    result = cli("scan", folder)
    assert (
        result.exit_code == 2
        and "several orders files: orders.csv.gz, orders.parquet" in result.stderr
    )


@pytest.mark.parametrize("older", ["orders_2023.csv.gz", "orders_2023.parquet"])
def test_a_zip_of_a_csv_and_an_export_packed_otherwise_is_refused(  # type: ignore[no-untyped-def]
    cli, examples_dir: Path, tmp_path: Path, older: str
) -> None:
    """The older orders packed once more beside the newer CSV in one archive: the CSV was
    read alone, and the older rows went unread without a word."""
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    text = (folder / "orders.csv").read_bytes()
    lines = text.splitlines(keepends=True)
    if older.endswith(".gz"):
        packed = gzip.compress(b"".join(lines[:1000]))
    else:
        packed_path = tmp_path / older
        pq.write_table(pacsv.read_csv(pa.py_buffer(b"".join(lines[:1000]))), packed_path)
        packed = packed_path.read_bytes()
    _zip(folder / "orders.zip", {"orders.csv": lines[0] + b"".join(lines[1000:]), older: packed})
    (folder / "orders.csv").unlink()
    result = cli("scan", folder, "-f", "csv")
    assert result.exit_code == 2, result.output
    assert f"should hold one CSV file; it holds 2 (orders.csv, {older})" in result.stderr


def test_init_recognises_packed_and_parquet_exports(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    plain = tmp_path / "plain"
    shutil.copytree(examples_dir / "exports-de", plain)
    (plain / "churnwatch.toml").unlink()
    assert cli("init", plain).exit_code == 0
    expected = _scan_csv(cli, plain, tmp_path / "plain.csv")
    folder = tmp_path / "packed"
    shutil.copytree(plain, folder)
    (folder / "churnwatch.toml").unlink()
    _pack(folder / "Auftraege.csv", "gz")
    table = pacsv.read_csv(
        folder / "Kunden.csv",
        read_options=pacsv.ReadOptions(encoding="cp1252"),
        parse_options=pacsv.ParseOptions(delimiter=";"),
        convert_options=pacsv.ConvertOptions(column_types={"Kundennummer": pa.string()}),
    )
    pq.write_table(table, folder / "Kunden.parquet")
    (folder / "Kunden.csv").unlink()
    result = cli("init", folder)
    assert result.exit_code == 0, result.output
    assert (
        "orders ← Auftraege.csv.gz" in result.stdout
        and "customers ← Kunden.parquet (Parquet)" in result.stdout
    )
    assert _scan_csv(cli, folder, tmp_path / "packed.csv") == expected


def test_a_packed_link_out_of_the_folder_is_refused(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "elsewhere.csv.gz"
    outside.write_bytes(gzip.compress((examples_dir / "exports" / "orders.csv").read_bytes()))
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "orders.csv.gz").symlink_to(outside)
    result = cli("scan", folder)
    assert result.exit_code == 2 and "outside the exports folder" in result.stderr


def test_a_plain_and_a_packed_export_of_one_source_are_refused(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    (folder / "orders.csv.gz").write_bytes(gzip.compress((folder / "orders.csv").read_bytes()))
    result = cli("scan", folder)
    assert (
        result.exit_code == 2 and "several orders files: orders.csv, orders.csv.gz" in result.stderr
    )


def _zip_with_a_field_changed(tmp_path: Path, at: int, change: Callable[[int], int]) -> Path:
    """An exports folder whose ``orders.zip`` holds one small CSV, one byte of its entry's
    header changed: at ``at`` in the local header, and two bytes further in the central
    directory's (which has the "version made by" before it)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    with zipfile.ZipFile(folder / "orders.zip", "w") as archive:
        archive.writestr("orders.csv", b"customer_id,order_date,amount\nA,2025-01-01,1\n")
    data = bytearray((folder / "orders.zip").read_bytes())
    central = data.rfind(b"PK\x01\x02")
    for place in (at, central + at + 2):
        data[place] = change(data[place])
    (folder / "orders.zip").write_bytes(bytes(data))
    return folder


def test_an_encrypted_zip_is_one_clear_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _zip_with_a_field_changed(tmp_path, 6, lambda flags: flags | 0x01)  # "encrypted"
    result = cli("scan", folder)
    assert result.exit_code == 2 and "cannot unpack this zip file" in result.stderr
    assert "internal error" not in result.output


def test_a_zip_whose_one_file_is_not_the_export_names_it(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A ZIP that holds a read-me alone is read as the export (text files are exports too):
    the message about its columns says which file in the archive they came from."""
    folder = tmp_path / "exports"
    folder.mkdir()
    with zipfile.ZipFile(folder / "orders.zip", "w") as archive:
        archive.writestr("export/readme.txt", "Orders of October\nsee the attachment\n")
    result = cli("scan", folder)
    assert result.exit_code == 2
    assert "required columns" in result.stderr
    assert "(read from 'export/readme.txt' in the archive)" in result.stderr


def _tar(path: Path, files: dict[str, bytes], mode: str = "w:gz") -> None:
    import io
    import tarfile

    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode=mode) as archive:
        for name, data in files.items():
            entry = tarfile.TarInfo(name)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    path.write_bytes(packed.getvalue())


@pytest.mark.parametrize(
    ("name", "mode"), [("orders.csv.gz", "w:gz"), ("orders.csv", "w:gz"), ("orders.csv", "w")]
)
def test_a_tar_archive_is_refused_not_read_as_one_csv(
    cli, tmp_path: Path, name: str, mode: str
) -> None:  # type: ignore[no-untyped-def]
    """Read as one CSV, a tar's first file name glued onto the header and its files merged,
    and the scan went on (exit 0)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    header = b"customer_id,order_date,amount\n"
    _tar(folder / name, {"a.csv": header + b"A,2025-01-01,1\n", "b.csv": header}, mode)
    result = cli("scan", folder, "--as-of", "2025-01-31")
    assert result.exit_code == 2, result.output
    assert f"{name}: a tar archive, which churnwatch does not unpack" in result.stderr
    assert "internal error" not in result.output


def test_a_quote_never_closed_in_a_packed_export_names_the_export(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Not the unpacked copy in the run's temporary folder, which is gone when it is read."""
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    rows = (folder / "orders.csv").read_bytes().split(b"\n")
    rows[100] = rows[100].replace(b",", b',"', 1)
    (folder / "orders.csv").write_bytes(b"\n".join(rows))
    _pack(folder / "orders.csv", "gz")
    result = cli("scan", folder, "--as-of", AS_OF)
    assert result.exit_code == 2
    assert f"{folder / 'orders.csv.gz'}:101: a quote opened on this line" in result.stderr


def test_a_full_temporary_folder_is_said_as_such_not_blamed_on_the_export(
    cli, examples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    _pack(folder / "orders.csv", "gz")

    def full(*_: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("churnwatch.ingest.packed.shutil.copyfileobj", full)
    result = cli("scan", folder, "--as-of", AS_OF, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert "error: no space left on the disk; nothing was written." in said
    assert "set TMPDIR to a folder on a larger disk" in said
    assert "cannot unpack" not in said
    assert not (tmp_path / "out.csv").exists()


def test_an_export_packed_in_a_form_not_unpacked_is_named(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "orders.csv.7z").write_bytes(b"7z\xbc\xaf\x27\x1c")
    result = cli("scan", folder)
    assert result.exit_code == 2
    assert (
        "orders file not found; orders.csv.7z is packed in a form churnwatch does not unpack:"
        " unpack it to orders.csv, or pack orders.csv alone as .gz, .zst, .bz2, .xz, .lz4 or .zip"
    ) in " ".join(result.stderr.split())


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_a_packed_parquet_file_is_named_with_what_to_do(cli, tmp_path: Path, suffix: str) -> None:  # type: ignore[no-untyped-def]
    """``orders.parquet.gz`` was "orders file not found", without a word on the file there."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / f"orders.parquet{suffix}").write_bytes(b"\x1f\x8b\x08\x00")
    result = cli("scan", folder)
    assert result.exit_code == 2
    assert (
        f"orders file not found; orders.parquet{suffix} is a packed Parquet file, which"
        " churnwatch does not unpack: unpack it to orders.parquet"
    ) in " ".join(result.stderr.split())


def test_a_zip_packed_with_a_method_python_does_not_unpack_says_so(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Deflate64 (method 9, Windows Explorer's for large files) is no password matter."""
    folder = _zip_with_a_field_changed(tmp_path, 8, lambda method: 9)  # the method
    result = cli("scan", folder)
    assert result.exit_code == 2
    assert "pack it again with the usual method (Deflate)" in " ".join(result.stderr.split())
    assert "password" not in result.stderr
