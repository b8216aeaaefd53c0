"""Exports that come compressed: gzip, zstd, bzip2, xz, LZ4, or a ZIP archive holding one CSV
file.

The kind is read from the file's first bytes (the magic number), not trusted from its name.
A compressed export is unpacked once into a private temporary folder and read from there by
the same code as a plain CSV (dialect sniffing, line numbers in messages, salvage), while
every message still names the export itself. The folder is removed when the process ends.
"""

from __future__ import annotations

import gzip
import io
import lzma
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO

from churnwatch.core.errors import InputError
from churnwatch.core.scratch import disk_full, run_folder
from churnwatch.core.words import inline
from churnwatch.ingest.parquet_folder import PARQUET_MAGIC, first_part, is_parquet_folder

MAGIC = {
    b"\x1f\x8b": "gzip",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"\x04\x22\x4d\x18": "lz4",  # LZ4's frame format, as the lz4 command writes it
    b"\x02\x21\x4c\x18": "lz4-legacy",  # its older format (``lz4 -l``): refused by name
    b"PK\x03\x04": "zip",
    b"PK\x05\x06": "zip",  # an empty archive: its end record only
    PARQUET_MAGIC: "parquet",
}
"""The first bytes of each kind of file churnwatch reads besides plain text."""
STREAM_SUFFIXES = (".gz", ".zst", ".bz2", ".xz", ".lz4")
"""Packings of one file (``orders.csv.gz``)..."""
PACKED_SUFFIXES = (*STREAM_SUFFIXES, ".zip")
"""...and every packing churnwatch unpacks."""
READABLE_SUFFIXES = (".csv", ".txt", ".tsv")
CHUNK = 1 << 22


def kind_of(path: Path) -> str:
    """``csv`` (plain text), or the kind of packing or format its first bytes show; a folder
    of Parquet parts is ``parquet``."""
    if is_parquet_folder(path):
        return "parquet"
    try:
        with path.open("rb") as handle:
            start = _past_skippable_frames(handle)
    except OSError:
        return "csv"  # the CSV reader says what is wrong with it
    return next((kind for magic, kind in MAGIC.items() if start.startswith(magic)), "csv")


SKIPPABLE_FRAME = 0x184D2A50
"""The first of the 16 magic numbers (little-endian, the low 4 bits free) of a frame that a
zstd or LZ4 reader skips: ``pzstd`` starts its files with one, so the zstd magic follows it."""
SKIPPABLE_FRAMES_READ = 8
"""Skippable frames looked past at the start of a file, at most."""


def _past_skippable_frames(handle: IO[bytes]) -> bytes:
    """The first bytes of a file, or of its first frame after any skippable ones."""
    size = max(8, *map(len, MAGIC))  # a skippable frame's magic and length: 8 bytes
    at, start = 0, handle.read(size)
    for _ in range(SKIPPABLE_FRAMES_READ):
        if len(start) < 8 or int.from_bytes(start[:4], "little") & ~0xF != SKIPPABLE_FRAME:
            break
        at += 8 + int.from_bytes(start[4:8], "little")
        handle.seek(at)
        start = handle.read(size)
    return start


