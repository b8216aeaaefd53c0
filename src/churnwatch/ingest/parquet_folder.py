"""A Parquet export written as a folder of parts, as Spark, DuckDB (``PER_THREAD_OUTPUT``,
``PARTITION_BY``), Polars, pandas and Arrow datasets write a table: ``orders.parquet/
part-0.parquet``, …, maybe in Hive-style subfolders (``year=2024/``) whose names hold a
column's value.

The parts are read in place as one Arrow dataset, in the order of their names (``part-2``
before ``part-10``), by the same code as a single Parquet export, and every message names the
folder; a message places each line in its part (``orders/part-10.parquet:3``). A part is told
by its first bytes, not its name (Hive's ``000000_0`` has no suffix).
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from churnwatch.core.errors import EmptySourceError, InputError
from churnwatch.core.paths import resolved
from churnwatch.core.words import inline
from churnwatch.ingest.parquet_text import as_text
from churnwatch.ingest.problems import PartLines, Problem

if TYPE_CHECKING:
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

PARQUET_MAGIC = b"PAR1"
WRITERS_MARKS = (".", "_")
"""Names a writer gives its own files and folders (``_SUCCESS``, ``_metadata``, ``.crc``
checksums, ``_temporary``), never data: Spark's, Hadoop's and Arrow's readers skip them too."""
INT96_UNIT = "us"
"""The unit Spark's, Hive's and Impala's old timestamps (Parquet's INT96) are read in.
pyarrow's default, nanoseconds, holds only the years 1677 to 2262 and wraps a date beyond
them into another, plausible one: a year typed 2525 became 1940, a ``9999-12-31`` 1816."""
FOLDER_MARK = "_$folder$"
"""The empty object S3 tools (EMR, Glue) write beside a "folder": ``year=2024_$folder$``."""
TABLE_LOGS = {
    "_delta_log": "a Delta Lake table",
    ".hoodie": "an Apache Hudi table",
    "metadata": "an Apache Iceberg table",
}
"""Folders of a table format whose log says which parts are current: read as plain parts, old
versions of rewritten rows would be read beside the new ones."""
Facts = tuple[int, int, int, int, int]
"""A file's device, inode, size and modification and change times: what tells that it was
written again, replaced or made unreadable since it was last looked at."""


def is_parquet_folder(path: Path) -> bool:
    """Whether ``path`` is a folder holding a Parquet file (below it, at any depth). A folder
    that cannot be listed is not one (an export beside it is read as before)."""
    try:
        if not path.is_dir():
            return False
        return any(_starts_as_parquet(file) for file in _walk(path, quiet=True))
    except OSError:
        return False


def first_part(path: Path) -> Path | None:
    """A folder's first file in name order where it is a Parquet part (None: no folder, or
    not one of parts): enough to see the columns of a folder beside the exports without
    walking the whole of it (a folder of something else may hold many files)."""
    try:
        if not path.is_dir():
            return None
        first = next(_walk(path, quiet=True), None)
    except OSError:
        return None
    return first if first is not None and _starts_as_parquet(first) else None


def refuse_parts_as_exports(folder: Path) -> None:
    """A folder given as the exports that holds the parts of one table (``orders/``: only
    Parquet files, at least two, all with the same columns) is one clear error pointing at
    the folder above, instead of one part taken for the orders and the others for extra
    orders exports (and ``init`` writing its config among the parts)."""
    try:
        files = list(_walk(folder, quiet=True))
        if len(files) < 2 or not all(_starts_as_parquet(file) for file in files):
            return
        columns = {tuple(_part_schema(file).names) for file in files}
    except (OSError, InputError):
        return
    if len(columns) == 1:
        above = folder.parent if folder.name not in ("", "..") else folder.resolve().parent
        raise InputError(
            f"{inline(str(folder))}: holds the Parquet parts of one export, not the exports",
            hint=f"pass the folder that contains it: {inline(str(above))}",
        )


