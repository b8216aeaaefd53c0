"""Exports of the benchmark data in shapes that cost more than their rows suggest.

    python benchmarks/shapes.py twice benchmarks/data/1M /tmp/twice_1M  # every row twice
    python benchmarks/shapes.py lines benchmarks/data/1M /tmp/lines_1M  # two lines per order

``twice``: every row of every source written twice, one after the other (an export joined
to itself, or exported twice): each copy is an exact duplicate, compared whole with the
columns churnwatch does not read. ``lines``: every order as two lines of different
products (a column churnwatch does not read), so every order row has a twin in the columns
read and none is a duplicate. Each is then scanned as any export:

    python ../shared/bench/pair.py --runs 3 --warmup 1 --ref before \\
        "before=env PYTHONPATH=<old tree>/src python -m churnwatch scan /tmp/twice_1M -o a.csv" \\
        "after=env PYTHONPATH=src python -m churnwatch scan /tmp/twice_1M -o b.csv"
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

SOURCES = ("orders.csv", "payments.csv", "complaints.csv")


def twice(table: pa.Table, _: str) -> pa.Table:
    """Each row, then its copy."""
    return table.take(pa.array(np.repeat(np.arange(table.num_rows), 2)))


def lines(table: pa.Table, name: str) -> pa.Table:
    """An order's row twice, each copy with a product of its own; other sources as given."""
    if name != "orders.csv":
        return table
    doubled = twice(table, name)
    products = np.tile(np.array(["SKU-A", "SKU-B"], dtype=object), table.num_rows)
    return doubled.append_column("product", pa.array(products, pa.string()))


SHAPES = {"twice": twice, "lines": lines}


def main(shape: str, source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        table = pacsv.read_csv(source / name)
        pacsv.write_csv(SHAPES[shape](table, name), target / name)


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