def unpacked(path: Path) -> Path:
    """The plain CSV to read for ``path``: itself, or its unpacked copy."""
    kind = kind_of(path)
    if kind == "csv":
        _refuse_plain_tar(path)
    if kind in ("csv", "parquet"):
        return path
    if kind == "lz4-legacy":
        raise InputError(
            f"{path}: an LZ4 file in the legacy format (as `lz4 -l` writes it), which"
            " churnwatch does not unpack: pack it again with `lz4` (its frame format, the"
            " default), or unpack it"
        )
    target = Path(tempfile.mkdtemp(dir=run_folder())) / plain_name(path.name)
    try:
        if kind == "zip":
            _unzip(path, target)
        else:
            _decompress(path, target, kind)
    except zipfile.BadZipFile as exc:
        if path.suffix.lower() == ".zip":
            raise InputError(
                f"{path}: this ZIP archive cannot be opened ({exc}); it may be damaged or cut"
                " short: copy or export it again"
            ) from None
        raise InputError(
            f"{path}: not a text file: looks like an Excel workbook or ZIP archive, but it cannot"
            f" be opened as one ({exc}); it may be damaged or cut short: copy it again, or"
            " export the sheet as CSV"
        ) from None
    except NotImplementedError as exc:  # a method Python does not unpack (Deflate64)
        raise InputError(
            f"{path}: cannot unpack this {kind} file ({exc}); pack it again with the usual"
            " method (Deflate), or unpack it"
        ) from None
    except RuntimeError as exc:  # encrypted (NotImplementedError is one too: caught above)
        raise InputError(
            f"{path}: cannot unpack this {kind} file ({exc}); export it again without a"
            " password, or unpacked"
        ) from None
    except (OSError, EOFError, ValueError, lzma.LZMAError) as exc:
        if disk_full(exc):  # the temporary folder, not the file: said as such further up
            raise
        raise InputError(f"{path}: cannot unpack this {kind} file: {exc}") from None
    return target


TAR_MAGIC = 257, (b"ustar\x0000", b"ustar  \x00")
"""Where a tar archive's first header says what it is, as POSIX and as GNU tar write it."""


def _refuse_plain_tar(path: Path) -> None:
    """A tar archive, not packed, under an export's name: see :func:`_check_not_tar`."""
    try:
        with path.open("rb") as handle:
            start = handle.read(TAR_MAGIC[0] + 8)
    except OSError:
        return  # the CSV reader says what is wrong with the file
    _check_not_tar(start, path)


def _check_not_tar(start: bytes, path: Path) -> None:
    """A tar archive (``.tar.gz``) holds files one after the other with headers between them:
    read as one CSV, its names would glue onto the header and its files merge. Told from its
    first bytes, before a packed one is unpacked any further."""
    at, magics = TAR_MAGIC
    if start[at : at + 8] in magics:
        raise InputError(
            f"{path}: a tar archive, which churnwatch does not unpack: unpack it and put the"
            " one CSV file it holds for this export in its place"
        )


def _decompress(path: Path, target: Path, kind: str) -> None:
    if kind == "xz":  # not among Arrow's codecs: Python's own
        with lzma.open(path) as source, target.open("wb") as out:
            _copy(source, out, path)
        return
    import pyarrow as pa

    try:
        with pa.input_stream(str(path), compression=kind) as source, target.open("wb") as out:
            _copy(source, out, path)
    except OSError as exc:
        if kind != "gzip" or disk_full(exc):
            raise
        # zeros after the data (a copy off a tape or a block device): Arrow's reader takes
        # them for another member, Python's ends there, as gzip(1) does
        with gzip.open(path) as source, target.open("wb") as out:
            _copy(source, out, path)


def _unzip(path: Path, target: Path) -> None:
    """The one CSV in a ZIP archive; a workbook or several files are clear errors."""
    with (
        zipfile.ZipFile(path) as archive,
        archive.open(_table(archive, path)) as source,
        target.open("wb") as out,
    ):
        _copy(source, out, path)


def _copy(source: IO[bytes] | io.BufferedIOBase, out: IO[bytes], path: Path) -> None:
    """The unpacked text of ``path`` into ``out``, unless it is a tar archive."""
    first = source.read(CHUNK)
    _check_not_tar(first, path)
    out.write(first)
    shutil.copyfileobj(source, out, CHUNK)


def _table(archive: zipfile.ZipFile, path: Path) -> str:
    """The archive's one file that is read as the export."""
    names = [n for n in archive.namelist() if not n.endswith("/") and not _is_metadata(n)]
    if any(n.startswith("xl/") for n in names):
        raise InputError(
            f"{path}: not a CSV file: looks like an Excel workbook; export the sheet as CSV"
        )
    # an export packed once more (orders_2023.csv.gz, a Parquet file) counts as a file too:
    # read beside a CSV, the archive's rows in it went unread without a word
    tables = [n for n in names if is_export_name(n)] or names
    if len(tables) != 1:
        shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise InputError(
            f"{path}: a ZIP archive should hold one CSV file; it holds {len(tables)}"
            f" ({shown or 'none'})"
        )
    return tables[0]


