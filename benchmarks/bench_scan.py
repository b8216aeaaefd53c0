"""Benchmark: an end-to-end scan of ~0.9 GB of exports against the same features in DuckDB.

Generates 10 million orders, 8 million invoices and 300 thousand complaints (seeded), then
runs, each in a fresh process:

- ``churnwatch scan DATA --format csv --output …`` (load, features, rules, scores, CSV);
- ``benchmarks/duckdb_features.sql``: the headline features as one DuckDB query.

Targets (scan issue): churnwatch within 2x the DuckDB time, peak memory under 4 GB.

    python benchmarks/bench_scan.py [--repeat N]      (needs: pip install duckdb)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic import generate  # noqa: E402

ROWS = {"orders": 10_000_000, "payments": 8_000_000, "complaints": 300_000}


def _duckdb_child(folder: Path, as_of: str, recent: int, baseline: int) -> None:
    """Run the DuckDB query in this (child) process and print seconds and peak memory."""
    import duckdb

    template = (HERE / "duckdb_features.sql").read_text()
    query = (
        template.replace("{folder}", str(folder))
        .replace("{as_of}", as_of)
        .replace("{recent}", str(recent))
        .replace("{baseline}", str(baseline))
    )
    started = time.perf_counter()
    rows = len(duckdb.connect().execute(query).fetchall())
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "customers": rows, "peak_mb": peak}))


def _time_command(command: list[str]) -> tuple[float, float, str]:
    """Wall time, peak RSS (MB) of the child, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    peak = max(before, peak)  # another child was bigger; max RSS is a running maximum
    return seconds, peak / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", type=Path, default=HERE / "data" / "scan")
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; best is kept")
    parser.add_argument("--duckdb-child", nargs=3, metavar=("AS_OF", "RECENT", "BASELINE"))
    args = parser.parse_args()
    if args.duckdb_child:
        as_of, recent, baseline = args.duckdb_child
        _duckdb_child(args.folder, as_of, int(recent), int(baseline))
        return
    generate(args.folder, ROWS["orders"], ROWS["payments"], ROWS["complaints"], 200_000)
    size = sum(p.stat().st_size for p in args.folder.glob("*.csv")) / 1e9
    total_rows = sum(ROWS.values())
    print(f"data: {total_rows:,} rows in {size:.2f} GB of CSV ({args.folder})")

    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "scan.csv"
        scan = [sys.executable, "-m", "churnwatch", "scan", str(args.folder), "-o", str(output)]
        ours = [_time_command(scan)[:2] for _ in range(args.repeat)]
        as_of, customers = _as_of(output)
    duck_runs = []
    for _ in range(args.repeat):
        command = [sys.executable, __file__, "--folder", str(args.folder)]
        command += ["--duckdb-child", as_of, "90", "365"]
        duck_runs.append(json.loads(_time_command(command)[2]))
    our_seconds, our_peak = min(ours)
    duck = min(duck_runs, key=lambda r: r["seconds"])
    print(f"as of {as_of}, {customers:,} customers scored")
    print(
        f"churnwatch scan (end to end, CSV out) {our_seconds:6.2f} s"
        f"  {total_rows / our_seconds:12,.0f} rows/s  peak {our_peak:,.0f} MB"
    )
    print(
        f"DuckDB query (features only)          {duck['seconds']:6.2f} s"
        f"  {total_rows / duck['seconds']:12,.0f} rows/s  peak {duck['peak_mb']:,.0f} MB"
    )
    ratio = our_seconds / duck["seconds"]
    verdict = "OK" if ratio <= 2 else "MISSED"
    print(f"ratio churnwatch / DuckDB: {ratio:.2f} (target <= 2.00: {verdict})")
    verdict = "OK" if our_peak < 4096 else "MISSED"
    print(f"peak memory: {our_peak:,.0f} MB (target < 4096 MB: {verdict})")


def _as_of(output: Path) -> tuple[str, int]:
    """The reference date the scan used (its default: the latest order date) and row count."""
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    options = pacsv.ConvertOptions(include_columns=["last_order_date"])
    column = pacsv.read_csv(output, convert_options=options).column(0)
    return str(pc.max(column).as_py()), len(column)


if __name__ == "__main__":
    main()
