"""Read one CSV export into a typed Arrow table with canonical column names.

The fast path hands pyarrow's multi-threaded reader the exact column types, so clean ISO
files are parsed in C++ at full speed and only the needed columns are materialised. If
pyarrow rejects a value, the file is read again as text and parsed by churnwatch's strict
vectorised parsers, which keep every good row and record why each bad one was skipped.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import tomli_w

from churnwatch.config import SourceConfig
from churnwatch.core.dialect import ISO_FORMAT, PARQUET, Dialect, form_name
from churnwatch.core.domain import is_order
from churnwatch.core.errors import EmptySourceError, InputError
from churnwatch.core.sources import Column, Kind, Source
from churnwatch.core.spelling import normalise
from churnwatch.core.suggest import closest
from churnwatch.core.words import EXCERPT, excerpt, inline, plural, printable
from churnwatch.ingest.amount_unit import in_whole_units
from churnwatch.ingest.arrow_numpy import is_text, text_parts, to_numpy
from churnwatch.ingest.date_text import (
    FIRST_DAY,
    LAST_DAY,
    MAX_YEAR,
    MIN_YEAR,
    UNMISTAKABLE_FORMS,
    detect_date_format,
    outside_years,
    parse_days,
)
from churnwatch.ingest.duplicates import combined, repeats
from churnwatch.ingest.field_limit import LONGEST_ROW
from churnwatch.ingest.footer import MAX_FOOTER, Record, decoration, footer, names_a_total
from churnwatch.ingest.held_file import held_for_reading, holds_byte
from churnwatch.ingest.line_numbers import Layout, Lines
from churnwatch.ingest.number_text import (
    detect_number_format,
    parse_numbers,
    point_decimals,
    unsampled_grouping,
)
from churnwatch.ingest.open_quotes import (
    LINE_BREAK_CHARACTER,
    QUOTE,
    RowShape,
    id_shapes,
    quote_open_at_the_end,
    rows_alike_warning,
    rows_in_fields,
    rows_in_record,
    swallowed_rows_error,
)
from churnwatch.ingest.packed import kind_of, read_from, unpacked
from churnwatch.ingest.parquet_folder import (
    joined_as_text,
    not_parquet,
    parquet_dataset,
    part_count,
    parts_without,
    refuse_no_parts,
    repeated_names,
)
from churnwatch.ingest.parquet_text import as_text, bytes_as_text, holds_bytes
from churnwatch.ingest.problems import (
    EXAMPLE_VALUES,
    MAX_LINES,
    Counted,
    Level,
    Problem,
    Reason,
    nul_bytes_removed,
)
from churnwatch.ingest.recognise import map_columns
from churnwatch.ingest.sniff import (
    DELIMITERS,
    MAX_TITLE_LINES,
    SAMPLE_ROWS,
    Head,
    ambiguous_numbers,
    detect_dialect,
    first_undecodable,
    inspect_head,
)
from churnwatch.ingest.trailing_fields import (
    any_of_width,
    ascii_compatible,
    of_width,
    only_empty_extras,
    without_empty_extras,
)
from churnwatch.ingest.transcode import Rewritten, mixes_encodings, to_utf8, utf8_copy
from churnwatch.ingest.vocabulary import Understanding, by_meaning, toml_lines, understand

if TYPE_CHECKING:
    import pyarrow.dataset as ds

FIRST_BLOCK = 1 << 24
MAX_BLOCK = LONGEST_ROW
"""The longest a single row may be (64 MB): longer is an unclosed quote or not a CSV."""
MANY_REJECTED = 10_000
"""Rejected rows beyond which a file is read in one thread. pyarrow calls back into Python for
each, and a call from a thread of its pool costs some 18 µs of the kernel's time: the 667,000
rows of an Excel export that end in ';;' took 12 s there, and 0.7 s read in one thread."""
MAX_AMOUNT = 1e15
"""Larger amounts are not amounts (1e308 would sum to infinity): such a value is rejected."""
NULL_TOKENS = ("NA", "N/A", "#N/A", "NULL", "null", "None", "nan", "NaN", "n/a")
"""What spreadsheets and databases write for an empty cell: empty in numbers and dates, but a
customer id like any other (only an empty id is missing)."""
ZERO_DATE = r"^\s*0+(?:[./-]0+)*(?:[ T]0{1,2}(?::0{2}){1,2})?\s*$"
"""A date written as zeros (``00.00.0000``, ``0000-00-00``, ``00000000``, with a time of
zeros too): how SAP, DATEV and many databases write "no date"."""
NO_DATE_WORDS = ("-", "--", "–", "—", "offen", "open", "unbezahlt", "unpaid", "ausstehend")
"""A dash or a word for "none yet" (lower case), as exports write a missing payment or closing
date; like a date of zeros, read as empty where a date may be empty."""
PLACEHOLDER_DAYS = (
    int((np.datetime64("1900-01-01") - np.datetime64("1970-01-01")).astype(int)),
    0,
)
"""1900-01-01 and 1970-01-01, the first days of Excel's and of Unix's calendars: what many
systems write where a date is missing. Taken as real, one such order makes a customer of
twenty years and a rhythm that never was."""
_UTF8 = {"utf-8", "utf8", "utf-8-sig"}


@dataclass
class SourceTable:
    """One source as read: canonical columns, good rows only, and what was wrong."""

    source: Source
    path: Path
    dialect: Dialect
    columns: dict[str, str]
    table: pa.Table
    rows_read: int
    problems: list[Problem] = field(default_factory=list)
    positions: np.ndarray | None = None
    """Each kept row's position among the parsed rows; ``None`` when no row was skipped."""
    layout: Lines | None = None
    parsed_rows: int = 0
    """Rows pyarrow parsed (rows with a wrong number of fields are not among them)."""
    rows_skipped: int = 0
    """Rows left out for bad values or a wrong number of fields (each row counted once)."""
    categories: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per category column, the rows (that use it) of each raw value: what the meanings were
    decided on, which the parts of a split export add up to decide them for the whole..."""
    category_rows: dict[str, dict[str, int]] = field(default_factory=dict)
    """...and the first row (among the parsed rows) of each raw value: the values' order."""
    typed: frozenset[str] = frozenset()
    """The file's columns whose values are typed (Parquet dates and numbers)."""

    def formats_apply(self, kind: Kind) -> bool:
        """Whether a column of ``kind`` was read as text, through the dialect's number or date
        format (not a column the export lacks, nor a Parquet file's typed one)."""
        return any(
            c.kind is kind and c.name in self.columns and self.columns[c.name] not in self.typed
            for c in self.source.columns
        )

    def first_lines(self, positions: np.ndarray) -> tuple[int, ...]:
        """The physical lines of the first few parsed rows at ``positions``: as many as a
        message names."""
        assert self.layout is not None
        return tuple(int(x) for x in self.layout.row_lines(positions[:MAX_LINES], self.parsed_rows))

    def repeated(self, positions: np.ndarray, kinds: np.ndarray) -> np.ndarray | None:
        """Whether each parsed row at ``positions`` (ascending) repeats an earlier one of them
        in every field, the columns not read included; None where the export cannot show
        them. ``kinds``: a number per row, the same for rows equal in the columns read."""
        assert self.layout is not None
        return self.layout.repeated(positions, self.parsed_rows, kinds)


def read_source(
    path: Path, source: Source, config: SourceConfig, *, count_values: bool = False
) -> SourceTable:
    """Read ``path`` as ``source``: sniff, map columns, parse, salvage. A compressed export
    (gzip, zstd, bzip2, xz, LZ4, ZIP) is read from its unpacked copy; messages name the export.
    ``count_values``: count the rows of each category value (a part of a split export)."""
    refuse_no_parts(path)
    if kind_of(path) == "parquet":
        table = read_parquet_source(path, source, config, count_values=count_values)
        return in_whole_units(table, config)
    plain = unpacked(path)
    head = inspect_head(plain, config.encoding, config.delimiter, shown=path)
    try:
        columns = resolve_columns(head, source, config, path)
    except InputError as error:
        error.message += read_from(path)
        raise
    dialect, alternatives = detect_dialect(head, source, columns, config)
    reader = _Reader(
        path,
        source,
        head=head,
        dialect=dialect,
        columns=columns,
        config=config,
        plain=plain,
        count_values=count_values,
    )
    sniffed = (dialect, alternatives)
    reader.problems.extend(head_notes(path, head, source, columns, config, sniffed=sniffed))
    return in_whole_units(reader.read(), config)


def head_notes(
    path: Path,
    head: Head,
    source: Source,
    columns: dict[str, str],
    config: SourceConfig,
    *,
    sniffed: tuple[Dialect, list[str]],
) -> list[Problem]:
    """What sniffing the head found worth saying: optional columns left unread, numbers and
    dates that could be read another way (``sniffed``: the dialect and the other date
    formats that fit, as :func:`detect_dialect` gives them)."""
    dialect, alternatives = sniffed
    notes = [title] if (title := _title_note(path, head, source)) else []
    if not config.columns and (unread := _unread_lookalikes(head, source, columns, path)):
        notes.append(unread)
    if beside := _lookalikes_beside_exact(head, source, columns, config, path):
        notes.append(beside)
    if assumed := ambiguous_numbers(head, source, columns, dialect, config):
        notes.append(
            Problem(source.name, path.name, Reason.AMBIGUOUS_NUMBERS, assumed, level=Level.NOTE)
        )
    if alternatives:
        notes.append(
            Problem(
                source.name,
                path.name,
                Reason.AMBIGUOUS_DATES,
                f"dates read as {form_name(dialect.date_format)}, but they could also be"
                f" {', '.join(alternatives)}; set date_format in churnwatch.toml if that is wrong",
                level=Level.NOTE,
            )
        )
    return notes


def _title_note(path: Path, head: Head, source: Source) -> Problem | None:
    """Say which lines were taken for a report's title, and what they hold: were the header
    not the line found, the columns would be missing, but a line of data taken for a title
    would be lost without a word. Blank lines alone above the header hold nothing."""
    filled = [text for line in head.title if (text := line.strip(f" {head.delimiter}\t"))]
    if not filled:
        return None
    shown = ", ".join(repr(printable(excerpt(text))) for text in filled)
    return Problem(
        source.name,
        path.name,
        Reason.TITLE_LINES,
        f"the header is on line {head.lines_before_header + 1}: the lines above it ({shown})"
        " were taken for a report's title and not read",
        level=Level.NOTE,
    )


def resolve_columns(head: Head, source: Source, config: SourceConfig, path: Path) -> dict[str, str]:
    """Canonical name → header as written, for every required and every available column."""
    if not head.header:
        raise EmptySourceError(path, EmptySourceError.EMPTY)
    resolved: dict[str, str] = {}
    missing: list[tuple[Column, str]] = []
    for column in source.columns:
        wanted = config.columns.get(column.name, column.name)
        found = wanted if wanted in head.header else _lookalike(head, wanted, source, column, path)
        if found is not None and head.header.count(found) > 1:
            raise InputError(
                f"{path}: column '{found}' appears {head.header.count(found)} times in the header;"
                " rename the copies so it is clear which one to use"
            )
        if found is not None:
            resolved[column.name] = found
        elif column.name in config.columns or column.required:
            missing.append((column, wanted))
    missing = [
        (column, wanted)
        for column, wanted in missing
        if column.name in config.columns or not derivable(column, resolved)
    ]
    if not missing:
        return _without_unneeded(resolved, source)
    if lower := _header_further_down(head, [wanted for _, wanted in missing]):
        raise InputError(
            f"{path}: required columns are missing from its first line, and a line further"
            f" down names them ({lower!r}): that line is the header; remove the lines above"
            " it (lines of one filled field each are skipped without that)"
        )
    if wrong := _wrong_delimiter(head, source, config):
        raise InputError(f"{path}: {wrong}")
    unused = [h for h in head.header if h not in resolved.values()]
    if len(missing) == 1:  # the usual case: which header it could be
        column, wanted = missing[0]
        fitting = [h for h in unused if _values_fit(head, h, column)]
        raise InputError(_missing_column(path, source, column, wanted, head.header, unused=fitting))
    # all of them at once, not one per run
    raise InputError(_missing_columns(path, source, missing, head, unused=unused))


