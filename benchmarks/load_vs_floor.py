"""One side of "loading against the floor", as a whole process for ``pair.py``.

    python benchmarks/load_vs_floor.py floor DATA   # pyarrow reads the three CSVs, nothing else
    python benchmarks/load_vs_floor.py mapped DATA  # the same, each file through a memory map
    python benchmarks/load_vs_floor.py load DATA    # churnwatch loads them (ids coded, frames)

    python ../shared/bench/pair.py --runs 5 --warmup 1 --json load.json --ref floor \\
        "floor=python benchmarks/load_vs_floor.py floor benchmarks/data/10M" \\
        "load=python benchmarks/load_vs_floor.py load benchmarks/data/10M"

Imports are part of both, as they are part of every scan. The load starts and ends as the
``churnwatch`` command does (its numpy and malloc settings; the process left without freeing
the frames one by one, as :func:`churnwatch.launch.leave` does after every command); the floor
is a plain script.
"""

from __future__ import annotations

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
    from churnwatch.launch import leave, tune_malloc, tune_numpy

    tune_numpy()  # set up as the command sets itself up
    tune_malloc()
    from churnwatch.config import Config
    from churnwatch.ingest.dataset import load_dataset

    load_dataset(folder, Config())
    leave(0)  # and ended as the command ends: without freeing object by object


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
