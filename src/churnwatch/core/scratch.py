"""Temporary files a run makes, removed however it ends: at exit, and also when a stopped
run is ended by its deadline (which skips Python's exit handlers). A run killed outright
(SIGKILL, the kernel's out-of-memory killer) removes nothing; the next run that makes a
temporary folder removes the folders such runs left."""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeGuard

from churnwatch.core.stops import held

if sys.platform != "win32":  # Windows has no such locks: killed runs' folders stay there
    import fcntl

_CLEAN_UPS: list[Callable[[], None]] = []
_run_folders: list[Scratch] = []
_making = threading.Lock()
PREFIX = "churnwatch-"
"""What every temporary folder of a run is named from, and what the sweep looks at."""
OWNER = ".churnwatch-run"
"""A file in each temporary folder on which its run holds a lock while it lives: the
system releases the lock when the process ends, however it ends, so a folder whose lock is
free belongs to a run that is gone."""


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def disk_full(error: BaseException) -> TypeGuard[OSError]:
    """An error of writing to a disk, or under a quota, that is full."""
    return isinstance(error, OSError) and error.errno in DISK_FULL


def out_of_space(error: OSError) -> str:
    """What to do when a write other than the output's found the disk full: the output's own
    writes say so themselves, naming ``-o``; the others are a run's temporary files."""
    where = f" (writing {error.filename})" if error.filename else ""
    return (
        f"no space left on the disk{where}; nothing was written. churnwatch unpacks, converts"
        f" and splits exports in the temporary folder {tempfile.gettempdir()} (an export split"
        " for Dask takes two to three times its text there): free space there, or set TMPDIR"
        " to a folder on a larger disk"
    )


class Scratch:
    """A private temporary folder (mode 0700), claimed by this process until removed.
    Call :func:`sweep_once` before making one (outside a held moment: removing what killed
    runs left may take a while)."""

    def __init__(self, prefix: str = PREFIX) -> None:
        if not prefix.startswith(PREFIX):
            raise ValueError(f"a run's temporary folder is named from {PREFIX!r}")
        self.name = tempfile.mkdtemp(prefix=prefix)
        self._lock = _claim(Path(self.name))
        self._claimed = self._lock is not None

    def cleanup(self) -> None:
        """Remove the folder, its owner file last, then let go of it: a run killed halfway
        through leaves a folder the next sweep still knows as a run's. May run again (at
        exit, after the deadline's clean-up): it finishes what is left."""
        if not self._claimed:
            shutil.rmtree(self.name, ignore_errors=True)
            return
        _remove_owned_last(self.name)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


_HOST = socket.gethostname().encode("utf-8", "replace")
"""Written into each owner file: a lock says nothing about a run on another machine that
shares the temporary folder (NFS without shared locks), so only this host's are swept."""
CLAIMING_SECONDS = 60
"""An owner file still under its first name this long after it was made belongs to a run
that died between making its folder and claiming it (a moment of microseconds)."""


