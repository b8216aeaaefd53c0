"""Temporary files a run makes, removed however it ends: at exit, and also when a stopped
run is ended by its deadline (which skips Python's exit handlers). A run killed outright
(SIGKILL, the kernel's out-of-memory killer) removes nothing; the next run that makes a
temporary folder removes the folders such runs left."""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

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


class Scratch:
    """A private temporary folder (mode 0700), claimed by this process until removed.
    Call :func:`sweep_once` before making one (outside a held moment: removing what killed
    runs left may take a while)."""

    def __init__(self, prefix: str = PREFIX) -> None:
        if not prefix.startswith(PREFIX):
            raise ValueError(f"a run's temporary folder is named from {PREFIX!r}")
        self._folder = tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True)
        self.name = self._folder.name
        self._lock = _claim(Path(self.name))

    def cleanup(self) -> None:
        """Remove the folder, then let go of it (removed while still claimed: no sweep of
        another run can start on it half-removed)."""
        self._folder.cleanup()
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _claim(folder: Path) -> int | None:
    """Lock the folder's owner file for as long as this process holds the returned
    descriptor. The file gets its name only once locked, so a sweep never sees it free."""
    if sys.platform == "win32":
        return None
    making = folder / f"{OWNER}.new"
    handle = os.open(making, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # a file system without locks: unclaimed, so never swept
        os.close(handle)
        return None
    os.rename(making, folder / OWNER)
    return handle


@functools.cache
def sweep_once() -> None:
    """:func:`sweep` the first time this process makes a temporary folder."""
    sweep(Path(tempfile.gettempdir()))


def sweep(root: Path) -> list[Path]:
    """Remove the temporary folders in ``root`` that churnwatch runs of this user made and
    left when they were killed; the ones removed. A folder without an owner file (being
    made, or not a run's) and one whose run still lives are left alone."""
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
    try:
        handle = os.open(os.path.join(folder, OWNER), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held: its run is alive
        os.close(handle)
        return False
    try:
        shutil.rmtree(folder, ignore_errors=True)
    finally:
        os.close(handle)
    return True


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