def refuse_no_parts(path: Path) -> None:
    """An export that is a folder without parts (a writer's ``_SUCCESS`` alone) is as empty as
    a CSV with only its header: a required source's error, an optional one left out."""
    if path.is_dir() and not is_parquet_folder(path):
        raise EmptySourceError(f"{inline(str(path))}/", EmptySourceError.NO_PARTS)


def plain_files(folder: Path) -> list[Path]:
    """A folder's files at any depth but the writers' own (``_SUCCESS``, ``.crc``); none
    where it cannot be listed."""
    return list(_walk(folder, quiet=True))


def writers_marks_only(folder: Path) -> bool:
    """Whether a folder holds a writer's marks (``_SUCCESS``) and nothing else: the output of
    a job that wrote no parts, not a folder of something else."""
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except OSError:
        return False
    marks = [n for n in names if n.startswith(WRITERS_MARKS) or n.endswith(FOLDER_MARK)]
    return bool(marks) and not plain_files(folder)


def folder_candidates(path: Path) -> list[Path]:
    """Where a source's export may be a folder of parts when it has its default name:
    ``orders.csv`` → ``orders.parquet/``, and ``orders/`` when no file is there."""
    stem = path.name.rsplit(".", 1)[0]
    return [path.with_name(f"{stem}.parquet"), path.with_name(stem)]


def files_of(path: Path) -> list[Path]:
    """The files an export is: itself, or a folder and its parts (for the data's fingerprint,
    and so that no output is written over or into them)."""
    return [path, *_parts(path)] if is_parquet_folder(path) else [path]


def shown(path: Path) -> str:
    """An export's name in a message: a folder's with a slash after it."""
    return f"{path.name}/" if path.is_dir() else path.name


def _walk(folder: Path, *, quiet: bool = False) -> Iterator[Path]:
    """The folder's files but the writers' own marks, files and subfolders together in the
    order of their names (``a.parquet``, ``b=1/…``, ``c.parquet``). A link to a folder is
    refused: not followed, its parts would be silently left out. ``quiet``: what cannot be
    listed or read as parts is passed over, not an error (only a look whether parts are
    there)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: _name_order(entry.name))
    except OSError as exc:
        if quiet:
            return
        raise InputError(
            f"{inline(str(folder))}: cannot list this Parquet folder: {exc.strerror}"
        ) from None
    if not quiet:
        _refuse_table_log(folder, {entry.name for entry in entries})
    for entry in entries:
        name = entry.name
        if name.startswith(WRITERS_MARKS) or name.endswith(FOLDER_MARK):
            continue
        path = Path(folder, name)
        if _is_folder(entry) and entry.is_symlink():
            if not quiet:
                raise InputError(
                    f"{inline(str(path))}: a link to a folder, inside a Parquet folder; put the"
                    " parts themselves there"
                )
        elif _is_folder(entry):
            yield from _walk(path, quiet=quiet)
        else:
            yield path


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a loop of links: read as a file, and refused as one
        return False


def _refuse_table_log(folder: Path, names: set[str]) -> None:
    """A table format's folder, whose log says which parts are current: refused."""
    for name, what in TABLE_LOGS.items():
        if name in names and _is_log(folder / name):
            raise InputError(
                f"{inline(str(folder))}: {what}, whose files include replaced versions of its"
                " rows; export the table's current rows as Parquet or CSV"
            )


def _is_log(folder: Path) -> bool:
    """Delta Lake's ``_delta_log/``, Hudi's ``.hoodie/``, or Iceberg's ``metadata/`` with
    its table files."""
    if folder.name != "metadata":
        return folder.is_dir()
    return any(folder.glob("*.metadata.json"))


@functools.lru_cache(maxsize=1 << 16)
def _name_order(name: str) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """``part-2`` before ``part-10``: each run of digits compares as a number (names that
    compare alike, ``part-01`` and ``part-1``, then by their text)."""
    pieces = tuple((0, int(p)) if p.isdigit() else (1, p) for p in _DIGITS.split(name) if p)
    return pieces, name


