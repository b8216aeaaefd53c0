"""Recognise how a CSV export is written: encoding, delimiter, header, numbers and dates.

Only the head of the file is inspected, so this is cheap even for gigabyte exports; the
reader falls back gracefully if the rest of the file disagrees (e.g. cp1252 bytes far down
a file that started as plain ASCII).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from churnwatch.config import SourceConfig
from churnwatch.core.dialect import ISO_FORMAT, Dialect
from churnwatch.core.errors import EmptySourceError, InputError
from churnwatch.core.sources import Kind, Source
from churnwatch.core.words import excerpt, inline
from churnwatch.ingest.date_text import detect_date_format
from churnwatch.ingest.field_limit import allow_long_fields
from churnwatch.ingest.number_text import ambiguous_separator, detect_number_format, parse_numbers
from churnwatch.ingest.parquet_folder import text_spread_over
from churnwatch.ingest.trailing_fields import ascii_compatible
from churnwatch.ingest.transcode import has_utf8_sequences

HEAD_BYTES = 256 * 1024
SAMPLE_ROWS = 500
LONGEST_NAME = 128 * 1024
"""A header's names stay within the csv module's own limit: longer is no header."""
DELIMITERS = (",", ";", "\t", "|")

_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook or ZIP archive; export the sheet as CSV",
    b"\xd0\xcf\x11\xe0": "an old-style Excel/Office file; export the sheet as CSV",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\x1f\x8b": "a gzip archive; unpack it first",
    b"SQLite format": "an SQLite database",
}


@dataclass(frozen=True)
class Head:
    """The decoded start of a file: enough to sniff the dialect and sample values."""

    encoding: str
    delimiter: str
    header: list[str]
    """Column names exactly as written (surrounding spaces included, as pyarrow sees them)."""
    rows: list[list[str]]
    has_nul: bool
    complete: bool
    """The head is the whole file."""
    preamble: str = ""
    """A line before the header that is not data (Excel's ``sep=;``, DATEV's ``EXTF`` line)."""
    title: tuple[str, ...] = ()
    """Lines above the header of a report saved as CSV: a title, a date it was made, blank
    lines (see :func:`_title_lines`)."""
    typed: frozenset[str] = frozenset()
    """Columns whose values are typed (a Parquet file's dates and numbers): taken as they
    are, so no number or date format applies to them."""
    file: Path | None = None
    """The plain file the head was read from: where rows further down are sampled."""
    parquet: Path | None = None
    """The Parquet export (a file or a folder of parts) the head was read from: the same."""
    further: dict[tuple[str, ...], list[str]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """The values of rows further down, by the columns read: read once, though the dialect
    and the notes on it both ask (see ``_samples_further_down``)."""

    @property
    def lines_before_header(self) -> int:
        """The lines above the header: a preamble, a title."""
        return (1 if self.preamble else 0) + len(self.title)

    @property
    def header_lines(self) -> int:
        """The lines the header takes in the file: more than one where a quoted name holds a
        line break (``"Customer⏎Number"``), which a reader skipping lines must know."""
        return 1 + sum(name.count("\n") for name in self.header)

    def written_as_text(self, headers: list[str]) -> bool:
        """Whether any of the named columns holds a sampled value written as text, which a
        number or date format is needed to read."""
        text = [h for h in headers if h not in self.typed]
        return any(value.strip() for value in self.samples(text))

    def samples(self, headers: list[str]) -> list[str]:
        """The sampled values of the named columns, row by row."""
        positions = [self.header.index(h) for h in headers]
        return [row[i] for row in self.rows for i in positions if i < len(row)]

    @property
    def trailing_delimiter(self) -> bool:
        """The data rows end in one extra, empty field (a common export quirk): most sampled
        rows do, and the others have the header's width. Most, not all: a part of a split
        export samples other rows than the whole, and both must read the rows lacking the
        delimiter as such (see ``csv_reader._Reader._lacking_trailing_delimiter``). Lines
        of one field (a report's footer, ``Anzahl Belege: 300``) are no rows to judge by."""
        width = len(self.header)
        rows = [r for r in self.rows if len(r) > 1] if width > 1 else self.rows
        extra = sum(len(r) == width + 1 and not r[-1] for r in rows)
        plain = sum(len(r) == width for r in rows)
        return extra > len(rows) / 2 and extra + plain == len(rows)


def _without_blank_ends(header: list[str], rows: list[list[str]]) -> list[str]:
    """The header without the blank names it ends in (``Kunde;Datum;Betrag;``): rows without
    those fields were all rejected as too short, rows with them hold blank fields the header
    does not have, which are read without them (see ``trailing_fields``). A column without a
    name that most rows fill (``…;Betrag;`` over ``…;99,50;online``) stays: it is a column,
    and dropping it rejected every row as too long."""
    width = len(header)
    while width and not header[width - 1].strip() and not _mostly_filled(rows, width - 1):
        width -= 1
    return header[:width]


def _mostly_filled(rows: list[list[str]], column: int) -> bool:
    """Whether more than half of the rows hold a value in ``column``."""
    filled = sum(len(row) > column and bool(row[column].strip()) for row in rows)
    return filled > len(rows) / 2


def read_head(path: Path, shown: Path | None = None) -> bytes:
    """The first bytes of ``path``; errors name ``shown`` (the export, when ``path`` is its
    unpacked copy)."""
    try:
        with path.open("rb") as handle:
            return handle.read(HEAD_BYTES)
    except IsADirectoryError:
        raise InputError(f"{shown or path}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise InputError(f"{shown or path}: cannot read: {exc.strerror}") from None


_MARKS = {  # UTF-32's first: little-endian, it starts as UTF-16's does
    codecs.BOM_UTF32_LE: ("UTF-32", ("utf-32", "utf-32-le")),
    codecs.BOM_UTF32_BE: ("UTF-32", ("utf-32", "utf-32-be")),
    codecs.BOM_UTF8: ("UTF-8", ("utf-8", "utf-8-sig")),
    codecs.BOM_UTF16_LE: ("UTF-16", ("utf-16", "utf-16-le")),
    codecs.BOM_UTF16_BE: ("UTF-16", ("utf-16", "utf-16-be")),
}
"""Byte-order marks: the encoding each says, and the names of it that read the file."""


def _check_marked_encoding(head: bytes, encoding: str, path: Path) -> None:
    """A file that starts with a byte-order mark is in that mark's encoding: an ``encoding``
    setting that says otherwise (cp1252 for a UTF-8 file with a BOM) would garble every
    umlaut and the first header's name, and the missing-column error that followed
    proposed mapping the garbled names."""
    for mark, (name, readers) in _MARKS.items():
        if not head.startswith(mark):
            continue
        if codecs.lookup(encoding).name not in readers:
            raise InputError(
                f"{path}: starts with the byte-order mark of {name}, so it is {name} text, not"
                f" {encoding}: remove the encoding setting (churnwatch reads the mark) or set"
                f' encoding = "{readers[0]}" in churnwatch.toml'
            )
        return


def detect_encoding(head: bytes, path: Path) -> str:
    """UTF-16/UTF-8 by BOM, else UTF-8 if the bytes decode, else cp1252 (latin-1 as last resort)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for signature, what in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            raise InputError(f"{path}: not a text file: looks like {what}")
    nul_share = head.count(0) / max(len(head), 1)
    if (utf16 := _utf16_without_bom(head)) is not None:
        return utf16
    if nul_share + _control_share(head) > 0.1:
        raise InputError(f"{path}: not a text file (binary content); expected a CSV export")
    complete = head if len(head) < HEAD_BYTES else head[: head.rfind(b"\n") + 1] or head
    try:
        complete.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if not has_utf8_sequences(complete):
        try:
            complete.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    # UTF-8 with some lines in another encoding: the reader takes it line by line.
    return "utf-8"


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a BOM: in text of Latin letters, digits and punctuation the high byte of
    every character is NUL, so the NULs fill one of the two byte positions (odd ones in
    little-endian). A binary file's NULs fall on both."""
    if len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = len(head) / 2
    if odd > 0.6 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.6 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def _control_share(head: bytes) -> float:
    controls = sum(head.count(bytes([b])) for b in range(1, 32) if b not in (9, 10, 13))
    return controls / max(len(head), 1)


def decode_head(head: bytes, encoding: str) -> str:
    """Decode the head, dropping a line cut off by the sample limit and any NUL bytes."""
    if len(head) == HEAD_BYTES:
        head = head[: head.rfind(b"\n") + 1] or head
    text = head.decode(encoding, errors="replace")
    return text.removeprefix("\ufeff").replace("\x00", "")


def detect_delimiter(lines: list[str]) -> str:
    """The candidate that splits the header into most columns, consistently across rows."""

    def rank(delimiter: str) -> tuple[bool, float, int]:
        try:
            rows = [r for r in csv.reader(lines, delimiter=delimiter) if r]
        except csv.Error:  # e.g. a field beyond the csv module's limit: not this delimiter
            return False, 0.0, 0
        if not rows:
            return False, 0.0, 0
        width = len(rows[0])
        consistent = sum(len(r) == width for r in rows) / len(rows)
        return width > 1, consistent, width

    return max(DELIMITERS, key=rank)


def inspect_head(
    path: Path, encoding: str | None, delimiter: str | None, shown: Path | None = None
) -> Head:
    """Sniff (or take from the config) encoding and delimiter, and parse the head rows;
    errors name ``shown`` (the export, when ``path`` is its unpacked copy)."""
    allow_long_fields()  # a 140,000-character note among the first rows is a note
    return _inspected_head(path, encoding, delimiter, shown)


def _inspected_head(
    path: Path, encoding: str | None, delimiter: str | None, shown: Path | None
) -> Head:
    raw = read_head(path, shown)
    plain, path = path, shown or path
    if not raw.strip(b"\x00\r\n\t \xef\xbb\xbf\xff\xfe"):
        raise EmptySourceError(path, EmptySourceError.EMPTY)
    if encoding is not None:
        _check_marked_encoding(raw, encoding, path)
    chosen = encoding or detect_encoding(raw, path)
    text = decode_head(raw, chosen)
    lines = text.splitlines()[: SAMPLE_ROWS + 1 + MAX_TITLE_LINES]
    preamble, declared = _preamble(lines[0] if lines else "")
    title = () if preamble else tuple(lines[: _title_lines(lines, delimiter)])
    before = (1 if preamble else 0) + len(title)
    lines = lines[before : before + SAMPLE_ROWS + 1]
    sep = delimiter or declared or detect_delimiter(lines)
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=sep)
    try:
        rows = [r for r in reader if r]
    except csv.Error as exc:
        line = reader.line_num + before
        raise InputError(
            f"{path}:{line}: cannot be read as CSV ({exc}); a quote that is never closed, or"
            " not a CSV export"
        ) from None
    header = _without_blank_ends(rows[0], rows[1:]) if rows else []
    if (longest := max(map(len, header), default=0)) > LONGEST_NAME:
        raise InputError(
            f"{path}:{1 + before}: cannot be read as CSV (a column name of"
            f" {longest:,} characters); a quote that is never closed, or not a CSV export"
        )
    complete = len(raw) < HEAD_BYTES
    return Head(
        chosen,
        sep,
        header,
        rows[1:],
        has_nul=b"\x00" in raw,
        complete=complete,
        preamble=preamble,
        title=title,
        file=plain,
    )


MAX_TITLE_LINES = 10
"""The most lines above the header taken for a report's title."""


def _title_lines(lines: list[str], delimiter: str | None) -> int:
    """How many lines above the header a report's title takes: a report saved as CSV often
    starts with its name, the date it was made and a blank line (``Umsatzliste 2025;;``),
    and its header was taken for a header of one column. The header is the first line with
    two or more filled fields, where every line above it has at most one; a file of one
    column has no such line, and none is skipped."""
    for index, line in enumerate(lines[: MAX_TITLE_LINES + 1]):
        sep = delimiter or detect_delimiter(lines[index : index + SAMPLE_ROWS + 1])
        if _filled_fields(line, sep) >= 2:
            above = lines[:index]
            return index if all(_filled_fields(text, sep) <= 1 for text in above) else 0
    return 0


def _filled_fields(line: str, delimiter: str) -> int:
    """The fields of ``line`` that are not blank; a line that is not a record alone (a quote
    left open for a line break in a column's name) counts as a full one, never a title's."""
    if line.count('"') % 2:
        return 2
    try:
        fields = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return 2
    return sum(1 for field in fields if field.strip())


_SEP_LINE = re.compile(r'^"?sep=(.)"?[,;\t|]*$', re.IGNORECASE)
_DATEV_LINE = re.compile(r'^"?(EXTF|DTVF)"?[;,]')


def _preamble(first: str) -> tuple[str, str | None]:
    """``(line, declared delimiter)`` when the first line is a preamble, not the header."""
    if match := _SEP_LINE.match(first.strip()):
        return first, match.group(1)
    if _DATEV_LINE.match(first):
        return first, None
    return "", None


def first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """``(line, byte offset)`` of the first byte that is not valid in ``encoding``, if any."""
    decoder = codecs.getincrementaldecoder(encoding)()
    consumed = 0
    newlines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                offset = max(exc.start, 0)
                return newlines + chunk[:offset].count(b"\n") + 1, consumed + offset
            consumed += len(chunk)
            newlines += chunk.count(b"\n")
    pending = decoder.getstate()[0]  # a multi-byte character cut off by the end of the file
    return (newlines + 1, consumed - len(pending)) if pending else None


def detect_dialect(
    head: Head, source: Source, columns: dict[str, str], config: SourceConfig | None = None
) -> tuple[Dialect, list[str]]:
    """The dialect (configured settings win over detection), and the other date formats that
    fit the sampled dates equally well (``03/04/2025``: March or April?)."""
    config = config or SourceConfig()
    decimal: str
    thousands: str
    if _numbers_configured(config):
        decimal, thousands = config.decimal or ".", config.thousands or ""
    else:
        decimal, thousands = detect_number_format(_number_samples(head, source, columns))
    detected: str | None = None
    alternatives: list[str] = []
    if not config.date_format:
        samples = _samples(head, source, columns, Kind.DATE)
        detected, alternatives = detect_date_format(samples)
        if alternatives and (further := _samples_further_down(head, source, columns, Kind.DATE)):
            detected, alternatives = detect_date_format(samples + further)
    date_format = config.date_format or detected or ISO_FORMAT
    return Dialect(head.encoding, head.delimiter, decimal, thousands, date_format), alternatives


FURTHER_BLOCKS = 16
"""Places further down a file where rows are sampled when the head's dates fit two formats."""
FURTHER_BYTES = 32 * 1024
"""Bytes read at each."""
FURTHER_ROWS = 250
"""Rows taken at each from a Parquet export (about as many as 32 KiB of a CSV's hold)."""


def _samples_further_down(
    head: Head, source: Source, columns: dict[str, str], kind: Kind
) -> list[str]:
    """The values of ``kind`` (dates, amounts) of rows sampled evenly over the rest of the
    file: an export sorted by date has only days up to the 12th in its first hundreds of rows
    (``01/02/2024`` … ``01/12``), which fit day first as well as month first, while
    ``01/13/2024`` further down fits one alone; amounts whole in the first rows (``3875``)
    show their decimal comma only further down (``1289,84``). A small file (the head may
    hold it whole, but only its first 500 rows are sampled) is read whole. Rows holding a
    quote are passed over where a quoted field may hold a line break (see
    :func:`_whole_records`). Of a Parquet export,
    rows spread over the whole of it."""
    names = tuple(columns[c.name] for c in source.columns if c.kind is kind and c.name in columns)
    if names not in head.further:
        head.further[names] = _further_down(head, names)
    return head.further[names]


def _further_down(head: Head, names: tuple[str, ...]) -> list[str]:
    if head.parquet is not None:
        text = [name for name in names if name not in head.typed]
        return text_spread_over(head.parquet, text, FURTHER_BLOCKS * FURTHER_ROWS)
    if head.file is None or not ascii_compatible(head.encoding) or not names:
        return []
    positions = [head.header.index(name) for name in names]
    try:
        return _values_further_down(head, head.file, positions)
    except OSError:  # an unpacked copy removed already: the head's values alone
        return []


def _values_further_down(head: Head, file: Path, positions: list[int]) -> list[str]:
    found: list[str] = []
    with file.open("rb") as handle:
        size = handle.seek(0, io.SEEK_END)
        if size <= FURTHER_BLOCKS * FURTHER_BYTES:
            handle.seek(0)
            blocks = [handle.read().splitlines()[1:]]  # all but the first line (the header's)
        else:
            span = max(size - HEAD_BYTES - FURTHER_BYTES, 0)
            blocks = []
            for block in range(1, FURTHER_BLOCKS + 1):
                handle.seek(HEAD_BYTES + span * block // FURTHER_BLOCKS)
                blocks.append(handle.read(FURTHER_BYTES).splitlines()[1:-1])  # whole lines
    for lines in blocks:
        text = [line.decode(head.encoding, "replace") for line in _whole_records(lines)]
        try:
            rows = list(csv.reader(text, delimiter=head.delimiter))
        except csv.Error:  # a line the reader refuses: the block tells nothing
            continue
        found += [row[i] for row in rows if len(row) == len(head.header) for i in positions]
    return found


def _whole_records(lines: list[bytes]) -> list[bytes]:
    """The lines of a block that are records as they stand. A block may start inside a
    quoted field that holds line breaks, so a line with quotes is only taken where no line of
    the block leaves a quote open (an odd count): a file that quotes every field, as many
    exporters do, is then sampled as one that quotes none."""
    if any(line.count(b'"') % 2 for line in lines):
        return [line for line in lines if b'"' not in line]
    return lines


def _number_samples(head: Head, source: Source, columns: dict[str, str]) -> list[str]:
    """The sampled amounts, and those of rows further down where the head's are all whole
    (nothing in them tells a decimal mark from a thousands separator)."""
    numbers = _samples(head, source, columns, Kind.NUMBER)
    if any(mark in value for value in numbers for mark in ".,"):
        return numbers
    return numbers + _samples_further_down(head, source, columns, Kind.NUMBER)


def _samples(head: Head, source: Source, columns: dict[str, str], kind: Kind) -> list[str]:
    """The sampled values of the source's mapped columns of ``kind``, row by row."""
    return head.samples(
        [columns[c.name] for c in source.columns if c.kind is kind and c.name in columns]
    )


def _numbers_configured(config: SourceConfig) -> bool:
    return config.decimal is not None or config.thousands is not None


def ambiguous_numbers(
    head: Head,
    source: Source,
    columns: dict[str, str],
    dialect: Dialect,
    config: SourceConfig | None = None,
) -> str | None:
    """What the detected number format assumed, where the samples allowed another reading
    (``4,800``: 4800, or 4.8?), and how to choose the other; None where nothing was assumed."""
    if _numbers_configured(config or SourceConfig()):
        return None
    samples = _number_samples(head, source, columns)
    separator = ambiguous_separator(samples)
    if separator is None:
        return None
    example = next(s.strip() for s in samples if s and separator in s)
    value = float(parse_numbers(pa.array([example]), dialect.decimal, dialect.thousands)[0][0])
    if dialect.thousands == separator:
        role, other = "separates thousands", f'decimal = "{separator}"'
    else:
        role, other = "marks decimals", f'thousands = "{separator}"'
    shown = f"{value:.3f}".rstrip("0").rstrip(".")
    return (
        f"amounts such as '{inline(excerpt(example))}' read as {shown} ('{separator}' {role});"
        f" if that is wrong, set {other} in churnwatch.toml"
    )
