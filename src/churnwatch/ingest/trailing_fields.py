"""Rows that end in empty fields the header does not have: ``K1;02.01.2026;5,00;`` under
``Kunde;Datum;Betrag``.

Excel writes them for rows whose cells right of the data were ever formatted, and some
exporters for rows whose last optional columns are empty. Where every row has them the
sniffer names the extra column; where only some rows do, the parser rejects those rows, a
third of an export in a case seen. Such an export is read from a copy without the empty
fields instead, line for line, so that line numbers stay the export's. Only the bytes of the
delimiter, the quote and the line ends are looked at, so the copy is exact in any encoding
that writes them as ASCII does (UTF-8, cp1252, Latin-1, see :func:`ascii_compatible`); an
export in another (UTF-16, Excel's "Unicode text") is copied as UTF-8 first.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np

from churnwatch.ingest.field_limit import LONGEST_ROW
from churnwatch.ingest.held_file import holds_byte
from churnwatch.ingest.transcode import KEPT_LINES, Rewritten, rewritten

_ASCII = bytes(range(128))
_EVERY_BYTE = bytes(range(256))


@cache
def ascii_compatible(encoding: str) -> bool:
    """Whether ``encoding`` writes ASCII as ASCII, one byte a character or as UTF-8 does, so
    that the delimiter, the quote and the line ends are single bytes no other character's
    bytes hold (UTF-8, cp1252, ``latin1``, ISO-8859-15, cp850; not UTF-16, nor Shift JIS,
    whose second bytes may be ``|``)."""
    try:
        name = codecs.lookup(encoding).name
        if _ASCII.decode(name) != _ASCII.decode("ascii"):
            return False
        return name.startswith("utf-8") or len(_EVERY_BYTE.decode(name, "replace")) == 256
    except (LookupError, UnicodeError):
        return False


def only_empty_extras(fields: list[str], width: int) -> bool:
    """A record of more fields than the header's ``width``, those beyond it all blank."""
    return len(fields) > width and not "".join(fields[width:]).strip()


def with_empty_extras(text: str, delimiter: str, width: int) -> list[str] | None:
    """The fields of the one-line record ``text`` where it is the header's fields and then
    only blank ones (a row the reader takes without them); None for any other."""
    fields = _fields(text, delimiter)
    return fields if fields is not None and only_empty_extras(fields, width) else None


def of_width(text: str, delimiter: str, width: int) -> list[str] | None:
    """The fields of the one-line record ``text`` where it is the header's fields, perhaps
    followed by blank ones: a row the reader takes, read without any blank extras. A row
    the parser rejected can be one of the header's width where the sampled rows all ended
    in a delimiter (``1;2;3;``), and that one row does not (``1;2;3``)."""
    fields = _fields(text, delimiter)
    if fields is None or len(fields) < width or "".join(fields[width:]).strip():
        return None
    return fields


def any_of_width(rows: list[str], delimiter: str, width: int) -> bool:
    """Whether one of ``rows`` (records the parser rejected) is a row of the header's width,
    perhaps followed by blank fields (:func:`of_width`): each such row is taken, whatever
    the others are."""
    return any(of_width(text, delimiter, width) is not None for text in rows)


def _fields(text: str, delimiter: str) -> list[str] | None:
    """The fields of the one-line record ``text``; None where it holds a line break."""
    try:
        return next(csv.reader([text.rstrip("\r")], delimiter=delimiter), [])
    except csv.Error:
        return None


def without_empty_extras(path: Path, delimiter: str, width: int) -> Rewritten:
    """A temporary copy of ``path`` whose records of more than ``width`` fields, the extra
    ones blank, end after field ``width``. A record over several lines (a quoted line break
    in a note) is judged whole, and its last line, where the blank fields are, is cut."""
    line_end = b"\n" if holds_byte(path, b"\n") else b"\r"  # no LF: Excel for the Mac's CR
    trimmer = _Trimmer(delimiter, width)
    whole = trimmer.unquoted if line_end == b"\n" else None
    copy = rewritten(path, trimmer, line_end=line_end, whole=whole)
    # the trimmer's own count: records over several lines name their first, blocks count too
    return replace(copy, lines=trimmer.first_lines, count=trimmer.count)


