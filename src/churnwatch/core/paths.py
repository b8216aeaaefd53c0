"""Paths that name something other than a file to create."""

from __future__ import annotations

import errno
import os
from pathlib import Path

_STANDARD_STREAMS = {"/dev/stdout": 1, "/dev/stderr": 2}
_DESCRIPTOR_FOLDERS = ("/dev/fd/", "/proc/self/fd/")


def open_descriptor(target: Path) -> int | None:
    """The already open file descriptor a path names (``/dev/stdout``, ``/dev/fd/3``), if any.

    Writing to it, rather than opening the path again, keeps a pipe a pipe and an appended
    file (``>> log``) appended: opening ``/dev/stdout`` anew would truncate that file.
    """
    text = os.path.normpath(str(target))
    if text in _STANDARD_STREAMS:
        return _STANDARD_STREAMS[text]
    for folder in _DESCRIPTOR_FOLDERS:
        if text.startswith(folder) and text[len(folder) :].isdigit():
            return int(text[len(folder) :])
    return None


def resolved(path: Path, *, strict: bool = False) -> Path:
    """``path.resolve()``, a loop of symbolic links said as the ``OSError`` it is (ELOOP):
    Python before 3.13 raises a ``RuntimeError`` for it, which passed every ``except
    OSError`` around a path's checks and surfaced as an internal error."""
    try:
        return path.resolve(strict=strict)
    except RuntimeError as exc:
        if "Symlink loop" not in str(exc):
            raise
        raise OSError(errno.ELOOP, "a loop of symbolic links", str(path)) from None
