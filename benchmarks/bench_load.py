"""Benchmark: loading 10 million order rows vs. pyarrow's own CSV reader on the same file.

Target (foundation issue): churnwatch's load takes at most 1.5x the time of
``pyarrow.csv.read_csv`` (default options) on the same file. Each measurement runs in a
fresh subprocess so peak memory (max RSS) is measured separately; each side runs
``--repeat`` times, alternating, and the fastest run of each is compared.

    python benchmarks/bench_load.py [--rows N]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import generate  # noqa: E402


def _measure(kind: str, folder: Path) -> dict[str, float]:
    """Run one side in this (child) process: seconds (imports excluded), rows, peak memory."""
    import pyarrow.csv as pacsv

    from churnwatch.config import Config, SourceConfig, Sources
    from churnwatch.ingest.dataset import load_dataset

    off = SourceConfig(enabled=False)
    only_orders = Config(sources=Sources(payments=off, complaints=off, contacts=off, customers=off))
    started = time.perf_counter()
    if kind == "pyarrow":
        rows = pacsv.read_csv(folder / "orders.csv").num_rows
    else:
        rows = len(load_dataset(folder, only_orders).frame("orders"))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rows": rows, "peak_mb": peak_mb}


def _run(kind: str, folder: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--folder", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(output)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3, help="processes per side; best is kept")
    parser.add_argument("--child", choices=["pyarrow", "churnwatch"])
    args = parser.parse_args()
    folder = args.folder or HERE / "data" / f"load-{args.rows}"
    if args.child:
        print(json.dumps(_measure(args.child, folder)))
        return
    generate(folder, orders=args.rows, payments=0, complaints=0, customers=max(args.rows // 50, 1))
    size_mb = (folder / "orders.csv").stat().st_size / 1e6
    print(f"orders.csv: {args.rows:,} rows, {size_mb:,.0f} MB")
    # Best of N fresh processes for each side, alternating, so both see the same machine.
    runs: dict[str, list[dict[str, float]]] = {"pyarrow": [], "churnwatch": []}
    for _ in range(args.repeat):
        for kind, results in runs.items():
            results.append(_run(kind, folder))
    arrow, ours = (min(results, key=lambda r: r["seconds"]) for results in runs.values())
    for name, r in (("pyarrow.csv.read_csv", arrow), ("churnwatch load", ours)):
        rate = r["rows"] / r["seconds"]
        print(f"{name:22} {r['seconds']:6.2f} s  {rate:12,.0f} rows/s  peak {r['peak_mb']:,.0f} MB")
    ratio = ours["seconds"] / arrow["seconds"]
    verdict = "OK" if ratio <= 1.5 else "TOO SLOW"
    print(f"ratio churnwatch / pyarrow: {ratio:.2f} (target <= 1.50: {verdict})")


if __name__ == "__main__":
    main()
