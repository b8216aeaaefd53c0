"""``--format csv``: one row per customer, signals flattened, then every feature.

The columns are the same for every run of a version (a feature whose source is absent is an
empty column), so a sheet that imports the file keeps working when a source comes or goes.
Written by pyarrow's CSV writer from whole columns, a batch of customers at a time: the next
batch's columns are built while one is written (Arrow's writer lets go of the GIL), and a
million customers' text is never held at once. Cells a spreadsheet would run as a formula
are neutralised unless the guard is switched off for trusted data.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, TypeVar

from churnwatch.core.errors import UsageError

if TYPE_CHECKING:
    import pyarrow as pa

    from churnwatch.analyses.result import ScanResult, Selection
    from churnwatch.render.language import Language

Item = TypeVar("Item")
Made = TypeVar("Made")

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula."""
_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
TEXT_COLUMNS = ("customer_id", "name", "segment", "owner", "email", "history")


@dataclass(frozen=True)
class CsvDialect:
    """How the file is written for its reader: programs, or Excel in a given locale."""

    delimiter: str
    decimal: str
    bom: bool
    """A UTF-8 byte order mark, without which Excel shows umlauts as mojibake."""
    description: str


BOM = b"\xef\xbb\xbf"
"""UTF-8's byte-order mark, by which Excel knows a CSV is UTF-8."""
CSV_DIALECTS = {
    "standard": CsvDialect(",", ".", False, "RFC 4180: ',' and '.', UTF-8, for programs"),
    "excel": CsvDialect(",", ".", True, "',' and '.', UTF-8 with BOM, for English Excel"),
    "excel-de": CsvDialect(";", ",", True, "';' and decimal ',', UTF-8 with BOM, German Excel"),
}


@dataclass(frozen=True)
class CsvRows:
    name = "csv"
    extensions = (".csv",)
    for_people = False
    binary = False
    dialect: str = "standard"
    formula_guard: bool = True
    lang: Language | None = None
    """The language of the texts for people (reasons, actions, history); numbers and dates
    stay in the dialect's machine form."""

    def with_language(self, lang: Language) -> CsvRows:
        return replace(self, lang=lang)

    @property
    def bom(self) -> bool:
        return CSV_DIALECTS[self.dialect].bom

    def with_options(self, *, csv_dialect: str | None, formula_guard: bool) -> CsvRows:
        if csv_dialect is not None and csv_dialect not in CSV_DIALECTS:
            raise UsageError(f"--csv-dialect: one of {', '.join(CSV_DIALECTS)}")
        return replace(self, dialect=csv_dialect or self.dialect, formula_guard=formula_guard)

    def render(self, selection: Selection) -> bytes:
        return b"".join(self.chunks(selection))

    def chunks(self, selection: Selection) -> Iterator[bytes]:
        """The header and the first batch of rows, then each further batch, in rank order."""

        from churnwatch.render.records import whole_features

        shown = selection.rows
        total = shown.count
        whole = whole_features(shown)
        parts = (  # taken here, in order: the workers only read their own part
            (start, shown.rows(slice(start, min(start + BATCH_ROWS, total))))
            for start in range(0, max(total, 1), BATCH_ROWS)  # no rows: still the header
        )
        yield from ahead(lambda part: self._text(*part, whole), parts)

    def _text(self, start: int, rows: ScanResult, whole: Collection[str]) -> bytes:
        import pyarrow as pa

        dialect = CSV_DIALECTS[self.dialect]
        columns = row_columns(
            rows,
            formula_guard=self.formula_guard,
            lang=self.lang,
            first_rank=start + 1,
            whole=whole,
        )
        if dialect.decimal != ".":
            columns = {name: _decimal_comma(values) for name, values in columns.items()}
        return _csv_text(pa.table(columns), dialect.delimiter, header=start == 0)


FORMAT = CsvRows()


BATCH_ROWS = 50_000
"""Customers per batch of a CSV: large enough that a batch's fixed costs do not count, small
enough that two batches' text is little memory."""


