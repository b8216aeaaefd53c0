"""Temporary files a run makes, removed however it ends: at exit, and also when a stopped
run is ended by its deadline (which skips Python's exit handlers)."""

from __future__ import annotations

import atexit
import contextlib
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from churnwatch.core.stops import held

_CLEAN_UPS: list[Callable[[], None]] = []


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


@contextlib.contextmanager
def private_folder(prefix: str) -> Iterator[Path]:
    """A private temporary folder (mode 0700) for the length of a ``with``: removed after it,
    or by :func:`remove_all` when a stopped run is ended by its deadline before that.

    A stop waits while the folder is made and registered, and while it is removed: raised
    in between, it left the folder behind. It stays registered until it is gone, so a
    deadline that ends the run during the removal still removes it."""
    folder = None
    try:
        with held():
            folder = tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True)
            _CLEAN_UPS.append(folder.cleanup)
        yield Path(folder.name)
    finally:
        if folder is not None:
            with held():
                folder.cleanup()
                _CLEAN_UPS.remove(folder.cleanup)