def head_of(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of the text ``path`` holds, unpacked as far as they reach, or
    the column names of a Parquet file (or of a folder's first part) joined by commas; empty
    where it cannot be read. Only the start of a packed file is unpacked."""
    kind = kind_of(path)
    try:
        if kind == "parquet":
            return _parquet_names(path)
        if kind == "zip":
            with zipfile.ZipFile(path) as archive, archive.open(_table(archive, path)) as member:
                return member.read(size)
        if kind == "xz":
            with lzma.open(path) as unpacking:
                return unpacking.read(size)
        if kind == "csv":
            with path.open("rb") as plain:
                return plain.read(size)
        if kind == "lz4-legacy":
            return b""
        import pyarrow as pa

        with pa.input_stream(str(path), compression=kind) as stream:
            return bytes(stream.read(size))
    except (OSError, EOFError, ValueError, RuntimeError, lzma.LZMAError, zipfile.BadZipFile):
        return b""  # Arrow's errors are among these
    except InputError:  # a ZIP archive of a workbook, or of several files
        return b""


def _parquet_names(path: Path) -> bytes:
    """A Parquet file's column names, or those of a folder's first part."""
    part = first_part(path) if path.is_dir() else path
    if part is None:
        return b""
    import pyarrow.parquet as pq

    return ",".join(pq.read_schema(part).names).encode()


def read_from(path: Path) -> str:
    """For a message about a ZIP export's columns: which file in it was read (a ``readme.txt``
    alone in the archive is read as the export); empty for any other export."""
    if kind_of(path) != "zip":
        return ""
    try:
        with zipfile.ZipFile(path) as archive:
            return f" (read from {inline(_table(archive, path))!r} in the archive)"
    except (OSError, zipfile.BadZipFile, InputError):
        return ""


def _is_metadata(name: str) -> bool:
    """A file the packing system adds, no data: macOS Finder's ``__MACOSX/`` folder and
    ``._`` resource forks, ``.DS_Store``, Windows' ``Thumbs.db``."""
    base = name.rsplit("/", 1)[-1]
    return (
        name.startswith("__MACOSX/")
        or base.startswith("._")
        or base in (".DS_Store", "Thumbs.db", "desktop.ini")
    )


def plain_name(name: str) -> str:
    """The unpacked copy's name: ``orders.csv.gz`` → ``orders.csv``, ``orders.zip`` →
    ``orders.csv`` (a packing suffix left on would make the CSV reader unpack it again)."""
    stem = name
    while (suffix := Path(stem).suffix.lower()) in PACKED_SUFFIXES:
        stem = stem[: -len(suffix)]
    return stem if Path(stem).suffix.lower() in READABLE_SUFFIXES else stem + ".csv"


def is_export_name(name: str) -> bool:
    """Whether a file name looks like an export: CSV or text, packed or not, or Parquet."""
    stem = name.lower()
    if stem.endswith((".parquet", ".zip")):  # an archive: the CSV inside decides
        return True
    while (suffix := Path(stem).suffix) in PACKED_SUFFIXES:
        stem = stem[: -len(suffix)]
    return Path(stem).suffix in READABLE_SUFFIXES


def packed_names(name: str) -> list[str]:
    """Where a source's default file may be when it comes packed or as Parquet:
    ``orders.csv`` → ``orders.csv.gz``, …, ``orders.zip``, ``orders.parquet``."""
    stem = name.rsplit(".", 1)[0]
    return [*(name + suffix for suffix in STREAM_SUFFIXES), stem + ".zip", stem + ".parquet"]
