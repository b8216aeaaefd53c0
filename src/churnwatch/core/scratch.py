"""Temporary files a run makes, removed however it ends: at exit, and also when a stopped
run is ended by its deadline (which skips Python's exit handlers)."""

from __future__ import annotations

import atexit
import contextlib
from collections.abc import Callable

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
