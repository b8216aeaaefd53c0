"""``--format xlsx``: the CSV's columns as an Excel sheet, with typed cells.

Numbers are numbers and dates are dates (no locale guessing on import), the header row is
frozen and filterable, and text is always written as text: a customer called ``=HYPERLINK(…)``
stays a name, not a formula, without the apostrophe the CSV needs.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from churnwatch.core.errors import UsageError
from churnwatch.core.scratch import run_folder
from churnwatch.core.words import shortened

if TYPE_CHECKING:
    import pyarrow as pa

    from churnwatch.analyses.result import Selection
    from churnwatch.render.language import Language
    from churnwatch.render.xlsx_rows import Column, Styles

MAX_ROWS = 1_048_576
"""Excel's limit, header row included."""
WIDTHS = {"customer_id": 12, "name": 32, "segment": 10, "owner": 18, "email": 28, "history": 40}
WIDE = {"reasons": 80, "action": 50, "signals": 30}


@dataclass(frozen=True)
class XlsxSheet:
    name = "xlsx"
    extensions = (".xlsx",)
    bom = False
    for_people = False
    binary = True
    lang: Language | None = None

    def with_language(self, lang: Language) -> XlsxSheet:
        return replace(self, lang=lang)

    def render(self, selection: Selection) -> bytes:
        from churnwatch.render.csv_rows import row_columns

        fits(selection.rows.count)  # before the columns are built: 10 GB for 3 M customers
        columns = row_columns(selection.rows, formula_guard=False, lang=self.lang)
        return sheet_bytes(columns, formats=PERCENT)


PERCENT = dict.fromkeys(("risk", "base_risk"), "0%")
"""Risks are shares (0.92) in the cells, shown as the table shows them (92%)."""


def sheet_bytes(
    columns: Mapping[str, pa.Array | Sequence[Any]],
    title: str = "customers",
    formats: dict[str, str] | None = None,
) -> bytes:
    """One sheet: a bold, frozen, filterable header and typed cells, text never a formula;
    ``formats``: the Excel number format of some columns."""
    fits(len(next(iter(columns.values()), [])))
    return workbook_bytes({title: columns}, {title: formats or {}})


def fits(count: int) -> None:
    """A list of ``count`` customers must fit a sheet, under its header row."""
    if count + 1 > MAX_ROWS:
        raise UsageError(
            f"xlsx holds at most {MAX_ROWS - 1:,} customers, this list has {count:,}",
            hint="use --format csv, or narrow the list with --top or --min-risk",
        )


def workbook_bytes(
    sheets: Mapping[str, Mapping[str, pa.Array | Sequence[Any]]],
    formats: Mapping[str, Mapping[str, str | Sequence[str | None]]] | None = None,
) -> bytes:
    """A workbook with one sheet per entry (title → columns), each as :func:`sheet_bytes`
    writes it; an empty sheet keeps its header. ``formats``: per sheet, the Excel number
    format of some columns (``0%`` for a share), so a cell shows what the report shows; a
    list gives each row its own (None: General), for a column of several kinds (a date
    keeps the date format).

    xlsxwriter lays the workbook out (styles, widths, the frozen header, the filter); the
    rows are made by :mod:`churnwatch.render.xlsx_rows` and put into each sheet after."""
    import xlsxwriter

    from churnwatch.render.xlsx_rows import Column, with_rows

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "constant_memory": True,  # the header row written in order, then forgotten
            "strings_to_formulas": False,
            "strings_to_urls": False,
            # its row files in the run's folder, which goes however the run ends
            "tmpdir": str(run_folder()),
        },
    )
    workbook.set_properties({"created": CREATED})
    bold = _placed(workbook.add_format({"bold": True}))
    formats_of = _Formats(workbook)
    laid_out: list[tuple[list[Column], list[Styles]]] = []
    for title, given in sheets.items():
        sheet = workbook.add_worksheet(sheet_title(title, workbook.sheetnames))
        columns = {name: Column.of(values) for name, values in given.items()}
        count = _rows_of(title, columns)
        sheet.write_row(0, 0, list(columns), bold)
        wanted = (formats or {}).get(title, {})
        styles = []
        for position, (name, column) in enumerate(columns.items()):
            own, cells = formats_of.laid(column, wanted.get(name), f"{title!r}, {name!r}")
            width = WIDTHS.get(name) or WIDE.get(name) or 14
            sheet.set_column(position, position, width, own)
            styles.append(cells)
        sheet.freeze_panes(1, 0)
        if columns:
            sheet.autofilter(0, 0, count, len(columns) - 1)
        laid_out.append((list(columns.values()), styles))
    workbook.close()
    return with_rows(buffer.getvalue(), laid_out)


