"""Splitting an export into parts of whole customers (the way to exports larger than memory):
every record lands in exactly one part, byte for byte, all of a customer's in the same one,
and the line maps give back the export's line of every line a part holds."""

from __future__ import annotations

import datetime as dt
import gzip
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from churnwatch.config import Config
from churnwatch.core.days import date_to_day
from churnwatch.core.errors import InputError
from churnwatch.core.sources import SOURCES
from churnwatch.ingest import export_parts
from churnwatch.ingest.csv_reader import read_source
from churnwatch.ingest.customer_ids import _clean
from churnwatch.ingest.dataset import Dataset, load_dataset
from churnwatch.ingest.export_parts import ExportParts, merged, split_export
from churnwatch.ingest.problems import Problem, Reason
from churnwatch.timeframe import cut_at
from helpers import SPELLINGS, flawed_export

PARTS = 4
NOTES = ("plain", '27" monitor', '"quoted; with delimiter"', '"two\nlines"', "Müller", "a\rb", "")


def messy_orders(rows: int, seed: int, *, newline: str = "\n") -> bytes:
    """An orders export with what real ones hold: a preamble, ids spelt several ways, quoted
    fields with delimiters and line breaks, inch marks, umlauts, blank lines, a row with
    too few fields, and no line break at the end."""
    rng = random.Random(seed)
    lines = ["sep=;", "customer_id;order_date;amount;note"]
    for _ in range(rows):
        customer = rng.choice(SPELLINGS).format(id=rng.randrange(1, 60))
        day = f"{rng.randrange(1, 28):02d}.{rng.randrange(1, 12):02d}.2024"
        lines.append(f"{customer};{day};{rng.randrange(1, 999)},50;{rng.choice(NOTES)}")
        if rng.random() < 0.03:
            lines.append("")
        if rng.random() < 0.02:
            lines.append("broken;row")
    return newline.join(lines).encode("utf-8")


def _split(folder: Path, tmp_path: Path, parts: int = PARTS) -> ExportParts:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return split_export(folder, Config(), scratch, parts=parts)


def _rows(path: Path) -> pa.Table:
    """The rows the reader keeps, ids cleaned as the loader cleans them."""
    table = read_source(path, SOURCES["orders"], Config().sources.get("orders")).table
    columns = ["customer_id", "order_date", "amount"]
    return table.select(columns).set_column(0, "customer_id", _clean(table["customer_id"]))


def _sorted(table: pa.Table) -> list[tuple[object, ...]]:
    return sorted(zip(*(table[name].to_pylist() for name in table.column_names), strict=True))


def _export(tmp_path: Path, data: bytes, name: str = "orders.csv") -> Path:
    folder = tmp_path / "exports"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("block", [64, 1000, export_parts.BLOCK])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_every_row_lands_in_one_part_with_all_of_its_customers_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, newline: str
) -> None:
    monkeypatch.setattr(export_parts, "BLOCK", block)  # records straddle blocks
    folder = _export(tmp_path, messy_orders(400, seed=block, newline=newline))
    split = _split(folder, tmp_path)
    whole = _rows(folder / "orders.csv")
    parts = [_rows(split.part(index) / "orders.csv") for index in range(PARTS)]
    assert _sorted(pa.concat_tables(parts)) == _sorted(whole)
    owners = [set(part["customer_id"].to_pylist()) for part in parts]
    assert sum(len(ids) for ids in owners) == len(set().union(*owners))  # no id in two parts
    assert sum(bool(ids) for ids in owners) >= 2  # and the customers are spread


