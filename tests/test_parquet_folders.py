"""A Parquet export written as a folder of parts (Spark, DuckDB, pyarrow datasets) reads as
the one table its parts make, in the order of their names."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

AS_OF = "2026-09-30"


def _scan_csv(cli: Any, folder: Path, target: Path, *extra: object) -> bytes:
    result = cli("scan", folder, "--as-of", AS_OF, "-f", "csv", "-o", target, *extra)
    assert result.exit_code == 0, result.output
    return target.read_bytes()


def _plain_scan_and_a_copy(cli: Any, examples_dir: Path, tmp_path: Path) -> tuple[bytes, Path]:
    """The examples' scan as CSV exports give it, and a copy of them to change."""
    plain = _scan_csv(cli, examples_dir / "exports", tmp_path / "plain.csv")
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    return plain, folder


def _scan_of_csv_and_a_copy(
    cli: Any, examples_dir: Path, tmp_path: Path, orders: pa.Table
) -> tuple[bytes, Path]:
    """The examples' scan with ``orders`` as their CSV export (what the parts must give), and
    a copy of the examples without an orders export, for the parts."""
    reference = tmp_path / "reference"
    shutil.copytree(examples_dir / "exports", reference)
    pacsv.write_csv(orders, reference / "orders.csv")
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    (folder / "orders.csv").unlink()
    return _scan_csv(cli, reference, tmp_path / "reference.csv"), folder


