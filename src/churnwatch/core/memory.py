"""Handing memory the scan no longer uses back to the system between its stages."""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable


class _Heap:
    """This process's malloc: whether it keeps large blocks in its heap (the command's own
    setting, ``launch.tune_malloc``)."""

    kept = False


def heap_kept() -> None:
    """Say that this process keeps large blocks in malloc's heap: from now on the holes they
    leave go back between the stages (a program that uses churnwatch as a library, with
    malloc as it was, is left alone)."""
    _Heap.kept = True


def return_freed_memory() -> None:
    """Give the system back the pages of what malloc holds freed, where the C library is
    glibc: called where one stage's arrays are gone and the next's are not yet made.

    The command keeps large blocks in malloc's heap (``launch.tune_malloc``) so that arrays
    freed and made again reuse their pages instead of the kernel clearing fresh ones; the
    price is holes that a later, differently sized array cannot use, which added to the
    peak. Returned here, between the stages, the holes cost a page fault each once."""
    trim = c_function("malloc_trim") if _Heap.kept else None
    if trim is not None:
        trim(0)


def c_function(name: str) -> Callable[..., int] | None:
    """A function of the C library's malloc (``mallopt``, ``malloc_trim``) where it is Linux's
    glibc; None elsewhere, or where another C library (musl) has its own allocator."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        found: Callable[..., int] = getattr(ctypes.CDLL(None), name)
    except AttributeError:
        return None
    return found