def _claim(folder: Path) -> int | None:
    """Lock the folder's owner file for as long as this process holds the returned
    descriptor. The file gets its name only once locked, so a sweep never sees it free."""
    if sys.platform == "win32":
        return None
    making = folder / f"{OWNER}.new"
    handle = os.open(making, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(handle, _HOST)
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a file system without locks: unclaimed, so never swept
        os.close(handle)
        return None
    os.rename(making, folder / OWNER)
    return handle


def sweep_once() -> None:
    """:func:`sweep` the first time this process makes a temporary folder (one thread
    sweeps; the others wait for it)."""
    with _sweeping:
        if not _swept:
            _swept.append(Path(tempfile.gettempdir()))
            sweep(_swept[0])


_sweeping = threading.Lock()
_swept: list[Path] = []


def sweep(root: Path) -> list[Path]:
    """Remove the temporary folders in ``root`` that churnwatch runs of this user on this
    host made and left when they were killed; the ones removed. A folder without an owner
    file (not a run's, unless empty for a while) and one whose run still lives are left
    alone."""
    if sys.platform == "win32":
        return []
    removed = []
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in entries:
            if (
                entry.name.startswith(PREFIX)
                and _own_folder(entry)
                and _abandoned_removed(entry.path)
            ):
                removed.append(Path(entry.path))
    return removed


def _own_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return (
            entry.is_dir(follow_symlinks=False)
            and entry.stat(follow_symlinks=False).st_uid == os.getuid()
        )
    except OSError:
        return False


def _abandoned_removed(folder: str) -> bool:
    """Remove ``folder`` if its owner file's lock is free: its run is gone."""
    owner = _owner_file(folder)
    if owner is None:
        return _left_empty_removed(folder)
    handle, unclaimed = owner
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        host = os.read(handle, 1024)
        if host != _HOST and not (unclaimed and not host):  # another machine's run's lock
            return False  # is not one this machine knows of
        return os.path.isdir(folder) and _remove_owned_last(folder)
    except OSError:  # held: its run is alive (or a file system without shared locks)
        return False
    finally:
        os.close(handle)


def _left_empty_removed(folder: str) -> bool:
    """Remove ``folder`` if it is empty and has been for a while: a run killed before it
    claimed it, or after it had removed all of it but the folder itself."""
    try:
        if time.time() - os.stat(folder).st_mtime < CLAIMING_SECONDS:
            return False
        os.rmdir(folder)  # only an empty one
    except OSError:
        return False
    return True


def _owner_file(folder: str) -> tuple[int, bool] | None:
    """The folder's owner file, open for reading, and whether it is still under its first
    name (its run died before claiming the folder). None where there is no such regular
    file."""
    for name, age in ((OWNER, 0.0), (f"{OWNER}.new", CLAIMING_SECONDS)):
        try:  # no symbolic link; a FIFO would block the open without O_NONBLOCK
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
            handle = os.open(os.path.join(folder, name), flags)
        except OSError:
            continue
        facts = os.fstat(handle)
        if stat.S_ISREG(facts.st_mode) and time.time() - facts.st_mtime >= age:
            return handle, name != OWNER
        os.close(handle)
        return None
    return None


def _remove_owned_last(folder: str) -> bool:
    """Remove ``folder``, its owner file last, so that a process killed halfway leaves a
    folder the next sweep finishes; what cannot be removed keeps the owner file too, for a
    later sweep. Whether the folder is gone."""
    try:
        entries = [e for e in os.scandir(folder) if not e.name.startswith(OWNER)]
    except OSError:
        return not os.path.lexists(folder)
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:
            continue
        except OSError:
            return False
    for name in (OWNER, f"{OWNER}.new"):
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, name))
    with contextlib.suppress(OSError):
        os.rmdir(folder)
    return not os.path.lexists(folder)


def on_exit(clean_up: Callable[[], None]) -> Callable[[], None]:
    """Register ``clean_up`` (a decorator): it runs at exit, or from :func:`remove_all`."""
    _CLEAN_UPS.append(clean_up)
    atexit.register(clean_up)
    return clean_up


def remove_all() -> None:
    """Every registered clean-up, now; one that fails does not stop the others."""
    for clean_up in list(_CLEAN_UPS):
        with contextlib.suppress(Exception):
            clean_up()


def run_folder() -> Path:
    """This process's private temporary folder for what a run writes on the side: copies of
    exports (unpacked, rewritten) that several steps read, a workbook's rows before it is put
    together. Made at first use, removed at exit or by
    :func:`remove_all` (and made again if used after that)."""
    with _making:
        if not _run_folders or not Path(_run_folders[-1].name).is_dir():
            sweep_once()
            with held():  # registered before a stop can end the run
                _run_folders.append(Scratch())
                on_exit(_run_folders[-1].cleanup)
        return Path(_run_folders[-1].name)


@contextlib.contextmanager
def private_folder(prefix: str) -> Iterator[Path]:
    """A private temporary folder (mode 0700) for the length of a ``with``: removed after it,
    or by :func:`remove_all` when a stopped run is ended by its deadline before that.

    A stop waits while the folder is made and registered, and while it is removed: raised
    in between, it left the folder behind. It stays registered until it is gone, so a
    deadline that ends the run during the removal still removes it."""
    folder = None
    sweep_once()
    try:
        with held():
            folder = Scratch(prefix)
            _CLEAN_UPS.append(folder.cleanup)
        yield Path(folder.name)
    finally:
        if folder is not None:
            with held():
                folder.cleanup()
                _CLEAN_UPS.remove(folder.cleanup)
