"""A quote opened where no field is quoted: the rows it swallows.

A field that starts with a quote runs to the next quote, line breaks and all. One stray
quote (a note typed as ``"urgent``, an export that does not double the quotes it writes)
makes every line after it part of one field, up to the next quote in the file: often its
end, where the newest orders are. Those rows vanish, the reference date moves back, and no
count says so. Where the swallowing record has a wrong number of fields it is a rejected
row and its text is at hand; where it has the header's width (the quote opened in the last
column, or was closed again in the same column of a later row) the reader takes it as a
row like any other, so the fields are looked at instead.

Both ways, a line inside a field looks like a row when it has the header's width and, where
the source has a date every row must have, a date in its place; it is taken for a swallowed
row when its customer id also has the shape of the file's ids (``K1`` and ``C1000123`` are
both letters then digits). A call log in a note (``2024-06-01, called, no answer, …``) may
look like rows of a narrow export, but names no customer: it is said in a warning, and the
file is read. The shape, unlike the ids themselves, is the same in every part of an export
split by customer, so both engines decide alike.
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
from churnwatch.ingest.problems import Problem, Reason

QUOTE = b'"'
"""The quote pyarrow's reader (and the csv module) open a quoted field with."""


LINE_BREAK = r"\r\n|\r|\n"
"""What pyarrow's reader takes for a line's end (a lone CR too: Excel's "CSV (Macintosh)")."""
LINE_BREAK_CHARACTER = re.compile(r"[\r\n]")
"""What a text that spans lines holds."""


@dataclass(frozen=True, eq=False)
class RowShape:
    """What a line must look like to be a row of the export on its own."""

    delimiter: str
    width: int
    """The header's number of fields."""
    date_at: int | None = None
    """The place of a date every row has (None: the source has no such column)."""
    date_format: str = ""
    id_at: int | None = None
    id_shapes: pa.Array | None = None
    """The place of the customer id, and the shapes of the ids the file's rows name."""

    def rows(self, lines: pa.Array) -> tuple[np.ndarray, np.ndarray]:
        """Which of ``lines`` (each read on its own, as the csv module reads it) look like
        rows of the export, and which of those name a customer as the file's rows do."""
        fields = self._fields(lines)
        looks = self._wide_enough(fields, lines)
        wide = np.flatnonzero(looks)
        kept = fields if wide.size == len(fields) else fields.take(pa.array(wide))
        if self.date_at is not None and wide.size:
            dates = self._at(kept, self.date_at)
            looks[wide] = parse_days(dates, self.date_format, trimmed=True)[1]
        if self.id_at is None or self.id_shapes is None or not looks.any():
            return looks, looks & (self.id_shapes is None)
        named = np.zeros(len(lines), dtype=bool)
        ids = pc.dictionary_encode(self._at(kept, self.id_at))  # each id's shape made once
        known = pc.is_in(id_shapes(ids.dictionary), value_set=self.id_shapes)
        named[wide] = np.asarray(known, dtype=bool)[ids.indices.to_numpy()]
        return looks, looks & named

    def _fields(self, lines: pa.Array) -> pa.ListArray:
        """Each line's fields. A line without a quote is split by Arrow at its delimiters, as
        the csv module would; only lines with a quote are read by that module (a quote left
        open in a large file leaves millions of lines to look at)."""
        quoted = np.asarray(pc.fill_null(pc.match_substring(lines, QUOTE.decode()), False))
        plain, odd = np.flatnonzero(~quoted), np.flatnonzero(quoted)
        if not odd.size:
            return pc.split_pattern(lines, self.delimiter)
        split = pc.split_pattern(lines.take(pa.array(plain)), self.delimiter)
        read = [_fields(line, self.delimiter) for line in lines.take(pa.array(odd)).to_pylist()]
        both = pa.concat_arrays([split, pa.array(read, type=split.type)])
        return both.take(pa.array(np.argsort(np.concatenate([plain, odd]), kind="stable")))

    def _wide_enough(self, fields: pa.ListArray, lines: pa.Array) -> np.ndarray:
        """The header's fields, and perhaps blank ones beyond them (``;;`` at the end), which
        the reader takes without them (see ``trailing_fields``). An empty line has no field,
        as the csv module reads it (Arrow's split gives it one, empty)."""
        counts = np.asarray(pc.list_value_length(fields), dtype=np.int64)
        counts[np.asarray(pc.equal(pc.binary_length(lines), 0))] = 0
        beyond = pc.binary_join(pc.list_slice(fields, self.width), "")
        blank = np.asarray(pc.equal(pc.utf8_trim_whitespace(beyond), ""))
        return (counts == self.width) | (counts > self.width) & blank

    @staticmethod
    def _at(fields: pa.ListArray, place: int) -> pa.Array:
        return pc.utf8_trim_whitespace(pc.list_element(fields, place))