def test_the_line_maps_give_the_export_line_of_every_line_of_a_part(tmp_path: Path) -> None:
    """A line of the export is what ends in a line feed, as ``grep -n`` and ``sed -n`` count
    them: a return alone (``a\rb``, which the reader takes for two rows) is within one. In a
    part, every record starts a line of its own, which lies within the export's line."""
    data = messy_orders(300, seed=7)
    assert b"a\rb" in data
    folder = _export(tmp_path, data)
    split = _split(folder, tmp_path)
    export_lines = data.split(b"\n")
    source = split.sources["orders"]
    seen = []
    for index in range(PARTS):
        lines = (split.part(index) / "orders.csv").read_bytes().removesuffix(b"\n").split(b"\n")
        numbers = source.export_lines(index, np.arange(1, len(lines) + 1))
        for number, line in zip(numbers, lines, strict=True):
            assert line.removesuffix(b"\r") in export_lines[number - 1]
        seen += list(numbers[2:])  # the preamble and header head every part
    blank = {n for n, line in enumerate(export_lines, 1) if not line}
    assert set(seen) == set(range(3, len(export_lines) + 1)) - blank
    assert len(seen) == len(export_lines) - 2 - len(blank) + data.count(b"a\rb")


def test_rows_with_the_wrong_number_of_fields_go_to_the_first_part(tmp_path: Path) -> None:
    folder = _export(tmp_path, b"customer_id;order_date;amount\n1;2024-01-02;3\nbroken\n")
    split = _split(folder, tmp_path)
    assert (split.part(0) / "orders.csv").read_bytes().endswith(b"broken\n")
    assert split.sources["orders"].export_lines(0, np.array([2]))[0] == 3


def test_a_packed_export_splits_as_its_csv(tmp_path: Path) -> None:
    data = messy_orders(200, seed=3)
    folder = _export(tmp_path, gzip.compress(data), "orders.csv.gz")
    split = _split(folder, tmp_path)
    plain = _export(tmp_path / "plain", data)
    parts = pa.concat_tables(_rows(split.part(index) / "orders.csv") for index in range(PARTS))
    assert _sorted(parts) == _sorted(_rows(plain / "orders.csv"))