def _without_unneeded(resolved: dict[str, str], source: Source) -> dict[str, str]:
    """``resolved`` without the columns read only to work out one the export has after all
    (payment terms beside a due date): they would be read, and their faults said, for
    nothing."""
    needed = {
        name
        for column in source.columns
        if column.name not in resolved and derivable(column, resolved)
        for name in column.derived_from
    }
    unneeded = {c.name for c in source.columns if c.to_derive and c.name not in needed}
    return {name: header for name, header in resolved.items() if name not in unneeded}


def derivable(column: Column, resolved: Mapping[str, str]) -> bool:
    """Whether a required column the export lacks can be worked out from others it has
    (:attr:`Column.derived_from`)."""
    return bool(column.derived_from) and all(name in resolved for name in column.derived_from)


def _header_further_down(head: Head, wanted: list[str]) -> str | None:
    """The first of the sampled rows near the top that names every ``wanted`` column, as
    written (a report's title above the header that ``sniff._title_lines`` did not take
    for one: ``Zeitraum:;01.01.2025 - 31.12.2025``)."""
    for row in head.rows[:MAX_TITLE_LINES]:
        if all(name in row or lookalike_headers(row, name) for name in wanted):
            return printable(excerpt(head.delimiter.join(row), 2 * EXCERPT))
    return None


def _lookalike(head: Head, wanted: str, source: Source, column: Column, path: Path) -> str | None:
    """The one header that names ``wanted`` (``column``'s name, or the header the settings map
    it to) without being it (``Customer ID``), if any. Two different ones (``Amount`` and
    ``AMOUNT``) are refused: either could be meant, and reading one of them silently changes
    every figure (the last one was read, so the figures followed the column order)."""
    alike = lookalike_headers(head.header, wanted)
    if len(alike) < 2:
        return alike[0] if alike else None
    quoted = [f"'{inline(h)}'" for h in alike]
    shown = f"{', '.join(quoted[:-1])} and {quoted[-1]} {'both' if len(alike) == 2 else 'all'}"
    table, settings = _mapping_lines(source, {column.name: alike[0]})
    raise InputError(
        f"{path}: columns {shown} name {column.name} (headers match whatever their case, blanks,"
        " punctuation and other signs); map the one to use in churnwatch.toml"
        f" ({table} {settings[0]}), or rename the others"
    )


def _lookalikes_beside_exact(
    head: Head, source: Source, columns: dict[str, str], config: SourceConfig, path: Path
) -> Problem | None:
    """A note when a column is read by its exact name (``amount``) beside headers that also
    name it (``Amount``): the exact one wins, as it always has; the user may have meant
    another. A column the settings map is what the user chose."""
    beside = {
        name: others
        for name, header in columns.items()
        if header == name and name not in config.columns
        if (others := [h for h in lookalike_headers(head.header, header) if h != header])
    }
    if not beside:
        return None
    said = "; ".join(
        f"{name} is read from '{name}', not from {', '.join(repr(inline(h)) for h in others)}"
        f" (which also name{'s' if len(others) == 1 else ''} it)"
        for name, others in beside.items()
    )
    table, settings = _mapping_lines(source, {name: others[0] for name, others in beside.items()})
    return Problem(
        source.name,
        path.name,
        Reason.UNREAD_COLUMNS,
        f"{said}: if another one is meant, map it in churnwatch.toml ({table}"
        f" {', '.join(settings)})",
        level=Level.NOTE,
        fix=(table, *settings),
    )


def lookalike_headers(header: list[str], found: str) -> list[str]:
    """The distinct headers that name the same column as ``found`` (itself among them)."""
    return list(dict.fromkeys(h for h in header if _key(h) == _key(found)))


def _mapping_lines(source: Source, mapping: dict[str, str]) -> tuple[str, list[str]]:
    """The table and the lines of ``churnwatch.toml`` that map ``mapping``'s columns to its
    headers: what a note or an error offers to paste."""
    table = f"[sources.{source.name}.columns]"
    return table, [tomli_w.dumps({name: header}).strip() for name, header in mapping.items()]


def _unread_lookalikes(
    head: Head, source: Source, columns: dict[str, str], path: Path
) -> Problem | None:
    """A note when, without a mapping, optional columns are left unread whose headers look
    like them (``Account Manager`` for owner): a filter or signal on them would find nothing."""
    unused = [h for h in head.header if h not in columns.values()]
    optional = {c.name: c for c in source.columns if c.name not in columns}
    unread = {
        name: header
        for name, header in map_columns(unused, source.name).items()
        if name in optional and _values_fit(head, header, optional[name])
    }
    if not unread:
        return None
    said = ", ".join(f"'{inline(header)}' looks like {name}" for name, header in unread.items())
    table, settings = _mapping_lines(source, unread)
    return Problem(
        source.name,
        path.name,
        Reason.UNREAD_COLUMNS,
        f"{said}, but without a mapping {'it is' if len(unread) == 1 else 'they are'} not"
        f" read: map {'it' if len(unread) == 1 else 'them'} in churnwatch.toml ({table}"
        f" {', '.join(settings)}), or let `churnwatch init` write the mapping",
        level=Level.NOTE,
        fix=(table, *settings),
    )


def _values_fit(head: Head, header: str, column: Column) -> bool:
    """Whether the sampled values of ``header`` could be ``column``'s: numbers for an amount,
    dates for a date (the mapping to suggest for a missing column; 'Country' is no amount)."""
    values = [v.strip() for v in head.samples([header]) if v.strip()][:200]
    if not values or column.kind not in (Kind.NUMBER, Kind.DATE):
        return True
    if column.kind is Kind.NUMBER:
        decimal, thousands = detect_number_format(values)
        return bool(parse_numbers(pa.array(values), decimal, thousands)[1].mean() >= 0.5)
    return detect_date_format(values)[0] is not None


def _key(header: str) -> str:
    """A header as compared with a column's name: case, blanks and punctuation aside, so
    ``Customer ID``, ``customer-id`` and ``CustomerID`` all name ``customer_id``."""
    return normalise(header).replace(" ", "")


def _missing_column(
    path: Path, source: Source, column: Column, wanted: str, header: list[str], *, unused: list[str]
) -> str:
    found = _excerpt(header)
    recognised = map_columns(unused, source.name)
    theirs = {h for name, h in recognised.items() if name != column.name}  # another column's
    guess = recognised.get(column.name) or closest(wanted, [h for h in unused if h not in theirs])
    hint = (
        f"; '{inline(guess)}' looks like it — map it in churnwatch.toml:"
        f" [sources.{source.name}.columns] {tomli_w.dumps({column.name: guess}).strip()}"
        if guess
        else f"; map one of them in churnwatch.toml: [sources.{source.name}.columns]"
        f' {column.name} = "…" (`churnwatch init` proposes a whole mapping; --force replaces'
        " an existing file)"
    )
    return f"{path}: required column '{wanted}' is missing; columns found: {found}{hint}"


def _wrong_delimiter(head: Head, source: Source, config: SourceConfig) -> str | None:
    """When another delimiter than the configured one splits the header into more columns
    (and required columns are missing): the whole header read as one column (or as two,
    where a decimal comma in a German file of semicolons met ``delimiter = ","``), which no
    mapping could fix."""
    if config.delimiter is None:
        return None
    line = config.delimiter.join(head.header)
    others = {d: line.count(d) + 1 for d in DELIMITERS if d != config.delimiter}
    other = max(others, key=lambda d: others[d])
    if others[other] <= len(head.header):
        return None
    found, setting = repr(other), f"delimiter = {json.dumps(other)}"  # "\\t", valid TOML
    columns = "one column" if len(head.header) == 1 else f"{len(head.header)} columns"
    return (
        f"the header is {columns} ({_excerpt(head.header)}): the file is not delimited by"
        f" {config.delimiter!r} as churnwatch.toml says, but by {found}; set {setting} under"
        f" [sources.{source.name}], or remove the delimiter setting to have it detected"
    )


def _missing_columns(
    path: Path, source: Source, missing: list[tuple[Column, str]], head: Head, *, unused: list[str]
) -> str:
    """Several required columns missing, in one message, with the headers that look like
    them (and whose values fit)."""
    names = ", ".join(f"'{inline(wanted)}'" for _, wanted in missing)
    guesses: dict[str, str] = {}
    for column, _ in missing:
        fitting = [h for h in unused if _values_fit(head, h, column) and h not in guesses.values()]
        if guess := map_columns(fitting, source.name).get(column.name):
            guesses[column.name] = guess
    settings = ", ".join(tomli_w.dumps({name: h}).strip() for name, h in guesses.items())
    hint = (
        f"; {', '.join(f'{inline(h)!r} looks like {name}' for name, h in guesses.items())} —"
        f" map them in churnwatch.toml: [sources.{source.name}.columns] {settings}"
        if guesses
        else ""
    )
    return (
        f"{path}: required columns {names} are missing; columns found:"
        f" {_excerpt(head.header)}{hint}"
        f" (`churnwatch init` proposes a whole mapping; --force replaces an existing file)"
    )


MAX_NAMES = 12
MAX_NAME = 40


def _excerpt(header: list[str]) -> str:
    """The header as a short, escaped excerpt: a file that is not CSV at all (or not meant
    to be shown) is never echoed whole."""
    names = [
        f"'{inline(h[:MAX_NAME])}{'…' if len(h) > MAX_NAME else ''}'" for h in header[:MAX_NAMES]
    ]
    more = f", … {len(header) - MAX_NAMES} more" if len(header) > MAX_NAMES else ""
    return ", ".join(names) + more if names else "none"


