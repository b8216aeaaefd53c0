"""A sheet's rows as SpreadsheetML, made a block at a time by Arrow's string kernels.

xlsxwriter puts the workbook together (its styles, the column widths, the frozen header, the
filter); the rows are written here, column by column. Through xlsxwriter every cell was a
few Python calls: 200 k customers (13 M cells) took 67 s as xlsx where the CSV took 9 s.

Every text is escaped as Excel reads it: ``&``, ``<`` and ``>`` as entities, control
characters as ``_xHHHH_`` and a literal ``_xHHHH_`` with its underscore escaped, so that it
reads back as written. (xlsxwriter wrote a text that starts with ``<r>`` and ends with
``</r>`` as rich-text markup, unescaped: a customer's name could put a formula in the sheet.)
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import numbers
import re
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.core.words import cut_after_word

BLOCK_ROWS = 16_384
"""Rows made at a time: a block's XML (tens of MB) is compressed while the next is made."""
MAX_TEXT = 32_767
"""The most characters a cell holds in Excel, counted in UTF-16 units (an emoji is two)."""
EPOCH = 25_568
"""Excel's serial number of 1970-01-01, counted from 1900-01-01 as day 1 ..."""
LEAP_DAY = 59
"""... where serials after 59 count a 29 February 1900 that never was (as Lotus 1-2-3 did)."""
SECONDS_A_DAY = 86_400
_TICKS_A_SECOND = {"s": 1, "ms": 1e3, "us": 1e6, "ns": 1e9}

_NEEDS_ESCAPES = "_x[0-9a-fA-F]{4}|[\\x00-\\x08\\x0b-\\x1f\\x{fffe}\\x{ffff}]"
"""A text that may read as one of Excel's ``_xHHHH_`` escapes, or holds a character XML
cannot (Arrow's expressions, RE2, cannot look ahead: such texts are escaped by Python's)."""
_UNWRITABLE = "\x00-\x08\x0b-\x1f\ufffe\uffff"
_ESCAPES = re.compile(f"_(?=x[0-9a-fA-F]{{4}}(?:_|[{_UNWRITABLE}]))|[{_UNWRITABLE}]")
"""What Excel would read as an escape: an underscore that starts ``_xHHHH_`` (or would,
once the character after the four digits is written as an escape itself), and the
characters XML cannot hold."""
_EDGE_SPACE = r"^[\s\x{85}\p{Z}]|[\s\x{85}\p{Z}]$"
"""Blanks at either end, which a reader drops unless told to keep them."""


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its values, one Arrow array per kind they are of (most
    columns are of one kind; a list of numbers and words, of two), each null where another
    holds the row's value."""

    parts: tuple[pa.Array, ...]

    @classmethod
    def of(cls, values: pa.Array | pa.ChunkedArray | Sequence[Any]) -> Column:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if isinstance(values, pa.Array):
            return cls((values,))
        kinds = {type(value) for value in values if value is not None}
        if len(kinds) > 1 or not kinds <= _ARROW_TYPES.keys():
            return cls(_by_kind(values))  # Arrow would read a 0 after a date as 1970-01-01
        (kind,) = kinds or {type(None)}
        try:
            return cls((pa.array(values, _ARROW_TYPES.get(kind, pa.null())),))
        except (OverflowError, pa.ArrowInvalid):  # a whole number past 64 bits
            return cls(_by_kind(values))

    def __len__(self) -> int:
        return len(self.parts[0])

    @property
    def holds_dates(self) -> bool:
        return any(_is_date(_values_type(part.type)) for part in self.parts)


@dataclass(frozen=True)
class Styles:
    """The style (xf index in the workbook's styles) of a column's cells: of its dates, and
    of its other values (None: Excel's General)."""

    dates: int | None
    others: int | None
    each: tuple[int | None, ...] | None = None
    """Per row, the style of its value other than a date, where rows differ (a short list of
    several kinds, as a report's overview: a count, an amount, a share); in place of
    ``others``."""

    def of_others(self, start: int, count: int) -> str | pa.Array:
        """The style attribute of the other values of ``count`` rows from ``start`` on: one
        for all, or one per row."""
        if self.each is None:
            return _attribute(self.others)
        return pa.array([_attribute(style) for style in self.each[start : start + count]], _TEXT)


def _attribute(style: int | None) -> str:
    return "" if style is None else f' s="{style}"'


