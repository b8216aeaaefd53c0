"""Paths that name something other than a file to create."""

from __future__ import annotations

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