class _Reader:
    """One read of one file; a class only to share its many settings between the steps."""

    def __init__(
        self,
        path: Path,
        source: Source,
        *,
        head: Head,
        dialect: Dialect,
        columns: dict[str, str],
        config: SourceConfig,
        plain: Path | None = None,
        count_values: bool = False,
    ) -> None:
        self.path, self.source, self.head, self.dialect = path, source, head, dialect
        self.plain = plain or path
        """The export as plain text: itself, or its unpacked copy."""
        self.file = self.plain
        """What is read: the plain export, or a repaired copy of it (transcoded to UTF-8, or
        without rows' blank extra fields)."""
        self.transcoded = False
        """``file`` is a UTF-8 copy of an export that mixes encodings..."""
        self.reencoded = False
        """...or of one whose delimiters are not single bytes (UTF-16), to be trimmed."""
        self.columns, self.config = columns, config
        self.problems: list[Problem] = []
        self.malformed: list[str] = []
        self.converted: dict[str, pa.ChunkedArray] = {}
        self.huge_numbers = False
        self.beyond_years: dict[str, np.ndarray] = {}
        """Per date column, its rows that are real dates of years no business date has
        (``9999-12-31``): said apart from the rows not in the column's form, whichever way
        the column was read (by pyarrow or by churnwatch, for the whole export or a part)."""
        self.categories: dict[str, dict[str, int]] = {}
        self.category_rows: dict[str, dict[str, int]] = {}
        self.count_values = count_values
        """Count each category value's rows and first row (for a part of a split export)."""
        self.rows_read = 0
        self.trimmed = False
        """Rows ending in blank fields the header does not have were read without them."""
        self.block_size = min(FIRST_BLOCK, MAX_BLOCK)
        self.quoted: bool | None = None
        """The file holds a quote: a field of the rows read may hold line breaks."""
        self._layout: Layout | None = None
        self._malformed_at: list[int] | None = None
        # A trailing delimiter on data rows only: give the extra field a name of its own.
        self.names = [*head.header, "\x00trailing"] if head.trailing_delimiter else head.header

    @property
    def encoding(self) -> str:
        """The encoding of ``file``: UTF-8 for a copy, else the export's."""
        return "utf-8" if self.transcoded or self.reencoded else self.dialect.encoding

    @property
    def _plain_encoding(self) -> str:
        """The encoding the plain export's lines are read in: UTF-8 where it mixes them."""
        return "utf-8" if self.transcoded else self.dialect.encoding

    @property
    def layout(self) -> Lines:
        """Where the rows are, in the plain export: a transcoded copy is removed after the
        read (its lines are the export's, which is read as UTF-8, bad bytes replaced)."""
        return self._layout_of_plain

    @property
    def _layout_of_plain(self) -> Layout:
        """The plain export's layout, the same one while the reading stays the same: it
        counts the file's lines once, and every report of rows asks for them."""
        layout = Layout(
            self.plain,
            self._plain_encoding,
            self.dialect.delimiter,
            len(self.names),
            preamble=self.head.lines_before_header,
            header_lines=self.head.header_lines,
            loose_end=self.trimmed,
            shown=self.path,
        )
        if layout != self._layout:
            self._layout = layout
        return self._layout

    def read(self) -> SourceTable:
        try:
            return self._read()
        finally:
            if self.file != self.plain:
                self.file.unlink(missing_ok=True)

    def _read(self) -> SourceTable:
        if self.head.complete and not self.head.rows:
            raise EmptySourceError(self.path, EmptySourceError.HEADER_ONLY)
        if self._sampled_rows_end_blank():  # they would be rejected and read again
            self._trim_empty_extras()
        raw = self._arrow_read()
        if self.malformed and self._may_trim():
            self._trim_empty_extras()
            raw = self._arrow_read()
        if raw.num_rows == 0 and not self.malformed:
            raise EmptySourceError(self.path, EmptySourceError.HEADER_ONLY)
        footer = self._footer(raw)
        self._report_malformed(raw)
        self._refuse_swallowed_fields(raw)
        self._say_a_quote_open_at_the_end(raw.num_rows)
        left_out = self._rows_without_data(raw, footer)
        raw = _nulled(raw, left_out)
        self.rows_read = raw.num_rows + len(self.malformed) - int(left_out.sum())
        arrays, skip = self._convert(raw, left_out)
        table = pa.table(arrays)
        positions = None
        if skip.any():
            table = table.filter(pa.array(~skip))
            positions = np.flatnonzero(~skip)
        return SourceTable(
            self.source,
            self.path,
            self.dialect,
            self.columns,
            table,
            self.rows_read,
            self.problems,
            positions,
            self.layout,
            raw.num_rows,
            int(skip.sum()) - int(left_out.sum()) + len(self.malformed),
            self.categories,
            self.category_rows,
            self.head.typed,
        )

    # -- reading ---------------------------------------------------------------------------

    def _arrow_read(self) -> pa.Table:
        """Typed fast read; on trouble, adapt (text columns, cp1252, quoted newlines) and retry."""
        typed, newlines = True, False
        if self.dialect.encoding.lower().replace("_", "-").startswith(("utf-16", "utf-32")):
            self._check_decodes()  # a codec error inside pyarrow's threads would abort
        while True:
            try:
                table = self._read_with(typed=typed, newlines_in_values=newlines)
            except pa.ArrowInvalid as exc:
                message = str(exc)
            except UnicodeError as exc:  # a codec pyarrow calls (UTF-16 with a lone surrogate)
                message = f"invalid UTF8: {exc}"
            else:
                if newlines or not self._quoted_field_split():
                    return table
                newlines = True
                continue
            if "invalid UTF8" in message:
                self._fall_back_or_refuse()
            elif "Empty CSV file" in message:
                raise EmptySourceError(self.path, EmptySourceError.HEADER_ONLY)
            elif "conversion error" in message and typed:
                typed = False
            elif _QUOTED_LINE_BREAK.search(message) and not newlines:
                newlines = True
            elif "straddling" in message:
                self._widen_blocks()
            else:
                raise InputError(f"{self.path}: cannot be read as CSV: {message}")

    def _fall_back_or_refuse(self) -> None:
        """Text that is not the encoding read: cp1252 where that may be it, else the error
        naming the first byte that is not."""
        if self._may_fall_back():
            self._fall_back()
            return
        where = first_undecodable(self.plain, self.dialect.encoding)
        position = f":{where[0]}" if where else ""
        byte = f" (byte {where[1]:,})" if where else ""
        raise InputError(
            f"{self.path}{position}: not valid {self.dialect.encoding} text{byte}",
            hint="set `encoding` in churnwatch.toml (Windows exports are often cp1252)",
        )

    def _quoted_field_split(self) -> bool:
        """Whether the fast read (a record a line) cut a quoted field at its line breaks:
        pyarrow says so only while the field fits a block. A 22 MB e-mail thread in a note
        was read as 118,799 rows of the wrong width, and every order after it was lost. The
        rejected rows show it: a quote left open, or a line break inside one of them."""
        quote = QUOTE.decode()
        return any(text.count(quote) % 2 or "\n" in text for text in self.malformed)

    def _widen_blocks(self) -> None:
        """Give the parser room for a huge quoted field, up to the longest row."""
        if self.block_size >= MAX_BLOCK:
            raise InputError(
                f"{self.path}: a row longer than {MAX_BLOCK >> 20} MB; most likely a quote"
                " that is never closed, or not a CSV export"
            )
        self.block_size *= 4

    def _may_trim(self) -> bool:
        """Some rejected rows end in blank fields the header does not have, or, where every
        sampled row ended in a delimiter, lack it: the file can be copied without them and
        read at the header's width (see :mod:`churnwatch.ingest.trailing_fields`)."""
        return any_of_width(self.malformed, self.dialect.delimiter, len(self.head.header))

    def _sampled_rows_end_blank(self) -> bool:
        """Some of the rows the sniffer read end in blank fields the header does not have
        (Excel's ``;;``, often on every row): the copy without them is read at once."""
        width = len(self.names)
        return not self.head.trailing_delimiter and any(
            only_empty_extras(row, width) for row in self.head.rows
        )

    def _trim_empty_extras(self) -> None:
        """Read from a copy without the blank extra fields, and say so. The copy is made
        from the bytes of the delimiter and the line ends: an export whose encoding writes
        them otherwise (UTF-16) is copied as UTF-8 first."""
        lacking = self._lacking_trailing_delimiter()
        if not ascii_compatible(self.encoding):
            self.file, self.reencoded = utf8_copy(self.file, self.encoding), True
        self.names = self.head.header  # the extra field of a trailing delimiter is cut too
        trimmed = without_empty_extras(self.file, self.dialect.delimiter, len(self.names))
        if self.file != self.plain:
            self.file.unlink(missing_ok=True)
        self.file, self.trimmed = trimmed.path, True
        end = f"{self.dialect.delimiter!r} at the end"
        count, lines = trimmed.count, trimmed.lines
        if lines and lines[0] == self.head.lines_before_header + 1:  # the header's own
            count, lines = count - 1, lines[1:]
        if lacking is None and count:
            after = f" with empty fields the header does not have (a {end}) read without them"
            self._note_repaired(Counted("row", after=after), count, lines)
        elif lacking:
            after = f" without the {end} the other rows end in, read all the same"
            self._note_repaired(Counted("row", after=after), len(lacking), lacking[:MAX_LINES])

    def _lacking_trailing_delimiter(self) -> list[int] | None:
        """Where every sampled row ended in a delimiter (``1;2;3;``), the lines of the rows
        rejected for lacking it (``1;2;3``); None for any other export, whose rows with blank
        extra fields are the news."""
        if not self.head.trailing_delimiter:
            return None
        width, delimiter = len(self.head.header), self.dialect.delimiter
        lines = self.layout.malformed_lines()
        return [
            line
            for text, line in zip(self.malformed, lines, strict=False)
            if len(of_width(text, delimiter, width) or ()) == width
        ]

    def _note_repaired(self, wording: Counted, count: int, lines: list[int]) -> None:
        self.problems.append(
            Problem(
                self.source.name,
                self.path.name,
                Reason.REPAIRED,
                wording(count),
                count=count,
                lines=tuple(lines),
                level=Level.NOTE,
                tally=(count,),
                wording=wording,
            )
        )

    def _check_decodes(self) -> None:
        where = first_undecodable(self.plain, self.dialect.encoding)
        if where is not None:
            raise InputError(
                f"{self.path}:{where[0]}: not valid {self.dialect.encoding} text (byte"
                f" {where[1]:,}); export the file again, or set `encoding` in churnwatch.toml"
            )

    def _may_fall_back(self) -> bool:
        return not self.config.encoding and self.dialect.encoding.lower() in _UTF8

    def _fall_back(self) -> None:
        """Not UTF-8 throughout: a cp1252 file, or UTF-8 with some cp1252 lines."""
        if mixes_encodings(self.plain):
            transcoded = to_utf8(self.file)  # perhaps a copy already (trimmed), line for line
            if self.file != self.plain:
                self.file.unlink(missing_ok=True)
            self.file, self.transcoded = transcoded.path, True
            self.problems.append(_mixed_note(self.source.name, self.path.name, transcoded))
            return
        self.dialect = replace(self.dialect, encoding="cp1252")
        self.problems.append(
            Problem(
                self.source.name,
                self.path.name,
                Reason.ENCODING,
                "not valid UTF-8 throughout; read as cp1252 (set encoding in churnwatch.toml"
                " if that is wrong)",
                level=Level.NOTE,
            )
        )

    def _read_with(self, *, typed: bool, newlines_in_values: bool = False) -> pa.Table:
        """The table, read on every core until the rejected rows are many, then in one
        thread (see :data:`MANY_REJECTED`)."""
        try:
            return self._read_rejecting(typed, newlines_in_values, threaded=True)
        except _ManyRejectedError:
            return self._read_rejecting(typed, newlines_in_values, threaded=False)

    def _read_rejecting(self, typed: bool, newlines_in_values: bool, threaded: bool) -> pa.Table:
        self.malformed = []

        def skip(row: pacsv.InvalidRow) -> str:
            self.malformed.append(row.text or "")
            return "error" if threaded and len(self.malformed) > MANY_REJECTED else "skip"

        with unraisable_errors() as caught:
            try:
                table = self._arrow_table(typed, newlines_in_values, skip, threaded)
            except pa.ArrowInvalid:
                if threaded and len(self.malformed) > MANY_REJECTED:
                    raise _ManyRejectedError from None
                if not caught:
                    raise
        if caught:  # a malformed row whose bytes are not UTF-8: pyarrow could not show it
            raise pa.ArrowInvalid(f"invalid UTF8 in a malformed row: {caught[0]}")
        return table

    def _arrow_table(
        self,
        typed: bool,
        newlines_in_values: bool,
        skip: Callable[[pacsv.InvalidRow], str],
        threaded: bool,
    ) -> pa.Table:
        types = {
            self.columns[c.name]: self._arrow_type(c, typed)
            for c in self.source.columns
            if c.name in self.columns
        }
        if self.quoted is None:  # once: a repaired copy has the export's quotes
            self.quoted = holds_byte(self.file, QUOTE)
        with held_for_reading(self.file) as source:
            options = self._options(types, newlines_in_values, skip, threaded=threaded)
            return pacsv.read_csv(source, **options)

    def _options(
        self,
        types: dict[str, pa.DataType],
        newlines_in_values: bool,
        skip: Callable[[pacsv.InvalidRow], str],
        *,
        threaded: bool = True,
        encoding: str | None = None,
    ) -> dict[str, Any]:
        """pyarrow's options for reading ``file``: the columns ``types`` names, as typed."""
        encoding = encoding or ("utf8" if self.encoding.lower() in _UTF8 else self.encoding)
        return dict(
            read_options=pacsv.ReadOptions(
                use_threads=threaded,
                encoding=encoding,
                block_size=self.block_size,
                column_names=self.names,
                skip_rows=self.head.lines_before_header + self.head.header_lines,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.dialect.delimiter,
                newlines_in_values=newlines_in_values,
                invalid_row_handler=skip,
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(types),
                column_types=types,
                strings_can_be_null=True,
                null_values=[""],  # 'NA' or 'NULL' is a customer id in some systems
                decimal_point=self.dialect.decimal,
            ),
        )

    def _arrow_type(self, column: Column, typed: bool) -> pa.DataType:
        """The type pyarrow may convert to itself; anything else is parsed by churnwatch."""
        if typed and column.kind is Kind.DATE and self.dialect.date_format == ISO_FORMAT:
            return pa.date32()
        if typed and column.kind is Kind.NUMBER and not self.dialect.thousands:
            return pa.float64()
        if column.kind is Kind.CATEGORY:
            return pa.dictionary(pa.int32(), pa.string())  # few distinct values: cheap to encode
        return pa.string()  # ids too: a dictionary per block holds nearly every id again

    def _report_malformed(self, raw: pa.Table) -> None:
        if not self.malformed:
            return
        width = len(self.head.header)
        lines = self._malformed_lines()
        self._refuse_swallowed_rows(lines, raw)
        self.problems.append(
            Problem(
                self.source.name,
                self.path.name,
                Reason.FIELD_COUNT,
                f"wrong number of fields (the header has {width})",
                count=len(self.malformed),
                lines=tuple(lines[:MAX_LINES]),
                examples=tuple(self.malformed[:EXAMPLE_VALUES]),
                example_lines=tuple(lines[: min(EXAMPLE_VALUES, len(self.malformed))]),
                skipped=True,
            )
        )

    def _refuse_swallowed_rows(self, lines: list[int], raw: pa.Table) -> None:
        """A rejected record whose line breaks hold whole rows: a quote left open (see
        ``open_quotes``) that would be skipped as one row. Only records that span lines are
        looked at, and the shape of a row (the file's ids hashed) is made only for them."""
        spanning = [
            (text, line)
            for text, line in zip(self.malformed, lines, strict=False)
            if LINE_BREAK_CHARACTER.search(text)
        ]
        if not spanning:
            return
        shape = self._row_shape(raw)
        for text, line in spanning:
            if swallowed := rows_in_record(text, shape):
                raise swallowed_rows_error(self.path, line, swallowed)

    def _refuse_swallowed_fields(self, raw: pa.Table) -> None:
        """A field read as a value whose line breaks hold whole rows: a quote left open (see
        ``open_quotes``) in a record of the header's width. Looked for only where the file
        has a quote and more lines than its records take one each (blank lines, quoted line
        breaks), so an export without either is not read again; the earliest is said. Lines
        that look like rows but name no customer of the file are a warning."""
        parsed_rows = raw.num_rows
        if not self.quoted or self._one_line_per_record(parsed_rows):
            return
        shape: RowShape | None = None  # made for the first field that spans lines
        alike: tuple[int, int] | None = None  # the first field of lines alike: row, lines
        for rows, values in self._fields_with_line_breaks():
            shape = shape or self._row_shape(raw)
            looks, swallowed = rows_in_fields(values, shape)
            if swallowed.any():
                row, count = _earliest(rows, swallowed)
                line = self._line_of(row, parsed_rows)
                raise swallowed_rows_error(self.path, line, count)
            if alike is None and looks.any():
                alike = _earliest(rows, looks)
        if alike is not None and shape is not None:
            line = self._line_of(alike[0], parsed_rows)
            dated = shape.date_at is not None
            self.problems.append(
                rows_alike_warning(self.source.name, self.path, line, alike[1], dated)
            )

    def _say_a_quote_open_at_the_end(self, parsed_rows: int) -> None:
        """A quote on the last line that the file's end closes, in a file of one line per
        record (where it swallows no row: ``_refuse_swallowed_fields`` looks at the others)."""
        if not self.quoted or not self._one_line_per_record(parsed_rows):
            return
        line = self._layout_of_plain.quote_open_at_the_end()
        if line and not (self.malformed and line in self._malformed_lines()):  # not read: said
            self.problems.append(quote_open_at_the_end(self.source.name, self.path, line))

    def _line_of(self, row: int, parsed_rows: int) -> int:
        return int(self.layout.row_lines(np.array([row]), parsed_rows)[0])

    def _one_line_per_record(self, parsed_rows: int) -> bool:
        if not ascii_compatible(self._plain_encoding):
            return False  # its line breaks are not single bytes to count
        return self._layout_of_plain.one_line_per_record(parsed_rows + len(self.malformed))

    def _fields_with_line_breaks(self) -> list[tuple[np.ndarray, pa.Array]]:
        """Per block of the file read again (every column as text), the fields that hold a
        line break and the row of each. Blocks grow as the first read's did for a field
        longer than one (the streaming reader cannot read it across two)."""
        encoding = None
        while True:
            try:
                return list(self._fields_with_line_breaks_in_blocks(encoding))
            except pa.ArrowInvalid as exc:
                if "invalid UTF8" in str(exc) and encoding is None:
                    # Another encoding's bytes in a column the first read left out: only the
                    # delimiters, dates and ids are looked at, and Latin-1 decodes any byte.
                    encoding = "latin1"
                elif "straddling" in str(exc):
                    self._widen_blocks()
                else:
                    raise

    def _fields_with_line_breaks_in_blocks(
        self, encoding: str | None
    ) -> Iterator[tuple[np.ndarray, pa.Array]]:
        types: dict[str, pa.DataType] = dict.fromkeys(self.names, pa.string())
        threaded = len(self.malformed) <= MANY_REJECTED
        options = self._options(types, True, _skipped, threaded=threaded, encoding=encoding)
        with held_for_reading(self.file) as source:
            start = 0
            for batch in pacsv.open_csv(source, **options):
                rows, values = [], []
                for column in batch.columns:
                    broken = pc.match_substring_regex(column, LINE_BREAK_CHARACTER.pattern)
                    broken = pc.fill_null(broken, False)
                    found = np.flatnonzero(np.asarray(broken, dtype=bool))
                    rows.append(start + found)
                    values.append(column.take(pa.array(found)))
                if any(len(found) for found in rows):
                    yield np.concatenate(rows), pa.concat_arrays(values)
                start += batch.num_rows

    def _row_shape(self, raw: pa.Table) -> RowShape:
        """What a line must look like to be a row of this export on its own, and the
        customers the rows read name."""
        dated = next(
            (
                column
                for column in self.source.columns
                if column.kind is Kind.DATE
                and column.value_required
                and column.name in self.columns
            ),
            None,
        )
        date_at = None if dated is None else self.names.index(self.columns[dated.name])
        header = self.columns["customer_id"]
        shapes = pc.unique(id_shapes(pc.unique(raw.column(header)).cast(pa.string())))
        return RowShape(
            self.dialect.delimiter,
            len(self.names),
            date_at,
            self.dialect.date_format,
            self.names.index(header),
            shapes,
        )

    def _malformed_lines(self) -> list[int]:
        """The line of each record in ``malformed``, found once (the file is walked)."""
        if self._malformed_at is None:
            self._malformed_at = self.layout.malformed_lines()
        return self._malformed_at

    def _footer(self, raw: pa.Table) -> np.ndarray:
        """The rows of a report's footer at the file's end (see :mod:`footer`), to be left
        out with a note; its rejected lines are taken out of ``malformed`` with it. Looks at
        the last few records alone, and finds their lines only where one names a total."""
        parsed = raw.num_rows
        rows = np.arange(max(0, parsed - MAX_FOOTER), parsed)
        worded = [
            self.columns[c.name]
            for c in self.source.columns
            if c.name in self.columns and c.kind not in (Kind.DATE, Kind.NUMBER)
        ]
        tail = _text_of(raw.slice(int(rows[0]) if rows.size else 0), worded)
        customer = self.columns["customer_id"]
        whole = self._fields_without_an_id(rows, tail, customer, parsed)
        named = [
            whole.get(int(row)) or _may_name_a_total(values, customer)
            for row, values in zip(rows, tail, strict=True)
        ]
        rejected = self.malformed[-MAX_FOOTER:]
        delimiter = self.dialect.delimiter
        ends_in_rules = bool(rejected) and decoration(rejected[-1])
        if (
            not ends_in_rules
            and not any(names_a_total(text.split(delimiter)) for text in rejected)
            and not any(names_a_total(fields) for fields in named)
        ):
            return np.zeros(parsed, dtype=bool)
        records = [
            _parsed_record(int(line), row, customer, fields)
            for line, row, fields in zip(
                self.layout.row_lines(rows, parsed), tail, named, strict=True
            )
        ]
        if rejected:
            lines = self._malformed_lines()[-len(rejected) :]
            pairs = zip(lines, rejected, strict=False)
            records += [_rejected_record(line, text, delimiter) for line, text in pairs]
        found = footer(records)
        cut = sum(not record.parsed for record in found)
        if cut:
            del self.malformed[-cut:]
            del self._malformed_lines()[-cut:]
        in_footer = {record.line for record in found if record.parsed}
        left_out = np.zeros(parsed, dtype=bool)
        left_out[rows] = [record.line in in_footer for record in records[: rows.size]]
        if found:
            shown = self.layout.records(rows[left_out[rows]], parsed) or []
            self.problems.append(
                _footer_note(self.source.name, self.path.name, found, shown, delimiter or ";")
            )
        return left_out

    def _fields_without_an_id(
        self, rows: np.ndarray, tail: list[dict[str, Any]], customer: str, parsed: int
    ) -> dict[int, tuple[str, ...]]:
        """Every field, read or not, of the rows at the end without a customer id or any
        other worded value read (an order number: a row of data): such a row is no
        customer's, and its total may be named anywhere (``;;Summe;37.037,00`` in the date
        column, ``;Gesamtsumme;30.10.2026;…`` in a name churnwatch does not read). The file
        is looked at only where there are such rows."""
        empty = [
            int(row)
            for row, values in zip(rows, tail, strict=True)
            if _no_id(values, customer) and not _may_name_a_total(values, customer)
        ]
        if not empty:
            return {}
        found = self.layout.records(np.array(empty, dtype=np.int64), parsed)
        return dict(zip(empty, found or [], strict=False))

    # -- converting ------------------------------------------------------------------------

    def _rows_without_data(self, raw: pa.Table, footer: np.ndarray) -> np.ndarray:
        """The rows that hold no data, each said once: every column read is blank (an Excel
        row of delimiters only, ``;;;``), or each holds its own name (the header again, where
        exports were joined one after the other). Such a row was a missing value or a bad
        value in every column, and a few of them at the end of a short export made it look
        unusable. Only the rows whose customer id is empty, blank or its name are looked at;
        where pyarrow read the dates or amounts as such, which a repeated header or a blank
        of spaces would have failed, only the empty ones."""
        customer = raw.column(self.columns["customer_id"])
        blank = _nulls(customer)
        header = np.zeros(raw.num_rows, dtype=bool)
        if pa.types.is_string(customer.type) and not any(map(_typed, raw.columns)):
            blank |= np.asarray(pc.fill_null(pc.ascii_is_space(customer), False), dtype=bool)
            named = pc.equal(customer, self.columns["customer_id"])
            header = np.asarray(pc.fill_null(named, False), dtype=bool)
        blank &= ~footer
        header &= ~footer
        rows = np.flatnonzero(blank | header)
        for name in raw.column_names:
            if not rows.size:
                return footer
            values = raw.column(name).take(pa.array(rows))
            if pa.types.is_dictionary(values.type):  # a category's
                values = values.cast(values.type.value_type)
            if pa.types.is_string(values.type):
                text = pc.utf8_trim_whitespace(values)
                blank[rows] &= np.asarray(pc.fill_null(pc.equal(text, ""), True), dtype=bool)
                header[rows] &= np.asarray(pc.fill_null(pc.equal(text, name.strip()), False))
            else:  # typed (a date, a number): blank where empty; never a name
                blank[rows] &= np.asarray(values.is_null(), dtype=bool)
                header[rows] = False
            rows = rows[blank[rows] | header[rows]]
        for found, wording in ((blank, EMPTY_ROWS), (header, HEADER_AGAIN)):
            if found.any():
                self._row_note(wording, np.flatnonzero(found), raw.num_rows)
        return blank | header | footer

    def _row_note(self, wording: Counted, rows: np.ndarray, parsed: int) -> None:
        """A note on whole ``rows`` (positions among the ``parsed`` rows)."""
        lines = self.layout.row_lines(rows[:MAX_LINES], parsed)
        self.problems.append(
            Problem(
                self.source.name,
                self.path.name,
                Reason.NO_DATA,
                wording(len(rows)),
                count=len(rows),
                lines=tuple(int(x) for x in lines),
                level=Level.NOTE,
                tally=(len(rows),),
                wording=wording,
            )
        )

    def _convert(
        self, raw: pa.Table, left_out: np.ndarray
    ) -> tuple[dict[str, pa.ChunkedArray], np.ndarray]:
        """Typed columns under canonical names, and the mask of rows to skip.

        A row is skipped when a required column cannot be parsed or a value it must have is
        empty; an unparseable optional value is only reported and treated as empty. Rows
        ``left_out`` (:meth:`_rows_without_data`, their values made empty) are skipped
        without a word more.
        """
        skip = left_out.copy()
        arrays: dict[str, pa.ChunkedArray] = {}
        for column in self.source.columns:
            if column.name not in self.columns:
                continue
            values = raw.column(self.columns[column.name])
            converted, invalid = self._convert_column(column, values)
            if column.kind is Kind.DATE and not column.value_required and invalid.any():
                invalid = self._no_dates_empty(column, values, invalid)
            if column.kind is Kind.DATE:
                converted, placeholder = self._placeholders(column, converted, values)
                skip |= placeholder
            self.converted[column.name] = converted
            # A value not understood is not an empty one: only the raw cell can say.
            empty = _nulls(values) if column.kind is Kind.CATEGORY else _nulls(converted) & ~invalid
            empty &= ~left_out
            if column.value_required and empty.any():
                skip |= empty
                self._report(
                    column, Reason.MISSING_VALUE, "missing value", empty, values, skipped=True
                )
            if invalid.any():
                skip |= self._report_invalid(column, invalid, values)
            arrays[column.name] = converted
        for column in self.source.columns:
            if column.name not in self.columns and derivable(column, self.columns):
                arrays[column.name], lacking = self._derived(column, arrays, skip)
                skip |= lacking
        return arrays, skip

    def _derived(
        self, column: Column, arrays: dict[str, pa.ChunkedArray], skip: np.ndarray
    ) -> tuple[pa.ChunkedArray, np.ndarray]:
        """A date the export lacks, as another date plus a number of days (the due date: the
        invoice date plus the payment terms), said in a note. The rows that lack the date,
        or whose days are no terms (negative, fractional, beyond :data:`MAX_TERMS`), are
        skipped, each said with the column at fault."""
        start, terms = (self.source.column(name) for name in column.derived_from)
        first = to_numpy(arrays[start.name], np.float64)
        days = to_numpy(arrays[terms.name], np.float64)
        why = f"missing value (the {column.name} is the {start.name} + {terms.name})"
        no_start = np.isnan(first) & ~skip
        no_days = np.isnan(days) & ~skip & ~no_start
        for lacking, named in ((no_start, start), (no_days, terms)):
            if lacking.any():
                given = arrays[named.name]
                self._report(named, Reason.MISSING_VALUE, why, lacking, given, skipped=True)
        fitting = (days >= 0) & (days <= MAX_TERMS) & (days == np.round(days))
        unfit = ~fitting & ~np.isnan(days) & ~skip & ~no_start
        if unfit.any():
            why = f"not a number of days from 0 to {MAX_TERMS:,} (for the {column.name})"
            written = _as_written(arrays[terms.name], self.dialect.decimal)
            self._report(terms, Reason.BAD_NUMBER, why, unfit, written, skipped=True)
        no_terms = no_days | unfit
        lacking = skip | no_start | no_terms
        headers = " + ".join(f"'{self.columns[name]}'" for name in column.derived_from)
        self.problems.append(
            Problem(
                self.source.name,
                self.path.name,
                Reason.DERIVED,
                f"no {column.name} column: each is taken as {headers}",
                level=Level.NOTE,
            )
        )
        sums = np.where(lacking, 0, np.nan_to_num(first) + np.nan_to_num(days)).astype(np.int32)
        return _chunked(sums, lacking), no_start | no_terms

    def _no_dates_empty(
        self, column: Column, values: pa.ChunkedArray, invalid: np.ndarray
    ) -> np.ndarray:
        """A date of zeros (``00.00.0000``, SAP's and DATEV's "no date"), a dash or a word
        for none (:data:`NO_DATE_WORDS`) in a column that may be empty is an empty date, not a
        bad one: an invoice not yet paid, a complaint still open. Said in a note; ``invalid``
        without them is returned."""
        rows = np.flatnonzero(invalid)
        text = pc.take(values, pa.array(rows)).cast(pa.string())
        zeros = np.asarray(pc.match_substring_regex(text, ZERO_DATE).fill_null(False), dtype=bool)
        words = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(text)), pa.array(NO_DATE_WORDS))
        said = np.asarray(words.fill_null(False), dtype=bool) & ~zeros
        if not (zeros | said).any():
            return invalid
        yet = " (no date yet)" if column.settles else ""
        zeros |= said  # one wording whichever are here: a split export's parts say it alike
        wording = Counted(
            "date", after=f" standing for none (zeros, a dash, a word) read as empty{yet}"
        )
        self._say_counted(column, Reason.ZERO_DATE, wording, rows[zeros], values)
        remaining = invalid.copy()
        remaining[rows[zeros]] = False
        return remaining

    def _placeholders(
        self, column: Column, days: pa.ChunkedArray, values: pa.ChunkedArray
    ) -> tuple[pa.ChunkedArray, np.ndarray]:
        """Dates that stand for none (:data:`PLACEHOLDER_DAYS`): the rows to skip where a date
        is required, else the days with them empty; each said, with their lines."""
        earliest = _smallest(days)
        if earliest is None or earliest > max(PLACEHOLDER_DAYS):  # the usual column: none
            return days, np.zeros(len(days), dtype=bool)
        found = pc.is_in(days, pa.array(PLACEHOLDER_DAYS, days.type))
        placeholder = np.asarray(found.fill_null(False), dtype=bool)
        if not placeholder.any():
            return days, placeholder
        why = "1900-01-01 or 1970-01-01, which systems write for a missing date"
        rows = np.flatnonzero(placeholder)
        if column.value_required:
            self._add_problem(
                column,
                Reason.PLACEHOLDER_DATE,
                f"{why}, not a real one",
                rows,
                len(values),
                examples_of=values,
                skipped=True,
            )
            return days, placeholder
        wording = Counted("date", after=f" read as empty: {why}")
        self._say_counted(column, Reason.PLACEHOLDER_DATE, wording, rows, values)
        emptied: pa.ChunkedArray = pc.if_else(
            pa.array(placeholder), pa.scalar(None, days.type), days
        )
        return emptied, np.zeros(len(days), dtype=bool)

    def _convert_column(
        self, column: Column, values: pa.ChunkedArray
    ) -> tuple[pa.ChunkedArray, np.ndarray]:
        """Parse one column; returns the typed values and a mask of unparseable cells.

        Ids and free text are kept as read: trimming ten million strings costs more than
        the whole parse, and ids are trimmed once per distinct value when they are coded.
        """
        if column.kind in (Kind.DATE, Kind.NUMBER) and not _typed(values):
            self._note_nul_bytes(column, values)
        if column.kind is Kind.DATE:
            return self._dates(column, values)
        if column.kind is Kind.NUMBER:
            return self._numbers(column, values)
        if column.kind is Kind.CATEGORY:
            return self._categories(column, values)
        return values, np.zeros(len(values), dtype=bool)

    def _note_nul_bytes(self, column: Column, values: pa.ChunkedArray) -> None:
        """NUL bytes (left by some exporters) are removed before parsing: say where."""
        if not _may_hold_nul(values):
            return
        has_nul = pc.fill_null(pc.match_substring(values.cast(pa.string()), "\x00"), False)
        rows = np.flatnonzero(np.asarray(has_nul, dtype=bool))
        if rows.size == 0:
            return
        lines = self.layout.row_lines(rows[:MAX_LINES], len(values))
        self.problems.append(
            nul_bytes_removed(
                self.source.name, self.path.name, self.columns[column.name], lines, len(rows)
            )
        )

    def _dates(self, column: Column, values: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
        if pa.types.is_date32(values.type):
            days = values.cast(pa.int32())
            if _within(days, FIRST_DAY, LAST_DAY):  # all plausible
                return days, np.zeros(len(values), dtype=bool)
            numbers = to_numpy(days, np.float64)  # NaN: empty
            missing = np.isnan(numbers)
            wrong = ~missing & ~((numbers >= FIRST_DAY) & (numbers <= LAST_DAY))
            if not wrong.any():
                return days, np.zeros(len(values), dtype=bool)
            kept = np.where(missing | wrong, 0, numbers).astype(np.int32)
            self.beyond_years[column.name] = wrong
            return _chunked(kept, missing | wrong), wrong
        cleaned = _clean(values)
        days, valid = parse_days(cleaned, self.dialect.date_format, trimmed=True)
        wrong = _filled(cleaned) & ~valid
        if wrong.any():
            days, valid, wrong = self._in_other_forms(column, cleaned, days, valid, wrong)
        if wrong.any():
            rows = np.flatnonzero(wrong)
            beyond = np.zeros(len(wrong), dtype=bool)
            beyond[rows] = outside_years(cleaned.take(pa.array(rows)), self.dialect.date_format)
            self.beyond_years[column.name] = beyond
        return _chunked(days.astype(np.int32), ~valid), wrong

    def _in_other_forms(
        self,
        column: Column,
        cleaned: pa.ChunkedArray,
        days: np.ndarray,
        valid: np.ndarray,
        wrong: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dates not in the column's form that are in one no date can be mistaken in
        (:data:`UNMISTAKABLE_FORMS`), read as such and each form said in a note with its
        lines: two systems' exports joined (``31.12.2024`` up to a migration, ``2025-01-02``
        after it). The days, which are valid, and the rows still wrong."""
        rows = np.flatnonzero(wrong)
        days, valid = days.copy(), valid.copy()
        for form in UNMISTAKABLE_FORMS:
            if form == self.dialect.date_format or not rows.size:
                continue
            more, ok = parse_days(cleaned.take(pa.array(rows)), form, trimmed=True)
            if not ok.any():
                continue
            read = rows[ok]
            main = self.dialect.date_format
            if form == _day_and_month_swapped(main):
                self._say_day_and_month_swapped(column, cleaned, valid, read, form)
            else:
                wording = Counted(
                    "date", after=f" written as {form_name(form)}, not {form_name(main)}, read so"
                )
                self._say_counted(column, Reason.OTHER_DATE_FORM, wording, read, cleaned)
            days[read], valid[read] = more[ok], True
            rows = rows[~ok]
        remaining = np.zeros(len(wrong), dtype=bool)
        remaining[rows] = True
        return days, valid, remaining

    def _say_day_and_month_swapped(
        self,
        column: Column,
        cleaned: pa.ChunkedArray,
        in_main: np.ndarray,
        read: np.ndarray,
        form: str,
    ) -> None:
        """Dates (``read``) that read only with day and month the other way round than the
        column's form, ``form`` (``14.10.2026`` under ``%m.%d.%Y``): no exporter writes both,
        so the form is most likely wrong, and then every date that reads either way
        (``06.10.2026``) is read with day and month swapped. An error where no date reads
        only the column's way; a warning where some do (the dates that read either way
        cannot be told apart)."""
        main, header = self.dialect.date_format, self.columns[column.name]
        valid_rows = np.flatnonzero(in_main)
        _, either = parse_days(cleaned.take(pa.array(valid_rows)), form, trimmed=True)
        fix = f'set date_format = "{form}" in [sources.{self.source.name}] of churnwatch.toml'
        if either.all():
            line = int(self.layout.row_lines(read[:1], len(cleaned))[0])
            example = cleaned[int(read[0])].as_py()
            raise InputError(
                f"{self.path}:{line}: column '{inline(header)}': dates written as {form}"
                f" ('{inline(excerpt(str(example)))}'), not {main}: {plural(len(read), 'date')}"
                f" can only be read as {form}, none only as {main}, and the"
                f" {int(either.sum()):,} that read either way would be read with day and month"
                f" swapped; {fix}"
            )
        wording = Counted(
            "date",
            after=f" only readable as {form}, not {main}, read so; the"
            f" {int(either.sum()):,} that read either way are read as {main}, with day and"
            f" month swapped if the file writes them as {form} (then {fix})",
        )
        self._say_counted(
            column, Reason.OTHER_DATE_FORM, wording, read, cleaned, level=Level.WARNING
        )

    def _numbers(
        self, column: Column, values: pa.ChunkedArray
    ) -> tuple[pa.ChunkedArray, np.ndarray]:
        if pa.types.is_floating(values.type):
            if _all_plausible(values):  # the usual column: no copy, no NaN, nothing huge
                return values, np.zeros(len(values), dtype=bool)
            numbers = to_numpy(values)
            plausible = np.abs(numbers) <= MAX_AMOUNT  # False for NaN and infinity too
            if plausible.all():
                return values, np.zeros(len(values), dtype=bool)
            self.huge_numbers = True
            return _chunked(numbers, ~plausible), ~plausible & ~_nulls(values)
        cleaned = _clean(values)
        numbers, valid = parse_numbers(cleaned, self.dialect.decimal, self.dialect.thousands)
        if not self.dialect.thousands:
            numbers, valid, grouped = unsampled_grouping(
                cleaned, self.dialect.decimal, numbers, valid
            )
            if grouped.any():
                self._note_grouping(column, grouped, cleaned)
        numbers, valid, pointed = point_decimals(cleaned, self.dialect.decimal, numbers, valid)
        if pointed.any():
            wording = Counted("value", after=" with a decimal point, not a comma, read so")
            rows = np.flatnonzero(pointed)
            self._say_counted(column, Reason.POINT_DECIMALS, wording, rows, cleaned)
        huge = valid & ~(np.abs(numbers) <= MAX_AMOUNT)
        self.huge_numbers = self.huge_numbers or bool(huge.any())
        valid &= ~huge
        return _chunked(numbers, ~valid), _filled(cleaned) & ~valid

    def _categories(
        self, column: Column, values: pa.ChunkedArray
    ) -> tuple[pa.ChunkedArray, np.ndarray]:
        """Codes into the column's vocabulary. A value not understood becomes missing and is
        reported, but never costs the row: the row's other columns still count.

        Only the distinct raw values are looked at, so this costs one hashing pass.
        """
        encoded = _unified(values)
        raw = encoded.chunk(0).dictionary.to_pylist() if encoded.num_chunks else []
        understanding = understand(
            [str(v) for v in raw],
            column,
            header=self.columns[column.name],
            configured=self.config.values.get(column.name),
        )
        vocabulary = list(column.vocabulary)
        meanings = [understanding.meanings[str(v)] for v in raw]
        to_code = np.array(
            [vocabulary.index(m) if m else -1 for m in meanings] + [-1], dtype=np.int8
        )
        indices = np.concatenate(
            [c.indices.fill_null(len(raw)).to_numpy() for c in encoded.chunks]
            or [np.empty(0, np.int32)]
        )
        codes = to_code[indices]
        self._report_understanding(column, understanding, raw, indices)
        dictionary = pa.DictionaryArray.from_arrays(
            pa.array(codes, mask=codes < 0), pa.array(vocabulary, pa.string())
        )
        return pa.chunked_array([dictionary]), np.zeros(len(codes), dtype=bool)

    def _report_understanding(
        self, column: Column, understanding: Understanding, raw: list[Any], indices: np.ndarray
    ) -> None:
        """Say which values were inferred or ranked, and which were not understood at all."""
        said = understanding.inferred or understanding.ranked or understanding.unknown
        if not (said or self.count_values):
            return  # every value a known spelling: nothing to say, no need to count rows
        matters = self._rows_that_matter(len(indices))
        counts = np.bincount(indices[matters], minlength=len(raw) + 1)
        self.categories[column.name] = {str(v): int(n) for v, n in zip(raw, counts, strict=False)}
        if self.count_values:  # a part: small, the sort is cheap
            codes, first = np.unique(indices, return_index=True)
            self.category_rows[column.name] = {
                str(raw[code]): int(row)
                for code, row in zip(codes, first, strict=True)
                if code < len(raw)
            }
        if not said:
            return
        unknown = {str(v) for v in understanding.unknown}
        codes = np.array([i for i, v in enumerate(raw) if str(v) in unknown], dtype=np.int64)
        rows = np.flatnonzero(np.isin(indices, codes) & matters)
        lines = self.layout.row_lines(rows[:MAX_LINES], len(indices))
        about = Categories(
            self.source.name,
            self.path.name,
            column,
            self.columns[column.name],
            self.config.values.get(column.name),
        )
        self.problems.extend(about.notes(understanding, self.categories[column.name], lines))

    def _rows_that_matter(self, rows: int) -> np.ndarray:
        """Rows whose category is used: a credit note's order channel says nothing."""
        amount = self.converted.get("amount")
        if self.source.name != "orders" or amount is None:
            return np.ones(rows, dtype=bool)
        return np.asarray(is_order(np.nan_to_num(to_numpy(amount), nan=0.0)), dtype=bool)

    def _report_invalid(
        self, column: Column, invalid: np.ndarray, values: pa.ChunkedArray
    ) -> np.ndarray:
        """The values not read, said by what is wrong with them: a real date of a year out of
        range apart from a date not in the column's form. The rows to skip are returned: those
        of a required column, but a date of such a year where the date may be empty
        (``31.12.9999``, which SAP writes for an invoice not paid yet): it is read as empty."""
        skip = invalid if column.required else np.zeros(len(invalid), dtype=bool)
        beyond = self.beyond_years.get(column.name)
        if beyond is not None and (outside := invalid & beyond).any():
            years = f"a date of a year outside {MIN_YEAR}–{MAX_YEAR}"
            empty = not column.value_required
            self._report(column, Reason.BAD_DATE, years, outside, values, skipped=not empty)
            invalid = invalid & ~beyond
            skip = skip & ~beyond if empty else skip
        if invalid.any():
            self._report(column, *self._why(column), invalid, values, skipped=column.required)
        return skip

    def _why(self, column: Column) -> tuple[Reason, str]:
        if column.kind is Kind.DATE:
            return (
                Reason.BAD_DATE,
                f"not a valid date in the form {form_name(self.dialect.date_format)}",
            )
        if column.kind is Kind.NUMBER:
            sep = f", thousands {self.dialect.thousands!r}" if self.dialect.thousands else ""
            huge = f"; values beyond ±{MAX_AMOUNT:.0e} are rejected" if self.huge_numbers else ""
            return Reason.BAD_NUMBER, f"not a number (decimal '{self.dialect.decimal}'{sep}{huge})"
        raise AssertionError(f"{column.kind} values are never invalid")  # pragma: no cover

    def _note_grouping(self, column: Column, grouped: np.ndarray, values: pa.Array) -> None:
        """Thousands separators the sampled rows did not show: read as such, and said."""
        separator = "." if self.dialect.decimal == "," else ","
        rows = np.flatnonzero(grouped)
        wording = Counted(
            "value",
            after=f" with '{separator}' between thousands, which the first rows did not show,"
            f' read as such; thousands = "{separator}" under [sources.{self.source.name}] in'
            " churnwatch.toml says so",
        )
        self._say_counted(column, Reason.UNSAMPLED_THOUSANDS, wording, rows, values)

    def _report(
        self,
        column: Column,
        code: Reason,
        why: str,
        mask: np.ndarray,
        values: pa.Array,
        *,
        skipped: bool,
    ) -> None:
        rows = np.flatnonzero(mask)
        self._add_problem(
            column,
            code,
            why if skipped else f"{why} (treated as empty)",
            rows,
            len(values),
            examples_of=None if code is Reason.MISSING_VALUE else values,
            skipped=skipped,
            level=Level.WARNING if skipped else Level.NOTE,
        )

    def _say_counted(
        self,
        column: Column,
        code: Reason,
        wording: Counted,
        rows: np.ndarray,
        values: pa.Array,
        *,
        level: Level = Level.NOTE,
    ) -> None:
        """A note (or a warning) on ``rows`` of a column, in words that a split export's
        parts can say once with their sum (see :class:`~churnwatch.ingest.problems.Counted`)."""
        self._add_problem(
            column,
            code,
            wording(len(rows)),
            rows,
            len(values),
            examples_of=values,
            level=level,
            tally=(len(rows),),
            wording=wording,
        )

    def _add_problem(
        self,
        column: Column,
        code: Reason,
        message: str,
        rows: np.ndarray,
        parsed: int,
        *,
        examples_of: pa.ChunkedArray | None = None,
        **details: Any,
    ) -> None:
        """A problem with ``rows`` (positions among the ``parsed`` rows) of one column, naming
        the file lines of the first few, and the first different values of ``examples_of``
        there with the line each is first found on."""
        examples: list[str] = []
        first = rows[:0]
        if examples_of is not None:
            examples, first = _distinct(examples_of, rows[:50])
        shown = rows[:MAX_LINES]
        lines = self.layout.row_lines(np.concatenate([shown, first[:EXAMPLE_VALUES]]), parsed)
        self.problems.append(
            Problem(
                self.source.name,
                self.path.name,
                code,
                message,
                column=self.columns[column.name],
                count=len(rows),
                lines=tuple(int(x) for x in lines[: len(shown)]),
                examples=tuple(examples[:EXAMPLE_VALUES]),
                example_lines=tuple(int(x) for x in lines[len(shown) :]),
                **details,
            )
        )


