"""Load every export of a folder into typed pandas frames sharing one customer coding.

Customer ids become integer codes into one sorted index shared by all sources, so every
later stage groups and joins on small integers. Dates become integer day numbers. The whole
history is loaded once and never cut here: ``churnwatch.timeframe`` takes views of it as of
any reference date, and the rows after a cut-off stay available as labels.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NamedTuple, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.config import Config, SourceConfig, check_exports_folder
from churnwatch.core.domain import is_order
from churnwatch.core.errors import EmptySourceError, InputError
from churnwatch.core.memory import return_freed_memory
from churnwatch.core.paths import resolved
from churnwatch.core.scratch import sweep_once
from churnwatch.core.sources import SOURCES, Column, Kind, Source
from churnwatch.core.words import excerpt, inline, plural
from churnwatch.ingest.arrow_numpy import distinct_digit_strings, to_numpy, whole_numbers
from churnwatch.ingest.csv_reader import SourceTable, read_source
from churnwatch.ingest.customer_ids import Lookalike, Spellings, code_customers
from churnwatch.ingest.date_order import PAID_OUT_OF_REACH, closed_before_opened, paid_out_of_reach
from churnwatch.ingest.duplicates import Twins, candidate_rows, numeric_bits, twins
from churnwatch.ingest.invoice_parts import number_invoice_parts
from churnwatch.ingest.order_lines import combine_order_lines
from churnwatch.ingest.packed import PACKED_SUFFIXES, head_of, is_export_name, packed_names
from churnwatch.ingest.parquet_folder import (
    first_part,
    folder_candidates,
    in_their_parts,
    is_parquet_folder,
    plain_files,
    refuse_parts_as_exports,
    shown,
    writers_marks_only,
)
from churnwatch.ingest.problems import (
    EXAMPLE_CUSTOMERS,
    Level,
    Problem,
    Reason,
    nul_bytes_removed,
)

Made = TypeVar("Made")


@dataclass
class SourceFrame:
    """One loaded source: a frame with a ``customer`` code column and canonical columns.

    The frame's index is each row's position in the file, for line numbers in reports.
    """

    name: str
    table: SourceTable
    frame: pd.DataFrame
    duplicates: int = 0
    dropped: int = 0
    """Rows the loader skipped after reading: no customer id, dates that cannot be right."""
    in_order: str | None = None
    """A column whose values strictly increase, row by row (document numbers, usually): each
    value once."""

    @property
    def rows_skipped(self) -> int:
        return self.table.rows_skipped + self.dropped

    @property
    def path(self) -> Path:
        return self.table.path


@dataclass
class Dataset:
    """Everything loaded from one exports folder: the full history, never cut."""

    folder: Path
    customer_ids: pd.Index
    sources: dict[str, SourceFrame]
    problems: list[Problem] = field(default_factory=list)
    exports: dict[str, Path] = field(default_factory=dict)
    """Each source's export as the user named it: where later notes' lines are placed."""

    def has(self, source: str) -> bool:
        return source in self.sources

    def frame(self, source: str) -> pd.DataFrame:
        return self.sources[source].frame


def ordering_customers(orders: pd.DataFrame) -> int:
    """Customers with at least one order (credit notes alone do not count)."""
    return distinct_customers(orders["customer"].to_numpy()[is_order(orders["amount"].to_numpy())])


def distinct_customers(codes: np.ndarray) -> int:
    """How many different customer codes there are: each code marks its place, which is
    cheaper than hashing ten million of them, and takes two thirds of the time of
    ``bincount``, which first widens them to 64 bits. The codes of rows without a customer
    (-1) must have been dropped."""
    if not codes.size:
        return 0
    if int(codes.min()) < 0:
        raise ValueError("customer codes must not be negative")
    seen = np.zeros(int(codes.max()) + 1, dtype=bool)
    seen[codes] = True
    return int(np.count_nonzero(seen))


DECAY_MS = 100
"""How long Arrow's pool keeps freed memory before it goes back to the system."""


def use_jemalloc() -> None:
    """Arrow's jemalloc pool, keeping freed memory for :data:`DECAY_MS`, where this pyarrow
    has it and the user chose no other pool (``ARROW_DEFAULT_MEMORY_POOL``).

    Arrow's CSV reader frees each block's buffers as it goes: a pool that gives them back to
    the system at once (decay 0) makes the kernel clear fresh pages for every block, a pool
    that keeps them for seconds keeps the read's memory beside the scan's own arrays. Paired
    runs at 10 M orders: 0.94× the wall time of decay 0 (0.92-0.95), 1.09× its peak (1,590
    against 1,448 MiB); 300 ms was as fast with the same peak. With jemalloc's default
    decay the peak was up to a quarter higher: what it keeps does not go back even when
    asked (``release_unused``).
    """
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    with contextlib.suppress(NotImplementedError):  # built without it (Windows): the default
        if pa.default_memory_pool().backend_name != "jemalloc":
            pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(DECAY_MS)  # for the arenas made from now on: all of this run's


