"""Files that are UTF-8 with a few cp1252 lines (exports appended to by another program).

Reading such a file as cp1252 garbles every umlaut of the UTF-8 lines; reading it as UTF-8
fails. It is transcoded line by line into a private temporary UTF-8 file instead: each line
that is valid UTF-8 stays as it is, each other line is read as cp1252 (bytes cp1252 does not
define become U+FFFD), and the lines that needed it are reported. Line structure is kept, so
line numbers in messages stay those of the original file.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from churnwatch.core.scratch import run_folder

CHUNK = 1 << 24
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


def has_utf8_sequences(data: bytes) -> bool:
    """Whether ``data`` holds multi-byte UTF-8 characters (a cp1252 file practically never
    does: 'Ã¼' is not what anyone writes)."""
    return _UTF8_SEQUENCE.search(data) is not None


def mixes_encodings(path: Path) -> bool:
    """Whether a file that is not valid UTF-8 still holds UTF-8 text (so it is mixed, not
    cp1252 throughout)."""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            if has_utf8_sequences(chunk):
                return True
    return False


@dataclass(frozen=True)
class Rewritten:
    """A temporary copy of an export with some of its lines changed, line for line."""

    path: Path
    """The copy; the caller removes it."""
    lines: list[int]
    """1-based lines that were changed (the first few)."""
    count: int
    """How many were."""


KEPT_LINES = 5
"""The changed lines a copy names (the first few)."""


def rewritten(
    path: Path,
    change: Callable[[bytes], bytes | None],
    *,
    line_end: bytes = b"\n",
    whole: Callable[[bytes], bytes | None] | None = None,
) -> Rewritten:
    """A temporary copy of ``path`` in which each line that ``change`` gives a new text for
    (its line end included) has that text; every other line is copied as it is. Lines stay
    where they were, so line numbers in messages stay the export's. ``line_end``: what ends a
    line (a bare CR in Excel's "CSV (Macintosh)"). ``whole``: a change of a block of whole
    lines at once, where it can make one (None: the block's lines go to ``change``); the
    lines it changes are its own to count."""
    lines: list[int] = []
    count = number = 0
    with (
        _temporary_copy() as (handle, copy),
        os.fdopen(handle, "wb") as target,
        path.open("rb") as source,
    ):
        for block in _blocks(source, line_end):
            if whole is not None and (done := whole(block)) is not None:
                target.write(done)
                number += block.count(line_end)
                continue
            for line in _lines(block, line_end):
                number += 1
                changed = change(line)
                target.write(line if changed is None else changed)
                if changed is not None:
                    count += 1
                    if len(lines) < KEPT_LINES:
                        lines.append(number)
    return Rewritten(copy, lines, count)


@contextmanager
def _temporary_copy() -> Iterator[tuple[int, Path]]:
    """A new file for a copy, open, in the run's folder (removed at exit: a stop right after
    the copy is made leaves nothing), and removed at once where the copying fails."""
    handle, name = tempfile.mkstemp(suffix=".csv", dir=run_folder())
    try:
        yield handle, Path(name)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _blocks(source: BinaryIO, end: bytes) -> Iterator[bytes]:
    """``source`` in blocks of whole lines that ``end`` ends (the last may have no end)."""
    pending = b""
    while block := source.read(CHUNK):
        data = pending + block
        cut = data.rfind(end) + len(end)
        if cut:
            yield data[:cut]
        pending = data[cut:]
    if pending:
        yield pending


def _lines(block: bytes, end: bytes) -> Iterator[bytes]:
    """The lines of ``block``, each with its end (the last may have none)."""
    *complete, last = block.split(end)
    yield from (line + end for line in complete)
    if last:
        yield last


def utf8_copy(path: Path, encoding: str) -> Path:
    """A temporary UTF-8 copy of ``path``, written in ``encoding`` (UTF-16: its delimiters
    and line ends are two bytes each), line for line; bad bytes become U+FFFD."""
    with (
        _temporary_copy() as (handle, copy),
        os.fdopen(handle, "w", encoding="utf-8", newline="") as target,
        path.open(encoding=encoding, errors="replace", newline="") as source,
    ):
        while text := source.read(CHUNK):
            target.write(text)
    return copy


def to_utf8(path: Path) -> Rewritten:
    """A temporary UTF-8 copy of ``path``, line by line (see the module docstring); its
    ``lines`` were not UTF-8 and were read as cp1252."""
    return rewritten(path, _as_utf8)


def _as_utf8(line: bytes) -> bytes | None:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace").encode("utf-8")
    return None
