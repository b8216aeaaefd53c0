"""Map parsed row positions back to physical line numbers for error messages.

pyarrow does not report line numbers. When every record sits on one line (the usual case,
checked by counting newlines) row *i* is line *i + 2*; otherwise — quoted line breaks, blank
lines, malformed rows — the file is walked once with the csv module. Either way this runs
only when there is a problem to report.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.core.errors import InputError
from churnwatch.ingest.duplicates import combined, first_places, repeats
from churnwatch.ingest.field_limit import allow_long_fields
from churnwatch.ingest.trailing_fields import ascii_compatible, only_empty_extras

BLOCK = 1 << 24
"""Bytes read at a time where lines are looked for."""
TAIL = 1 << 16
"""The end of a file looked at for a quote left open on its last line."""


SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""What Python's ``str.strip`` takes off a field's ends, as :meth:`Layout._row` trims."""


def _key(fields: tuple[str, ...], delimiter: str) -> str:
    """A record's fields as one text, equal for equal records: joined by the delimiter, as
    :meth:`Layout._record_keys` reads a plain line, or, where a field holds the delimiter
    itself (which would make two records one text), their ``repr`` after a mark."""
    if any(delimiter in field for field in fields):
        return "\x01" + repr(fields)
    return delimiter.join(fields)


def ends_in_returns(head: bytes) -> bool:
    """Whether a file's lines end in a carriage return alone (old Mac exports), told by the
    first line end in ``head``, the file's start. Otherwise only line feeds end its lines,
    and a return alone inside one (in a quoted field, or a stray one, where the reader
    starts a new row) starts no new line: as ``grep -n``, ``sed -n`` and ``wc -l`` count
    them, and as a file of one line per record is numbered."""
    feed, ret = head.find(b"\n"), head.find(b"\r")
    return ret >= 0 and (feed < 0 or ret + 1 < feed)


class _CountedLines:
    """A text file's lines for the csv module, counting the lines that have ended (see
    :func:`ends_in_returns`): the module's own ``line_num`` counts every carriage return."""

    def __init__(self, handle: Iterable[str], *, returns_end_lines: bool) -> None:
        self.handle, self.every = handle, returns_end_lines
        self.ended = 0

    def __iter__(self) -> Iterator[str]:
        for piece in self.handle:  # a piece ends in a line feed, CR LF or a return alone
            self.ended += self.every or piece.endswith("\n")
            yield piece


def _regex_char(character: str) -> str:
    return f"\\x{{{ord(character):x}}}"


class Lines(Protocol):
    """Where a reader's rows are in its file: what messages name."""

    def row_lines(self, rows: np.ndarray, parsed_rows: int) -> np.ndarray:
        """The line of each parsed row in ``rows`` (header = line 1)."""
        ...

    def malformed_lines(self) -> list[int]:
        """Lines of records whose number of fields differs from the header's."""
        ...

    def records(self, rows: np.ndarray, parsed_rows: int) -> list[tuple[str, ...]] | None:
        """Every field of the parsed rows in ``rows`` (None: the file cannot show them)."""
        ...

    def repeated(self, rows: np.ndarray, parsed_rows: int, kinds: np.ndarray) -> np.ndarray | None:
        """Whether each parsed row in ``rows`` (ascending) repeats an earlier one of them in
        every field (None: the file cannot show them). ``kinds``: a number per row, the same
        for rows equal in the columns read (rows of different kinds are never equal)."""
        ...