def load_dataset(
    folder: Path, config: Config, *, outside: bool = False, part: bool = False
) -> Dataset:
    """Read all present sources, code customers, drop blank ids and exact duplicates.

    ``outside``: the config was given explicitly, so its ``path`` settings may point outside
    the exports folder; a config found in a shared folder may not. ``part``: the folder holds
    a part of an export, whose sources may have no rows here (no orders either): such a
    source is left out of the part without a word, the export as a whole decides.
    """
    check_exports_folder(folder)
    sweep_once()  # what runs killed while reading left in the temporary directory
    use_jemalloc()
    tables, problems, exports = _read_all(folder, config, outside, part=part)
    if not tables:  # a part whose every source is empty here
        return Dataset(folder, pd.Index([], name="customer_id", dtype=object), {}, problems)
    # Customer coding (pyarrow) overlaps on two cores with the duplicate pre-filter and the
    # columns' conversion to numpy (copies whose fresh pages the kernel clears: 0.2-0.6 s of
    # system time at 10 M orders, which had the other core idle).
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = {name: pool.submit(_duplicate_candidates, t) for name, t in tables.items()}
        converted = {name: pool.submit(_columns, t) for name, t in tables.items()}
        coded = code_customers(
            {name: table.table.column("customer_id") for name, table in tables.items()},
            ignore_leading_zeros=config.customer_ids.ignore_leading_zeros,
        )
        columns = shared_out(converted, lambda name: _columns(tables[name]))
        candidates, in_order = {}, {}
        for name, future in pending.items():
            candidates[name], in_order[name] = future.result()
        frames = {
            name: _to_frame(table, coded.codes[name], in_order[name], columns[name])
            for name, table in tables.items()
        }
    ids = coded.ids
    problems.extend(
        _nul_note(table, coded.with_nul[name])
        for name, table in tables.items()
        if coded.with_nul[name].size
    )
    problems.extend(_checked(frames, candidates, ids))
    _release_tables(tables)
    if not part and frames["orders"].frame.empty:
        raise InputError(f"{frames['orders'].path}: no orders with a customer id left to score")
    with_orders = ordering_mask(frames, len(ids))
    # Ids that differ in spelling are two customers in two parts: the export says so.
    if part:
        problems.extend(_orphans(frames, ids, None, with_orders))
        return Dataset(folder, ids, frames, problems)
    spellings = Spellings(coded.text, with_orders)
    problems.extend(_orphans(frames, ids, spellings, with_orders))
    if "orders" in frames:
        problems.extend(lookalike_twins(frames["orders"], spellings))
    said = in_their_parts(problems, exports) + unread_twins(folder, exports)
    return Dataset(folder, ids, frames, said, exports)


def _checked(
    frames: dict[str, SourceFrame], candidates: dict[str, np.ndarray], ids: pd.Index
) -> list[Problem]:
    """Each source's rows checked once its customers are coded: blank ids and exact
    duplicates dropped, then what is the source's own (order lines combined, invoice parts
    numbered, ...). The sources are independent: the orders are checked on a second thread
    while the others are checked here (0.24 s on one core at 10 M orders), and the problems
    are put in the order of the steps, source by source within each, as one after the other
    would find them."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = next(iter(frames))
        pending = pool.submit(_source_checked, frames[first], candidates[first], ids)
        found = {
            name: _source_checked(frame, candidates[name], ids)
            for name, frame in frames.items()
            if name != first
        }
        found = {first: pending.result(), **found}
    return [
        problem for step in zip(*found.values(), strict=True) for said in step for problem in said
    ]


def _source_checked(
    frame: SourceFrame, candidates: np.ndarray, ids: pd.Index
) -> tuple[list[Problem], list[Problem], list[Problem]]:
    """One source's checks (see :func:`_checked`): its blank ids, its duplicates, and the
    problems of its own checks."""
    with_id = frame.frame["customer"].to_numpy() >= 0
    blank = _drop_blank_ids(frame)
    duplicates = _drop_duplicates(frame, _among(candidates, with_id))
    return blank, duplicates, _own_checks(frame, ids)


def _own_checks(frame: SourceFrame, ids: pd.Index) -> list[Problem]:
    """The checks of a source's own, once blank ids and duplicates are dropped."""
    match frame.name:
        case "orders":
            return combine_order_lines(frame)
        case "payments":
            return number_invoice_parts(frame) + _drop_paid_out_of_reach(frame)
        case "complaints":
            return closed_before_opened(frame)
        case "customers":
            return _repeated_customers(frame, ids)
    return []