@dataclass(frozen=True)
class Categories:
    """What is said about the values of one category column of one export."""

    source: str
    file: str
    column: Column
    header: str
    configured: dict[str, list[str]] | None

    def understood(self, counts: dict[str, int]) -> Understanding:
        """The meanings of the raw values ``counts`` holds (raw value → rows)."""
        values = list(counts)
        return understand(values, self.column, header=self.header, configured=self.configured)

    def notes(
        self, understanding: Understanding, counts: dict[str, int], lines: Iterable[int]
    ) -> list[Problem]:
        """The notes on values inferred or ranked, and the problem of values not understood
        (``counts``: rows per raw value; ``lines``: of the first rows not understood)."""

        def rows_of(values: list[str]) -> str:
            return ", ".join(f"'{inline(excerpt(v))}' {plural(counts[v], 'row')}" for v in values)

        fix = tuple(toml_lines(self.source, self.column, understanding, self.configured))
        found = []
        for how, placed in (("inferred", understanding.inferred), ("ranked", understanding.ranked)):
            if placed:
                found.append(self._placed(how, placed, rows_of(list(placed)), fix))
        unknown = [v for v in understanding.unknown if counts.get(v)]
        if not unknown:
            return found
        rows = sum(counts[v] for v in unknown)
        known = sum(counts.values()) - rows
        vocabulary = " or ".join(self.column.vocabulary)
        message = (
            f"{plural(len(unknown), 'value')} not understood ({rows_of(unknown[:5])}"
            f"{', …' if len(unknown) > 5 else ''}): kept, with the {self.column.name} unknown"
            f" ({known:,} rows understood); map {'it' if len(unknown) == 1 else 'them'}"
            f" to {vocabulary} in churnwatch.toml"
        )
        found.append(
            Problem(
                self.source,
                self.file,
                Reason.UNKNOWN_VALUE,
                message,
                column=self.header,
                count=rows,
                lines=tuple(int(x) for x in lines),
                fix=fix,
            )
        )
        return found

    def _placed(self, how: str, found: dict[str, str], rows: str, fix: tuple[str, ...]) -> Problem:
        placed = "; ".join(
            f"{', '.join(repr(printable(r)) for r in raws)} as {meaning}"
            for meaning, raws in by_meaning(found).items()
        )
        why = (
            "not known spellings, read as the other side of the known ones"
            if how == "inferred"
            else "ordered by the numbers in them"
        )
        return Problem(
            self.source,
            self.file,
            Reason.INFERRED_VALUE,
            f"{why}: {placed} ({rows}); if that is wrong, set it in churnwatch.toml",
            column=self.header,
            count=len(found),
            level=Level.NOTE,
            fix=fix,
        )


