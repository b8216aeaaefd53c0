"""One side of "loading against the floor", as a whole process for ``pair.py``.

    python benchmarks/load_vs_floor.py floor DATA   # pyarrow reads the three CSVs, nothing else
    python benchmarks/load_vs_floor.py mapped DATA  # the same, each file through a memory map
    python benchmarks/load_vs_floor.py load DATA    # churnwatch loads them (ids coded, frames)

    python ../shared/bench/pair.py --runs 5 --warmup 1 --json load.json --ref floor \\
        "floor=python benchmarks/load_vs_floor.py floor benchmarks/data/10M" \\
        "load=python benchmarks/load_vs_floor.py load benchmarks/data/10M"

Imports are part of both, as they are part of every scan.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(kind: str, folder: Path) -> None:
    if kind in ("floor", "mapped"):
        import pyarrow as pa
        import pyarrow.csv as pacsv

        for name in ("orders", "payments", "complaints"):
            path = folder / f"{name}.csv"
            if kind == "mapped":  # as churnwatch reads where it may (ingest/held_file.py)
                with pa.memory_map(str(path)) as mapped:
                    pacsv.read_csv(mapped)
            else:
                pacsv.read_csv(path)
        return
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")  # as the command sets them
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from churnwatch.config import Config
    from churnwatch.ingest.dataset import load_dataset

    load_dataset(folder, Config())


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
