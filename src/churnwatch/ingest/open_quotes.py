"""A quote opened where no field is quoted: the rows it swallows.

A field that starts with a quote runs to the next quote, line breaks and all. One stray
quote (a note typed as ``"urgent``, an export that does not double the quotes it writes)
makes every line after it part of one field, up to the next quote in the file: often its
end, where the newest orders are. Those rows vanish, the reference date moves back, and no
count says so. Where the swallowing record has a wrong number of fields it is a rejected
row and its text is at hand; where it has the header's width (the quote opened in the last
column, or was closed again in the same column of a later row) the reader takes it as a
row like any other, so the fields are looked at instead.

Both ways, lines inside a field are counted as swallowed rows only when they would be rows
of the export on their own: of the header's width and, where the source has a date every
row must have, with a date in its place. A note whose lines hold commas is no such row.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.core.errors import InputError
from churnwatch.ingest.date_text import parse_days

QUOTE = b'"'
"""The quote pyarrow's reader (and the csv module) open a quoted field with."""


LINE_BREAK = r"\r\n|\r|\n"
"""What pyarrow's reader takes for a line's end (a lone CR too: Excel's "CSV (Macintosh)")."""


@dataclass(frozen=True)
class RowShape:
    """What a line must look like to be a row of the export on its own."""

    delimiter: str
    width: int
    """The header's number of fields."""
    date_at: int | None = None
    """The place of a date every row has (None: the source has no such column)."""
    date_format: str = ""

    def rows(self, lines: list[str]) -> np.ndarray:
        """Which of ``lines`` are rows of the export, each read on its own by the csv module."""
        fields = [_fields(line, self.delimiter) for line in lines]
        wide = np.array([len(f) == self.width for f in fields], dtype=bool)
        if self.date_at is None or not wide.any():
            return wide
        at = self.date_at
        dates = pa.array([f[at].strip() if len(f) == self.width else "" for f in fields])
        return wide & parse_days(dates, self.date_format, trimmed=True)[1]


def rows_in_record(text: str, shape: RowShape) -> int:
    """The rows swallowed by one rejected record (its raw text): the lines after its first
    that are rows of their own. Without a date to tell a row by, only where the record's
    quotes do not pair up (a closed note over several lines may hold a line of the header's
    width; a quote left open ends the text inside a field, or is followed by more than a
    delimiter)."""
    lines = re.split(LINE_BREAK, text)[1:]
    if not lines or (shape.date_at is None and _quotes_pair_up(text, shape.delimiter)):
        return 0
    return int(shape.rows(lines).sum())


def rows_in_fields(values: pa.Array, shape: RowShape) -> np.ndarray:
    """For each field of ``values`` (fields the reader took as values, each holding a line
    break), how many of its lines after the first are rows of their own. A field's line
    breaks are only ever quoted, so whether its quotes paired up can no longer be seen: the
    rows' dates tell, and a source without a date every row has (the customer master data)
    is not looked at. A field that ends inside a line (the quote closed again there) has
    swallowed that line's row too. The lines are split and sifted by Arrow; only those with
    enough delimiters to be a row are read one by one."""
    found = np.zeros(len(values), dtype=np.int64)
    if shape.date_at is None or not len(values):
        return found
    split = pc.split_pattern_regex(values, LINE_BREAK)
    lines = pc.list_flatten(split)
    counts = np.asarray(pc.list_value_length(split), dtype=np.int64)
    field = np.repeat(np.arange(len(values)), counts)
    first = np.zeros(len(lines), dtype=bool)
    first[np.cumsum(counts) - counts] = True
    enough = pc.greater_equal(pc.count_substring(lines, shape.delimiter), shape.width - 1)
    maybe = np.flatnonzero(np.asarray(enough, dtype=bool) & ~first)
    if not maybe.size:
        return found
    rows = maybe[shape.rows(lines.take(pa.array(maybe)).to_pylist())]
    found += np.bincount(field[rows], minlength=len(values))
    # A quote closed again mid-line ends the field inside the next row, which is lost too.
    last = np.cumsum(counts) - 1
    started = np.asarray(pc.greater(pc.utf8_length(lines.take(pa.array(last))), 0), dtype=bool)
    found += (found > 0) & started & ~np.isin(last, rows)
    return found


def _fields(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # a field beyond the csv module's limit: no row
        return []


def _quotes_pair_up(text: str, delimiter: str) -> bool:
    """Whether ``text`` reads as records whose every quoted field is closed before a
    delimiter or a line's end (the csv module's strict reading)."""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True):
            pass
    except csv.Error:
        return False
    return True


def swallowed_rows_error(path: Path, line: int, rows: int) -> InputError:
    """The refusal: skipped as one row, the rows would vanish without a word that counts
    them, so the file is refused, as one whose open quote runs past the reader's limit is."""
    lines = "the line after it, a row" if rows == 1 else f"the {rows:,} lines after it, each a row"
    return InputError(
        f"{path}:{line}: a quote opened on this line is not closed where its field ends:"
        f" {lines} of its own, would be read as one field",
        hint='remove the stray quote (or double it: "" inside a quoted field),'
        " or export the file again; a quoted note that holds a whole row of this export, date"
        " and all, reads the same: reword that line of the note",
    )