class _Trimmer:
    """The change of :func:`without_empty_extras`, a line at a time (it keeps the lines of a
    record whose quoted field is still open until the line that closes it) or a block of
    lines without quotes at once (:meth:`unquoted`)."""

    def __init__(self, delimiter: str, width: int) -> None:
        self.delimiter, self.width = delimiter, width
        self.separator = delimiter.encode("ascii")
        self.fields = _fields_pattern(self.separator)
        self.record: list[bytes] = []
        """The lines so far of a record whose quoted field is open..."""
        self.size = 0
        """...and their bytes: beyond the longest row the reader takes, they are not kept (a
        quote never closed would hold the rest of the export)."""
        self.line = self.first = 0
        """The line looked at, and the one the record it is part of started on."""
        self.first_lines: list[int] = []
        """The first lines of the first few records trimmed..."""
        self.count = 0
        """...and how many were."""

    def __call__(self, line: bytes) -> bytes | None:
        self.line += 1
        if not self.size:
            self.first = self.line
        body = line.rstrip(b"\r\n")
        if not self.size and (b'"' not in body or self._whole(body)):  # a record of its own
            return self._said(self._trimmed(body, body, line))
        if not self._closes(body):
            self.size += len(line)
            if self.size <= LONGEST_ROW:
                self.record.append(body)
            return None
        whole = self.size <= LONGEST_ROW
        record = b"\n".join([*self.record, body])
        self.record, self.size = [], 0
        return self._said(self._trimmed(record, body, line)) if whole else None

    def _said(self, trimmed: bytes | None) -> bytes | None:
        if trimmed is not None:
            self.count += 1
            if len(self.first_lines) < KEPT_LINES:
                self.first_lines.append(self.first)
        return trimmed

    def unquoted(self, block: bytes) -> bytes | None:
        """A block of whole lines, each ending in LF, trimmed at once where no record is open
        and the block holds no quote (a million rows in a fraction of a second, where the
        csv module took seconds); None: line by line. Each line's fields are what lies
        between its delimiters, as the csv module reads a line without quotes, which refuses
        one with a bare CR inside: such a line is left as it is."""
        if self.size or not block.endswith(b"\n") or b'"' in block or b"\r\r" in block:
            return None  # (CRs in a row end a line the csv module reads otherwise)
        return b"".join(self._trimmed_lines(piece) for piece in _pieces(block, PIECE))

    def _trimmed_lines(self, lines: bytes) -> bytes:
        before, self.line = self.line, self.line + lines.count(b"\n")
        cuts = _blank_extras(np.frombuffer(lines, dtype=np.uint8), self.separator[0], self.width)
        if cuts is None:
            return lines
        starts, stops, which = cuts
        for line in which[: max(KEPT_LINES - len(self.first_lines), 0)]:
            self.first_lines.append(before + int(line) + 1)
        self.count += len(starts)
        steps = np.zeros(len(lines) + 1, dtype=np.int8)  # -1 into a line's extras, +1 out
        steps[starts], steps[stops] = -1, 1  # each line's own places: none shared
        return np.frombuffer(lines, dtype=np.uint8)[np.cumsum(steps[:-1]) == 0].tobytes()

    def _closes(self, body: bytes) -> bool:
        """Whether the record open so far (or one starting on this line) ends here."""
        if self.size:
            closed = _CLOSING_QUOTE.match(body)
            if closed is None:
                return False
            body = body[closed.end() :]
            if self.separator not in body:
                return True
            body = body[body.index(self.separator) + 1 :]
        return self._whole(body)

    def _whole(self, body: bytes) -> bool:
        """Whether ``body`` holds whole fields only, its quotes all closed. Not told by
        counting them: in ``Monitor 24";"Lieferung`` the first is text, the second opens a
        field that goes on in the next line."""
        return self.fields.fullmatch(body) is not None

    def _trimmed(self, record: bytes, body: bytes, line: bytes) -> bytes | None:
        if record.count(self.separator) < self.width:
            return None
        cut = _cut(record, self.delimiter, self.width)
        if cut is None:
            return None
        cut -= len(record) - len(body)  # the blank fields are all on the record's last line
        return body[:cut] + line[len(body) :] if cut >= 0 else None


