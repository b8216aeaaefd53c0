"""Set-up of the worker processes of the local cluster a run starts for itself (a Dask
preload: ``dask_setup`` runs in each worker process as it starts)."""

from __future__ import annotations

import atexit
import os
import signal
from pathlib import Path
from typing import Any

RUN_SPACE = "churnwatch-dask-"
"""The start of the name of the run's private folder for its cluster (``engines``)."""


def dask_setup(worker: Any) -> None:
    """Ctrl-C on a terminal reaches every process of its process group, the cluster's worker
    processes too: each printed a traceback of its own under the run's one-line stop. The run
    itself stops and closes its cluster, so a worker lets Ctrl-C pass.

    A worker still starting when its run was stopped made its space in the run's folder
    after the run had removed it, and left the empty folders behind when it closed: a
    worker whose run is gone removes them as it exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    atexit.register(_leave_no_space, os.getppid(), Path(worker.local_directory))


def _leave_no_space(run: int, space: Path) -> None:
    """The folders above ``space`` up to the run's own, each only if it is empty, once the
    run (this process's parent when it started) is gone."""
    if os.getppid() == run:
        return
    for folder in space.parents:
        try:
            folder.rmdir()  # empty only: another worker's space stays
        except OSError:
            return
        if folder.name.startswith(RUN_SPACE):
            return