def rows_xml(
    columns: Sequence[Column], styles: Sequence[Styles], first_row: int = 2
) -> Iterator[memoryview]:
    """The ``<row>`` elements of ``columns``, from sheet row ``first_row`` on, a block of
    rows at a time. An empty value is no cell, as Excel writes it. The columns' cells are
    made on two threads (Arrow's kernels let go of Python's lock)."""
    count = len(columns[0]) if columns else 0
    laid_out = [
        _Laid(column, column_name(place), style)
        for place, (column, style) in enumerate(zip(columns, styles, strict=True))
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        for start in range(0, count, BLOCK_ROWS):
            rows = np.arange(first_row + start, first_row + min(start + BLOCK_ROWS, count))
            row_numbers = pc.cast(pa.array(rows), _TEXT)
            cells = pool.map(_Laid.cells, laid_out, repeat(start), repeat(row_numbers))
            joined = pc.binary_join_element_wise(
                _text('<row r="'), row_numbers, _text('">'), *cells, _text("</row>"), _text(""),
                null_handling="replace",
                null_replacement="",
            )  # fmt: skip
            yield _bytes_of(joined)


@dataclass(frozen=True)
class _Laid:
    """A column where the sheet has it: its letters and its cells' styles."""

    column: Column
    name: str
    style: Styles

    def cells(self, start: int, rows: pa.Array) -> pa.Array:
        """The cells of sheet rows ``rows`` (their numbers as text), from value ``start`` on;
        null where the value is empty."""
        parts = [part.slice(start, len(rows)) for part in self.column.parts]
        others = self.style.of_others(start, len(rows))
        dates = _attribute(self.style.dates)
        made = [_part_cells(part, self.name, rows, dates, others) for part in parts]
        return made[0] if len(made) == 1 else pc.coalesce(*made)


def column_name(place: int) -> str:
    """A column's letters: A for the first, Z for the 26th, AA for the 27th."""
    name = ""
    place += 1
    while place:
        place, digit = divmod(place - 1, 26)
        name = chr(ord("A") + digit) + name
    return name


_TEXT = pa.large_string()
"""The cells' text: a block of long texts may pass the 2 GB a ``string`` array holds."""


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, _TEXT)


def _part_cells(
    values: pa.Array, name: str, rows: pa.Array, dates: str, others: str | pa.Array
) -> pa.Array:
    """The cells of values of one kind in column ``name``, null where a value is empty;
    ``dates`` and ``others``: the style attributes of dates and of other values."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        values, kind = values.cast(kind.value_type), kind.value_type
    if pa.types.is_null(kind):
        return pa.nulls(len(values), _TEXT)
    if _is_date(kind):
        return _value_cells(_serials(values), name, rows, dates, "")
    if pa.types.is_boolean(kind):
        truth = pc.if_else(values, _text("1"), _text("0"))
        return _value_cells(truth, name, rows, others, ' t="b"')
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return _value_cells(_numbers(values), name, rows, others, "")
    return _text_cells(values.cast(_TEXT), name, rows, others)


def _text_cells(values: pa.Array, name: str, rows: pa.Array, style: str | pa.Array) -> pa.Array:
    """Texts as inline strings (no table of shared strings to build); an empty text is no
    cell, as a spreadsheet makes it."""
    text = _fitted(values)
    text = pc.if_else(pc.equal(text, _text("")), pa.scalar(None, _TEXT), text)  # no cell
    escaped = _escaped(text)
    kept = pc.if_else(
        pc.match_substring_regex(escaped, _EDGE_SPACE),
        _text('<t xml:space="preserve">'),
        _text("<t>"),
    )
    return pc.binary_join_element_wise(
        _text(f'<c r="{name}'), rows, _text('"'), _style(style), _text(' t="inlineStr"><is>'),
        kept, escaped, _text("</t></is></c>"), _text(""),
    )  # fmt: skip


def _value_cells(
    text: pa.Array, name: str, rows: pa.Array, style: str | pa.Array, kind: str
) -> pa.Array:
    return pc.binary_join_element_wise(
        _text(f'<c r="{name}'), rows, _text('"'), _style(style), _text(f"{kind}><v>"), text,
        _text("</v></c>"), _text(""),
    )  # fmt: skip


def _style(attribute: str | pa.Array) -> pa.Scalar | pa.Array:
    return _text(attribute) if isinstance(attribute, str) else attribute


def _numbers(values: pa.Array) -> pa.Array:
    """Numbers as the shortest text that reads back as the same number; none where not
    finite (a cell holds no NaN or infinity)."""
    if pa.types.is_floating(values.type):
        values = pc.if_else(pc.is_finite(values), values, pa.scalar(None, values.type))
    return values.cast(_TEXT)


def _serials(values: pa.Array) -> pa.Array:
    """Dates (and times) as Excel's serial numbers: days since 1899-12-31, a time of day as
    the day's fraction."""
    if pa.types.is_date(values.type):
        days = np.asarray(values.cast(pa.date32()).cast(pa.int32()).fill_null(0), np.float64)
    else:  # a time zone's times as its clocks show them, as a spreadsheet holds no zone
        shown = pc.local_timestamp(values) if values.type.tz else values
        ticks = np.asarray(shown.cast(pa.int64()).fill_null(0), np.float64)
        days = ticks / (SECONDS_A_DAY * _TICKS_A_SECOND[values.type.unit])
    serial = days + EPOCH
    serial += serial > LEAP_DAY
    return _numbers(pa.array(serial, mask=np.asarray(values.is_null())))