PIECE = 1 << 20
"""Bytes of lines trimmed at once: the arrays that find the cuts take 20 bytes a byte."""


def _pieces(block: bytes, size: int) -> Iterator[bytes]:
    """``block`` (whole lines) in runs of whole lines of about ``size`` bytes."""
    start = 0
    while start < len(block):
        end = block.rfind(b"\n", start, start + size) + 1
        if end <= start:  # a line longer than ``size``
            end = block.index(b"\n", start + size - 1) + 1
        yield block[start:end]
        start = end


_BLANK = np.zeros(256, dtype=bool)
_BLANK[[ord(c) for c in map(chr, range(256)) if c.isspace() and c not in "\r\n"]] = True
"""Bytes that are blanks as the csv module's fields are stripped (read as Latin-1)."""


def _blank_extras(
    data: np.ndarray, separator: int, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Of the lines of ``data`` (whole lines, no quote), those of more than ``width`` fields,
    all beyond it blank: where each one's extra fields start and end (before a CR that ends
    the line), and its place among the lines; None: no such line."""
    ends = np.flatnonzero(data == 10)
    delimiters = np.flatnonzero(data == separator)
    line_of = np.searchsorted(ends, delimiters)
    per_line = np.bincount(line_of, minlength=len(ends))
    wide = np.flatnonzero(per_line >= width)
    if not wide.size:
        return None
    first = np.concatenate(([0], np.cumsum(per_line)[:-1]))
    cut = delimiters[first[wide] + width - 1]  # the delimiter that ends field ``width``
    stop = ends[wide] - (data[ends[wide] - 1] == 13)  # the line's CR stays
    carriage = np.flatnonzero(data == 13)
    bad = np.concatenate(([0], np.cumsum(~_BLANK[data] & (data != separator))))
    blank = bad[stop] == bad[cut]
    inner_cr = np.bincount(np.searchsorted(ends, carriage), minlength=len(ends))[wide]
    blank &= inner_cr == (stop < ends[wide])  # a CR inside the line: left as it is
    if not blank.any():
        return None
    return cut[blank], stop[blank], wide[blank]


_CLOSING_QUOTE = re.compile(rb'(?:[^"]|"")*+"')
"""The rest of a quoted field up to its closing quote (a doubled quote is a quote in it)."""


def _fields_pattern(separator: bytes) -> re.Pattern[bytes]:
    """Whole records on one line, as pyarrow reads them: a quote opens a field only at its
    start (``5" monitor`` is text), and a quoted field runs to its closing quote."""
    sep = re.escape(separator)
    field = rb'(?:"(?:[^"]|"")*+"[^' + sep + rb"]*+|[^" + sep + rb'"][^' + sep + rb"]*+|)"
    return re.compile(field + rb"(?:" + sep + field + rb")*+")


def _cut(body: bytes, delimiter: str, width: int) -> int | None:
    """Where the whole record ``body`` (its quotes closed, see :class:`_Trimmer`) ends without
    its blank extra fields; None: it has none. A quote may be text (``Monitor 24"``), which
    the csv module reads as pyarrow does; a bare CR may be a line break inside a quoted note,
    and outside one the csv module refuses the record, which is then left as it is."""
    text = body.decode("latin-1")  # one character per byte: positions stay byte positions
    fields = with_empty_extras(text, delimiter, width)
    if fields is None:
        return None
    end = len(text)
    for _ in range(len(fields) - width):  # each blank field and the delimiter before it
        end = text.rindex(delimiter, 0, end)
    return end
