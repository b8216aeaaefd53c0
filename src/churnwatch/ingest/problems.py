"""Data-quality problems, collected as records and reported together.

Loading never stops at the first bad row: every problem becomes a :class:`Problem` naming
the file, column, reason and the first few physical line numbers, and the caller decides
what to show. Only problems that make a source unusable raise :class:`InputError`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from churnwatch.core.words import excerpt, inline, plural

MAX_LINES = 5
EXAMPLE_VALUES = 2
"""Values a problem shows (rows, dates, amounts it could not read)..."""
EXAMPLE_CUSTOMERS = 3
"""...and customers (the first by their ids)."""


class Reason(StrEnum):
    """Stable reason codes: other code and scripts match on these, never on message text."""

    EMPTY = "empty"
    MISSING_VALUE = "missing_value"
    BAD_DATE = "bad_date"
    BAD_NUMBER = "bad_number"
    UNKNOWN_VALUE = "unknown_value"
    INFERRED_VALUE = "inferred_value"
    FIELD_COUNT = "field_count"
    DUPLICATE = "duplicate"
    ORPHAN = "orphan"
    ENCODING = "encoding"
    AMBIGUOUS_DATES = "ambiguous_dates"
    AMBIGUOUS_NUMBERS = "ambiguous_numbers"
    """Whole amounts with one separator (``4,800``): thousands or decimals, as assumed."""
    AFTER_AS_OF = "after_as_of"
    STALE_REFERENCE = "stale_reference"
    STALE_EXPORTS = "stale_exports"
    REPAIRED = "repaired"
    CREDIT_NOTES_ONLY = "credit_notes_only"
    PADDED_IDS = "padded_ids"
    """Customer ids written with and without leading zeros (``007``, ``7``): two customers."""
    SEPARATED_IDS = "separated_ids"
    """Customer ids written with and without separators (``K-1001``, ``K1001``)."""
    CASE_IDS = "case_ids"
    """Customer ids written in upper and lower case (``MUELLER``, ``Mueller``): two customers."""
    REPEATED_CUSTOMER = "repeated_customer"
    """A customer on several (different) rows of the master data: the first is used."""
    UNSAMPLED_THOUSANDS = "unsampled_thousands"
    """Amounts with a thousands separator the sampled first rows did not show: read so."""
    ORDER_LINES = "order_lines"
    """Rows that are lines of one order (same order number, customer and day): combined."""
    UNREAD_COLUMNS = "unread_columns"
    """Optional columns whose headers look like them, not read without a mapping."""
    POINT_DECIMALS = "point_decimals"
    """Amounts typed with a decimal point in a file of decimal commas (``99.90``): read so."""
    CENTS = "cents"
    """Amounts in cents (the header or the configuration says so): divided by 100."""
    OTHER_DATE_FORM = "other_date_form"
    """Dates in an unmistakable form other than the column's (ISO among ``31.12.2024``)."""
    ZERO_DATE = "zero_date"
    """Dates of zeros (``00.00.0000``) in a column that may be empty: read as empty."""
    PLACEHOLDER_DATE = "placeholder_date"
    """1900-01-01 or 1970-01-01, written for a missing date: skipped or read as empty."""
    DATE_ORDER = "date_order"
    """A row's dates that contradict each other (a complaint closed before it was opened)."""
    INVOICE_PARTS = "invoice_parts"
    """Rows that are parts of one invoice (same invoice number, customer and due date)."""
    NO_DATA = "no_data"
    """Rows without data (every column blank, or the header repeated): left out."""
    TITLE_LINES = "title_lines"
    """Lines above the header (a report's title, its date, blank lines): not read."""
    ROWS_IN_A_FIELD = "rows_in_a_field"
    """Lines in a quoted field that look like rows but whose ids have no shape of the file's."""
    QUOTE_OPEN_AT_THE_END = "quote_open_at_the_end"
    """A quote on the last line never closed: the file ends inside the field (cut short?)."""
    DERIVED = "derived"
    """A required column the export lacks, worked out from others (due = invoice + terms)."""
    UNREAD_TWIN = "unread_twin"
    """A file that begins with the header of a source's export but is not read."""
    SWITCHED_OFF = "switched_off"
    """An export the configuration switches off (``enabled = false``): not read."""
    SPREADSHEET = "spreadsheet"
    """A workbook where the export should be: not read, the source left out."""
    PARTS_WITHOUT_COLUMN = "parts_without_column"
    """An optional column some parts of a folder export lack: their rows have it empty."""
    UNREAD_ARCHIVE = "unread_archive"
    """An archive churnwatch does not unpack (``.xz``, ``.7z``, a tar) where the export should
    be: not read, the source left out."""
    UNREAD_FOLDER = "unread_folder"
    """A folder without Parquet parts under the export's name (``payments/`` of CSV parts, or
    of a writer's ``_SUCCESS`` alone): not read, the source left out."""