def _mixed_note(source: str, file: str, transcoded: Rewritten) -> Problem:
    count = transcoded.count
    return Problem(
        source,
        file,
        Reason.ENCODING,
        _READ_AS_CP1252(count),
        count=count,
        lines=tuple(transcoded.lines),
        tally=(count,),
        wording=_READ_AS_CP1252,
    )


_READ_AS_CP1252 = Counted(
    "line", before="UTF-8, except for ", after=" read as cp1252 (check the umlauts there)"
)


def _earliest(rows: np.ndarray, counts: np.ndarray) -> tuple[int, int]:
    """The first of ``rows`` whose count is not 0, and its count."""
    first = int(np.argmin(np.where(counts > 0, rows, np.iinfo(np.int64).max)))
    return int(rows[first]), int(counts[first])


_QUOTED_LINE_BREAK = re.compile("straddling|newlines_in_values")
"""pyarrow's ways of saying that a quoted field holds a line break (the second when read in
one thread)."""


def _skipped(_: pacsv.InvalidRow) -> str:
    """A rejected row, passed over (a read that has counted them already)."""
    return "skip"


class _ManyRejectedError(Exception):
    """A read on every core stopped for its many rejected rows (see :data:`MANY_REJECTED`)."""


@contextmanager
def unraisable_errors() -> Iterator[list[BaseException]]:
    """Collect the exceptions pyarrow's callbacks could not raise (it would print them as
    'Exception ignored …' with a traceback), so that the reader can act on them instead."""
    caught: list[BaseException] = []
    previous = sys.unraisablehook

    def collect(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, Exception):
            caught.append(unraisable.exc_value)
        else:  # a stop (Ctrl-C, SIGTERM) is no problem of the file's
            previous(unraisable)

    sys.unraisablehook = collect
    try:
        yield caught
    finally:
        sys.unraisablehook = previous