def unread_twins(folder: Path, exports: dict[str, Path]) -> list[Problem]:
    """Files in the exports folder that begin with the header of a source's export but are
    not read: an export split in two (``orders_2024.csv``, ``orders_2025.csv.gz``, a folder of
    Parquet parts ``orders_2023/`` beside ``orders.csv``), of which churnwatch reads one; the
    rows of the other would be missing without a word. Only the start of each export-like
    file is read (unpacked as far as that), or a Parquet file's column names (a folder's
    first part's)."""
    headers = {name: line for name, path in exports.items() if (line := _first_line(path))}
    if not headers:
        return []
    read = {path.resolve() for path in exports.values()}
    found = []
    for candidate in sorted(folder.iterdir()):
        if candidate.name.startswith((".", "~$")) or not _may_be_export(candidate):
            continue
        if candidate.resolve() in read:
            continue
        line = _first_line(candidate)
        twin = next((name for name, header in headers.items() if line == header), None)
        if twin is not None:
            found.append(_unread_twin(twin, exports[twin], candidate))
    return found


def _may_be_export(path: Path) -> bool:
    """A file named as an export is, or a folder whose first file is a Parquet part."""
    if path.is_file():
        return is_export_name(path.name)
    return first_part(path) is not None


def _first_line(path: Path) -> bytes | None:
    """A file's first line, whatever its case, quotes, blanks and delimiters, without a
    byte-order mark (None: unreadable or empty): ``ORDER_ID,CUSTOMER_ID`` of an older
    export is the header of ``order_id;customer_id``, and of a Parquet file with those
    columns."""
    head = head_of(path, 1 << 16)
    line = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].lower()
    return re.sub(rb'[,;\t|"\s]+', b",", line).strip(b",") or None


def _unread_twin(name: str, export: Path, twin: Path) -> Problem:
    return Problem(
        name,
        shown(twin),
        Reason.UNREAD_TWIN,
        f"begins with the header of {shown(export)}, the {name} export, but is not read:"
        " churnwatch reads one file per source, so its rows are missing; put the rows of"
        f" both into one file (or name the one to read in sources.{name}.path)",
    )


def shared_out(futures: dict[str, Future[Made]], work: Callable[[str], Made]) -> dict[str, Made]:
    """The futures' values, those the pool has not started yet (the last first) worked out on
    this thread instead, which is otherwise idle while the pool's one thread works through
    them. The conversion to numpy is mostly the kernel clearing fresh pages: the two
    sources' copies on two cores instead of one after the other."""
    done_here: dict[str, Made] = {}
    for name in reversed(list(futures)):
        if futures[name].cancel():
            done_here[name] = work(name)
    return {
        name: done_here[name] if name in done_here else f.result() for name, f in futures.items()
    }


def _read_all(
    folder: Path, config: Config, outside: bool, *, part: bool = False
) -> tuple[dict[str, SourceTable], list[Problem], dict[str, Path]]:
    """The sources' tables, the problems found reading them, and each export read."""
    tables: dict[str, SourceTable] = {}
    problems: list[Problem] = []
    exports: dict[str, Path] = {}
    for name, source in SOURCES.items():
        settings = config.sources.get(name)
        path = source_path(folder, source, settings, outside=outside)
        if path is None:
            if (unread := unread_instead(folder, source, settings)) is not None:
                problems.append(not_read(source, unread))
            continue
        exports[name] = path
        try:
            table = read_source(path, source, settings, count_values=part)
        except EmptySourceError as exc:
            if part:
                continue
            if source.required:
                raise
            problems.append(left_out(name, path, exc.reason))
            continue
        if table.table.num_rows == 0 and source.required and not part:
            raise InputError(no_valid_rows(path, table.problems))
        problems.extend(table.problems)
        if table.table.num_rows == 0 and not part:  # scored, it would read as "no complaints"
            problems.append(all_skipped(table))
            continue
        tables[name] = table
    return tables, problems, exports


def left_out(name: str, path: Path, reason: str) -> Problem:
    """The note on an optional source whose file has no rows: it is left out."""
    return Problem(name, path.name, Reason.EMPTY, f"{reason}; {name} is left out", count=0)


def all_skipped(table: SourceTable) -> Problem:
    """Every row of an optional source was skipped: it is left out like an absent one."""
    name = table.source.name
    what = (
        f"all {table.rows_read:,} rows were skipped (see above)"
        if table.rows_read
        else "no row holds data (see above)"  # empty rows, a footer: left out, not skipped
    )
    return Problem(
        name,
        table.path.name,
        Reason.EMPTY,
        f"{what}; {name} is left out, and the rules that need it are not applicable",
        count=table.rows_read,
    )