class _Formats:
    """The workbook's number formats, each added once, with its place among the workbook's
    styles taken as it is added: xlsxwriter places a format when a cell or a column of its
    own uses it, which a format only rows of ours use never is."""

    def __init__(self, workbook: Any) -> None:
        self.workbook = workbook
        self.added: dict[str, Any] = {}

    def laid(
        self, column: Column, shown: str | Sequence[str | None] | None, where: str
    ) -> tuple[Any, Styles]:
        """A column's own format (the dates' where it holds dates and ``shown`` is none),
        and the styles of its cells: ``shown``, one format or one per row; a date keeps the
        date format whatever its row's is."""
        from churnwatch.render.xlsx_rows import Styles

        dates = self.format(DATE_FORMAT) if column.holds_dates else None
        if shown is None or isinstance(shown, str):
            others = self.format(shown)
            return others or dates, Styles(_place(others or dates), _place(others))
        if len(shown) != len(column):
            raise ValueError(f"{where}: {len(shown)} number formats for {len(column)} rows")
        each = tuple(_place(self.format(one)) for one in shown)
        return dates, Styles(_place(dates), None, each)

    def format(self, shown: str | None) -> Any:
        """The format of number format ``shown`` (None: General)."""
        if not shown:
            return None
        if shown not in self.added:
            self.added[shown] = _placed(self.workbook.add_format({"num_format": shown}))
        return self.added[shown]


def _placed(cell_format: Any) -> Any:
    """``cell_format`` with its place among the workbook's styles taken now, as xlsxwriter's
    own writes take it (in the order the formats are added)."""
    cell_format._get_xf_index()
    return cell_format


DATE_FORMAT = "yyyy-mm-dd"
MAX_COLUMNS = 16_384
"""Excel's limit: columns A to XFD."""


def _rows_of(title: str, columns: Mapping[str, Column]) -> int:
    """How many rows the sheet's columns have (each as many: a sheet is a table)."""
    counts = {len(column) for column in columns.values()}
    if len(counts) > 1 or len(columns) > MAX_COLUMNS:
        raise ValueError(f"sheet {title!r}: {len(columns)} columns of {sorted(counts)} rows")
    return next(iter(counts), 0)


def _place(cell_format: Any) -> int | None:
    return None if cell_format is None else int(cell_format.xf_index)


CREATED = dt.datetime(1980, 1, 1, tzinfo=dt.UTC)
"""The workbook's creation date, fixed (xlsxwriter fixes its zip entries' dates too): the
same list gives the same bytes whenever it is written (the reference date is in the rows)."""


def sheet_title(title: str, taken: Any) -> str:
    """A name Excel accepts: at most 31 characters, none of ``[]:*?/\\``, not used yet."""
    plain = " ".join("".join(c for c in title if c not in "[]:*?/\\").split()).strip("'")
    plain = plain or "sheet"
    candidate, number = shortened(plain, SHEET_NAME), 1
    while candidate.lower() in {name.lower() for name in taken}:
        number += 1
        candidate = f"{shortened(plain, SHEET_NAME - len(str(number)) - 1)} {number}"
    return candidate


SHEET_NAME = 31
"""The longest sheet name Excel accepts."""


FORMAT = XlsxSheet()