def _day_and_month_swapped(form: str) -> str:
    """``%m.%d.%Y`` for ``%d.%m.%Y`` and the other way round."""
    return form.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _clean(values: pa.ChunkedArray) -> pa.Array:
    """Text without surrounding blanks or NUL bytes (which some exporters leave behind), and
    the usual spellings of an empty cell as empty."""
    text = values.combine_chunks().cast(pa.string())
    if _may_hold_nul(values):
        text = pc.replace_substring(text, "\x00", "")
    text = pc.utf8_trim_whitespace(text)
    empty = pc.is_in(text, value_set=pa.array(NULL_TOKENS))
    return pc.if_else(empty, pa.scalar(None, pa.string()), text)


def _typed(values: pa.ChunkedArray) -> bool:
    """pyarrow converted the column itself (so it held no stray bytes)."""
    return pa.types.is_date32(values.type) or pa.types.is_floating(values.type)


def _may_hold_nul(values: pa.ChunkedArray) -> bool:
    """Whether a text column may hold a NUL byte: its character data has a zero byte (one
    pass of numpy over the bytes, where searching each value took a tenth of a second per
    million). Any other type is searched value by value."""
    if not is_text(values.type):
        return True
    return any(not text_parts(chunk)[1].all() for chunk in values.chunks)


