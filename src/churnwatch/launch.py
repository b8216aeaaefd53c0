"""The ``churnwatch`` command's entry point: ``--version`` answers before the command line
(typer, rich, every command's options) is even imported, so a script asking for the version
waits no longer than Python's own start."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from churnwatch import __version__

        sys.stdout.write(f"churnwatch {__version__}\n")
        return
    prefer_small_pages()
    from churnwatch.cli import main as run

    run()


def prefer_small_pages() -> None:
    """Ask numpy (before it is imported) not to request transparent huge pages.

    A scan allocates and frees arrays of tens of megabytes many times over; where the kernel
    compacts memory to find huge pages on demand (``defrag`` = madvise, a common default),
    every such array stalls on it. Measured at 10 M orders: a tenth less wall time, a third
    less kernel time, the same peak. A user's own ``NUMPY_MADVISE_HUGEPAGE`` wins.
    """
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