def no_valid_rows(path: Path, problems: list[Problem]) -> str:
    """The error on orders of which no row could be read, with the reason that skipped the
    most rows (the first of them; not a note on rows that were read, which may come first)."""
    skipping = [problem for problem in problems if problem.skipped]
    warnings = [problem for problem in problems if problem.level is Level.WARNING]
    if skipping:
        why: Problem | None = max(skipping, key=lambda problem: problem.count)
    else:
        why = next(iter(warnings or problems), None)
    return f"{path}: no valid rows; {why.describe() if why else 'every row was rejected'}"


def source_path(
    folder: Path, source: Source, settings: SourceConfig, *, outside: bool = False
) -> Path | None:
    """Where a source's file is; ``None`` for an optional source that is simply not there."""
    if not settings.enabled:
        if source.required:
            raise InputError(f"sources.{source.name}: the orders source cannot be disabled")
        return None
    path = folder / (settings.path or source.default_file)
    try:
        return _existing(folder, path, source, settings, outside=outside)
    except OSError as exc:  # a name too long, a loop of links, …
        shown = str(path) if len(str(path)) <= 120 else str(path)[:120] + "…"
        setting = f"sources.{source.name}.path: " if settings.path else ""
        raise InputError(f"{setting}{shown}: {exc.strerror}") from None


def _existing(
    folder: Path, path: Path, source: Source, settings: SourceConfig, *, outside: bool
) -> Path | None:
    if not outside and not resolved(path).is_relative_to(folder.resolve()):
        if not settings.path:  # the export's own name: a link placed in the folder
            raise _link_out(path, folder)
        raise InputError(
            f"sources.{source.name}.path: {path} lies outside the exports folder {folder};"
            " a churnwatch.toml found in the folder may only name files inside it (pass the"
            " config with --config to allow other places)"
        )
    _refuse_special(path)
    if path.is_dir() and not is_parquet_folder(path):
        raise InputError(
            f"{path}: is a folder without Parquet parts, not a CSV file (a folder is read only"
            " as the Parquet parts of one table)"
        )
    found = [path] if path.is_file() or is_parquet_folder(path) else []
    if not settings.path:  # the default name: the export may come packed or as Parquet
        packed = [path.with_name(name) for name in packed_names(path.name)]
        for candidate in packed:
            _refuse_special(candidate)
        found += [candidate for candidate in packed if candidate.is_file()]
        named, bare = folder_candidates(path)  # orders.parquet/ always; orders/ if nothing else
        found += [f for f in (named, *([] if found else [bare])) if is_parquet_folder(f)]
        if not found and named.is_dir():  # orders.parquet/ without parts: said as empty
            found = [named]
        if len(found) > 1:
            raise InputError(
                f"{folder}: several {source.name} files: {', '.join(shown(p) for p in found)}",
                hint=f"keep one, or set sources.{source.name}.path in churnwatch.toml",
            )
    if found:
        if not outside and not resolved(found[0]).is_relative_to(folder.resolve()):
            raise _link_out(found[0], folder)
        return found[0]
    if source.required and (unread := unread_instead(folder, source, settings)):
        raise InputError(
            f"{path}: {source.name} file not found; {shown(unread.path)} is {unread.what}:"
            f" {unread.fix}"
        )
    if source.required and not settings.path:
        refuse_parts_as_exports(folder)
    if source.required or settings.path:
        raise InputError(
            f"{path}: {source.name} file not found",
            hint=f"set sources.{source.name}.path in churnwatch.toml or run `churnwatch init`"
            if source.required
            else None,
        )
    return None


SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".ods")
OTHER_PACKING = (
    ".lzma",
    ".7z",
    ".rar",
    ".tar",
    ".tgz",
    ".txz",
    ".tar.gz",
    ".tar.zst",
    ".tar.xz",
    ".tar.bz2",
)
"""Packed in a way churnwatch does not unpack (or several files in one archive)."""
PARQUET_PACKING = PACKED_SUFFIXES
"""Packings of a Parquet file (``orders.parquet.gz``), which churnwatch reads unpacked only."""
CSV_PART_SUFFIXES = tuple(
    kind + packing for kind in (".csv", ".tsv") for packing in ("", *PACKED_SUFFIXES)
)
"""The names of CSV parts as writers name them (Spark's ``part-00000-….csv.gz``)."""
UNPACKED_KINDS = ", ".join(PACKED_SUFFIXES[:-1]) + " or " + PACKED_SUFFIXES[-1]
"""The packings churnwatch unpacks, as a message names them."""


class Unread(NamedTuple):
    """A file saved where a source's export belongs, in a form churnwatch does not read."""

    path: Path
    what: str
    """What it is, said after "is": "a spreadsheet, which churnwatch does not read"."""
    fix: str
    """What to do instead."""
    code: Reason = Reason.SPREADSHEET
    level: Level = Level.WARNING


