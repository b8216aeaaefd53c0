"""Set-up of the worker processes of the local cluster a run starts for itself (a Dask
preload: ``dask_setup`` runs in each worker process as it starts)."""

from __future__ import annotations

import signal
from typing import Any


def dask_setup(worker: Any) -> None:
    """Ctrl-C on a terminal reaches every process of its process group, the cluster's worker
    processes too: each printed a traceback of its own under the run's one-line stop. The run
    itself stops and closes its cluster, so a worker lets Ctrl-C pass."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
