"""Writing files atomically: a failed run never leaves a half-written report behind."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from churnwatch.core.errors import OutputError
from churnwatch.core.paths import open_descriptor, resolved
from churnwatch.core.stops import held


def refuse_inputs(target: Path, reads: Collection[Path]) -> None:
    """An error when ``target`` is one of the files the run read (the same file, by any
    name or link), or lies in a folder the run reads whole (a folder of Parquet parts, where
    the next run would take it for a part)."""
    for path in reads:
        if _same_file(target, path):
            raise OutputError(
                f"{target}: refusing to write over {path}, which this run reads; choose"
                " another output file"
            )
        if _inside_folder(target, path):
            raise OutputError(
                f"{target}: refusing to write into {path}, a folder this run reads as an"
                " export; choose another output folder"
            )


def _same_file(target: Path, path: Path) -> bool:
    try:
        return os.path.samefile(target, path)
    except OSError:  # no such file yet
        return False


def _inside_folder(target: Path, folder: Path) -> bool:
    try:
        return folder.is_dir() and resolved(target).is_relative_to(folder.resolve())
    except OSError:  # a loop of links
        return False


def refuse_planted_link(target: Path) -> None:
    """Refuse a symlink that another user planted in a shared sticky folder such as /tmp,
    as the last part of the path or as a folder on the way to it.

    The rule is the kernel's ``protected_symlinks``: in a sticky, world-writable folder a link
    is followed only when it belongs to the follower or to the folder's owner. A shell ``>``
    obeys it; renaming a new file over the link's target would not, so it is checked here.
    """
    path = Path(os.path.abspath(target))
    for link in [path, *path.parents]:
        try:
            found = os.lstat(link)
            folder = os.stat(link.parent)
        except OSError:
            continue
        if not stat.S_ISLNK(found.st_mode):
            continue
        shared = folder.st_mode & stat.S_ISVTX and folder.st_mode & stat.S_IWOTH
        if shared and found.st_uid not in (os.geteuid(), folder.st_uid):
            raise OutputError(
                f"{target}: {link} is a symlink another user put in the shared folder"
                f" {link.parent}; not followed (choose an output file of your own)"
            )


Data = bytes | Iterable[bytes]
"""A whole output, or its parts in order (written as they come, so never all in memory)."""


def _parts(data: Data) -> Iterable[bytes]:
    return (data,) if isinstance(data, bytes) else data


def write_atomically(target: Path, data: Data) -> None:
    """Write to a temporary file beside ``target``, then rename it into place.

    A symlink is followed (its target is replaced, the link stays); a device or pipe such
    as ``/dev/stdout`` is written to directly, since it cannot be replaced. An existing
    file keeps its permissions.
    """
    write_all_atomically([(target, data)])


def write_all_atomically(outputs: Sequence[tuple[Path, Data]]) -> None:
    """Write several files as one (:func:`write_atomically` each): every file is written
    beside its target first, and only when all are written are they renamed into place, so
    a failure on the way (the fifth owner's file name taken by a folder, a full disk) leaves
    every file as it was rather than half of them new. Devices and pipes are written to
    last, directly."""
    staged: list[tuple[Path, Path]] = []  # (temporary, target)
    later: list[tuple[Path, Data]] = []
    try:
        for target, data in outputs:
            if (place := _destination(target)) is None:
                later.append((target, data))
            else:
                staged.append((_staged(*place, data), place[0]))
        for temporary, real in staged:
            try:
                os.replace(temporary, real)
            except OSError as exc:
                raise OutputError(f"{real}: cannot write: {exc.strerror}") from None
    except BaseException:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)  # those renamed already are gone
        raise
    for target, data in later:
        if (descriptor := open_descriptor(target)) is not None:
            _write_to_descriptor(target, descriptor, data)
        else:
            _write_through(target, data)


def _destination(target: Path) -> tuple[Path, int] | None:
    """Where ``target``'s file is (links followed) and the mode it keeps or gets; None for a
    device or pipe, written to directly."""
    if open_descriptor(target) is not None:
        return None
    refuse_planted_link(target)
    real = Path(os.path.realpath(target))
    try:
        existing = real.stat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise OutputError(f"{real}: cannot write: {exc.strerror}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        if stat.S_ISDIR(existing.st_mode):
            raise OutputError(f"{real}: is a folder; give a file name")
        return None
    if not real.parent.is_dir():
        raise OutputError(f"{real}: folder {real.parent} does not exist")
    return real, stat.S_IMODE(existing.st_mode) if existing else 0o666 & ~_umask()


def _staged(target: Path, mode: int, data: Data) -> Path:
    """``data`` in a new file beside ``target``, with ``mode``: renamed into place later."""
    temporary = None
    try:
        with held():  # a stop right after the file is made would leave it in the user's folder
            # a short prefix: the temporary name must fit where the target's name just fits
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name[:64]}.", dir=target.parent)
        with os.fdopen(handle, "wb") as file:
            file.writelines(_parts(data))
        os.chmod(temporary, mode)
    except BaseException as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise OutputError(f"{target}: cannot write: {exc.strerror}") from None
        raise
    return Path(temporary)


def _write_to_descriptor(target: Path, descriptor: int, data: Data) -> None:
    try:
        for part in _parts(data):
            view = memoryview(part)
            while view:
                view = view[os.write(descriptor, view) :]
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None


def _write_through(target: Path, data: Data) -> None:
    try:
        with target.open("wb") as file:
            file.writelines(_parts(data))
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None


def _umask() -> int:
    """The process umask, so reports get the same permissions as any other new file."""
    current = os.umask(0)
    os.umask(current)
    return current
