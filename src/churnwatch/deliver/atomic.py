"""Writing files atomically: a failed run never leaves a half-written report behind."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from churnwatch.core.errors import OutputError
from churnwatch.core.paths import open_descriptor


def write_atomically(target: Path, data: bytes) -> None:
    """Write to a temporary file beside ``target``, then rename it into place.

    A symlink is followed (its target is replaced, the link stays); a device or pipe such
    as ``/dev/stdout`` is written to directly, since it cannot be replaced. An existing
    file keeps its permissions.
    """
    if (descriptor := open_descriptor(target)) is not None:
        _write_to_descriptor(target, descriptor, data)
        return
    target = Path(os.path.realpath(target))
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        if stat.S_ISDIR(existing.st_mode):
            raise OutputError(f"{target}: is a folder; give a file name")
        _write_through(target, data)
        return
    mode = stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask()
    _replace(target, data, mode)


def _write_to_descriptor(target: Path, descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(descriptor, view) :]
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None


def _write_through(target: Path, data: bytes) -> None:
    try:
        with target.open("wb") as file:
            file.write(data)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None


def _replace(target: Path, data: bytes, mode: int) -> None:
    folder = target.parent
    if not folder.is_dir():
        raise OutputError(f"{target}: folder {folder} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process umask, so reports get the same permissions as any other new file."""
    current = os.umask(0)
    os.umask(current)
    return current
