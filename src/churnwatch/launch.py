"""The ``churnwatch`` command's entry point: ``--version`` answers before the command line
(typer, rich, every command's options) is even imported, so a script asking for the version
waits no longer than Python's own start."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from churnwatch import __version__

        sys.stdout.write(f"churnwatch {__version__}\n")
        return
    from churnwatch.cli import main as run

    run()