_DIGITS = re.compile(r"(\d+)")


def parquet_dataset(path: Path) -> ds.Dataset:
    """A Parquet export as one Arrow dataset: a file, or a folder's parts in their order with
    the columns of Hive-style folder names (``year=2024``) and one schema for all parts."""
    import pyarrow.dataset as ds

    if not path.is_dir():
        schema = _part_schema(path)
        unique = _without_repeated(schema) if _repeated(schema) else None
        return ds.dataset(str(path), format=_parquet_format(), schema=unique)
    return _joined(path, *_listed(path))


def _parquet_format() -> ds.ParquetFileFormat:
    """How every Parquet part is read: INT96 timestamps in :data:`INT96_UNIT`."""
    import pyarrow.dataset as ds

    return ds.ParquetFileFormat(
        read_options=ds.ParquetReadOptions(coerce_int96_timestamp_unit=INT96_UNIT)
    )


SPREAD_WHOLE_ROWS = 2_000_000
"""An export of at most this many rows is sampled from the whole of its columns (a read of
tens of milliseconds); a larger one at the starts of its row groups."""
SPREAD_PLACES = 16
"""Row groups whose first rows are sampled, spread over a large export."""


def text_spread_over(path: Path, names: list[str], count: int) -> list[str]:
    """The values of the named columns in ``count`` rows spread over a Parquet export, as
    text, row by row (nulls left out): where the first rows' dates fit two formats, rows
    further down tell them apart, as a CSV's blocks further down do. A large export is
    sampled at the starts of row groups spread over it (the first batch of each decoded,
    as a CSV's blocks are read), not read whole: 0.3-0.8 s and the column's memory at
    10 M rows."""
    if not names:
        return []
    table = _at_row_group_starts(path, names, count)
    if table is None:
        whole = parquet_dataset(path).to_table(columns=names)
        spread = np.linspace(0, whole.num_rows - 1, min(count, whole.num_rows), dtype=np.int64)
        table = whole.take(pa.array(spread))
    columns = [as_text(table.column(name)).to_pylist() for name in names]
    return [value for row in zip(*columns, strict=True) for value in row if value is not None]