def ahead(make: Callable[[Item], Made], items: Iterable[Item], workers: int = 2) -> Iterator[Made]:
    """``make(item)`` for each item, in order, computed on ``workers`` threads: at most that
    many are made ahead of the one the caller is at, so memory holds only those."""
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[Made]] = deque()
        for item in items:
            pending.append(pool.submit(make, item))
            if len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def row_columns(
    shown: ScanResult,
    *,
    formula_guard: bool = True,
    lang: Language | None = None,
    first_rank: int = 1,
    whole: Collection[str] | None = None,
) -> dict[str, pa.Array]:
    """Every output column as an Arrow array: rank, as_of, who, how at risk and why, then
    every feature (also what the xlsx sheet is made of). When ``shown`` is a batch of a
    longer list: ``first_rank``, the rank of its first row, and ``whole``, the list's
    :func:`~churnwatch.render.records.whole_features`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from churnwatch.render.records import feature_array, identity_arrays, signal_columns

    rows = shown.count
    columns: dict[str, pa.Array] = {"rank": pa.array(np.arange(first_rank, first_rank + rows))}
    columns["as_of"] = pa.array([shown.cut.as_of_iso] * rows, pa.string()).cast(pa.date32())
    columns |= identity_arrays(shown, lang)
    fired = signal_columns(shown, lang)
    titles = pa.array(fired.titles, pa.string()).take(fired.rule)
    ids = pa.array([rule.id for rule in fired.rules], pa.string()).take(fired.rule)
    detail = fired.detail
    columns["signals"] = fired.joined(ids, "; ")
    columns["reasons"] = fired.joined(pc.binary_join_element_wise(titles, detail, ": "), " | ")
    columns["action"] = fired.first(fired.actions)
    if formula_guard:
        for name in (*TEXT_COLUMNS, "signals", "reasons", "action"):
            columns[name] = safe_text(columns[name])
    columns |= {name: feature_array(shown, name, whole) for name in shown.feature_names}
    return columns


SLICE_ROWS = 50_000
"""Below this many rows a second writer thread is not worth starting."""


def csv_bytes(table: pa.Table, *, delimiter: str = ",") -> bytes:
    """The table as CSV text, the header first, fields quoted only where needed.

    Arrow's writer runs on one core; the two halves of a large table are written on two
    (it releases the GIL) and joined, which gives the same bytes in half the time.
    """
    from concurrent.futures import ThreadPoolExecutor

    halves = [table]
    if table.num_rows >= 2 * SLICE_ROWS:
        middle = table.num_rows // 2
        halves = [table.slice(0, middle), table.slice(middle)]
    with ThreadPoolExecutor(max_workers=len(halves)) as pool:
        texts = list(pool.map(_csv_text, halves, [delimiter] * len(halves), [True, False]))
    return b"".join(texts)


def _csv_text(table: pa.Table, delimiter: str, header: bool) -> bytes:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    buffer = pa.BufferOutputStream()
    options = pacsv.WriteOptions(delimiter=delimiter, quoting_style="needed", include_header=header)
    pacsv.write_csv(table, buffer, options)
    return bytes(buffer.getvalue().to_pybytes())


def in_dialect(table: pa.Table, name: str) -> bytes:
    """A list's CSV (a small one: win-back's) in the dialect ``name`` of
    :data:`CSV_DIALECTS`: its delimiter and decimal mark, its BOM first where it has one."""
    import pyarrow as pa

    dialect = CSV_DIALECTS[name]
    if dialect.decimal != ".":
        columns = (_decimal_comma(column.combine_chunks()) for column in table.columns)
        table = pa.table(dict(zip(table.column_names, columns, strict=True)))
    return (BOM if dialect.bom else b"") + csv_bytes(table, delimiter=dialect.delimiter)


def _decimal_comma(values: pa.Array) -> pa.Array:
    """Decimal numbers written with a comma (for a German spreadsheet); others unchanged."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_floating(values.type):
        return values
    return pc.replace_substring(values.cast(pa.string()), ".", ",")


def safe_text(values: pa.Array) -> pa.Array:
    """Neutralise text a spreadsheet would run as a formula (plain numbers stay numbers).

    Such cells get a leading apostrophe, which spreadsheets show as text.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if values.null_count == len(values):  # a column the export does not have
        return values
    first = pc.utf8_slice_codeunits(values, 0, 1)  # cheaper than a regular expression
    leading = pc.fill_null(pc.is_in(first, pa.array(_FORMULA_STARTS)), False)
    if not pc.any(leading).as_py():  # the usual column: no cell starts like a formula
        return values
    formula = pc.and_(leading, pc.invert(pc.match_substring_regex(values, _NUMBER)))
    quoted = pc.binary_join_element_wise("'", values, "")
    return pc.if_else(pc.fill_null(formula, False), quoted, values)
