"""Rows that end in empty fields the header does not have: ``K1;02.01.2026;5,00;`` under
``Kunde;Datum;Betrag``.

Excel writes them for rows whose cells right of the data were ever formatted, and some
exporters for rows whose last optional columns are empty. Where every row has them the
sniffer names the extra column; where only some rows do, the parser rejects those rows, a
third of an export in a case seen. Such an export is read from a copy without the empty
fields instead, line for line, so that line numbers stay the export's. Only the bytes of the
delimiter, the quote and the line ends are looked at, so the copy is exact in any encoding
that writes them as ASCII does (UTF-8, cp1252, Latin-1).
"""

from __future__ import annotations

import csv
from pathlib import Path

from churnwatch.ingest.transcode import Rewritten, rewritten

ASCII_COMPATIBLE = {
    "utf-8",
    "utf8",
    "utf-8-sig",
    "cp1252",
    "windows-1252",
    "latin-1",
    "iso-8859-1",
}
"""Encodings whose delimiter, quote and line-end bytes are those of ASCII."""


def only_empty_extras(fields: list[str], width: int) -> bool:
    """A record of more fields than the header's ``width``, those beyond it all blank."""
    return len(fields) > width and not "".join(fields[width:]).strip()


def with_empty_extras(text: str, delimiter: str, width: int) -> list[str] | None:
    """The fields of the one-line record ``text`` where it is the header's fields and then
    only blank ones (a row the reader takes without them); None for any other."""
    try:
        fields = next(csv.reader([text.rstrip("\r")], delimiter=delimiter), [])
    except csv.Error:  # a line break in it
        return None
    return fields if only_empty_extras(fields, width) else None


def any_empty_extras(rows: list[str], delimiter: str, width: int) -> bool:
    """Whether one of ``rows`` (records the parser rejected) is the header's fields and then
    only blank ones: each such row is taken, whatever the others are."""
    return any(with_empty_extras(text, delimiter, width) is not None for text in rows)


def without_empty_extras(path: Path, delimiter: str, width: int) -> Rewritten:
    """A temporary copy of ``path`` whose records of more than ``width`` fields, the extra
    ones blank, end after field ``width``. A record whose quotes do not close on its line
    (a quoted line break) is copied as it is."""
    separator = delimiter.encode("ascii")

    def trimmed(line: bytes) -> bytes | None:
        body = line.rstrip(b"\r\n")
        cut = _cut(body, delimiter, width) if body.count(separator) >= width else None
        return None if cut is None else body[:cut] + line[len(body) :]

    return rewritten(path, trimmed)


def _cut(body: bytes, delimiter: str, width: int) -> int | None:
    """Where the record ``body`` ends without its blank extra fields; None: it has none, or
    it is not a whole record."""
    if body.count(b'"') % 2 or b"\r" in body:  # a quoted line break, or lines ending in CR
        return None
    text = body.decode("latin-1")  # one character per byte: positions stay byte positions
    fields = with_empty_extras(text, delimiter, width)
    if fields is None:
        return None
    end = len(text)
    for _ in range(len(fields) - width):  # each blank field and the delimiter before it
        end = text.rindex(delimiter, 0, end)
    return end