class Level(StrEnum):
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class PartLines:
    """Where the lines of a folder export are: its parts, and the line each begins at. A line
    counts as a row's number across the parts in their order (the header being line 1, as in
    a CSV export of the same table); within a part, as in that part alone."""

    names: tuple[str, ...]
    """Each part's name inside the folder (``year=2024/part-0.parquet``)."""
    first: tuple[int, ...]

    def place(self, line: int) -> tuple[str, int]:
        """The part holding ``line``, and its line there."""
        index = max(bisect.bisect_right(self.first, line) - 1, 0)
        return self.names[index], line - self.first[index] + 2

    def said(self, lines: tuple[int, ...]) -> str:
        """``lines 2, 3 of part-1.parquet, line 7 of part-2.parquet``: in each part."""
        runs: list[tuple[str, list[int]]] = []
        for line in lines:
            name, there = self.place(line)
            if runs and runs[-1][0] == name:
                runs[-1][1].append(there)
            else:
                runs.append((name, [there]))
        return ", ".join(f"{lines_said(found)} of {inline(name)}" for name, found in runs)


def lines_said(lines: Sequence[int]) -> str:
    """``line 4``, ``lines 4, 9``."""
    return f"line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}"


@dataclass(frozen=True)
class Problem:
    """One kind of problem in one column of one file, with how often it occurred."""

    source: str
    file: str
    code: Reason
    message: str
    column: str | None = None
    count: int = 1
    lines: tuple[int, ...] = ()
    examples: tuple[str, ...] = ()
    level: Level = Level.WARNING
    skipped: bool = field(default=False)
    fix: tuple[str, ...] = ()
    """Lines to paste into churnwatch.toml that would settle the problem."""
    example_lines: tuple[int, ...] = ()
    """The line each example is first found on, where the examples are values of rows: what
    puts the examples of a split export's parts in the whole export's order."""
    tally: tuple[int, ...] = ()
    """The counts the message states, where it states more than ``count``..."""
    found_by: str = "reader"
    """The stage that found it (``reader``, ``loader``): the same words can come from both
    (an empty id, a blank one), which a split export's parts must not count as one."""
    wording: Callable[..., str] | None = None
    """...and the (module-level) function that writes the message from them: the parts of a
    split export each find some, and the whole export's message is written from the sums."""
    parts: PartLines | None = None
    """Where the lines are, in an export that is a folder of parts."""

    def describe(self) -> str:
        """``orders.csv: column 'amount': 2 rows skipped: not a number (lines 4, 9; e.g. 'x')``."""
        where = self.file + (self._at(self.lines[0]) if self.count == 1 and self.lines else "")
        column = f": column '{inline(self.column)}'" if self.column else ""
        # Duplicates are counted apart from the skipped rows (validate's "dupes"), and said so
        verb = "dropped" if self.code is Reason.DUPLICATE else "skipped"
        head = f"{plural(self.count, 'row')} {verb}: " if self.skipped else ""
        return f"{where}{column}: {head}{self.message}{self._evidence()}"

    def _at(self, line: int) -> str:
        """``:4``, or in a folder of parts ``/part-1.parquet:2``."""
        if self.parts is None:
            return f":{line}"
        name, there = self.parts.place(line)
        return f"/{inline(name)}:{there}"

    def _evidence(self) -> str:
        parts = []
        if self.lines and not (self.count == 1 and len(self.lines) == 1):
            more = (
                f", … {self.count - len(self.lines):,} more" if self.count > len(self.lines) else ""
            )
            parts.append(self._lines_said() + more)
        if self.examples:
            parts.append("e.g. " + ", ".join(repr(excerpt(e)) for e in self.examples))
        return f" ({'; '.join(parts)})" if parts else ""

    def _lines_said(self) -> str:
        return self.parts.said(self.lines) if self.parts is not None else lines_said(self.lines)


@dataclass(frozen=True)
class Counted:
    """The words of a message around the count of what it is about: ``Counted("date", after="
    of zeros read as empty")(3)`` is '3 dates of zeros read as empty'. Usable as a problem's
    ``wording``: equal words compare equal and travel to a cluster's workers and back, so the
    parts of a split export that each found some are said once, with the sum."""

    noun: str
    before: str = ""
    after: str = ""

    def __call__(self, count: int) -> str:
        return f"{self.before}{plural(count, self.noun)}{self.after}"


def nul_bytes_removed(
    source: str,
    file: str,
    column: str,
    lines: Iterable[int],
    count: int,
    *,
    removed: str = "NUL bytes",
) -> Problem:
    """The note for values read without the NUL bytes some exporters leave in them, or
    what else is ``removed`` (``lines``: the first few of the ``count`` rows, as file
    lines)."""
    return Problem(
        source,
        file,
        Reason.REPAIRED,
        f"{removed} removed from the values before reading them",
        column=column,
        count=count,
        lines=tuple(int(line) for line in lines),
        level=Level.NOTE,
    )