def _filled(cleaned: pa.Array) -> np.ndarray:
    """The cells of a :func:`_clean` column that hold a value."""
    return np.asarray(pc.fill_null(pc.not_equal(cleaned, ""), False), dtype=bool)


def _unified(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Dictionary chunks that share one dictionary (pyarrow builds one per block)."""
    if not pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
        return values.dictionary_encode()
    table = pa.table({"values": values}).unify_dictionaries()
    return table.column("values")


def _all_plausible(values: pa.ChunkedArray) -> bool:
    """Every number within ±:data:`MAX_AMOUNT` (empty cells aside), none NaN or infinite."""
    return _within(values, -MAX_AMOUNT, MAX_AMOUNT)


def _within(values: pa.ChunkedArray, low: float, high: float) -> bool:
    """Every value in ``[low, high]``, empty cells aside; ``False`` if one is NaN."""
    bounds = [_block_bounds(block) for block in values.chunks if len(block)]
    return all(b is None or bool(b[0] >= low and b[1] <= high) for b in bounds)


def _smallest(values: pa.ChunkedArray) -> float | None:
    """The smallest value, empty cells aside (NaN if one is NaN); None: no value at all."""
    found = [b[0] for block in values.chunks if len(block) and (b := _block_bounds(block))]
    return min(found) if found else None


def _block_bounds(block: pa.Array) -> tuple[float, float] | None:
    """A block's smallest and largest value (NaN if one is NaN); None: all empty.

    numpy's minimum and maximum over a view of a block without empty cells: no copy, and
    a fifth of the time Arrow's ``min_max`` takes (0.07 s for 10 M amounts, on one core)."""
    if block.null_count:  # the values under empty cells are undefined: Arrow skips them
        if pa.types.is_floating(block.type) and pc.any(pc.is_nan(block)).as_py():
            return float("nan"), float("nan")
        bounds = pc.min_max(block)
        smallest, largest = bounds["min"].as_py(), bounds["max"].as_py()
        return None if smallest is None else (smallest, largest)
    numbers = block.to_numpy(zero_copy_only=True)
    return numbers.min(), numbers.max()


FOOTER = Counted("line", after=" of a report's footer at the end (totals, counts) left out")


def _text_of(rows: pa.Table, worded: list[str]) -> list[dict[str, Any]]:
    """A few rows' values of the ``worded`` columns (ids, document numbers, categories,
    names): a date or an amount names no total, and a typed one may be a date Python has no
    room for (year 0)."""
    return rows.select(list(dict.fromkeys(worded))).to_pylist()


def _worded_but(row: dict[str, Any], but: str) -> list[str]:
    """A row's worded values that are not blank, but the column ``but``'s."""
    return [str(v) for k, v in row.items() if k != but and v is not None and str(v).strip()]


def _may_name_a_total(row: dict[str, Any], customer: str) -> tuple[str, ...]:
    """The fields of a row at the file's end that may name a total: its customer id where
    it has one and nothing else worded (an order number, a name: a customer's row, such
    as TotalEnergies' matchcode ``TOTAL``), else its other worded fields."""
    value = row[customer]
    others = _worded_but(row, customer)
    if value is not None and str(value).strip():
        return () if others else (str(value),)
    return tuple(others)


def _parsed_record(
    line: int, row: dict[str, Any], customer: str, fields: tuple[str, ...]
) -> Record:
    """A row at the file's end, as the footer check sees it (``fields``: those that may
    name a total): with neither a customer id nor any other worded value (an order number),
    it is no customer's row. The note shows it from the file's fields, so it carries no text
    of its own."""
    worded = _may_name_a_total(row, customer)
    return Record(line, fields, "", parsed=True, without_id=not worded and _no_id(row, customer))


def _no_id(row: dict[str, Any], customer: str) -> bool:
    value = row[customer]
    return value is None or not str(value).strip()


def _rejected_record(line: int, text: str, delimiter: str) -> Record:
    """A line at the file's end rejected for its number of fields."""
    return Record(line, tuple(text.split(delimiter)), text, parsed=False)


def _footer_note(
    source: str, file: str, found: list[Record], rows: list[tuple[str, ...]], delimiter: str
) -> Problem:
    """The note on a footer left out; its rows shown as the file has them (``rows``: the
    fields of its parsed rows, in order; the rejected ones are shown as read). A Parquet
    export's rows, which have no delimiter, are shown with a semicolon between cells."""
    fields = iter(rows)
    each = [
        (record, delimiter.join(next(fields, ())) if record.parsed else record.shown)
        for record in sorted(found, key=lambda record: record.line)
    ]
    shown = [(record.line, text) for record, text in each if names_a_total(record.fields)]
    shown = shown[:EXAMPLE_VALUES]
    return Problem(
        source,
        file,
        Reason.NO_DATA,
        FOOTER(len(found)),
        count=len(found),
        lines=tuple(sorted(record.line for record in found))[:MAX_LINES],
        examples=tuple(text for _, text in shown),
        example_lines=tuple(line for line, _ in shown),
        level=Level.NOTE,
        tally=(len(found),),
        wording=FOOTER,
    )


MAX_TERMS = 3650
"""The most days of payment terms: ten years (a number beyond is no terms, a typo)."""


EMPTY_ROWS = Counted("empty row", after=" (blank in every column read) left out")
HEADER_AGAIN = Counted(
    "line", after=" repeating the header left out (exports joined one after the other?)"
)


def _nulled(raw: pa.Table, rows: np.ndarray) -> pa.Table:
    """``raw`` with every value of ``rows`` empty: a header read again as a row is no
    category's value, no date and no amount to report."""
    if not rows.any():
        return raw
    mask = pa.array(rows)
    columns = [pc.if_else(mask, pa.scalar(None, column.type), column) for column in raw.columns]
    return pa.table(columns, names=raw.column_names)


def _nulls(values: pa.ChunkedArray) -> np.ndarray:
    if values.null_count == 0:
        return np.zeros(len(values), dtype=bool)
    return np.asarray(values.is_null(), dtype=bool)


def _chunked(values: np.ndarray, missing: np.ndarray) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(values, mask=missing)])


def _as_written(numbers: pa.ChunkedArray, decimal: str) -> pa.ChunkedArray:
    """Numbers read as text with the export's decimal mark, for a message to quote them as
    the file has them (``30,5``, not ``30.5``, which the user would not find)."""
    text = numbers.cast(pa.string())
    return pc.replace_substring(text, ".", ",") if decimal == "," else text