def _fitted(text: pa.Array) -> pa.Array:
    """Texts longer than a cell holds cut to fit, ending in "…" so that the reader sees it
    was cut (the CSV and JSON have them whole). Excel counts a text's UTF-16 units, two for
    a character beyond the first 65,536 (an emoji): a text of more than half the limit's
    characters may be too long."""
    long = pc.fill_null(pc.greater(pc.utf8_length(text), MAX_TEXT // 2), False)
    if not pc.any(long).as_py():
        return text
    cut = [_cut_to_fit(value) for value in text.filter(long).to_pylist()]
    return pc.replace_with_mask(text, long, pa.array(cut, _TEXT))


def _cut_to_fit(text: str) -> str:
    """``text`` as a cell holds it: whole where its UTF-16 units fit, else cut (with "…")."""
    wide = np.frombuffer(text.encode("utf-32-le"), np.uint32) > 0xFFFF
    units = np.arange(1, len(text) + 1) + np.cumsum(wide)  # of text[:1], text[:2], …
    if not units.size or units[-1] <= MAX_TEXT:
        return text
    fits = int(np.searchsorted(units, MAX_TEXT - 1, side="right"))  # and then the "…"
    return cut_after_word(text, fits + 1)


def _escaped(text: pa.Array) -> pa.Array:
    """Text as a cell's XML holds it, which Excel reads back as it was: an underscore that
    would start an escape written as ``_x005F_``, a character XML cannot hold as
    ``_xHHHH_``, then ``&``, ``<`` and ``>`` as entities. One pass over each text, so that no
    escape made completes another (``_x0041`` before a control character)."""
    marked = pc.fill_null(pc.match_substring_regex(text, _NEEDS_ESCAPES), False)
    if pc.any(marked).as_py():  # rare: a control character pasted into a name
        written = [_written(value) for value in text.filter(marked).to_pylist()]
        text = pc.replace_with_mask(text, marked, pa.array(written, _TEXT))
    for character, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        text = pc.replace_substring(text, character, entity)
    return text


def _written(text: str) -> str:
    return _ESCAPES.sub(lambda found: f"_x{ord(found.group()):04X}_", text)


def _values_type(kind: pa.DataType) -> pa.DataType:
    """The type of the values themselves (a dictionary's, for a dictionary)."""
    return kind.value_type if pa.types.is_dictionary(kind) else kind


def _is_date(kind: pa.DataType) -> bool:
    return pa.types.is_date(kind) or pa.types.is_timestamp(kind)


_ARROW_TYPES: dict[type, pa.DataType | None] = {
    bool: pa.bool_(),
    int: pa.int64(),
    float: pa.float64(),
    dt.datetime: None,  # Arrow's own: with the values' time zone, if they have one
    dt.date: pa.date32(),
    str: pa.large_string(),
}
"""The Arrow type of a list whose values are all of one Python type."""


def _by_kind(values: Sequence[Any]) -> tuple[pa.Array, ...]:
    """A list of values of several kinds as one array per kind (a loop in Python: only the
    short lists of a report's overview mix kinds)."""
    kinds: dict[type, pa.DataType] = {
        bool: pa.bool_(),
        float: pa.float64(),
        dt.datetime: pa.timestamp("us"),
        dt.date: pa.date32(),
        str: _TEXT,
    }
    columns: dict[type, list[Any]] = {kind: [None] * len(values) for kind in kinds}
    for row, value in enumerate(values):
        if value is not None:
            kind, held = _kind_of(value, kinds)
            columns[kind][row] = held
    return tuple(
        pa.array(column, kinds[kind])
        for kind, column in columns.items()
        if any(value is not None for value in column)
    ) or (pa.nulls(len(values)),)


def _kind_of(value: Any, kinds: dict[type, pa.DataType]) -> tuple[type, Any]:
    """The kind a value is written as, and the value as that kind holds it: any other
    number (numpy's) as a float, anything else as its text."""
    kind = next((k for k in kinds if isinstance(value, k)), None)
    if kind is not None:
        return kind, value
    if isinstance(value, np.bool_):
        return bool, bool(value)
    if isinstance(value, numbers.Real | decimal.Decimal):
        return float, float(value)
    return str, str(value)


def _bytes_of(text: pa.Array) -> memoryview:
    """The rows' XML one after the other, as the array holds it (no copy)."""
    offsets = np.frombuffer(text.buffers()[1], np.int64)[text.offset : text.offset + len(text) + 1]
    data = text.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


_SHEET = re.compile(r"xl/worksheets/sheet(\d+)\.xml")
_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+1(?::[A-Z]+1)?"/>')


class _TooLargeError(Exception):
    """A sheet's XML passes the size a zip entry holds without ZIP64 sizes."""


def with_rows(workbook: bytes, sheets: list[tuple[list[Column], list[Styles]]]) -> bytes:
    """The workbook with each sheet's rows put in after its header row, every other part as
    xlsxwriter wrote it (the same entries in the same order, with the same dates).

    A sheet is written with ZIP64 sizes only where its XML needs them (past 2 GB, near a
    million customers): Excel is reported to ask to repair some such files. How long the
    XML is, is known only once it is made: the workbook is written again with ZIP64 if a
    sheet turns out to need it."""
    try:
        return _with_rows(workbook, sheets, zip64=False)
    except _TooLargeError:
        return _with_rows(workbook, sheets, zip64=True)


def _with_rows(
    workbook: bytes, sheets: list[tuple[list[Column], list[Styles]]], *, zip64: bool
) -> bytes:
    written = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as laid_out,
        zipfile.ZipFile(written, "w") as target,
    ):
        for entry in laid_out.infolist():
            part = laid_out.read(entry)
            found = _SHEET.fullmatch(entry.filename)
            if found is None:
                target.writestr(entry, part)
                continue
            columns, styles = sheets[int(found[1]) - 1]
            _write_sheet(target, entry, part, columns, styles, zip64=zip64)
    return written.getvalue()


def _write_sheet(
    target: zipfile.ZipFile,
    entry: zipfile.ZipInfo,
    laid_out: bytes,
    columns: list[Column],
    styles: list[Styles],
    *,
    zip64: bool,
) -> None:
    """One sheet's XML with its rows, compressed on a second thread while the next block of
    rows is made (zlib lets go of Python's lock)."""
    count = len(columns[0]) if columns else 0
    if b"</sheetData>" not in laid_out:  # no header either: a sheet without columns
        target.writestr(entry, laid_out)
        return
    head, tail = laid_out.split(b"</sheetData>", 1)
    tail = b"</sheetData>" + tail
    if count:
        last = f"{column_name(len(columns) - 1)}{count + 1}"
        head = _DIMENSION.sub(f'<dimension ref="A1:{last}"/>'.encode(), head, count=1)
    size = len(head) + len(tail)
    with (
        target.open(entry, "w", force_zip64=zip64) as sheet,
        ThreadPoolExecutor(max_workers=1) as writer,
    ):
        pending = writer.submit(sheet.write, head)
        for block in rows_xml(columns, styles):
            size += len(block)
            if not zip64 and size > zipfile.ZIP64_LIMIT:
                pending.result()
                raise _TooLargeError
            pending.result()  # one block waits at most: the XML is not held whole
            pending = writer.submit(sheet.write, block)
        pending.result()
        sheet.write(tail)
