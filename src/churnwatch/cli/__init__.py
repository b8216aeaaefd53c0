"""The ``churnwatch`` command line: arguments, display and exit codes, no logic.

Every command's work is done by :mod:`churnwatch.api`, imported when a command runs, so
``churnwatch --version`` and ``-h`` start without loading the data stack.
"""

from churnwatch.cli import (  # noqa: F401  (registers the commands)
    backtesting,
    checking,
    listing,
    recording,
    reporting,
    scanning,
    worklists,
)
from churnwatch.cli.shell import app, run


def main() -> None:
    run()


__all__ = ["app", "main"]
