"""A run stopped by a signal (SIGTERM from a cron timeout, SIGHUP from a closed terminal):
the exception the stop becomes, and the short moments it waits for.

A stop is raised wherever the main thread happens to be. Between making a temporary folder
and registering it for removal, or in the middle of removing it, that would leave the folder
behind in a shared ``/tmp``; in such a moment (:func:`held`) the stop is kept and raised
when the moment ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so what the run made is removed."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class _Held:
    """How many :func:`held` moments the main thread is in (they may nest), and the signal
    of a stop that came during them."""

    moments: int = 0
    kept: int | None = None


_HELD = _Held()


def stop(signum: int) -> None:
    """Raise the stop, or keep it for the end of the moment the main thread is in."""
    if _HELD.moments:
        _HELD.kept = signum
        return
    raise Stopped(signum)


@contextmanager
def held() -> Iterator[None]:
    """A moment a stop must not cut short; a stop that comes in it is raised at its end.

    Signals are handled on the main thread only, so only there is a moment held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _HELD.moments += 1
    try:
        yield
    finally:
        _HELD.moments -= 1
        if not _HELD.moments and _HELD.kept is not None:
            signum, _HELD.kept = _HELD.kept, None
            raise Stopped(signum)
