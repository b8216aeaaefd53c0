"""The run's messages on a descriptor of their own, apart from descriptor 2, which the
processes it starts inherit.

A local Dask cluster's worker processes write to descriptor 2 what the run never wants in
front of the user: a worker being started as a cron timeout stops the run fails to read what
its parent was sending it and prints ``EOFError: Ran out of input`` with a traceback, into
the mail the cron job sends. Their failures reach the user as one message of the run's
anyway. With the messages apart, descriptor 2 can point nowhere while the workers live.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from churnwatch.core.errors import stop_behind

STDERR = 2


class _Apart:
    """Whether :func:`messages_apart` gave ``sys.stderr`` a descriptor of its own."""

    done = False


def messages_apart() -> None:
    """Write the run's messages (``sys.stderr``) to a copy of descriptor 2, which child
    processes do not inherit; for the ``churnwatch`` command only, which owns its process
    (an embedding program, or a test, keeps its ``sys.stderr``)."""
    stream = sys.stderr
    if stream is None:  # started with the descriptor closed: nothing is written there
        return
    try:
        if stream.fileno() != STDERR:
            return
    except (OSError, ValueError):
        return
    copy = os.dup(STDERR)  # not inheritable, as every descriptor Python makes
    sys.stderr = open(  # noqa: SIM115 - the process's stream, open until it ends
        copy, "w", encoding=stream.encoding, errors=stream.errors, buffering=1
    )
    _Apart.done = True


@contextmanager
def children_unheard() -> Iterator[None]:
    """Descriptor 2 at ``/dev/null`` while the processes started inside run (where the
    messages are apart). Where a stop (SIGTERM, Ctrl-C) ends the block, it stays there: the
    cluster's own thread may go on starting workers as the run unwinds."""
    if not _Apart.done:
        yield
        return
    saved = os.dup(STDERR)
    nowhere = os.open(os.devnull, os.O_WRONLY)
    os.dup2(nowhere, STDERR)
    os.close(nowhere)
    stopped = False
    try:
        yield
    except BaseException as error:
        stopped = isinstance(error, KeyboardInterrupt) or stop_behind(error) is not None
        raise
    finally:
        if not stopped:
            os.dup2(saved, STDERR)
        os.close(saved)