def _refuse_special(path: Path) -> None:
    """A named pipe, socket or device under an export's name (packed too: ``orders.csv.gz``)
    is said, not passed over as if the export were not there."""
    if (error := special_file_error(path)) is not None:
        raise error


def special_file_error(path: Path) -> InputError | None:
    """What to say of ``path`` when it is a named pipe, socket or device (None: it is not)."""
    if not path.exists() or path.is_file() or path.is_dir():
        return None
    return InputError(
        f"{path}: not a file but a named pipe, socket or device; churnwatch reads an export"
        " more than once: save it as a file"
    )


def unread_instead(folder: Path, source: Source, settings: SourceConfig) -> Unread | None:
    """A workbook (``orders.xlsx``) or an archive churnwatch does not unpack
    (``orders.csv.xz``) under the export's default name, where no export was found; an
    export there that the configuration switches off (a note: its signals are off)."""
    if not settings.enabled:
        path = folder / (settings.path or source.default_file)
        if not path.exists():
            return None
        fix = "delete that line to read it (with any column it lacks mapped)"
        what = "switched off in churnwatch.toml (enabled = false)"
        return Unread(path, what, fix, Reason.SWITCHED_OFF, Level.NOTE)
    if settings.path:
        return None
    name = source.default_file
    stem = Path(name).stem
    for suffix in SPREADSHEETS:
        if (workbook := folder / (stem + suffix)).is_file():
            return Unread(
                workbook, "a spreadsheet, which churnwatch does not read", save_as_csv(workbook)
            )
    for suffix in OTHER_PACKING:
        for candidate in (folder / (name + suffix), folder / (stem + suffix)):
            if candidate.is_file():
                fix = f"unpack it to {name}, or pack {name} alone as {UNPACKED_KINDS}"
                what = "packed in a form churnwatch does not unpack"
                return Unread(candidate, what, fix, Reason.UNREAD_ARCHIVE)
    for suffix in PARQUET_PACKING:
        if (candidate := folder / f"{stem}.parquet{suffix}").is_file():
            fix = f"unpack it to {stem}.parquet (Parquet compresses its columns itself)"
            what = "a packed Parquet file, which churnwatch does not unpack"
            return Unread(candidate, what, fix, Reason.UNREAD_ARCHIVE)
    if (bare := folder / stem).is_dir() and not is_parquet_folder(bare):
        return _unread_folder(bare, source)
    return None


def _unread_folder(bare: Path, source: Source) -> Unread | None:
    """A folder under the export's name (``payments/``) that a writer left without Parquet
    parts: CSV parts, which are not joined into one export, or nothing but its marks
    (``_SUCCESS``). A folder of anything else is none of churnwatch's business."""
    name = source.default_file
    if parts := [f for f in plain_files(bare) if f.name.lower().endswith(CSV_PART_SUFFIXES)]:
        first = inline(parts[0].relative_to(bare).as_posix())
        return Unread(
            bare,
            f"a folder of CSV parts ({first}{', …' if len(parts) > 1 else ''}), which churnwatch"
            " does not join into one export",
            f"join them into one {name} with a single header line, or write the table as"
            " Parquet parts",
            Reason.UNREAD_FOLDER,
        )
    if writers_marks_only(bare):
        return Unread(
            bare,
            "a folder without parts (only its writers' own files)",
            f"export the {source.name} into it again, or save {name} beside it",
            Reason.UNREAD_FOLDER,
        )
    return None


def save_as_csv(workbook: Path) -> str:
    """What to do with a workbook saved where an export belongs."""
    return f"save the sheet as CSV ({workbook.with_suffix('.csv').name})"


def not_read(source: Source, unread: Unread) -> Problem:
    """An optional source saved in a form churnwatch does not read: left out, and said so
    (its signals are off)."""
    return Problem(
        source.name,
        shown(unread.path),
        unread.code,
        f"{unread.what}; the {source.name} are left out: {unread.fix}",
        level=unread.level,
    )


def _link_out(path: Path, folder: Path) -> InputError:
    """An export that is a link to a file elsewhere: exports folders are shared, so a link
    placed in one is not followed unless the user vouches for it."""
    return InputError(
        f"{path}: a link to a file outside the exports folder {folder}; copy the file into the"
        " folder, or name it in a churnwatch.toml passed with --config, which may point anywhere"
    )


