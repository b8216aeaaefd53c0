"""Exit codes, in one place, for schedulers and scripts."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """The run worked (and no customer met ``--fail-on``)."""
    FAIL_ON = 1
    """The run worked and at least one customer reached the ``--fail-on`` severity."""
    ERROR = 2
    """Usage, input or configuration error: nothing was written."""
    INTERRUPTED = 130