def _distinct(values: pa.ChunkedArray, rows: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The different values at ``rows``, in order (so examples don't repeat themselves), and
    the row each is first found at."""
    taken = pc.take(values, pa.array(rows, pa.int64()))
    if not pa.types.is_string(taken.type):  # as written: Arrow prints even year 0 as text
        taken = taken.cast(pa.string())
    seen: dict[str, int] = {}
    for row, value in zip(rows.tolist(), taken.to_pylist(), strict=True):
        seen.setdefault(str(value), row)
    return list(seen), np.array(list(seen.values()), dtype=np.int64)


# -- Parquet -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowLayout:
    """Where rows are in a Parquet file: a row's number counts as the line a CSV export of the
    same table would put it on (header = line 1), so messages read alike."""

    path: Path

    def row_lines(self, rows: np.ndarray, parsed_rows: int) -> np.ndarray:
        return np.asarray(rows) + 2

    def malformed_lines(self) -> list[int]:
        return []

    def repeated(self, rows: np.ndarray, parsed_rows: int, kinds: np.ndarray) -> np.ndarray:
        """Whether each row in ``rows`` (ascending) repeats an earlier one of them in every
        column, as a CSV export's whole lines are compared (see :meth:`records`): the rows
        taken batch by batch, compared as Arrow columns (a column of lists or structs as its
        values' text)."""
        taken = self._taken(np.asarray(rows, dtype=np.int64))
        if taken is None:
            return np.zeros(len(rows), dtype=bool)
        return repeats(_row_codes(taken))

    def records(self, rows: np.ndarray, parsed_rows: int) -> list[tuple[str, ...]]:
        """Every column of each row in ``rows``, as text: what tells apart two rows that agree
        in every column churnwatch reads, as a CSV export's whole lines do. Read batch by
        batch, for the few rows asked (a footer's)."""
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        found: list[tuple[str, ...]] = [()] * len(rows)
        taken = self._taken(rows[order])
        if taken is None:
            return found
        texts = [
            ["" if v is None else str(v) for v in column.to_pylist()] for column in taken.columns
        ]
        records = zip(*texts, strict=True)  # rows past the export's end (none) stay empty
        for place, record in zip(order.tolist(), records, strict=False):
            found[place] = record
        return found

    def _taken(self, rows: np.ndarray) -> pa.Table | None:
        """The rows at positions ``rows`` (ascending), every column, read batch by batch;
        None where none is in the export."""
        taken, start = [], 0
        for batch in parquet_dataset(self.path).to_batches():
            low, high = np.searchsorted(rows, [start, start + batch.num_rows])
            if high > low:
                taken.append(pa.Table.from_batches([batch.take(pa.array(rows[low:high] - start))]))
            start += batch.num_rows
        return pa.concat_tables(taken) if taken else None


def _row_codes(table: pa.Table) -> np.ndarray:
    """A number per row, equal for rows equal in every column (a column of lists, structs or
    maps compared by its values' text)."""
    return combined(_value_codes(column.combine_chunks()) for column in table.columns)


def _value_codes(values: pa.Array) -> np.ndarray:
    """A number per value, equal for equal values (empty: -1), as their text would tell
    them: every NaN is one value whatever its bits; an extension type's (JSON, UUID) by its
    stored values; a type Arrow cannot encode (lists, structs, maps) by its values' text."""
    if isinstance(values, pa.ExtensionArray):
        values = values.storage
    if pa.types.is_floating(values.type):
        values = pc.if_else(pc.is_nan(values), pa.scalar(np.nan, values.type), values)
    try:
        encoded = pc.dictionary_encode(values)
    except pa.ArrowNotImplementedError:
        encoded = pc.dictionary_encode(pa.array([str(value) for value in values.to_pylist()]))
    return np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)


class _ParquetReader(_Reader):
    """A Parquet export through the same mapping, parsing and salvage as a CSV: typed dates
    and numbers are taken as they are, text columns are parsed like CSV text."""

    def __init__(self, path: Path, source: Source, *, table: pa.Table, **kwargs: Any) -> None:
        super().__init__(path, source, **kwargs)
        self.table = table

    @property
    def layout(self) -> Lines:
        return RowLayout(self.path)

    def _arrow_read(self) -> pa.Table:
        return self.table


def read_parquet_source(
    path: Path, source: Source, config: SourceConfig, *, count_values: bool = False
) -> SourceTable:
    """Read a Parquet export as ``source``, only the columns it needs."""
    try:
        head, columns, notes = parquet_columns(path, source, config)
        table = parquet_dataset(path).to_table(columns=list(dict.fromkeys(columns.values())))
        check_flat(path, table.schema, columns)
        if table.num_rows == 0:
            raise EmptySourceError(path, EmptySourceError.HEADER_ONLY)
        sniffed = detect_dialect(head, source, columns, config)  # may read rows further down
    except (OSError, pa.ArrowException) as exc:
        raise not_parquet(path, exc) from None
    notes += head_notes(path, head, source, columns, config, sniffed=sniffed)
    dialect = replace(sniffed[0], encoding=PARQUET, delimiter="")  # for text columns: formats
    kinds = {columns[c.name]: c.kind for c in source.columns if c.name in columns}
    converted: dict[str, pa.ChunkedArray] = {}
    for name, kind in kinds.items():
        values = table.column(name)
        if holds_bytes(values.type):  # text as bytes (old Hive writers), UUIDs
            values, rows = bytes_as_text(values)
            if rows.size:
                notes.append(_values_read_as_cp1252(path, source, name, rows))
        converted[name] = _converted_as_csv(_parquet_column(values, kind), kind, dialect)
    typed = pa.table(converted)
    reader = _ParquetReader(
        path,
        source,
        table=typed,
        head=head,
        dialect=dialect,
        columns=columns,
        config=config,
        count_values=count_values,
    )
    read = reader.read()
    read.problems[:0] = notes  # what the parts' columns show, before what their rows do
    return read


def _values_read_as_cp1252(path: Path, source: Source, header: str, rows: np.ndarray) -> Problem:
    """The values of a column of bytes that were not UTF-8, read as cp1252."""
    count = len(rows)
    return Problem(
        source.name,
        path.name,
        Reason.ENCODING,
        _VALUES_READ_AS_CP1252(count),
        column=header,
        count=count,
        lines=tuple(int(line) for line in RowLayout(path).row_lines(rows[:MAX_LINES], count)),
        tally=(count,),
        wording=_VALUES_READ_AS_CP1252,
    )


_VALUES_READ_AS_CP1252 = Counted(
    "value",
    before="bytes, not text; UTF-8, except for ",
    after=" read as cp1252 (check the umlauts there; write the column as UTF-8 text)",
)


def parquet_columns(
    path: Path, source: Source, config: SourceConfig
) -> tuple[Head, dict[str, str], list[Problem]]:
    """A Parquet export's head, which of its columns are the source's (canonical name →
    column), and a note on each optional column some parts of a folder lack (their rows are
    read without it, as a CSV's empty cells). A part without a column the source must have is
    an error: its rows would all be read without it (orders without amounts, invoices open)."""
    head = parquet_head(path)
    columns = resolve_columns(head, source, config, path)
    lacking = parts_without(path, list(columns.values()))
    notes = []
    for name, header in columns.items():
        if not (parts := lacking.get(header)):
            continue
        if source.column(name).required:
            raise InputError(
                f"{inline(str(path / parts[0]))}: no column '{inline(header)}' (the"
                f" {source.name}' {name.replace('_', ' ')}), which the other parts of the folder"
                " have; write every part with all the table's columns"
            )
        notes.append(_parts_without_note(path, source, header, parts))
    return head, columns, notes


def _parts_without_note(path: Path, source: Source, header: str, parts: list[str]) -> Problem:
    """An optional column that some parts of a folder lack (written before it was added)."""
    named = ", ".join(inline(part) for part in parts[:EXAMPLE_VALUES])
    more = f", … {len(parts) - EXAMPLE_VALUES} more" if len(parts) > EXAMPLE_VALUES else ""
    return Problem(
        source.name,
        path.name,
        Reason.PARTS_WITHOUT_COLUMN,
        f"not in {plural(len(parts), 'part')} of {part_count(path)} ({named}{more}): their"
        " rows are read with it empty",
        column=header,
        count=0,
        level=Level.NOTE,
    )


def parquet_head(path: Path) -> Head:
    """A Parquet export's column names and first rows as text, as a CSV's head would give."""
    dataset = parquet_dataset(path)
    schema = dataset.schema
    repeated = repeated_names(path)  # kept out of the dataset: said only if a source needs one
    names = [n for n in schema.names if n not in repeated] + [n for n in repeated for _ in (1, 2)]
    typed = frozenset(f.name for f in schema if not _is_text(f.type)) | joined_as_text(path)
    rows = _sample_rows(dataset)
    return Head("utf-8", ",", names, rows, has_nul=False, complete=True, typed=typed, parquet=path)


def _is_text(kind: pa.DataType) -> bool:
    """Strings, plain or dictionary-encoded (a Parquet writer's categories)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    text = (pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view, holds_bytes)
    return any(test(kind) for test in text)


def check_flat(path: Path, schema: pa.Schema, columns: dict[str, str]) -> None:
    """Refuse a column churnwatch reads whose values are lists, records or maps: no text,
    number or date can be read from them (pyarrow's cast failed as an internal error)."""
    for meaning, name in columns.items():
        kind = schema.field(schema.get_field_index(name)).type
        if pa.types.is_nested(kind):
            shown = f"{name!r}" if name == meaning else f"{name!r} (mapped to {meaning})"
            raise InputError(
                f"{path}: column {shown} holds values of type {kind}, not text, numbers or"
                " dates; write it with one plain value per row"
            )


def export_head(path: Path) -> tuple[Head, Path]:
    """The head of any export churnwatch reads (CSV, packed CSV, Parquet) and the file the
    text is in (the unpacked copy; the Parquet file itself)."""
    if kind_of(path) == "parquet":
        try:
            return parquet_head(path), path
        except (OSError, pa.ArrowException) as exc:
            raise not_parquet(path, exc) from None
    plain = unpacked(path)
    return inspect_head(plain, None, None, shown=path), plain


def whole_column(plain: Path, head: Head, header: str) -> pa.ChunkedArray:
    """Every value of one column of an export (``plain``: the file :func:`export_head` gave),
    as text, or typed as a Parquet file holds it; rows of a wrong width are passed over."""
    if kind_of(plain) == "parquet":
        return parquet_dataset(plain).to_table(columns=[header]).column(0)
    name = f"c{head.header.index(header)}"  # by place: headers may repeat or be empty
    table = pacsv.read_csv(
        plain,
        read_options=pacsv.ReadOptions(
            encoding=head.encoding,
            column_names=[f"c{i}" for i in range(len(head.header))],
            skip_rows=head.lines_before_header + head.header_lines,
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=head.delimiter, newlines_in_values=True, invalid_row_handler=lambda _: "skip"
        ),
        convert_options=pacsv.ConvertOptions(
            include_columns=[name], column_types={name: pa.string()}
        ),
    )
    return table.column(0)


def _sample_rows(dataset: ds.Dataset) -> list[list[str]]:
    """The first rows as text, for sniffing the formats of text columns."""
    batch = dataset.head(SAMPLE_ROWS)
    if batch.num_rows == 0:
        return []
    texts = [
        ["" if v is None else str(v) for v in as_text(batch.column(i)).to_pylist()]
        if not pa.types.is_nested(batch.column(i).type)
        else [""] * batch.num_rows
        for i in range(batch.num_columns)
    ]
    return [list(row) for row in zip(*texts, strict=True)]


def _parquet_column(values: pa.ChunkedArray, kind: Kind) -> pa.ChunkedArray:
    """A Parquet column in the form the CSV reader gives: dates as date32, numbers as float64,
    everything else (ids, categories, dates and numbers written as text) as text, categories
    dictionary-encoded."""
    kind_of = values.type
    if kind is Kind.DATE and (pa.types.is_timestamp(kind_of) or pa.types.is_date(kind_of)):
        return values.cast(pa.date32())
    if kind is Kind.NUMBER and pa.types.is_decimal(kind_of):
        return pa.chunked_array([_decimal_floats(chunk) for chunk in values.chunks], pa.float64())
    if kind is Kind.NUMBER and kind_of == pa.float32():
        # through its shortest digits: 1383.94 as float32 is 1383.93994140625 as float64
        return values.cast(pa.string()).cast(pa.float64())
    if kind is Kind.NUMBER and (pa.types.is_integer(kind_of) or pa.types.is_floating(kind_of)):
        return values.cast(pa.float64())
    if pa.types.is_dictionary(kind_of):
        values = values.cast(kind_of.value_type)
    if pa.types.is_floating(values.type):  # a NaN is how Polars or Spark leave a number out
        values = pc.if_else(pc.is_nan(values), pa.scalar(None, values.type), values)
    text = values.cast(pa.string())
    text = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)  # as in a CSV
    return text.dictionary_encode() if kind is Kind.CATEGORY else text


def _converted_as_csv(values: pa.ChunkedArray, kind: Kind, dialect: Dialect) -> pa.ChunkedArray:
    """Dates and numbers written as text, converted by pyarrow where a CSV's are (ISO dates,
    numbers with a decimal point and no thousands): the same values as churnwatch's parsers
    give, at the CSV's speed (they took three times as long). A column with a value pyarrow
    refuses stays text, for those parsers and their messages."""
    if not pa.types.is_string(values.type):
        return values
    if kind is Kind.DATE and dialect.date_format == ISO_FORMAT:
        target = pa.date32()
    elif kind is Kind.NUMBER and dialect.decimal == "." and not dialect.thousands:
        target = pa.float64()
    else:
        return values
    try:
        converted = values.cast(target)
    except pa.ArrowInvalid:
        return values
    if target == pa.float64() and not _all_plausible(converted):
        return values  # "nan", "inf", a huge number: said as the text reader says them
    return converted


def _decimal_floats(decimals: pa.Array) -> pa.Array:
    """Decimals as the floats their digits give in a CSV (the nearest float64).

    Arrow's cast scales by an inexact power of ten: 0.0029 became 0.0029000000000000002, a
    third of all amounts with four decimals. An integer below 2**53 divided by an exact power
    of ten is rounded correctly; other values go through their digits.
    """
    unscaled = _unscaled(decimals)
    scale = decimals.type.scale
    if unscaled is None or not 0 <= scale <= MAX_EXACT_SCALE:
        return pc.cast(decimals.cast(pa.string()), pa.float64())
    return pa.array(unscaled / 10.0**scale, mask=_nulls(pa.chunked_array([decimals])))


MAX_EXACT_SCALE = 22
"""10.0**22 is the largest power of ten a float64 holds exactly."""


def _unscaled(decimals: pa.Array) -> np.ndarray | None:
    """A decimal array's unscaled integers as float64, or None where one is beyond 2**53
    (whose float would be rounded twice). Read from the words of the values buffer (native
    byte order, as Arrow stores them): the lowest as a signed integer, the higher ones only
    its sign extension."""
    width = decimals.type.byte_width
    start, rows = decimals.offset, len(decimals)
    if width <= 8:
        low = np.frombuffer(decimals.buffers()[1], dtype=f"=i{width}")[start : start + rows]
        fits = np.ones(rows, dtype=bool)
    else:
        words = np.frombuffer(decimals.buffers()[1], dtype="=i8").reshape(-1, width // 8)
        words = words[start : start + rows]
        if sys.byteorder == "big":
            words = words[:, ::-1]  # the lowest word last
        low = words[:, 0]
        fits = (words[:, 1:] == (low >> 63)[:, None]).all(axis=1)
    exact = fits & (low >= -(2**53)) & (low <= 2**53)  # in integers: no rounding yet
    if not (exact | np.asarray(decimals.is_null(), dtype=bool)).all():
        return None
    return low.astype(np.float64)
