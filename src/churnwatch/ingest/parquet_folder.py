"""A Parquet export written as a folder of parts, as Spark, DuckDB (``PER_THREAD_OUTPUT``,
``PARTITION_BY``) and pyarrow datasets write a table: ``orders.parquet/part-0.parquet``, …,
maybe in Hive-style subfolders (``year=2024/``) whose names hold a column's value.

The parts are read as one Arrow dataset, in the order of their names (``part-2`` before
``part-10``), by the same code as a single Parquet export, and every message names the
folder. A row's number counts across the parts in that order, as in one file holding them
all.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from churnwatch.core.errors import InputError
from churnwatch.core.words import inline

if TYPE_CHECKING:
    import pyarrow.dataset as ds

PARQUET_MAGIC = b"PAR1"
WRITERS_MARKS = (".", "_")
"""Names a writer gives its own files and folders (``_SUCCESS``, ``_metadata``, ``.crc``
checksums, ``_temporary``), never data: Spark's, Hadoop's and Arrow's readers skip them too."""


def is_parquet_folder(path: Path) -> bool:
    """Whether ``path`` is a folder holding a Parquet file (below it, at any depth)."""
    try:
        if not path.is_dir():
            return False
    except OSError:
        return False
    return any(part.name.lower().endswith(".parquet") for part in folder_files(path))


def parquet_folders(path: Path) -> list[Path]:
    """Where a source's export may be a folder of parts when it has its default name:
    ``orders.csv`` → ``orders.parquet/``, ``orders/``."""
    stem = path.name.rsplit(".", 1)[0]
    return [path.with_name(f"{stem}.parquet"), path.with_name(stem)]


def files_of(path: Path) -> list[Path]:
    """The files an export is: itself, or a folder's parts (for the data's fingerprint, and
    so that no output is written over one of them)."""
    return folder_files(path) if is_parquet_folder(path) else [path]


def folder_files(folder: Path) -> list[Path]:
    """The folder's files but the writers' own marks, in the order of their names, numbers
    counted as numbers. Links to folders are not followed (no loop, nothing outside)."""
    found: list[Path] = []
    for root, folders, files in os.walk(folder, onerror=_unreadable(folder)):
        folders[:] = [name for name in folders if not name.startswith(WRITERS_MARKS)]
        found += [Path(root, name) for name in files if not name.startswith(WRITERS_MARKS)]
    return sorted(found, key=lambda path: _name_order(path.relative_to(folder)))


def _unreadable(folder: Path) -> Callable[[OSError], None]:
    def fail(exc: OSError) -> None:
        raise InputError(f"{folder}: cannot list this Parquet folder: {exc.strerror}")

    return fail


def _name_order(relative: Path) -> tuple[tuple[tuple[int, int | str], ...], ...]:
    """``part-2`` before ``part-10``: each run of digits compares as a number."""
    return tuple(
        tuple((0, int(piece)) if piece.isdigit() else (1, piece) for piece in _DIGITS.split(name))
        for name in relative.parts
    )


_DIGITS = re.compile(r"(\d+)")


def parquet_dataset(path: Path) -> ds.Dataset:
    """A Parquet export as one Arrow dataset: a file, or a folder's parts in their order with
    the columns of Hive-style folder names (``year=2024``) and one schema for all parts."""
    import pyarrow.dataset as ds

    if not path.is_dir():
        return ds.dataset(str(path), format="parquet")
    parts = _checked_parts(path.resolve())
    return _joined(path.resolve(), tuple(parts), _signature(parts))


def parquet_bytes(path: Path) -> int:
    """A Parquet export's columns uncompressed, in bytes (the size of the text they hold)."""
    import pyarrow.parquet as pq

    parts = _checked_parts(path.resolve()) if path.is_dir() else [path]
    total = 0
    for part in parts:
        metadata = pq.ParquetFile(part).metadata
        total += sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    return total


def _signature(parts: list[Path]) -> tuple[tuple[int, int], ...]:
    """What changes when a part is written again: a dataset made for the parts as they were
    is not reused (a long-lived process may read the folder again)."""
    facts = [part.stat() for part in parts]
    return tuple((fact.st_size, fact.st_mtime_ns) for fact in facts)


@functools.lru_cache(maxsize=8)
def _joined(
    folder: Path, parts: tuple[Path, ...], signature: tuple[tuple[int, int], ...]
) -> ds.Dataset:
    """The parts as one dataset, their footers read once per run (the head, the read and the
    split each ask for it)."""
    first = _dataset(folder, parts)
    return _dataset(folder, parts, _one_schema(folder, parts, first.schema))


def _dataset(folder: Path, parts: tuple[Path, ...], schema: pa.Schema | None = None) -> ds.Dataset:
    import pyarrow.dataset as ds

    try:
        return ds.dataset(
            [str(part) for part in parts],
            schema=schema,
            format="parquet",
            partitioning="hive",
            partition_base_dir=str(folder),
        )
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"{folder}: cannot be read as a Parquet folder: {exc}") from None


def _checked_parts(folder: Path) -> list[Path]:
    """The folder's parts: Parquet files inside it, at least one."""
    parts = folder_files(folder)
    for part in parts:
        if not part.resolve().is_relative_to(folder):
            raise InputError(
                f"{part}: a link out of the Parquet folder {folder}; put the part itself there"
            )
        if not _starts_as_parquet(part):
            raise InputError(
                f"{part}: not a Parquet file, in the folder {folder.name} that is read as one"
                " Parquet export: a folder export holds only the parts of its table; move"
                f" {inline(part.name)!r} elsewhere"
            )
    if not parts:
        raise InputError(f"{folder}: a Parquet folder without any parts")
    return parts


def _starts_as_parquet(part: Path) -> bool:
    """A regular file that begins as Parquet does (a FIFO would block the read forever)."""
    try:
        if not stat.S_ISREG(part.stat().st_mode):
            return False
        with part.open("rb") as handle:
            return handle.read(len(PARQUET_MAGIC)) == PARQUET_MAGIC
    except OSError:
        return False


def _one_schema(folder: Path, parts: tuple[Path, ...], first: pa.Schema) -> pa.Schema:
    """One schema for all parts: a column that is whole numbers in one part and decimals in
    another is read as decimals; text in one and numbers in another cannot be joined."""
    import pyarrow.parquet as pq

    schemas = [first]
    for part in parts:
        try:
            schemas.append(pq.read_schema(part))
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"{part}: cannot be read as Parquet: {exc}") from None
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InputError(
            f"{folder}: its parts do not agree on their columns ({exc}); write all parts with"
            " one schema"
        ) from None
