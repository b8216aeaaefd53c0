"""Output a spreadsheet can rely on: fixed CSV columns, dialects for Excel, xlsx with typed
cells, a formula guard that can be switched off, and `-o /dev/stdout` that keeps a pipe a pipe."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scan_helpers import EXAMPLES, invoke, stderr_of, write_exports

AS_OF = "2026-09-30"
CHURNWATCH = Path(sys.executable).with_name("churnwatch")


def header(folder: Path, *options: str) -> list[str]:
    result = invoke("scan", folder, "--as-of", AS_OF, "--format", "csv", *options)
    assert result.exit_code == 0, stderr_of(result)
    return next(csv.reader(io.StringIO(result.stdout)))


def test_csv_header_is_the_same_with_and_without_the_optional_sources(tmp_path: Path) -> None:
    orders_only = tmp_path / "orders-only"
    orders_only.mkdir()
    shutil.copyfile(EXAMPLES / "exports" / "orders.csv", orders_only / "orders.csv")
    full = header(EXAMPLES / "exports")
    assert header(orders_only) == full
    assert full[:7] == ["rank", "as_of", "customer_id", "name", "segment", "owner", "email"]


def test_csv_rows_carry_segment_email_and_as_of() -> None:
    result = invoke("scan", EXAMPLES / "exports", "--as-of", AS_OF, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))  # no BOM: the first key is 'rank'
    assert next(iter(rows[0])) == "rank"
    assert {row["as_of"] for row in rows} == {AS_OF}
    assert {row["segment"] for row in rows} == {"A", "B", "C"}
    assert sum("@" in row["email"] for row in rows) > 250


def test_excel_de_dialect_uses_semicolons_decimal_commas_and_a_bom() -> None:
    result = invoke(
        "scan", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "csv", "--csv-dialect", "excel-de"
    )
    data = result.stdout_bytes
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 300
    assert re.fullmatch(r"0,\d+", rows[0]["risk"])
    assert rows[0]["as_of"] == AS_OF


def test_csv_options_refuse_other_formats() -> None:
    result = invoke("scan", EXAMPLES / "exports", "-f", "json", "--csv-dialect", "excel")
    assert result.exit_code == 2
    assert "apply to csv output, not json" in stderr_of(result)


def test_the_formula_guard_can_be_switched_off_for_trusted_data(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-02,1\n",
        customers="customer_id,name,owner\nA,=HYPERLINK(1),+49 170 1234567\n",
    )
    guarded = invoke("scan", folder, "--as-of", "2025-01-02", "-f", "csv").stdout
    assert "'=HYPERLINK(1)" in guarded and "'+49 170 1234567" in guarded
    trusted = invoke(
        "scan", folder, "--as-of", "2025-01-02", "-f", "csv", "--no-formula-guard"
    ).stdout
    assert '"+49 170 1234567"' in trusted and "'" not in trusted.split("\n")[1][:40]


def test_xlsx_opens_with_typed_numbers_dates_and_a_frozen_header(tmp_path: Path) -> None:
    target = tmp_path / "risks.xlsx"
    result = invoke("scan", EXAMPLES / "exports", "--as-of", AS_OF, "-o", target)
    assert result.exit_code == 0
    sheet = openpyxl.load_workbook(target).active
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    names = list(rows[0])
    assert names == header(EXAMPLES / "exports")
    first = dict(zip(names, rows[1], strict=True))
    assert first["rank"] == 1 and isinstance(first["risk"], float)
    assert first["as_of"] == dt.datetime(2026, 9, 30)
    assert isinstance(first["last_order_date"], dt.datetime)
    assert isinstance(first["order_count"], int)
    assert len(rows) == 301
    risk = sheet.cell(row=2, column=names.index("risk") + 1)  # a share, shown as a percent
    assert 0 < risk.value < 1 and risk.number_format == "0%"


def test_xlsx_is_the_same_bytes_whenever_it_is_written(tmp_path: Path) -> None:
    """A weekly job that compares this week's file with last week's sees only changed rows:
    nothing in the workbook depends on the clock (its dates have whole seconds)."""
    written = []
    for run in range(2):
        if run:
            time.sleep(1.1)
        target = tmp_path / f"risks-{run}.xlsx"
        assert invoke("scan", EXAMPLES / "exports", "--as-of", AS_OF, "-o", target).exit_code == 0
        written.append(target.read_bytes())
    assert written[0] == written[1]


def test_xlsx_keeps_a_formula_looking_name_as_text(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-02,1\n",
        customers="customer_id,name\nA,=1+1\n",
    )
    target = tmp_path / "risks.xlsx"
    assert invoke("scan", folder, "--as-of", "2025-01-02", "-o", target).exit_code == 0
    cell = openpyxl.load_workbook(target).active["D2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")


def test_xlsx_keeps_a_name_written_as_sheet_markup_as_text(tmp_path: Path) -> None:
    """xlsxwriter wrote a text that starts with ``<r>`` and ends with ``</r>`` into the sheet
    as it was (as rich-text markup): a customer's name could close its cell and add a cell
    of its own, here a formula that opens a link."""
    name = (
        '<r>x</r></is></c><c r="ZZ2"><f>HYPERLINK("http://evil.example","click")</f>'
        '<v>0</v></c><c t="inlineStr"><is><r>y</r>'
    )
    folder = tmp_path / "exports"
    write_exports(folder, orders="customer_id,order_date,amount\nA,2025-01-02,1\n")
    with (folder / "customers.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["customer_id", "name"], ["A", name]])
    target = tmp_path / "risks.xlsx"
    assert invoke("scan", folder, "--as-of", "2025-01-02", "-o", target).exit_code == 0
    sheet = openpyxl.load_workbook(target).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert sheet["D2"].value == name and sheet["D2"].data_type == "s"
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert sheet.max_column == len(header(folder))


_PIECES = ["<r>x</r>", "_x0041_", "_x005F_", "_x", "00e9", "_", " ", "&", "\r\n", "\x01", "\ufffe"]
_TEXTS = st.text(st.characters(exclude_categories=("Cs",)), max_size=12) | st.lists(
    st.sampled_from(_PIECES), max_size=6
).map("".join)
_VALUES = {
    "text": _TEXTS,
    "whole": st.integers(-(2**53), 2**53),
    "number": st.floats(allow_nan=False, allow_infinity=False),
    "date": st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31)),
}


def as_excel_reads(value: object) -> object:
    """A cell's value as Excel shows it: ``_xHHHH_`` is the character it stands for
    (openpyxl leaves it as written)."""
    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda found: chr(int(found[1], 16)), value)


@settings(max_examples=60, deadline=None)
@example([["_x0041_x0042_", "_x0041\x01", "_x005F_x0041_"]], [None, None, None])
@given(
    st.lists(
        st.sampled_from(sorted(_VALUES)).flatmap(
            lambda kind: st.lists(st.none() | _VALUES[kind], min_size=3, max_size=3)
        ),
        min_size=1,
        max_size=4,
    ),
    st.lists(st.none() | _TEXTS | _VALUES["whole"] | _VALUES["date"], min_size=3, max_size=3),
)
def test_xlsx_cells_read_back_as_written(columns: list[list[Any]], mixed: list[Any]) -> None:
    """Every value a sheet is given is the value Excel reads: texts of any characters (control
    characters, markup, escapes of Excel's own, blanks at the ends), whole and decimal numbers,
    dates; an empty text or a missing value is an empty cell."""
    from churnwatch.render.xlsx_sheet import sheet_bytes

    given_columns = {f"c{place}": values for place, values in enumerate([*columns, mixed])}
    sheet = openpyxl.load_workbook(io.BytesIO(sheet_bytes(given_columns))).active
    rows = list(sheet.iter_rows(2, 4, 1, len(given_columns), values_only=True))
    for place, values in enumerate(given_columns.values()):
        read = [as_excel_reads(row[place]) for row in rows]
        expected = [
            None
            if value in (None, "")
            else dt.datetime.combine(value, dt.time())
            if isinstance(value, dt.date)
            else value
            for value in values
        ]
        assert read == expected


def test_a_sheet_past_what_a_zip_entry_holds_is_written_with_zip64_sizes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whether a sheet's XML needs ZIP64 sizes is known only once it is made: a sheet whose
    first rows were short and later rows long failed at the very end ("File size too
    large"), after all the work. Here zip's limit is 200 kB and rows come 100 at a time."""
    import zipfile

    from churnwatch.render import xlsx_rows
    from churnwatch.render.xlsx_sheet import sheet_bytes

    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 200_000)
    monkeypatch.setattr(xlsx_rows, "BLOCK_ROWS", 100)
    names = ["A"] * 100 + ["a much longer customer name " * 3] * 2900
    small = openpyxl.load_workbook(io.BytesIO(sheet_bytes({"name": names[:150]}))).active
    large = openpyxl.load_workbook(io.BytesIO(sheet_bytes({"name": names}))).active
    assert [row[0] for row in small.iter_rows(min_row=2, values_only=True)] == names[:150]
    assert [row[0] for row in large.iter_rows(min_row=2, values_only=True)] == names