def _among(positions: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Row positions (ascending) renumbered among the ``kept`` rows; the others left out."""
    if kept.all():
        return positions
    renumbered = np.cumsum(kept) - 1
    return renumbered[positions[kept[positions]]]


def _nul_note(table: SourceTable, rows: np.ndarray) -> Problem:
    """Ids are read without NUL bytes (``C2\\x00`` is ``C2``), which some exporters leave
    behind, and without invisible characters at their ends: say where."""
    positions = rows if table.positions is None else table.positions[rows]
    lines = table.first_lines(positions)
    column = table.columns["customer_id"]
    removed = "NUL bytes or invisible characters (a zero-width space, a byte-order mark)"
    note = nul_bytes_removed(
        table.source.name, table.path.name, column, lines, int(rows.size), removed=removed
    )
    return replace(note, found_by="loader")


def _release_tables(tables: dict[str, SourceTable]) -> None:
    """The frames now hold what the scan needs (their text columns as zero-copy views): the
    rest of what was read, such as each block's id dictionary and the Arrow copies of dates
    and amounts, goes back to the system before the scan allocates its own arrays (at once
    from a pool that honours ``release_unused``; from jemalloc after :data:`DECAY_MS`), as
    does what malloc holds freed (the reading's numpy copies)."""
    for table in tables.values():
        table.table = table.table.schema.empty_table()
    pa.default_memory_pool().release_unused()
    return_freed_memory()


def _columns(table: SourceTable) -> dict[str, object]:
    """The source's columns but the customer id, as the frame holds them."""
    return {
        column.name: _to_values(table.table.column(column.name), column)
        for column in table.source.columns
        if column.name != "customer_id" and column.name in table.table.column_names
    }


def _to_frame(
    table: SourceTable, customer: np.ndarray, in_order: str | None, columns: dict[str, object]
) -> SourceFrame:
    data: dict[str, object] = {"customer": customer, **columns}
    frame = pd.DataFrame(data, index=table.positions, copy=False)
    return SourceFrame(table.source.name, table, frame, in_order=in_order)


def _to_values(values: pa.ChunkedArray, column: Column) -> object:
    """numpy for dates (int32 days, or float with NaN where a date may be empty) and numbers."""
    if column.kind is Kind.DATE and column.value_required:
        return to_numpy(values, np.int32).astype(np.int32, copy=False)  # empty rows: skipped
    if column.kind in (Kind.DATE, Kind.NUMBER):
        return to_numpy(values, np.float64)
    if column.kind is Kind.CATEGORY:
        codes = values.combine_chunks().indices.fill_null(-1).to_numpy()
        return pd.Categorical.from_codes(codes, categories=pd.Index(list(column.vocabulary)))
    # Zero-copy (text is only shown); `.array` so no index of its own gets aligned.
    return values.to_pandas(types_mapper=pd.ArrowDtype).array


def _drop_blank_ids(frame: SourceFrame) -> list[Problem]:
    """Rows whose customer id is only blanks or NUL bytes have no customer: skip them."""
    blank = frame.frame["customer"].to_numpy() < 0
    frame.dropped += int(blank.sum())
    column = frame.table.columns["customer_id"]
    return _drop_rows(frame, blank, Reason.MISSING_VALUE, "missing value", column=column)


def _drop_paid_out_of_reach(payments: SourceFrame) -> list[Problem]:
    """Invoices whose paid date cannot be right (:func:`paid_out_of_reach`): skip them."""
    wrong = paid_out_of_reach(payments.frame)
    payments.dropped += int(wrong.sum())
    column = payments.table.columns["paid_date"]
    return _drop_rows(payments, wrong, Reason.DATE_ORDER, PAID_OUT_OF_REACH, column=column)


def _drop_rows(
    frame: SourceFrame,
    mask: np.ndarray,
    code: Reason,
    message: str,
    *,
    column: str | None = None,
) -> list[Problem]:
    """Remove the masked rows and report them, with the lines of the first few."""
    if not mask.any():
        return []
    positions = frame.frame.index.to_numpy()[mask]
    frame.frame = frame.frame[~mask]
    problem = Problem(
        frame.name,
        frame.path.name,
        code,
        message,
        column=column,
        count=int(mask.sum()),
        lines=frame.table.first_lines(positions),
        skipped=True,
        found_by="loader",
    )
    return [problem]


def _duplicate_candidates(table: SourceTable) -> tuple[np.ndarray, str | None]:
    """Rows that may have an exact twin, judged by the numeric columns alone; and the column
    found strictly increasing, if one was.

    None at all if some column is strictly increasing, as document numbers in an export
    sorted by them are: rows that differ in one column cannot be duplicates. Document
    numbers are looked at first, since they usually settle it before any copying.
    """
    none = np.empty(0, dtype=np.intp)
    present = [column for column in table.source.columns if column.name in table.columns]
    as_read = [c for c in present if c.kind is not Kind.ID]  # ids are compared trimmed
    for column in as_read:
        if _strictly_increasing(table.table.column(column.name)):
            return none, column.name
    for column in present:
        if column.kind in (Kind.ID, Kind.TEXT) and distinct_digit_strings(
            table.table.column(column.name)
        ):
            return none, column.name  # document numbers in order, as text: no twins
    documents = [
        (column.name, numbers)
        for column in present
        if column.kind in (Kind.ID, Kind.TEXT)
        and (numbers := whole_numbers(table.table.column(column.name))) is not None
    ]
    for name, numbers in documents:
        if _strictly_increasing(numbers):
            return none, name  # document numbers in order: no twins
    # Document numbers first: nearly every row is told apart by them at once.
    columns = [to_numpy(numbers.fill_null(-1)) for _, numbers in documents]
    for column in present:
        values = table.table.column(column.name)
        if column.kind is Kind.CATEGORY:
            columns.append(np.asarray(values.combine_chunks().indices.fill_null(-1)))
        elif column.kind not in (Kind.ID, Kind.TEXT):
            columns.append(numeric_bits(to_numpy(values)))
    return (candidate_rows(columns) if columns else np.arange(table.table.num_rows)), None


def _strictly_increasing(column: pa.ChunkedArray) -> bool:
    if len(column) < 2 or column.null_count or pa.types.is_dictionary(column.type):
        return False
    later = column.slice(1)
    earlier = column.slice(0, len(column) - 1)
    return bool(pc.all(pc.greater(later, earlier)).as_py())


def _drop_duplicates(frame: SourceFrame, candidates: np.ndarray) -> list[Problem]:
    """Drop exact duplicate rows, keeping the first: rows equal in every column loaded, and
    in the columns not loaded too (two lines of one order, for different products, agree in
    customer, date and amount, and are no duplicates)."""
    found = twins(frame.frame, candidates)
    duplicated = found.later_copies(len(frame.frame))
    if duplicated.any():
        duplicated = _whole_rows_repeated(frame, found, duplicated)
    frame.duplicates = int(duplicated.sum())
    return _drop_rows(frame, duplicated, Reason.DUPLICATE, "exact duplicate of an earlier row")


def _whole_rows_repeated(frame: SourceFrame, found: Twins, repeated: np.ndarray) -> np.ndarray:
    """Of the rows ``repeated`` in the columns loaded, those whose whole line is repeated:
    every row with a twin is read again from the export and compared whole."""
    positions = frame.frame.index.to_numpy()[found.rows]
    again = frame.table.repeated(positions, found.kinds)
    if again is None:  # nothing more to compare
        return repeated
    whole = np.zeros(len(frame.frame), dtype=bool)
    whole[found.rows] = again
    return whole


def _repeated_customers(frame: SourceFrame, ids: pd.Index) -> list[Problem]:
    """Master data is one row per customer: where a customer has several rows (that differ:
    exact copies are dropped before), the first row's name, owner and e-mail are used."""
    codes = frame.frame["customer"].to_numpy()
    later = pd.Index(codes).duplicated(keep="first")
    if not later.any():
        return []
    customers = np.unique(codes[later])
    positions = frame.frame.index.to_numpy()[later]
    return [
        Problem(
            frame.name,
            frame.path.name,
            Reason.REPEATED_CUSTOMER,
            repeated_customers_found(customers.size),
            column=frame.table.columns["customer_id"],
            count=int(later.sum()),
            lines=frame.table.first_lines(positions),
            examples=tuple(str(ids[code]) for code in customers[:EXAMPLE_CUSTOMERS]),
            tally=(customers.size,),
            wording=repeated_customers_found,
        )
    ]


def repeated_customers_found(customers: int) -> str:
    return (
        f"{plural(customers, 'customer')} on more than one row; the first row of each is used,"
        " the others are ignored"
    )


def lookalike_hint(spellings: Spellings, orphans: np.ndarray) -> str:
    """Say so when orphan ids equal ordering customers' ids but for their spelling (leading
    zeros, case, separators: the ways :attr:`Spellings.possible` holds); the first way that
    finds some is said."""
    for lookalike in spellings.possible:
        if hint := _lookalike_hint(lookalike, spellings, orphans):
            return hint
    return ""


def _lookalike_hint(lookalike: Lookalike, spellings: Spellings, orphans: np.ndarray) -> str:
    """The orphans' ids looked up among the ordering customers' as ``lookalike`` keys them,
    on whole columns (there may be millions)."""
    spelt = spellings.spelt(lookalike)
    keys = spelt.key[orphans]
    matched = np.flatnonzero(keys >= 0)
    matched = matched[spelt.sharing[keys[matched]] > 0]
    if not matched.size:
        return ""
    first = int(matched[0])
    mine = spellings.text[int(orphans[first])].as_py()
    # where several ordering ids agree but for their spelling, the last (in id order) is shown
    theirs = spellings.text[int(spelt.last[keys[first]])].as_py()
    count = matched.size
    return (
        f"; {plural(count, 'id')} {'differs' if count == 1 else 'differ'} from an"
        f" ordering customer's {lookalike.differ}: '{inline(excerpt(mine))}' vs"
        f" '{inline(excerpt(theirs))}' in the orders{_one_customer(lookalike)}"
    )


def _or_set(lookalike: Lookalike) -> str:
    return f" or set {lookalike.setting} in churnwatch.toml" if lookalike.setting else ""


def _one_customer(lookalike: Lookalike) -> str:
    """How to have such spellings read as one customer, where a setting does it."""
    if not lookalike.setting:
        return ""
    return f" (if they are one customer, set {lookalike.setting} in churnwatch.toml)"


def lookalike_twins(orders: SourceFrame, spellings: Spellings) -> list[Problem]:
    """Ordering customers whose ids differ only in their spelling (``00123`` and ``123``,
    ``KD-007`` and ``KD-7``, ``MUELLER`` and ``Mueller``): two customers to churnwatch, most
    likely one to the business, each with part of its orders. Looked for only in the ways
    the ids may hold (:attr:`Spellings.possible`)."""
    return [
        twins
        for lookalike in spellings.possible
        if (twins := _twins(lookalike, orders, spellings)) is not None
    ]


def _twins(lookalike: Lookalike, orders: SourceFrame, spellings: Spellings) -> Problem | None:
    spelt = spellings.spelt(lookalike)
    keys = spelt.key[spelt.ordering]
    twins = np.flatnonzero(spelt.sharing[keys] > 1)
    if not twins.size:
        return None
    pair = spelt.ordering[keys == keys[twins[0]]][:2]
    first, second = (str(spellings.text[int(code)].as_py()) for code in pair)
    return Problem(
        orders.name,
        orders.path.name,
        lookalike.reason,
        f"{plural(int((spelt.sharing > 1).sum()), 'customer id')} written {lookalike.written}"
        f" ('{inline(excerpt(first))}' and '{inline(excerpt(second))}'): each spelling is a"
        " customer of its own, with part of the orders; if they are one, export the ids in"
        f" one form{_or_set(lookalike)}",
        column=orders.table.columns["customer_id"],
        count=int(twins.size),
    )


def ordering_mask(frames: dict[str, SourceFrame], customers: int) -> np.ndarray:
    """Per customer code, whether the customer has orders (the others are orphans)."""
    with_orders = np.zeros(customers, dtype=bool)
    if "orders" in frames:
        with_orders[frames["orders"].frame["customer"].to_numpy()] = True
    return with_orders


def orphan_rows(frame: SourceFrame, with_orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``frame`` whose customer has no orders (a mask), and those customers."""
    codes = frame.frame["customer"].to_numpy()
    orphan = ~with_orders[codes]
    return orphan, np.unique(codes[orphan])


def _orphans(
    frames: dict[str, SourceFrame],
    ids: pd.Index,
    spellings: Spellings | None,
    with_orders: np.ndarray,
) -> list[Problem]:
    """Customers who appear in a source but have no orders (e.g. a mistyped customer id);
    ``spellings``: the ids and the ways they may be spelt twice (None, for a part of an
    export: no hint on spellings, which the whole gives), ``with_orders``: a mask of the
    customers with orders."""
    problems = []
    for name, frame in frames.items():
        if name == "orders":
            continue
        orphan, customers = orphan_rows(frame, with_orders)
        if customers.size:
            tally = (int(orphan.sum()), customers.size)
            hint = ""
            if spellings is not None:
                hint = lookalike_hint(spellings, customers)
            problems.append(
                Problem(
                    name,
                    frame.path.name,
                    Reason.ORPHAN,
                    orphans_found(*tally) + hint,
                    column=frame.table.columns["customer_id"],
                    count=int(orphan.sum()),
                    lines=frame.table.first_lines(frame.frame.index.to_numpy()[orphan]),
                    examples=tuple(str(ids[c]) for c in customers[:EXAMPLE_CUSTOMERS]),
                    level=orphans_level(name, spellings is not None and bool(orphan.all()), hint),
                    tally=tally,
                    wording=None if hint else orphans_found,  # a hint names one pair
                )
            )
    return problems


def orphans_level(source: str, all_orphans: bool, hint: str) -> Level:
    """Master data lists prospects and former customers (a note), unless its ids look like
    another spelling of the orders' or none of its customers ordered (``all_orphans``, said
    of the whole export): then the names, segments and owners of the listed customers are
    lost (a warning). Another source's rows without orders are a warning."""
    if source == "customers" and not hint and not all_orphans:
        return Level.NOTE
    return Level.WARNING


def orphans_found(rows: int, customers: int) -> str:
    return f"{plural(rows, 'row')} for {plural(customers, 'customer')} with no orders"