def _at_row_group_starts(path: Path, names: list[str], count: int) -> pa.Table | None:
    """The first rows of up to :data:`SPREAD_PLACES` row groups spread over the export's
    parts, ``count`` in all; None where the export is small or has too few row groups to
    spread over, or where a column is not in every part as such (a folder's key, a column
    named twice): those are read whole."""
    import pyarrow.parquet as pq

    parts = _parts(path) if path.is_dir() else [path]
    footers = [_metadata(part) for part in parts]
    groups = [
        (p, meta, g)
        for p, meta in zip(parts, footers, strict=True)
        for g in range(meta.num_row_groups)
    ]
    if sum(meta.num_rows for meta in footers) <= SPREAD_WHOLE_ROWS or len(groups) < 4:
        return None
    places = np.unique(np.linspace(0, len(groups) - 1, min(SPREAD_PLACES, len(groups))).round())
    each = -(-count // places.size)
    batches = []
    for place in places.astype(int):
        part, meta, group = groups[place]  # each footer read once, above
        schema = meta.schema.to_arrow_schema()
        if _repeated(schema) or not set(names) <= set(schema.names):
            return None
        with pq.ParquetFile(part, metadata=meta, coerce_int96_timestamp_unit=INT96_UNIT) as file:
            batch = next(file.iter_batches(each, row_groups=[group], columns=names), None)
        if batch is not None:
            batches.append(pa.table([as_text(batch.column(n)) for n in names], names))
    return pa.concat_tables(batches) if batches else None


def joined_as_text(path: Path) -> frozenset[str]:
    """The columns of numbers that a folder's parts are joined by as text (see
    :func:`_widened_by_digits`): typed in the parts, and so not sniffed as a CSV's text."""
    if not path.is_dir():
        return frozenset()
    listed = _listed(path)
    return frozenset(_widened_by_digits(_joined(path, *listed).schema, _part_schemas(*listed)))


def damaged_part(folder: Path) -> Path | None:
    """The first part of a folder export whose data cannot be read (a damaged page behind an
    intact footer), read a row group at a time: only once reading the folder has failed."""
    import pyarrow.parquet as pq

    try:
        parts = _parts(folder)
    except InputError:
        return None
    for part in parts:
        try:
            with pq.ParquetFile(part, coerce_int96_timestamp_unit=INT96_UNIT) as file:
                for group in range(file.num_row_groups):
                    file.read_row_group(group)
        except (OSError, pa.ArrowException):
            return part
    return None


def parquet_bytes(path: Path) -> int:
    """A Parquet export's columns uncompressed, in bytes (the size of the text they hold)."""
    import pyarrow.parquet as pq

    total = 0
    for part in _parts(path) if path.is_dir() else [path]:
        try:
            metadata = pq.ParquetFile(part).metadata
        except (OSError, pa.ArrowException) as exc:
            raise not_parquet(part, exc) from None
        total += sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    return total


def parts_without(path: Path, headers: list[str]) -> dict[str, list[str]]:
    """For each of ``headers`` some part of a folder export lacks (neither in the part nor in
    its folder names), those parts' names inside the folder, in order (a file: none)."""
    if not path.is_dir():
        return {}
    parts, signature = _listed(path)
    lacking: dict[str, list[str]] = {}
    for part, schema in zip(parts, _part_schemas(parts, signature), strict=True):
        held = {*schema.names, *_keys_in(part.relative_to(path))}
        for header in headers:
            if header not in held:
                lacking.setdefault(header, []).append(part.relative_to(path).as_posix())
    return lacking


def part_count(folder: Path) -> int:
    return len(_parts(folder))


def in_their_parts(problems: list[Problem], exports: dict[str, Path]) -> list[Problem]:
    """The problems of exports that are folders of parts, each line placed in its part
    (``exports``: each source's export, as the user named it)."""

    def about_rows(problem: Problem) -> bool:
        path = exports.get(problem.source)
        return bool(problem.lines) and path is not None and problem.file == path.name

    named = {problem.source for problem in problems if about_rows(problem)}
    places = {name: _part_lines(exports[name]) for name in named if exports[name].is_dir()}
    return [
        replace(problem, parts=places[problem.source])
        if problem.source in places and about_rows(problem)
        else problem
        for problem in problems
    ]


def _part_lines(folder: Path) -> PartLines:
    parts, signature = _listed(folder)
    rows = _part_rows(parts, signature)
    first = np.concatenate([[2], 2 + np.cumsum(rows[:-1], dtype=np.int64)])
    return PartLines(
        tuple(part.relative_to(folder).as_posix() for part in parts), tuple(map(int, first))
    )


def _part_rows(parts: tuple[Path, ...], signature: tuple[Facts, ...]) -> tuple[int, ...]:
    """Each part's rows, from its footer."""
    return tuple(rows for _, rows in _footers(parts, signature))


def _keys_in(place: Path) -> list[str]:
    """The columns a part's Hive-style folder names give it (``year=2024/part-0.parquet``)."""
    keys = []
    for name in place.parts[:-1]:
        key, equals, _ = name.partition("=")
        if equals and key:
            keys.append(key)
    return keys


def _part_schemas(parts: tuple[Path, ...], signature: tuple[Facts, ...]) -> list[pa.Schema]:
    """Each part's schema, from its footer."""
    return [schema for schema, _ in _footers(parts, signature)]


@functools.lru_cache(maxsize=8)
def _footers(
    parts: tuple[Path, ...], signature: tuple[Facts, ...]
) -> tuple[tuple[pa.Schema, int], ...]:
    """Each part's schema and rows, its footer read once per run (the head, the checks, the
    read, the split and the messages' lines each ask for them)."""
    return tuple(_footer(part) for part in parts)


@functools.lru_cache(maxsize=8)
def _joined(folder: Path, parts: tuple[Path, ...], signature: tuple[Facts, ...]) -> ds.Dataset:
    """The parts as one dataset."""
    import pyarrow.dataset as ds

    schemas = _part_schemas(parts, signature)
    keys = _folder_keys(folder, parts, schemas)
    rows = _part_rows(parts, signature)
    # A part without rows adds none: its types (an empty frame's text, say) do not count
    counted = [(p, s) for p, s, n in zip(parts, schemas, rows, strict=True) if n] or [
        *zip(parts, schemas, strict=True)
    ]
    schema = _one_schema(folder, counted, pa.schema([(key, pa.string()) for key in keys]))
    partitioning = ds.partitioning(pa.schema([(key, pa.string()) for key in keys]), flavor="hive")
    try:
        return ds.dataset(
            [str(part) for part in parts],
            schema=schema,
            format=_parquet_format(),
            partitioning=partitioning if keys else None,
            partition_base_dir=str(folder),
        )
    except (OSError, pa.ArrowException) as exc:
        raise InputError(
            f"{inline(str(folder))}: cannot be read as a Parquet folder: {exc}"
        ) from None


def _folder_keys(folder: Path, parts: tuple[Path, ...], schemas: list[pa.Schema]) -> list[str]:
    """The columns Hive-style folder names add (``year=2024/``), as text as written (an id
    ``00042`` keeps its zeros). A part that holds the column itself (Polars, DuckDB with
    ``WRITE_PARTITION_COLUMNS``) keeps its own values."""
    keys = dict.fromkeys(key for part in parts for key in _keys_in(part.relative_to(folder)))
    in_parts = {name for schema in schemas for name in schema.names}
    return [key for key in keys if key not in in_parts]


def _parts(folder: Path) -> list[Path]:
    """The folder's parts: Parquet files inside it."""
    return list(_listed(folder)[0])


def _listed(folder: Path) -> tuple[tuple[Path, ...], tuple[Facts, ...]]:
    """The folder's parts and their signature (the key of what is read from their footers
    once per run). A scan asks for them half a dozen times: the folder is walked and its
    files' sizes and times looked at each time (a part written again is seen), but each part
    is checked (where it leads, its first bytes) once for as long as it stays as it was."""
    files = tuple(_walk(folder))
    facts = tuple(_facts(file) for file in files)
    return _checked(folder, files, facts), facts


def _facts(file: Path) -> Facts:
    """What changes when a file is written again, replaced or made unreadable: its device,
    inode, size and times (zeros for a file that cannot be looked at, which the check then
    names)."""
    try:
        fact = file.stat()
    except OSError:
        return 0, 0, 0, 0, 0
    return fact.st_dev, fact.st_ino, fact.st_size, fact.st_mtime_ns, fact.st_ctime_ns


def _gone(part: Path) -> str:
    """A part that is not there once looked at: a link to nothing, or a file a writer took
    away meanwhile (an overwrite running)."""
    if part.is_symlink():
        return (
            f"{inline(str(part))}: a link to nothing (its target is gone); put the part itself"
            " there, or remove the link"
        )
    return f"{inline(str(part))}: gone while it was read; run again once the writer is done"


@functools.lru_cache(maxsize=8)
def _checked(folder: Path, files: tuple[Path, ...], facts: tuple[Facts, ...]) -> tuple[Path, ...]:
    """The files, each one inside the folder and a Parquet file, else the error naming it."""
    real = folder.resolve()
    for part in files:
        try:
            inside = resolved(part, strict=True).is_relative_to(real)
        except FileNotFoundError:
            raise InputError(_gone(part)) from None
        except OSError as exc:  # a loop of links, …
            raise InputError(f"{inline(str(part))}: cannot be read: {exc.strerror}") from None
        if not inside:
            raise InputError(
                f"{inline(str(part))}: a link out of the Parquet folder; put the part itself there"
            )
        if not _starts_as_parquet(part, strict=True):
            raise InputError(
                f"{inline(str(part))}: not a Parquet file, in a folder read as one Parquet"
                " export: a folder export holds only the parts of its table; move"
                f" '{inline(part.name)}' elsewhere"
            )
    return files


def _starts_as_parquet(part: Path, *, strict: bool = False) -> bool:
    """A regular file that begins as Parquet does (a FIFO would block the read forever).
    ``strict``: a file that cannot be read is an error, not merely no part."""
    try:
        if not stat.S_ISREG(part.stat().st_mode):
            return False
        with part.open("rb") as handle:
            return handle.read(len(PARQUET_MAGIC)) == PARQUET_MAGIC
    except OSError as exc:
        if strict:
            raise InputError(f"{inline(str(part))}: cannot be read: {exc.strerror}") from None
        return False


def not_parquet(path: Path, exc: Exception) -> InputError:
    """The error for a file that pyarrow cannot read as Parquet (damaged, cut short): in a
    folder of parts, the part that cannot be read is named."""
    where = (damaged_part(path) if path.is_dir() else None) or path
    return InputError(f"{inline(str(where))}: cannot be read as Parquet: {inline(str(exc))}")


def _part_schema(part: Path) -> pa.Schema:
    return _footer(part)[0]


def _footer(part: Path) -> tuple[pa.Schema, int]:
    """A Parquet file's schema (as ``pq.read_schema`` gives it) and rows, from one read of its
    footer."""
    metadata = _metadata(part)
    return _arrow_schema(metadata), metadata.num_rows


def _arrow_schema(metadata: pq.FileMetaData) -> pa.Schema:
    """A Parquet file's schema as Arrow reads its columns, INT96 timestamps in
    :data:`INT96_UNIT` (the footer's own Arrow schema says nanoseconds)."""
    schema = metadata.schema.to_arrow_schema()
    for index in range(len(metadata.schema)):
        column = metadata.schema.column(index)
        at = schema.get_field_index(column.path)
        if column.physical_type == "INT96" and at >= 0:
            field = schema.field(at)
            tz = getattr(field.type, "tz", None)
            schema = schema.set(at, field.with_type(pa.timestamp(INT96_UNIT, tz)))
    return schema


def _metadata(part: Path) -> pq.FileMetaData:
    """A Parquet file's footer; one that cannot be read is the error naming the file."""
    import pyarrow.parquet as pq

    try:
        return pq.read_metadata(part)
    except (OSError, pa.ArrowException) as exc:
        raise not_parquet(part, exc) from None


def _one_schema(folder: Path, parts: list[tuple[Path, pa.Schema]], keys: pa.Schema) -> pa.Schema:
    """One schema for all parts and the folder names' columns (``keys``): a column that is
    whole numbers in one part and decimals in another is read as decimals, float32 or
    decimal parts beside doubles by their digits, categories (dictionary-encoded) as their
    text, dates in some parts and times in others (or times in several zones) by their days;
    text in one and numbers in another cannot be joined, and the first part that disagrees
    with those before it is named."""
    schemas = _as_days(_plain(schema) for _, schema in parts)
    try:
        schema = pa.unify_schemas([*schemas, keys], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        named = [(part, schema) for (part, _), schema in zip(parts, schemas, strict=True)]
        raise _disagreeing(folder, named, exc) from None
    for name in _widened_by_digits(schema, schemas):
        schema = schema.set(schema.get_field_index(name), schema.field(name).with_type(pa.string()))
    return schema


def _disagreeing(folder: Path, parts: list[tuple[Path, pa.Schema]], exc: Exception) -> InputError:
    """The error naming the first part whose columns (as joined: plain, days) cannot be joined
    with those before it (the folder, where each can but not with the folder names' columns)."""
    joined = parts[0][1]
    for part, schema in parts[1:]:
        try:
            joined = pa.unify_schemas([joined, schema], promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError) as found:
            return InputError(
                f"{inline(str(part))}: its columns do not agree with the parts before it in"
                f" {inline(shown(folder))} ({inline(str(found))}); write all parts with one schema"
            )
    return InputError(
        f"{inline(str(folder))}: its parts do not agree on their columns"
        f" ({inline(str(exc))}); write all parts with one schema"
    )


def _as_days(schemas: Iterable[pa.Schema]) -> list[pa.Schema]:
    """The schemas with each column that holds dates in some parts and times in others, or
    times without a zone beside times in a zone or in two zones, as dates: Arrow joins none
    of these, and churnwatch reads a time as its day anyway (a zoned time as the day in its
    zone, in every part as in a single file)."""
    schemas = list(schemas)
    kinds: dict[str, set[pa.DataType]] = {}
    for schema in schemas:
        for field in schema:
            if _is_day(field.type):
                kinds.setdefault(field.name, set()).add(_day_kind(field.type))
    mixed = {name for name, found in kinds.items() if len(found) > 1}
    if not mixed:
        return schemas
    return [pa.schema([_by_day(field, mixed) for field in schema]) for schema in schemas]


def _by_day(field: pa.Field, mixed: set[str]) -> pa.Field:
    return field.with_type(pa.date32()) if field.name in mixed and _is_day(field.type) else field


def _is_day(kind: pa.DataType) -> bool:
    return pa.types.is_timestamp(kind) or pa.types.is_date(kind)


def _day_kind(kind: pa.DataType) -> pa.DataType:
    """What decides a date's or a time's day: a date, or a time's zone (none: as written).
    Arrow joins dates of two units, and times of two units in one zone, by itself."""
    return pa.timestamp("s", kind.tz) if pa.types.is_timestamp(kind) else pa.date32()


def _widened_by_digits(schema: pa.Schema, schemas: list[pa.Schema]) -> list[str]:
    """The columns of doubles that some part holds as floats or decimals: Arrow widens a
    float by its bits (1383.94 becomes 1383.93994140625) and a decimal not always to the
    nearest double, so these are joined as text, their shortest digits, and read as a
    single file's are."""
    inexact = {
        field.name
        for part in schemas
        for field in part
        if field.type == pa.float32() or pa.types.is_decimal(field.type)
    }
    return [
        field.name
        for field in schema
        if field.name in inexact and field.type in (pa.float64(), pa.string())
    ]


def _plain(schema: pa.Schema) -> pa.Schema:
    """Dictionary-encoded columns as their values' type, text views as text, without the
    writers' metadata and without repeated names."""
    fields = [
        field.with_type(field.type.value_type) if pa.types.is_dictionary(field.type) else field
        for field in _without_repeated(schema)
    ]
    return pa.schema(
        [f.with_type(pa.string()) if pa.types.is_string_view(f.type) else f for f in fields]
    )


def repeated_names(path: Path) -> list[str]:
    """The column names a Parquet export holds more than once (in one part), in order: not
    read, as a CSV's repeated headers are not, unless the source needs one (an error)."""
    schemas = [_part_schema(path)] if not path.is_dir() else _part_schemas(*_listed(path))
    return sorted({name for schema in schemas for name in _repeated(schema)})


def _repeated(schema: pa.Schema) -> set[str]:
    names = schema.names
    return {name for name in names if names.count(name) > 1}


def _without_repeated(schema: pa.Schema) -> pa.Schema:
    repeated = _repeated(schema)
    return pa.schema([field for field in schema if field.name not in repeated])