def test_dev_stdout_works_in_a_pipe_and_appends(tmp_path: Path) -> None:
    base = [str(CHURNWATCH), "scan", str(EXAMPLES / "exports"), "--as-of", AS_OF, "-f", "csv"]
    piped = subprocess.run([*base, "-o", "/dev/stdout"], capture_output=True, check=False)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.startswith(b'"rank","as_of"')
    log = tmp_path / "log.csv"
    log.write_text("kept\n")
    with log.open("a") as handle:
        appended = subprocess.run([*base, "-o", "/dev/stdout"], stdout=handle, check=False)
    assert appended.returncode == 0
    text = log.read_text(encoding="utf-8")
    assert text.startswith('kept\n"rank"') and len(text.splitlines()) == 302


def test_init_piped_into_head_still_writes_the_config(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    shutil.copytree(EXAMPLES / "exports", folder)
    done = subprocess.run(
        f"'{CHURNWATCH}' init '{folder}' | head -1", shell=True, capture_output=True, check=False
    )
    assert done.returncode == 0
    assert (folder / "churnwatch.toml").exists()


def test_min_risk_compares_with_the_percent_shown() -> None:
    """A customer shown as 81% (risk 0.808) is kept by --min-risk 81."""
    result = invoke("scan", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "json")
    customers = json.loads(result.stdout)["customers"]
    rounded_up = next(c for c in customers if (c["risk"] * 100) % 1 >= 0.5)
    shown = round(rounded_up["risk"] * 100)
    kept = invoke(
        "scan", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "json", "--min-risk", str(shown)
    )
    ids = [c["customer_id"] for c in json.loads(kept.stdout)["customers"]]
    assert rounded_up["customer_id"] in ids
    assert len(ids) == sum(round(c["risk"] * 100) >= shown for c in customers)


def test_fail_on_counts_only_the_filtered_customers_and_names_what_top_left_out() -> None:
    folder = EXAMPLES / "exports"
    both = invoke("scan", folder, "--as-of", AS_OF, "--fail-on", "high", "--top", "1")
    assert both.exit_code == 1
    message = " ".join(stderr_of(both).split())
    assert re.search(
        r"exit 1: \d+ customers not lost at high or above \(--fail-on high\);"
        r" \d+ of them not in the output \(--top\)",
        message,
    ), message
    calm = invoke("scan", folder, "--as-of", AS_OF, "--fail-on", "high", "--min-risk", "99")
    assert calm.exit_code == 0


def test_dev_stdout_without_a_format_writes_the_table() -> None:
    done = subprocess.run(
        [str(CHURNWATCH), "scan", str(EXAMPLES / "exports"), "--as-of", AS_OF, "-o", "/dev/stdout"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("300 customers as of 2026-09-30")


def test_a_workbook_stopped_while_written_leaves_no_rows_behind(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """xlsxwriter keeps each sheet's header in temporary files until the workbook is put
    together (it kept the rows there too, names and e-mail addresses, when it wrote them): a
    stopped run left them in the system's temporary folder. They belong in the run's own
    folder, which goes when the run ends however it ends; a run stopped while the rows are
    put in leaves neither them nor a half-written workbook."""
    import tempfile

    from churnwatch.core import scratch, stops
    from churnwatch.render import xlsx_rows

    shared = tmp_path / "tmp"
    shared.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    monkeypatch.setattr(scratch, "_run_folders", [])  # this run's folder is made in `shared`
    monkeypatch.setattr(xlsx_rows, "BLOCK_ROWS", 100)
    made = xlsx_rows.rows_xml
    blocks = []

    def stopped_at_the_second_block(*args: Any, **kwargs: Any) -> Iterator[memoryview]:
        for block in made(*args, **kwargs):
            blocks.append(block)
            if len(blocks) == 2:
                stops.stop(signal.SIGTERM)  # what the signal handler calls
            yield block

    monkeypatch.setattr(xlsx_rows, "rows_xml", stopped_at_the_second_block)
    target = tmp_path / "risks.xlsx"
    result = invoke("scan", EXAMPLES / "exports", "--as-of", AS_OF, "-q", "-o", target)
    assert result.exit_code == 128 + signal.SIGTERM
    assert len(blocks) == 2 and not target.exists()
    scratch.remove_all()  # what the end of the process runs
    assert sorted(shared.rglob("*")) == []


def test_output_dash_is_stdout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``-o -`` in a pipeline means stdout, as for most tools; it wrote a file named ``-``."""
    monkeypatch.chdir(tmp_path)
    result = invoke("scan", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "csv", "-o", "-")
    assert result.exit_code == 0, stderr_of(result)
    assert result.stdout.startswith('"rank","as_of","customer_id"')
    assert list(tmp_path.iterdir()) == []


def test_text_longer_than_a_cell_holds_is_cut_visibly(tmp_path: Path) -> None:
    """Excel holds 32,767 characters per cell; xlsxwriter cut longer text without a sign."""
    from churnwatch.render.xlsx_rows import MAX_TEXT
    from churnwatch.render.xlsx_sheet import sheet_bytes

    target = tmp_path / "long.xlsx"
    target.write_bytes(sheet_bytes({"name": ["x" * 40_000, "short"], "n": [1, 2]}))
    sheet = openpyxl.load_workbook(target).active
    assert sheet["A2"].value == "x" * (MAX_TEXT - 1) + "…"
    assert sheet["A3"].value == "short" and sheet["B2"].value == 1


@pytest.mark.parametrize("text", ["😀" * 20_000, "x" * 32_766 + "😀", "😀" * 16_384])
def test_a_text_of_emoji_is_cut_as_excel_counts_it(tmp_path: Path, text: str) -> None:
    """Excel counts UTF-16 units (an emoji is two): 20,000 emoji are 40,000 of them, more
    than a cell holds, though fewer than 32,767 characters."""
    from churnwatch.render.xlsx_rows import MAX_TEXT
    from churnwatch.render.xlsx_sheet import sheet_bytes

    target = tmp_path / "emoji.xlsx"
    target.write_bytes(sheet_bytes({"name": [text, "😀" * 16_383]}))
    sheet = openpyxl.load_workbook(target).active
    cut = sheet["A2"].value
    assert len(cut.encode("utf-16-le")) // 2 <= MAX_TEXT and cut.endswith("…")
    assert text.startswith(cut[:-1])
    assert len(cut.encode("utf-16-le")) // 2 >= MAX_TEXT - 1  # no more cut than needed
    assert sheet["A3"].value == "😀" * 16_383  # 32,766 units: whole


def test_a_list_longer_than_a_sheet_is_refused_before_its_cells_are_built(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """3 million customers as xlsx took 55 s and 10 GB to build every column as Python
    values, and only then said the list does not fit a sheet. Here (a sheet of 100 rows) it
    is said first, and nothing is written."""
    from churnwatch.render import csv_rows, xlsx_sheet

    monkeypatch.setattr(xlsx_sheet, "MAX_ROWS", 100)
    built = []
    monkeypatch.setattr(csv_rows, "row_columns", lambda *a, **k: built.append(a))
    target = tmp_path / "list.xlsx"
    result = invoke("scan", EXAMPLES / "exports", "--as-of", AS_OF, "-o", target)
    assert result.exit_code == 2
    assert "xlsx holds at most 99 customers, this list has 300" in stderr_of(result)
    assert not built and not target.exists()


def test_number_formats_given_only_per_row_are_in_the_workbook(tmp_path: Path) -> None:
    """A format no column has, only rows (a report's overview: a count, a share), and a
    column asking for the dates' own format: both crashed, as xlsxwriter had not placed
    them among the workbook's styles."""
    from churnwatch.render.xlsx_sheet import DATE_FORMAT, workbook_bytes

    target = tmp_path / "rows.xlsx"
    sheets = {"s": {"a": [0.25, 3, None], "d": [dt.date(2026, 1, 2), None, None]}}
    formats = {"s": {"a": ["0%", "#,##0", None], "d": DATE_FORMAT}}
    target.write_bytes(workbook_bytes(sheets, formats))
    sheet = openpyxl.load_workbook(target).active
    assert [sheet[f"A{row}"].number_format for row in (2, 3)] == ["0%", "#,##0"]
    assert sheet["B2"].number_format == DATE_FORMAT
    with pytest.raises(ValueError, match="2 number formats for 3 rows"):
        workbook_bytes(sheets, {"s": {"a": ["0%", "0%"]}})