def _spark_folder(table: pa.Table, folder: Path, parts: int = 12) -> None:
    """As Spark writes a table: numbered parts (more than ten, so that name order and number
    order differ), each with a checksum beside it, and a success mark."""
    folder.mkdir()
    size = -(-table.num_rows // parts)
    for index in range(parts):
        name = f"part-{index}-5f1c.snappy.parquet"
        pq.write_table(table.slice(index * size, size), folder / name)
        (folder / f".{name}.crc").write_bytes(b"crc")
    (folder / "_SUCCESS").write_bytes(b"")


def _hive_folder(table: pa.Table, folder: Path) -> None:
    """As a dataset partitioned by year writes it (``year=2024/``), the year not in the parts;
    one year's amounts whole numbers (integers in that part), the others' decimals."""
    years = pc.utf8_slice_codeunits(table.column("order_date").cast(pa.string()), 0, 4)
    for year in sorted(set(years.to_pylist())):
        part = table.filter(pc.equal(years, year))
        if year == "2024":
            whole = pc.cast(pc.round(part.column("amount")), pa.int64())
            part = part.set_column(part.schema.get_field_index("amount"), "amount", whole)
        (folder / f"year={year}").mkdir(parents=True)
        pq.write_table(part, folder / f"year={year}" / "data_0.parquet")


def _orders(examples_dir: Path) -> pa.Table:
    return pacsv.read_csv(examples_dir / "exports" / "orders.csv")


@pytest.mark.parametrize("name", ["orders", "orders.parquet"])
def test_a_folder_of_parts_gives_the_same_scan_as_the_csv(
    cli, examples_dir: Path, tmp_path: Path, name: str
) -> None:  # type: ignore[no-untyped-def]
    plain, folder = _plain_scan_and_a_copy(cli, examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    _spark_folder(_orders(examples_dir), folder / name)
    assert _scan_csv(cli, folder, tmp_path / "parts.csv") == plain  # every feature, risk, rank


def test_hive_style_subfolders_and_parts_of_other_number_types_are_one_table(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    table = _orders(examples_dir)
    whole = table.set_column(
        table.schema.get_field_index("amount"),
        "amount",
        pc.round(table.column("amount")),
    )
    expected, folder = _scan_of_csv_and_a_copy(cli, examples_dir, tmp_path, whole)
    _hive_folder(whole, folder / "orders")
    assert _scan_csv(cli, folder, tmp_path / "parts.csv") == expected


@pytest.mark.parametrize("engine", ["default", "dask"])
def test_a_message_names_the_part_and_the_line_in_it(cli, tmp_path: Path, engine: str) -> None:  # type: ignore[no-untyped-def]
    """Rows count across the parts in the order of their numbers (part-3 has none), and each
    line a message shows is placed in its part, on both engines."""
    folder = tmp_path / "exports"
    (folder / "orders").mkdir(parents=True)
    dates = {
        2: [f"2025-01-0{day}" for day in range(1, 6)],
        3: [],
        10: ["2025-02-01", "bad", "2025-02-02", "worse"],
        11: ["2025-02-05", "?"],
    }
    schema = pa.schema([("customer_id", pa.string()), ("order_date", pa.string())])
    for number, days in dates.items():
        rows = pa.table({"customer_id": ["C1"] * len(days), "order_date": days}, schema=schema)
        rows = rows.append_column("amount", pa.array([5.0] * len(days)))
        pq.write_table(rows, folder / "orders" / f"part-{number}.parquet")
    extra = ("--engine", "dask", "--workers", "1") if engine == "dask" else ()
    result = cli("scan", folder, "--as-of", "2025-03-01", "-f", "json", *extra)
    assert result.exit_code == 0, result.output
    said = "lines 3, 5 of part-10.parquet, line 3 of part-11.parquet; e.g. 'bad', 'worse'"
    assert "orders: column 'order_date': 3 rows skipped: not a valid date" in result.stderr
    assert said in result.stderr, result.stderr


def test_a_single_row_is_placed_in_its_part(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports" / "orders"
    (folder / "year=2025").mkdir(parents=True)
    rows = {"customer_id": ["C1", "C1"], "order_date": ["2025-01-01", "bad"], "amount": [5.0] * 2}
    pq.write_table(pa.table(rows), folder / "year=2025" / "part-0.parquet")
    result = cli("validate", tmp_path / "exports")
    assert "orders/year=2025/part-0.parquet:3: column 'order_date'" in result.stdout, result.output


def test_init_maps_a_folder_of_parts_and_its_config_reads_it(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    plain, folder = _plain_scan_and_a_copy(cli, examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    _spark_folder(_orders(examples_dir), folder / "order_history")
    result = cli("init", folder)
    assert result.exit_code == 0, result.output
    assert "orders ← order_history/ (Parquet" in result.stdout
    assert 'path = "order_history/"' in (folder / "churnwatch.toml").read_text()
    assert _scan_csv(cli, folder, tmp_path / "parts.csv") == plain


def _folder_with(examples_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    _spark_folder(_orders(examples_dir), folder / "orders.parquet", parts=3)
    return folder


def test_a_file_in_the_folder_that_is_no_part_is_named(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder_with(examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    (folder / "orders.parquet" / "README.txt").write_text("exported by the nightly job\n")
    out = tmp_path / "out.csv"
    result = cli("scan", folder, "-o", out)
    assert result.exit_code == 2
    assert "README.txt: not a Parquet file" in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_parts_whose_columns_cannot_be_joined_are_one_clear_error(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    parts = tmp_path / "exports" / "orders"
    parts.mkdir(parents=True)
    rows = {"customer_id": ["C1"], "order_date": ["2025-01-01"]}
    pq.write_table(pa.table({**rows, "amount": [5.0]}), parts / "part-0.parquet")
    pq.write_table(pa.table({**rows, "amount": [[1, 2]]}), parts / "part-1.parquet")
    result = cli("scan", tmp_path / "exports")
    assert result.exit_code == 2
    said = f"{parts / 'part-1.parquet'}: its columns do not agree with the parts before it"
    assert said in result.stderr and "amount has incompatible types" in result.stderr


def test_a_damaged_part_is_one_clear_error(cli, examples_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _folder_with(examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    part = folder / "orders.parquet" / "part-1-5f1c.snappy.parquet"
    part.write_bytes(part.read_bytes()[:300])
    result = cli("scan", folder)
    assert result.exit_code == 2
    assert f"{part}: cannot be read as Parquet" in result.stderr, result.output


@pytest.mark.parametrize("engine", ["default", "dask"])
def test_a_part_damaged_behind_an_intact_footer_is_named(
    cli, examples_dir: Path, tmp_path: Path, engine: str
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder_with(examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    part = folder / "orders.parquet" / "part-2-5f1c.snappy.parquet"
    damaged = bytearray(part.read_bytes())
    for place in range(200, 1200):  # the first column's pages
        damaged[place] ^= 0x5A
    part.write_bytes(bytes(damaged))
    out = tmp_path / "out.csv"
    extra = ("--engine", "dask", "--workers", "1") if engine == "dask" else ()
    result = cli("scan", folder, "-o", out, *extra)
    assert result.exit_code == 2, result.output
    assert f"{part}: cannot be read as Parquet" in result.stderr, result.output
    assert not out.exists()


def test_a_folder_of_parts_beside_the_csv_is_refused(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder_with(examples_dir, tmp_path)
    result = cli("scan", folder)
    assert result.exit_code == 2
    assert "several orders files: orders.csv, orders.parquet/" in result.stderr


def test_a_part_linked_from_outside_the_folder_is_refused(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder_with(examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    outside = tmp_path / "elsewhere.parquet"
    pq.write_table(_orders(examples_dir).slice(0, 5), outside)
    (folder / "orders.parquet" / "part-9.parquet").symlink_to(outside)
    result = cli("scan", folder)
    assert result.exit_code == 2 and "a link out of the Parquet folder" in result.stderr


def test_no_output_is_written_over_a_part(cli, examples_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = _folder_with(examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    part = folder / "orders.parquet" / "part-0-5f1c.snappy.parquet"
    before = part.read_bytes()
    result = cli("scan", folder, "-f", "csv", "-o", part)
    assert result.exit_code == 2 and "refusing to write" in result.stderr
    assert part.read_bytes() == before
    beside = folder / "orders.parquet" / "report.csv"  # the next run would take it for a part
    result = cli("scan", folder, "-f", "csv", "-o", beside)
    assert result.exit_code == 2, result.output
    assert "a folder this run reads as an export" in result.stderr
    assert not beside.exists()


def test_a_plain_folder_is_still_not_an_export(cli, examples_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    (folder / "orders.csv").unlink()
    (folder / "orders.csv").mkdir()
    (folder / "orders.csv" / "2025.csv").write_text("customer_id,order_date,amount\n")
    result = cli("scan", folder)
    assert result.exit_code == 2 and "is a folder without Parquet parts" in result.stderr


def test_a_pipe_or_a_hostile_name_among_the_parts_is_named_safely(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder_with(examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    os.mkfifo(folder / "orders.parquet" / "part-7\x1b[2J.parquet")
    result = cli("scan", folder)  # a FIFO opened for reading would block the run forever
    assert result.exit_code == 2 and "not a Parquet file" in result.stderr
    assert "\x1b" not in result.stderr


def _split_by_channel(table: pa.Table, folder: Path, *, keep: bool) -> None:
    """Hive-style ``channel=inbound/`` folders, as Polars and DuckDB write them with the
    column also in the parts (``keep``, as large text) or, as Spark and Arrow, only in the
    folder names."""
    for channel in ("inbound", "outbound"):
        rows = table.filter(pc.equal(table.column("channel"), channel))
        index = rows.schema.get_field_index("channel")
        if keep:
            rows = rows.set_column(index, "channel", rows.column(index).cast(pa.large_string()))
        else:
            rows = rows.remove_column(index)
        (folder / f"channel={channel}").mkdir(parents=True)
        pq.write_table(rows, folder / f"channel={channel}" / "00000000.parquet")


@pytest.mark.parametrize("keep", [True, False])
def test_a_column_in_the_folder_names_reads_as_in_the_csv(
    cli, examples_dir: Path, tmp_path: Path, keep: bool
) -> None:  # type: ignore[no-untyped-def]
    table = _orders(examples_dir)
    order = pc.sort_indices(table, [("channel", "ascending")])  # the rows as the folders hold them
    ordered = table.take(order)
    expected, folder = _scan_of_csv_and_a_copy(cli, examples_dir, tmp_path, ordered)
    _split_by_channel(ordered, folder / "orders", keep=keep)
    assert _scan_csv(cli, folder, tmp_path / "parts.csv") == expected


def test_parts_told_by_their_bytes_and_categories_in_some_parts(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Hive's parts have no suffix (``000000_0``), S3 tools leave ``_$folder$`` marks, and one
    writer's part may hold a column as categories where another's holds text."""
    plain, folder = _plain_scan_and_a_copy(cli, examples_dir, tmp_path)
    table = _orders(examples_dir)
    (folder / "orders.csv").unlink()
    (folder / "orders").mkdir()
    half = table.num_rows // 2
    first = table.slice(0, half)
    index = first.schema.get_field_index("channel")
    first = first.set_column(index, "channel", first.column(index).dictionary_encode())
    pq.write_table(first, folder / "orders" / "000000_0")
    pq.write_table(table.slice(half), folder / "orders" / "000001_0")
    (folder / "orders_$folder$").write_bytes(b"")
    (folder / "orders" / "sub_$folder$").write_bytes(b"")
    assert _scan_csv(cli, folder, tmp_path / "parts.csv") == plain


def test_a_folder_of_old_parts_beside_the_csv_is_left_alone(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    plain, folder = _plain_scan_and_a_copy(cli, examples_dir, tmp_path)
    (folder / "orders").mkdir()
    pq.write_table(_orders(examples_dir).slice(0, 10), folder / "orders" / "2019.parquet")
    assert _scan_csv(cli, folder, tmp_path / "beside.csv") == plain


@pytest.mark.parametrize("kind", ["linked folder", "delta", "hudi", "iceberg", "line break"])
def test_what_cannot_be_read_as_the_parts_of_one_table_is_one_clear_error(
    cli, examples_dir: Path, tmp_path: Path, kind: str
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder_with(examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    parts = folder / "orders.parquet"
    if kind == "linked folder":  # not followed, its parts would silently be left out
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        pq.write_table(_orders(examples_dir).slice(0, 5), elsewhere / "part-0.parquet")
        (parts / "year=2025").symlink_to(elsewhere)
        said = "a link to a folder, inside a Parquet folder"
    elif kind == "delta":  # its log says which parts are current; the others are old rows
        (parts / "_delta_log").mkdir()
        (parts / "_delta_log" / "00000000000000000000.json").write_text("{}\n")
        said = "a Delta Lake table"
    elif kind == "hudi":
        (parts / ".hoodie").mkdir()
        (parts / ".hoodie" / "hoodie.properties").write_text("hoodie.table.name=orders\n")
        said = "an Apache Hudi table"
    elif kind == "iceberg":
        (parts / "metadata").mkdir()
        (parts / "metadata" / "v1.metadata.json").write_text("{}\n")
        said = "an Apache Iceberg table"
    else:  # a name that would forge a line of its own in the messages
        (parts / "part-5\nerror: all is well.parquet").write_text("x\n")
        said = "part-5\\nerror: all is well.parquet: not a Parquet file"
    result = cli("scan", folder)
    assert result.exit_code == 2 and said in result.stderr, result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_files_and_subfolders_count_in_the_order_of_their_names(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    parts = folder / "orders"
    (parts / "b").mkdir(parents=True)
    days = {"a.parquet": ["2025-01-01"] * 3, "b/p.parquet": ["2025-01-02"] * 3}
    days["c.parquet"] = ["2025-01-02", "bad"]
    for name, dates in days.items():
        rows = {"customer_id": ["C1"] * len(dates), "order_date": dates}
        pq.write_table(pa.table({**rows, "amount": [5.0] * len(dates)}), parts / name)
    result = cli("validate", folder)
    # a's rows, then b's, then c's: the first of each day's rows is kept, the others dropped
    dropped = "lines 3, 4 of a.parquet, lines 3, 4 of b/p.parquet, line 2 of c.parquet"
    assert f"5 rows dropped: exact duplicate of an earlier row ({dropped})" in result.stdout
    assert "orders/c.parquet:3: column 'order_date'" in result.stdout, result.output


def test_a_history_inside_the_folder_is_refused_before_it_is_made(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder_with(examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    history = folder / "orders.parquet" / "runs.sqlite"
    result = cli(
        "scan", folder, "-q", "-f", "csv", "-o", tmp_path / "out.csv", "--history", history
    )
    assert result.exit_code == 2 and "a folder this run reads as an export" in result.stderr
    assert not history.exists()
    assert cli("scan", folder, "-q", "-f", "csv", "-o", tmp_path / "out.csv").exit_code == 0


def test_init_takes_the_newest_orders_of_a_file_and_a_folder_of_older_ones(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    (folder / "old_orders").mkdir()
    first_year = pa.scalar(dt.date(2024, 1, 1))
    older = _orders(examples_dir).filter(pc.less(pc.field("order_date"), first_year))
    pq.write_table(older, folder / "old_orders" / "orders_2023.parquet")
    result = cli("init", folder)
    assert result.exit_code == 0, result.output
    assert "orders ← orders.csv" in result.stdout, result.stdout
    assert 'path = "old_orders/"' not in (folder / "churnwatch.toml").read_text()


@pytest.mark.parametrize("engine", ["default", "dask"])
def test_a_part_without_a_column_the_orders_need_is_named(cli, tmp_path: Path, engine: str) -> None:  # type: ignore[no-untyped-def]
    """Read with the other parts, its rows would all be skipped for a missing amount, a
    warning beside lines of a folder: the part is named instead, on both engines."""
    parts = tmp_path / "exports" / "orders"
    parts.mkdir(parents=True)
    rows = {"customer_id": ["C1", "C2"], "order_date": ["2025-01-01", "2025-02-01"]}
    pq.write_table(pa.table({**rows, "amount": [5.0, 6.0]}), parts / "part-0.parquet")
    pq.write_table(pa.table(rows), parts / "part-1.parquet")
    out = tmp_path / "out.csv"
    extra = ("--engine", "dask", "--workers", "1") if engine == "dask" else ()
    result = cli("scan", tmp_path / "exports", "-o", out, *extra)
    assert result.exit_code == 2, result.output
    assert f"{parts / 'part-1.parquet'}: no column 'amount' (the orders' amount)" in result.stderr
    assert not out.exists()


def test_a_column_the_orders_need_may_come_from_the_folder_names(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports" / "orders"
    for customer in ("C1", "C2"):
        (folder / f"customer_id={customer}").mkdir(parents=True)
        rows = {"order_date": ["2025-01-01", "2025-02-01"], "amount": [5.0, 6.0]}
        pq.write_table(pa.table(rows), folder / f"customer_id={customer}" / "part-0.parquet")
    result = cli("validate", tmp_path / "exports", "--as-of", "2025-03-01")
    assert result.exit_code == 0, result.output
    assert "2 customers with orders" in result.stdout


def test_parts_of_floats_decimals_and_doubles_read_by_their_digits(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Joined as doubles, a float32 part's 1383.94 would be 1383.93994140625: each part's
    amounts are read by their shortest digits, as in a single file (or the CSV) of that part."""
    table = _orders(examples_dir)
    amount = table.schema.get_field_index("amount")
    third = -(-table.num_rows // 3)
    kinds = [pa.float32(), pa.float64(), pa.decimal128(12, 2)]
    pieces = [
        table.slice(index * third, third).set_column(
            amount, "amount", pc.cast(table.slice(index * third, third).column("amount"), kind)
        )
        for index, kind in enumerate(kinds)
    ]
    written = pa.concat_tables(
        [p.set_column(amount, "amount", p.column("amount").cast(pa.string())) for p in pieces]
    )
    expected, folder = _scan_of_csv_and_a_copy(cli, examples_dir, tmp_path, written)
    (folder / "orders").mkdir()
    for index, piece in enumerate(pieces):
        pq.write_table(piece, folder / "orders" / f"part-{index}.parquet")
    assert _scan_csv(cli, folder, tmp_path / "parts.csv") == expected
    result = cli("validate", folder)
    assert "columns written as text" not in result.stdout, result.stdout


@pytest.mark.parametrize("command", ["scan", "validate", "init"])
def test_the_parts_folder_given_as_the_exports_points_at_the_folder_above(
    cli, examples_dir: Path, tmp_path: Path, command: str
) -> None:  # type: ignore[no-untyped-def]
    """Not one part taken for the orders and the others for more orders exports, nor a
    config written among the parts."""
    folder = _folder_with(examples_dir, tmp_path)
    parts = folder / "orders.parquet"
    before = sorted(parts.iterdir())
    result = cli(command, parts)
    assert result.exit_code == 2, result.output
    said = f"{parts}: holds the Parquet parts of one export, not the exports"
    assert said in result.stderr and f"pass the folder that contains it: {folder}" in result.stderr
    assert sorted(parts.iterdir()) == before


def test_an_empty_part_of_other_types_and_text_views_join_the_others(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """An empty frame's part (pandas writes its columns as text or nulls) adds no rows, so
    its types do not count; ids as string views join ids as strings."""
    plain, folder = _plain_scan_and_a_copy(cli, examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    _spark_folder(_orders(examples_dir), folder / "orders", parts=3)
    table = pq.read_table(next((folder / "orders").glob("part-1-*")))
    ids = table.schema.get_field_index("customer_id")
    views = table.set_column(ids, "customer_id", table.column(ids).cast(pa.string_view()))
    pq.write_table(views, next((folder / "orders").glob("part-1-*")))
    names = _orders(examples_dir).column_names
    empty = pa.table({name: pa.array([], pa.string()) for name in names})
    pq.write_table(empty, folder / "orders" / "part-9-5f1c.snappy.parquet")
    assert _scan_csv(cli, folder, tmp_path / "parts.csv") == plain


@pytest.mark.parametrize("shape", ["file", "folder"])
def test_a_column_written_twice_that_no_source_reads_is_passed_over(
    cli, examples_dir: Path, tmp_path: Path, shape: str
) -> None:  # type: ignore[no-untyped-def]
    """As a CSV's repeated header is; a repeated column a source needs is an error."""
    plain, folder = _plain_scan_and_a_copy(cli, examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    table = _orders(examples_dir)
    note = pa.array(["x"] * table.num_rows)
    twice = table.append_column("note", note).append_column("note", note)
    if shape == "file":
        pq.write_table(twice, folder / "orders.parquet")
    else:
        _spark_folder(twice, folder / "orders.parquet", parts=3)
    assert _scan_csv(cli, folder, tmp_path / "parts.csv") == plain
    if shape == "folder":
        shutil.rmtree(folder / "orders.parquet")
    amounts = table.append_column("amount", table.column("amount"))
    pq.write_table(amounts, folder / "orders.parquet")
    result = cli("scan", folder)
    assert result.exit_code == 2
    assert "column 'amount' appears 2 times in the header" in result.stderr, result.output


def test_a_parquet_folder_without_parts_is_an_empty_export(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Only a writer's _SUCCESS: the orders are an error naming the folder (not a missing
    orders.csv); the payments are left out and said so, which --strict refuses."""
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    (folder / "payments.csv").unlink()
    (folder / "payments.parquet").mkdir()
    (folder / "payments.parquet" / "_SUCCESS").write_bytes(b"")
    result = cli("scan", folder, "--as-of", AS_OF, "-f", "csv", "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    left_out = "payments.parquet: a Parquet folder without parts (only its writers' own files);"
    assert f"{left_out} payments is left out" in result.stderr, result.stderr
    strict = cli("scan", folder, "--as-of", AS_OF, "--strict", "-o", tmp_path / "strict.csv")
    assert strict.exit_code == 2 and not (tmp_path / "strict.csv").exists()
    (folder / "orders.csv").unlink()
    (folder / "orders.parquet").mkdir()
    (folder / "orders.parquet" / "_SUCCESS").write_bytes(b"")
    result = cli("scan", folder)
    assert result.exit_code == 2
    said = f"{folder / 'orders.parquet'}/: a Parquet folder without parts"
    assert said in result.stderr, result.stderr


@pytest.mark.parametrize("engine", ["default", "dask"])
def test_orders_dated_after_today_are_placed_in_their_parts(
    cli, tmp_path: Path, engine: str
) -> None:  # type: ignore[no-untyped-def]
    """A note made after the load (at the cut) places its lines as the reader's do."""
    folder = tmp_path / "exports" / "orders"
    folder.mkdir(parents=True)
    today = dt.date.today()
    days = {0: ["2025-01-01", "2025-02-01"], 1: ["2025-03-01", str(today + dt.timedelta(30))]}
    for number, dates in days.items():
        rows = {"customer_id": ["C1", "C2"], "order_date": dates, "amount": [5.0, 6.0]}
        pq.write_table(pa.table(rows), folder / f"part-{number}.parquet")
    extra = ("--engine", "dask", "--workers", "1") if engine == "dask" else ()
    result = cli("scan", tmp_path / "exports", "-f", "json", *extra)
    assert result.exit_code == 0, result.output
    assert "orders/part-1.parquet:3: column 'order_date': 1 order dated after today" in (
        result.stderr
    ), result.stderr


def test_a_part_given_as_the_exports_is_sent_to_the_folder_above_its_parts(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = _folder_with(examples_dir, tmp_path)
    part = next((folder / "orders.parquet").glob("part-0-*"))
    result = cli("scan", part)
    assert result.exit_code == 2
    assert f"hint: use its folder: {folder})" in result.stderr, result.stderr
    _split_by_channel(_orders(examples_dir), folder / "orders", keep=False)
    result = cli("scan", folder / "orders" / "channel=inbound" / "00000000.parquet")
    assert f"hint: use its folder: {folder})" in result.stderr, result.stderr


@pytest.mark.parametrize("engine", ["default", "dask"])
def test_parts_written_before_an_optional_column_was_added_are_said(
    cli, examples_dir: Path, tmp_path: Path, engine: str
) -> None:  # type: ignore[no-untyped-def]
    """Their rows are read with the column empty, as a CSV's empty cells: a note names the
    parts, where the column went silently empty before."""
    table = _orders(examples_dir)
    third = -(-table.num_rows // 3)
    pieces = [table.slice(index * third, third) for index in range(3)]
    channel = table.schema.get_field_index("channel")
    empty = pa.nulls(pieces[0].num_rows + pieces[1].num_rows, pa.string())
    written = pa.concat_tables(
        [
            pa.concat_tables(pieces[:2]).set_column(channel, "channel", empty),
            pieces[2].cast(pieces[2].schema.set(channel, pa.field("channel", pa.string()))),
        ]
    )
    expected, folder = _scan_of_csv_and_a_copy(cli, examples_dir, tmp_path, written)
    (folder / "orders").mkdir()
    for index, piece in enumerate(pieces):
        written_part = piece.remove_column(channel) if index < 2 else piece
        pq.write_table(written_part, folder / "orders" / f"part-{index}.parquet")
    extra = ("--engine", "dask", "--workers", "1") if engine == "dask" else ()
    out = tmp_path / "parts.csv"
    result = cli("scan", folder, "--as-of", AS_OF, "-f", "csv", "-o", out, *extra)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == expected
    said = "note: orders: column 'channel': not in 2 parts of 3 (part-0.parquet, part-1.parquet)"
    assert f"{said}: their rows are read with it empty" in result.stderr, result.stderr


def test_parts_written_again_between_two_scans_of_one_process_are_read_as_they_now_are(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """What is learnt about each part is kept for the next scan (a folder of thousands of parts
    was walked and checked half a dozen times per scan), but not past a change to the part."""
    plain, folder = _plain_scan_and_a_copy(cli, examples_dir, tmp_path)
    (folder / "orders.csv").unlink()
    parts = folder / "orders"
    _spark_folder(_orders(examples_dir), parts)
    assert _scan_csv(cli, folder, tmp_path / "first.csv") == plain
    last = parts / "part-11-5f1c.snappy.parquet"
    (tmp_path / "kept.parquet").write_bytes(last.read_bytes())
    last.write_bytes(b"not yet written")  # a writer at work, in place
    result = cli("scan", folder, "--as-of", AS_OF, "-o", tmp_path / "second.csv")
    assert result.exit_code == 2
    assert "part-11-5f1c.snappy.parquet: not a Parquet file" in result.stderr
    last.write_bytes((tmp_path / "kept.parquet").read_bytes())
    assert _scan_csv(cli, folder, tmp_path / "third.csv") == plain
    last.unlink()  # a part taken away: its orders are no longer read
    fewer = _scan_csv(cli, folder, tmp_path / "fourth.csv")
    assert fewer != plain


@pytest.mark.parametrize("engine", ["default", "dask"])
def test_dates_in_some_parts_and_times_in_others_are_read_by_their_days(
    cli, examples_dir: Path, tmp_path: Path, engine: str
) -> None:  # type: ignore[no-untyped-def]
    """Parts written by different tools: dates, times without a zone, and times in a zone
    (half past midnight in Berlin, the evening before in UTC) give each order its day, as the
    CSV does, where Arrow could not join them and the folder was refused."""
    table = _orders(examples_dir)
    expected, folder = _scan_of_csv_and_a_copy(cli, examples_dir, tmp_path, table)
    day = table.schema.get_field_index("order_date")
    third = -(-table.num_rows // 3)
    pieces = [table.slice(index * third, third) for index in range(3)]
    midnight = pieces[1].column(day).cast(pa.timestamp("us"))
    berlin = pc.assume_timezone(pieces[2].column(day).cast(pa.timestamp("ms")), "Europe/Berlin")
    berlin = pc.add(berlin, pa.scalar(dt.timedelta(minutes=30), pa.duration("ms")))
    written = [
        pieces[0],
        pieces[1].set_column(day, "order_date", midnight),
        pieces[2].set_column(day, "order_date", berlin),
    ]
    (folder / "orders").mkdir()
    for index, piece in enumerate(written):
        pq.write_table(piece, folder / "orders" / f"part-{index}.parquet")
    extra = ("--engine", "dask", "--workers", "1") if engine == "dask" else ()
    assert _scan_csv(cli, folder, tmp_path / "parts.csv", *extra) == expected


def test_a_folder_of_csv_parts_or_of_a_success_mark_alone_is_said_not_passed_over(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """``payments/`` as Spark's ``df.write.csv`` leaves it, or with its _SUCCESS alone: the
    payments were left out without a word (``payments.parquet/`` was said), and for the
    orders the error named only a missing orders.csv."""
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    (folder / "payments").mkdir()
    (folder / "payments.csv").rename(folder / "payments" / "part-00000-5f1c-c000.csv")
    (folder / "payments" / "_SUCCESS").write_bytes(b"")
    result = cli("scan", folder, "--as-of", AS_OF, "-f", "csv", "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    said = (
        "warning: payments/: a folder of CSV parts (part-00000-5f1c-c000.csv), which churnwatch"
        " does not join into one export; the payments are left out: join them into one"
        " payments.csv with a single header line, or write the table as Parquet parts"
    )
    assert said in " ".join(result.stderr.split()), result.stderr
    strict = cli("scan", folder, "--as-of", AS_OF, "--strict", "-o", tmp_path / "strict.csv")
    assert strict.exit_code == 2 and not (tmp_path / "strict.csv").exists()
    init = cli("init", folder)
    assert "no payments export found: payments/ is a folder of CSV parts" in init.output
    (folder / "churnwatch.toml").unlink()
    (folder / "orders").mkdir()
    (folder / "orders.csv").rename(tmp_path / "orders.csv")
    (folder / "orders" / "_SUCCESS").write_bytes(b"")
    result = cli("scan", folder)
    assert result.exit_code == 2
    said = "orders file not found; orders/ is a folder without parts (only its writers' own"
    assert said in " ".join(result.stderr.split()), result.stderr


def test_a_folder_of_something_else_under_a_sources_name_is_left_alone(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """``complaints/`` of call notes and PDFs is no export: the complaints are simply absent,
    as before, and --strict has nothing to refuse."""
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    (folder / "complaints.csv").unlink()
    (folder / "complaints").mkdir()
    (folder / "complaints" / "call-notes.txt").write_text("rang back on Monday\n")
    (folder / "complaints" / "claim.pdf").write_bytes(b"%PDF-1.4")
    result = cli("scan", folder, "--as-of", AS_OF, "--strict", "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assert "complaints/" not in result.stderr


def test_a_part_that_links_to_nothing_is_named_as_such(
    cli, examples_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    (folder / "orders.csv").unlink()
    _spark_folder(_orders(examples_dir), folder / "orders", parts=2)
    (folder / "orders" / "part-2.parquet").symlink_to(tmp_path / "gone" / "part-2.parquet")
    result = cli("scan", folder, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2
    said = "orders/part-2.parquet: a link to nothing (its target is gone); put the part itself"
    assert said in " ".join(result.stderr.split()), result.stderr
    assert "Errno" not in result.stderr


def test_a_part_taken_away_while_the_folder_is_read_is_named(
    cli, examples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """A Spark overwrite running beside the scan: the part listed is gone when it is looked
    at, which is no link to nothing."""
    from churnwatch.ingest import parquet_folder

    folder = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", folder)
    (folder / "orders.csv").unlink()
    _spark_folder(_orders(examples_dir), folder / "orders", parts=2)
    listed = parquet_folder._walk

    def walk_then_delete(place: Path, *, quiet: bool = False):  # type: ignore[no-untyped-def]
        found = list(listed(place, quiet=quiet))
        if not quiet:
            (folder / "orders" / "part-1-5f1c.snappy.parquet").unlink(missing_ok=True)
        return iter(found)

    monkeypatch.setattr(parquet_folder, "_walk", walk_then_delete)
    result = cli("scan", folder, "-o", tmp_path / "out.csv")
    assert result.exit_code == 2
    said = "part-1-5f1c.snappy.parquet: gone while it was read; run again once the writer is done"
    assert said in " ".join(result.stderr.split()), result.stderr