def id_shapes(ids: pa.Array) -> pa.Array:
    """Each id as its shape: a run of letters an ``a``, a run of digits a ``9`` (``C1000123``,
    ``K7``: ``a9``; ``KD-004711``: ``a-9``; ``called``: ``a``)."""
    letters = pc.replace_substring_regex(pc.utf8_trim_whitespace(ids), r"\pL+", "a")
    return pc.replace_substring_regex(letters, r"\d+", "9")


def rows_in_record(text: str, shape: RowShape) -> int:
    """The rows swallowed by one rejected record (its raw text): the lines after its first
    that are rows of their own. Without a date to tell a row by, only where the record's
    quotes do not pair up (a closed note over several lines may hold a line of the header's
    width; a quote left open ends the text inside a field, or is followed by more than a
    delimiter), and then whatever customer the lines name."""
    lines = re.split(LINE_BREAK, text)[1:]
    if not lines:
        return 0
    if shape.date_at is None and _quotes_pair_up(text, shape.delimiter):
        return 0
    looks, named = shape.rows(pa.array(lines, type=pa.string()))
    rows = looks if shape.date_at is None else named
    # The quote closed again inside the last line: the row that line began is lost too.
    return int(rows.sum()) + int(bool(rows.any()) and not rows[-1] and bool(lines[-1]))


def rows_in_fields(values: pa.Array, shape: RowShape) -> tuple[np.ndarray, np.ndarray]:
    """For each field of ``values`` (fields the reader took as values, each holding a line
    break), how many of its lines after the first look like rows, and how many are rows of
    their own (their ids have the shape of the file's). A field's line breaks are only ever
    quoted, so whether its quotes paired up can no longer be seen: the rows' dates and
    customers tell. A field that ends inside a line (the quote closed again there) has
    swallowed that line's row too. The lines are split, sifted and read by Arrow; only those
    with enough delimiters to be a row and a quote are read one by one."""
    looks = np.zeros(len(values), dtype=np.int64)
    found = np.zeros(len(values), dtype=np.int64)
    if not len(values):
        return looks, found
    split = pc.split_pattern_regex(values, LINE_BREAK)
    lines = pc.list_flatten(split)
    counts = np.asarray(pc.list_value_length(split), dtype=np.int64)
    field = np.repeat(np.arange(len(values)), counts)
    first = np.zeros(len(lines), dtype=bool)
    first[np.cumsum(counts) - counts] = True
    enough = pc.greater_equal(pc.count_substring(lines, shape.delimiter), shape.width - 1)
    maybe = np.flatnonzero(np.asarray(enough, dtype=bool) & ~first)
    if not maybe.size:
        return looks, found
    looking, named = shape.rows(lines.take(pa.array(maybe)))
    looks += np.bincount(field[maybe[looking]], minlength=len(values))
    found += np.bincount(field[maybe[named]], minlength=len(values))
    # A quote closed again mid-line ends the field inside the next row, which is lost too.
    last = np.cumsum(counts) - 1
    started = np.asarray(pc.greater(pc.utf8_length(lines.take(pa.array(last))), 0), dtype=bool)
    found += (found > 0) & started & ~np.isin(last, maybe[named])
    return looks, found


def _fields(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # a field beyond the longest row: no row
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


def rows_alike_warning(source: str, path: Path, line: int, lines: int, dated: bool) -> Problem:
    """Lines inside a quoted field that look like rows but name no customer id of the file's
    shape: a note, most likely (a call log); a quote left open, maybe. Said, the file read."""
    alike = "a line that looks like a row" if lines == 1 else f"{lines:,} lines that look like rows"
    verb = "names" if lines == 1 else "name"
    return Problem(
        source,
        path.name,
        Reason.ROWS_IN_A_FIELD,
        f"a quoted field holds {alike} of this file (the header's width"
        f"{', a date in its place' if dated else ''}) but {verb} no customer id of the"
        " file's shape: read as a note; if a quote opened on this line is not closed where its"
        " field ends, those rows are missing",
        lines=(line,),
        fix=('look at that line: remove a stray quote, or double it ("") inside a quoted field',),
    )


def quote_open_at_the_end(source: str, path: Path, line: int) -> Problem:
    """A quote on the last line that the file's end closes: the row is read as it stands,
    which is right where only the closing quote is missing, and wrong where the export was
    cut short in the middle of that field (and its last rows are gone)."""
    return Problem(
        source,
        path.name,
        Reason.QUOTE_OPEN_AT_THE_END,
        "the file ends inside a quoted field: a quote opened on this line is never closed;"
        " the row was read as it stands, but if the export was cut short there, its last value"
        " is incomplete and the rows after it are missing",
        lines=(line,),
        fix=("compare the file's end with the system's: export it again if it was cut short",),
    )


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
