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
from pathlib import Path

import pyarrow as pa

from churnwatch.core.errors import InputError
from churnwatch.core.words import plural
from churnwatch.ingest.date_text import parse_days

QUOTE = b'"'
"""The quote pyarrow's reader (and the csv module) open a quoted field with."""


class RowShape:
    """What a line must look like to be a row of the export on its own."""

    def __init__(
        self, delimiter: str, width: int, date_at: int | None = None, date_format: str = ""
    ) -> None:
        self.delimiter, self.width = delimiter, width
        self.date_at, self.date_format = date_at, date_format
        """The place of a date every row has, and its format (None: no such column)."""

    def rows_among(self, lines: list[str]) -> int:
        """How many of ``lines`` are rows of the export (the csv module's reading of each)."""
        try:
            fields = [
                f for f in csv.reader(lines, delimiter=self.delimiter) if len(f) == self.width
            ]
        except csv.Error:  # a field beyond the csv module's limit: no whole row
            return 0
        if self.date_at is None or not fields:
            return len(fields)
        dates = pa.array([f[self.date_at].strip() for f in fields], pa.string())
        return int(parse_days(dates, self.date_format, trimmed=True)[1].sum())


def rows_in_record(text: str, shape: RowShape) -> int:
    """The rows swallowed by one rejected record (its raw text): the lines after its first
    that are rows of their own, where the record's quotes do not pair up. A record may hold a
    quoted line break whose lines look like rows; only a quote left open (one that ends the
    text inside a field, or is followed by more than a delimiter) swallows them."""
    lines = text.splitlines()[1:]
    if not lines or _quotes_pair_up(text, shape.delimiter):
        return 0
    return shape.rows_among(lines)


def rows_in_field(value: str, shape: RowShape) -> int:
    """The rows swallowed by one field the reader took as a value: the lines after its
    first that are rows of their own (a field's own line breaks are only ever quoted, so
    whether its quotes paired up can no longer be seen; the rows' dates tell instead)."""
    lines = [line.rstrip("\r") for line in value.split("\n")[1:]]
    return shape.rows_among([line for line in lines if line])


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
    return InputError(
        f"{path}:{line}: a quote opened on this line is not closed: the"
        f" {plural(rows, 'line')} after it, each a row of its own, would be read as one field",
        hint='remove the stray quote (or double it: "" inside a quoted field),'
        " or export the file again",
    )