@dataclass(frozen=True)
class Layout:
    """Enough about a CSV file to find its records again."""

    path: Path
    encoding: str
    delimiter: str
    width: int
    """Number of fields in the header."""
    preamble: int = 0
    """Lines before the header (Excel's ``sep=;``)."""
    header_lines: int = 1
    """Lines the header takes (more than one where a quoted name holds a line break)."""
    loose_end: bool = False
    """Records that end in blank fields beyond the header's were read without them."""
    shown: Path | None = None
    """The export as the user named it, where ``path`` is an unpacked copy of it."""

    def _parsed(self, fields: list[str]) -> bool:
        """Whether the reader took the record as a row (rather than rejecting it)."""
        return len(fields) == self.width or (
            self.loose_end and only_empty_extras(fields, self.width)
        )

    def row_lines(self, rows: np.ndarray, parsed_rows: int) -> np.ndarray:
        """Physical 1-based line (header = 1) of each parsed data row in ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        if ascii_compatible(self.encoding) and self.one_line_per_record(parsed_rows):
            return rows + 1 + self.header_lines + self.preamble
        starts = np.fromiter(
            (line for line, fields in self._records() if self._parsed(fields)),
            dtype=np.int64,
        )
        found: np.ndarray = starts[rows]
        return found

    def records(self, rows: np.ndarray, parsed_rows: int) -> list[tuple[str, ...]]:
        """Every field of each parsed data row in ``rows``, trimmed: what tells two rows
        apart that agree in every column churnwatch reads."""
        rows = np.asarray(rows, dtype=np.int64)
        if ascii_compatible(self.encoding) and self.one_line_per_record(parsed_rows):
            order = np.argsort(rows, kind="stable")
            ascending = self._line_texts(rows[order] + self.header_lines + self.preamble)
            lines = [b""] * len(rows)
            for place, line in zip(order.tolist(), ascending.to_pylist(), strict=True):
                lines[place] = line
            text = [line.decode()[:-1].rstrip("\r") for line in lines]  # without its line end
            allow_long_fields()
            parsed = csv.reader(text, delimiter=self.delimiter)
            return [self._row(fields) for fields in parsed]
        wanted = {int(row): place for place, row in enumerate(rows)}
        found: list[tuple[str, ...]] = [()] * len(rows)
        records = (fields for _, fields in self._records() if self._parsed(fields))
        for row, fields in enumerate(records):
            if row in wanted:
                found[wanted[row]] = self._row(fields)
        return found

    def repeated(self, rows: np.ndarray, parsed_rows: int, kinds: np.ndarray) -> np.ndarray:
        """Whether each parsed data row in ``rows`` (ascending) repeats an earlier one of them
        in every field, trimmed (see :meth:`records`); ``kinds``: see :class:`Lines`. Where
        each record is one line, each row's line is compared with the first line of its
        kind as Arrow bytes: a kind whose lines are all the same is one row; only the
        lines of a kind written in more than one way are read field by field. An export
        whose every row was written twice has millions of them, which as tuples of Python
        strings took 29 s and 1.8 GB per million rows."""
        rows = np.asarray(rows, dtype=np.int64)
        if not (ascii_compatible(self.encoding) and self.one_line_per_record(parsed_rows)):
            records = self.records(rows, parsed_rows)
            keys = pa.array([_key(row, self.delimiter) for row in records])
            return repeats(combined([kinds, np.asarray(pc.dictionary_encode(keys).indices)]))
        lines = self._line_texts(rows + self.header_lines + self.preamble)
        same = np.asarray(pc.equal(lines, lines.take(pa.array(first_places(kinds)[kinds]))))
        if same.all():
            return repeats(kinds)
        mixed = (np.bincount(kinds, weights=~same) > 0)[kinds]  # kinds written two ways
        text = lines.filter(pa.array(mixed)).cast(pa.large_string())  # UTF-8: encoded so
        keys = np.asarray(pc.dictionary_encode(self._record_keys(text)).indices)
        codes = kinds.copy()
        codes[mixed] = combined([kinds[mixed], keys]) + int(kinds.max()) + 1
        return repeats(codes)

    def _record_keys(self, lines: pa.Array) -> pa.Array:
        """For each line (with its line end), its fields as :meth:`_row` takes them, joined
        (see :func:`_key`): equal for two records exactly where :meth:`records` gives equal
        fields. A line whose every quote encloses a whole field without a delimiter in it
        (``"Kunde 1";5``), and that has no more fields than the header, is read by Arrow: its
        quotes taken out and the blanks around its delimiters and at its ends; any other
        line goes through the csv module."""
        delimiter = _regex_char(self.delimiter)
        spaces = "".join(map(_regex_char, SPACES.replace(self.delimiter, "")))
        field = f'(?:"[^"{delimiter}\\r\\n]*"|[^"{delimiter}\\r\\n]*)'
        plain = pc.match_substring_regex(lines, f"^{field}(?:{delimiter}{field})*\\r?\\n$")
        fields = np.asarray(pc.count_substring(lines, self.delimiter), dtype=np.int64) + 1
        by_csv = ~np.asarray(plain, dtype=bool) | (fields > self.width)
        unquoted = pc.replace_substring(lines, '"', "")
        padded = pc.match_substring_regex(unquoted, f"[{spaces}]{delimiter}|{delimiter}[{spaces}]")
        if pc.any(padded).as_py():  # the blanks around delimiters out, where there are any
            blanks = f"[{spaces}]*{delimiter}[{spaces}]*"
            trimmed = pc.replace_substring_regex(unquoted.filter(padded), blanks, self.delimiter)
            unquoted = pc.replace_with_mask(unquoted, padded, trimmed)
        keys = pc.utf8_trim(unquoted, characters=SPACES.replace(self.delimiter, ""))
        if not by_csv.any():
            return keys
        allow_long_fields()
        parsed = [self._line_key(text) for text in lines.filter(pa.array(by_csv)).to_pylist()]
        return pc.replace_with_mask(keys, pa.array(by_csv), pa.array(parsed, keys.type))

    def _line_key(self, text: str) -> str:
        """One line's key through the csv module (see :meth:`_record_keys`); a line it
        refuses (a carriage return inside it) is its own text."""
        try:
            fields = next(csv.reader([text], delimiter=self.delimiter), [])
        except csv.Error:
            return "\x02" + text
        return _key(self._row(fields), self.delimiter)

    def _line_texts(self, numbers: np.ndarray) -> pa.Array:
        """The physical lines numbered ``numbers`` (0-based, ascending) as Arrow bytes in
        UTF-8 (compared as bytes, which Arrow hashes faster than text), each with its line
        end; the file read block by block, each block decoded at once (an export of
        gigabytes is never held whole for some of its lines)."""
        found: list[pa.Array] = []
        done, pending, k = 0, b"", 0  # lines before the block; an unfinished line
        with self.path.open("rb") as handle:
            while k < len(numbers) and (block := handle.read(BLOCK)):
                data = pending + block
                cut = data.rfind(b"\n") + 1
                whole, pending = data[:cut], data[cut:]
                if not whole:
                    continue
                text = whole.decode(self.encoding, errors="replace").encode()
                ends = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == ord("\n"))
                last = int(np.searchsorted(numbers, done + len(ends)))
                if last > k:
                    offsets = np.concatenate([[0], ends + 1]).astype(np.int64)
                    lines = pa.Array.from_buffers(
                        pa.large_binary(),
                        len(ends),
                        [None, pa.py_buffer(offsets), pa.py_buffer(text)],
                    )
                    found.append(lines.take(pa.array(numbers[k:last] - done)))
                    k = last
                done += len(ends)
        if k < len(numbers):  # the last line, without a line break: given one
            rest = pending.decode(self.encoding, errors="replace").encode() + b"\n"
            found.append(pa.array([rest] * (len(numbers) - k), pa.large_binary()))
        return pa.concat_arrays(found) if found else pa.array([], pa.large_binary())

    def _row(self, fields: list[str]) -> tuple[str, ...]:
        """A record's fields as the reader took them: trimmed, and without blank fields beyond
        the header's (a row whose only difference is a trailing ``;;`` is the same row)."""
        return tuple(field.strip() for field in fields[: self.width])

    def malformed_lines(self) -> list[int]:
        """Lines of records whose number of fields differs from the header's."""
        return [line for line, fields in self._records() if not self._parsed(fields)]

    def one_line_per_record(self, records: int) -> bool:
        """Whether the file's lines are its header's and ``records`` more, one each."""
        return self._physical_lines == records + self.header_lines + self.preamble

    def quote_open_at_the_end(self) -> int | None:
        """The last line, where a quote opened on it is never closed: the file ends inside
        the field (cut short, most likely), which the reader takes as closed there; None
        where the last line's quotes pair up. For a file of one line per record, whose last
        record is its last line; a last line longer than :data:`TAIL` is not looked at."""
        size = self.path.stat().st_size
        with self.path.open("rb") as handle:
            handle.seek(max(size - TAIL, 0))
            tail = handle.read()
        ended = tail.removesuffix(b"\n").removesuffix(b"\r")
        start = ended.rfind(b"\n") + 1
        if not start and size > TAIL:
            return None
        line = ended[start:].decode(self.encoding, errors="replace")
        try:
            next(csv.reader([line], delimiter=self.delimiter, strict=True), None)
        except csv.Error as error:
            if "end of data" in str(error):  # the field's quote is still open
                return self._physical_lines
        return None

    @cached_property
    def _returns_end_lines(self) -> bool:
        """Whether the file's lines end in a carriage return alone (:func:`ends_in_returns`)."""
        with self.path.open("rb") as handle:
            return ends_in_returns(handle.read(TAIL))

    @cached_property
    def _physical_lines(self) -> int:
        """The file's lines, counted once: every report of rows (skipped, duplicated, dated
        in the future) asks, and each count reads the whole export."""
        newlines = 0
        last = b""
        with self.path.open("rb") as handle:
            while chunk := handle.read(BLOCK):
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
        return newlines + (last not in (b"\n", b""))

    def _records(self) -> Iterator[tuple[int, list[str]]]:
        """Each non-blank data record with the line it starts on."""
        allow_long_fields()  # a note pyarrow read is no "quote never closed" here
        with self.path.open(encoding=self.encoding, errors="replace", newline="") as handle:
            for _ in range(self.preamble):
                handle.readline()
            lines = _CountedLines(handle, returns_end_lines=self._returns_end_lines)
            reader = csv.reader(lines, delimiter=self.delimiter)
            try:
                next(reader, None)
                previous_end = lines.ended
                for fields in reader:
                    start, previous_end = previous_end + 1, lines.ended
                    if fields:
                        yield start + self.preamble, fields
            except csv.Error as exc:
                line = previous_end + 1 + self.preamble
                raise InputError(
                    f"{self.shown or self.path}:{line}: cannot be read as CSV ({exc}); most"
                    " likely a quote opened on this line is never closed"
                ) from None