def test_a_parquet_export_splits_by_rows_with_their_numbers(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    table = pa.table(
        {
            "customer_id": pa.array(rng.integers(1, 50, 500)),
            "order_date": pa.array(np.datetime64("2024-01-01") + rng.integers(0, 300, 500)),
            "amount": rng.random(500) * 100,
        }
    )
    folder = tmp_path / "exports"
    folder.mkdir()
    pq.write_table(table, folder / "orders.parquet", row_group_size=64)
    split = _split(folder, tmp_path)
    source = split.sources["orders"]
    found = []
    for index in range(PARTS):
        part = pq.read_table(split.part(index) / "orders.parquet")
        rows = source.export_lines(index, np.arange(part.num_rows) + 2) - 2
        assert part.equals(table.take(pa.array(rows)))
        found.append(set(pc.unique(part["customer_id"]).to_pylist()))
    assert sum(len(ids) for ids in found) == len(set().union(*found)) == 49


def test_every_present_source_is_split_and_absent_ones_are_not(tmp_path: Path) -> None:
    folder = _export(tmp_path, b"customer_id,order_date,amount\nA1,2024-01-02,3\n")
    (folder / "payments.csv").write_bytes(
        b"customer_id,invoice_id,invoice_date,due_date,paid_date,amount\n"
        b"A1,R1,2024-01-02,2024-01-16,2024-01-20,3\n"
    )
    split = _split(folder, tmp_path)
    assert sorted(split.sources) == ["orders", "payments"]
    owner = [
        index
        for index in range(PARTS)
        if b"A1" in (split.part(index) / "payments.csv").read_bytes()
    ]
    assert owner and b"A1" in (split.part(owner[0]) / "orders.csv").read_bytes()


def test_a_utf16_export_splits_from_a_utf8_copy(tmp_path: Path) -> None:
    data = messy_orders(200, seed=9).decode("utf-8")
    folder = _export(tmp_path, data.encode("utf-16"))
    split = _split(folder, tmp_path)
    plain = _export(tmp_path / "plain", data.encode("utf-8"))
    parts = [split.load(index, Config()) for index in range(PARTS)]
    whole = load_dataset(plain, Config())
    rows = sorted(row for part in parts for row in _named_rows(part, "orders"))
    assert rows == _named_rows(whole, "orders")


@pytest.mark.parametrize(
    ("spellings", "same"),
    [
        ((b"123", b" 123 ", b"123.00", b'"123"', b"1\x0023", "123\u00a0".encode()), True),
        ((b"123", b"124"), False),
        # Unicode's two forms (a Mac's and Windows'), and cp1252's byte, of one id
        (("M\u00dcLLER9".encode(), "MU\u0308LLER9".encode(), b"M\xdcLLER9"), True),
        (("J\u00dcRGEN-\u00c9".encode(), "JU\u0308RGEN-E\u0301".encode()), True),
    ],
)
def test_routing_keys_agree_for_every_spelling_the_loader_reads_as_one(
    spellings: tuple[bytes, ...], same: bool
) -> None:
    keys = set(export_parts.routing_keys(pa.array(spellings, pa.binary())).to_pylist())
    assert (len(keys) == 1) is same


def _named_rows(dataset: Dataset, source: str) -> list[tuple[object, ...]]:
    frame = dataset.frame(source)
    ids = dataset.customer_ids[frame["customer"].to_numpy()]
    columns = [c for c in frame.columns if c != "customer"]
    return sorted(zip(ids, *(frame[c].tolist() for c in columns), strict=True))


def _kinds(problems: list[Problem]) -> list[tuple[object, ...]]:
    return sorted(
        (p.source, p.file, p.code, p.column, p.count, p.lines, p.message) for p in problems
    )


def test_the_parts_load_as_the_export_with_its_files_and_lines_in_every_message(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    flawed_export(folder, 600, seed=11)
    whole = load_dataset(folder, Config())
    split = _split(folder, tmp_path)
    parts = [split.load(index, Config()) for index in range(PARTS)]
    for source in ("orders", "payments"):
        assert sorted(row for part in parts for row in _named_rows(part, source)) == _named_rows(
            whole, source
        )
    found = merged([split.notes(), *(part.problems for part in parts)])
    assert {p.code for p in whole.problems} >= {
        Reason.BAD_DATE,
        Reason.BAD_NUMBER,
        Reason.DUPLICATE,
        Reason.FIELD_COUNT,
        Reason.ORPHAN,
    }
    assert _kinds(found) == _kinds(whole.problems)
    later = cut_at(parts[0], date_to_day(dt.date(2024, 3, 1)))
    noted = [note for note in later.notes if note.code is Reason.AFTER_AS_OF]
    export_lines = (folder / "orders.csv").read_text(encoding="utf-8").split("\n")
    assert noted and all(
        "A" in export_lines[line - 1] and ".2024" in export_lines[line - 1]
        for note in noted
        for line in note.lines
    )


def test_a_parts_error_names_the_export_and_its_line(tmp_path: Path) -> None:
    orders = b"".join(b"%d;01.02.2024;3\n" % n for n in range(40))
    folder = _export(tmp_path, b"customer_id;order_date;amount\n" + orders)
    (folder / "payments.csv").write_bytes(
        b"customer_id;invoice_id;invoice_date;due_date;paid_date;amount\n"
        + b"".join(b"%d;R1;02.03.2024;16.03.2024;;1\n" % n for n in range(40))
        + b"7;R2;02.03.2024;16.03.2024;;1 \xff\n"
    )
    config = Config.model_validate({"sources": {"payments": {"encoding": "utf-8"}}})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    split = split_export(folder, config, scratch, parts=2)
    with pytest.raises(InputError) as raised:
        for index in range(2):
            split.load(index, config)
    assert str(raised.value).startswith(f"{folder / 'payments.csv'}:42: not valid utf-8 text")
    assert "part-" not in str(raised.value)
