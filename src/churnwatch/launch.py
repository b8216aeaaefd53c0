"""The ``churnwatch`` command's entry point: ``--version`` answers before the command line
(typer, rich, every command's options) is even imported, so a script asking for the version
waits no longer than Python's own start."""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn

from churnwatch.core.memory import c_function, heap_kept
from churnwatch.core.streams import messages_apart


def main() -> None:
    """The command line, for a process whose interpreter then shuts down as usual."""
    try:
        run()
    finally:
        release_before_exit()


def run() -> None:
    if sys.argv[1:] == ["--version"]:
        from churnwatch import __version__

        sys.stdout.write(f"churnwatch {__version__}\n")
        return
    tune_numpy()
    tune_malloc()
    from churnwatch.cli import main as cli

    cli()


def command() -> NoReturn:
    """The ``churnwatch`` command: :func:`run`, then the process ends at once (so nothing
    is freed at the interpreter's shutdown, and :func:`release_before_exit`'s collection,
    0.04 s, is not needed). Its messages go to a descriptor of their own (see
    :mod:`churnwatch.core.streams`)."""
    messages_apart()
    try:
        code = _exit_code()
    except BaseException:  # the interpreter shuts down as usual: collect before it does
        release_before_exit()
        raise
    leave(code)


def _exit_code() -> int:
    """:func:`run`'s exit code; an exit with a message goes on up (Python prints it)."""
    try:
        run()
    except SystemExit as done:
        if done.code is not None and not isinstance(done.code, int):
            raise
        return done.code or 0
    return 0


def leave(code: int) -> NoReturn:
    """End a finished run: the exit handlers run and the output is flushed, as at any exit,
    but the interpreter is not taken apart object by object. That took 0.2 s after a scan of
    10 M orders (every frame, array and module freed in turn), while the system takes back
    the process's memory in one piece anyway. No thread of a finished run is still at work
    (its pools are shut down), so none is waited for."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: as Python does, 120 if all else went well
            code = code or 120
    os._exit(code)


M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
M_ARENA_MAX = -8
"""glibc's ``mallopt`` parameters (``malloc.h``)."""

KEEP_FREED_BYTES = 2**31 - 1
"""The most ``M_TRIM_THRESHOLD`` takes (a C ``int``): freed memory at the heap's top up to
2 GiB stays with the process."""


def tune_malloc() -> None:
    """Where the C library is glibc, have malloc reuse what the scan frees instead of asking
    the kernel for fresh pages; a user's own malloc settings win.

    - One arena for every thread, as ``MALLOC_ARENA_MAX=1`` sets it. glibc gives each thread
      that allocates its own arena, and memory freed in one arena is not reused by another:
      the feature groups and the risk fit run on their own threads, so their arrays were
      faulted in fresh while the main thread's freed arrays sat unused. Paired runs: 0.97x
      (0.95-1.01) the wall time at 10 M orders with the same peak; with 2 M customers (5 M
      orders), 0.93x (0.91-0.95) the wall time and 0.88x the peak. numpy asks for few, large
      blocks, so the one arena's lock is not contended.
    - Large blocks from the heap, and freed memory kept (``M_MMAP_MAX`` = 0, a high
      ``M_TRIM_THRESHOLD``). glibc maps every block above 32 MiB (an array of a few million
      rows) on its own and returns it to the kernel when freed, so the next such array is
      faulted in and zeroed page by page again; at 30 M orders the kernel spent a third of
      the CPU time on that. Paired runs: see ``benchmarks/README.md``.
    """
    mallopt = c_function("mallopt")
    if mallopt is None:  # not glibc: its own allocator, left as it is
        return
    if not _user_sets(ARENA_SETTINGS):
        mallopt(M_ARENA_MAX, 1)
    if not _user_sets(HEAP_SETTINGS):
        mallopt(M_MMAP_MAX, 0)
        mallopt(M_TRIM_THRESHOLD, KEEP_FREED_BYTES)
        heap_kept()  # and its holes go back between the stages (core.memory)


ARENA_SETTINGS = ("MALLOC_ARENA_MAX", "glibc.malloc.arena_max")
HEAP_SETTINGS = (
    "MALLOC_MMAP_MAX_",
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TRIM_THRESHOLD_",
    "glibc.malloc.mmap_",
    "glibc.malloc.trim_",
)
"""A user's own say over the arenas, and over mapping and trimming: environment variables,
or glibc's tunables (``GLIBC_TUNABLES=glibc.malloc.arena_max=4``)."""


def _user_sets(settings: tuple[str, ...]) -> bool:
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    return any(
        setting in tunables if setting.startswith("glibc.") else setting in os.environ
        for setting in settings
    )


def release_before_exit() -> None:
    """Free what reference cycles still hold (a failed read's frames keep its Arrow reader
    and tables) while Arrow is whole: freed during the interpreter's last clean-up, after
    Arrow's own, an Arrow object's thread aborted the process ("terminate called without an
    active exception", exit 134) after a correct error message, about one run in twenty."""
    import gc

    gc.collect()


def tune_numpy() -> None:
    """Settings numpy and its BLAS read once, when imported; a user's own values win.

    - No transparent huge pages: a scan allocates and frees arrays of tens of megabytes many
      times over; where the kernel compacts memory to find huge pages on demand (``defrag``
      = madvise, a common default), every such array stalls on it. At 10 M orders: a tenth
      less wall time, a third less kernel time, the same peak.
    - One BLAS thread: the products churnwatch asks of BLAS are small (the risk fit's
      matrix of a few dozen columns), while OpenBLAS's idle threads spin on the cores the
      scan's own threads need. At 1 M orders: a fifth less wall time, 40 % less CPU. It also
      makes the risk model's rounding independent of the machine's number of cores.
    """
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
