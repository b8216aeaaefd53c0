"""What a page fault costs on this machine: memory touched for the first time, memory just
given back and taken again, and the same after the machine has had time to reclaim it.

    python benchmarks/fresh_pages.py [--mib 512] [--idle 5]

On a virtual machine whose kernel reports free pages to the host (``Free page reporting
enabled`` in ``dmesg``; the development machine has ``page_reporting_order=11`` on its
command line), memory that has been free for a while is taken back by the host, and the
next touch of it costs a fault on the host as well. A scan that allocates fresh arrays
step after step pays that price on most of its pages; a process that keeps its buffers
(DuckDB's buffer manager) does not.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")  # 4 KB pages, as churnwatch runs

import numpy as np


def touch(mib: int) -> str:
    """Fill a new array of ``mib`` MiB and say what its page faults cost."""
    before, start = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    array = np.ones(mib << 17)  # float64: 2**17 of them per MiB
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    del array
    faults = after.ru_minflt - before.ru_minflt
    system = after.ru_stime - before.ru_stime
    per_fault = 1e6 * system / max(faults, 1)
    return f"wall {wall:.3f} s, system {system:.3f} s, {faults:,} faults, {per_fault:.1f} µs each"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512)
    parser.add_argument("--idle", type=float, default=5.0, help="seconds to wait in between")
    args = parser.parse_args()
    print(f"first touch:          {touch(args.mib)}")
    print(f"given back, again:    {touch(args.mib)}")
    time.sleep(args.idle)
    print(f"after {args.idle:g} s idle:      {touch(args.mib)}")
    print(f"given back, again:    {touch(args.mib)}")


if __name__ == "__main__":
    main()
