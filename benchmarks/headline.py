"""The headline speed figures: churnwatch against the hand-written DuckDB query, per size.

Uses the shared benchmark kit (``../shared/bench`` or ``--kit``): its ``gen.py`` data, its
``cw_duckdb.py`` reference query, and ``pair.py``, which runs the contenders in turn as whole
processes through ``measure.py`` and records the load and the CPU other work took. Prints
per size the medians and spreads of wall time, CPU and peak memory, the paired wall ratio,
and the wall time per million orders (linear scaling keeps it flat).

    python benchmarks/headline.py --sizes 1M 3M 10M 30M --runs 3
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
MILLION = {"k": 1e3, "M": 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1M", "10M"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--kit", type=Path, default=HERE.parents[1] / "shared" / "bench")
    parser.add_argument("--format", default="csv", help="churnwatch's output format")
    parser.add_argument(
        "--orders-per-customer",
        type=float,
        help="data from benchmarks/synthetic.py with this many orders per customer (the kit's"
        " gen.py has 50), e.g. 2.5 for a shop of many one-off buyers",
    )
    args = parser.parse_args()
    churnwatch = shutil.which("churnwatch") or "churnwatch"
    compile_package()
    rows = []
    for size in args.sizes:
        per = args.orders_per_customer
        label = size if per is None else f"{size}-per-{per:g}"
        folder = DATA / label
        if not (folder / "orders.csv").exists():
            generate(args.kit, size, folder, per)
        result = DATA / f"pair-{label}.json"
        run(
            [
                sys.executable,
                str(args.kit / "pair.py"),
                "--label",
                label,
                "--runs",
                str(args.runs),
                "--warmup",
                str(args.warmup),
                "--json",
                str(result),
                "--ref",
                "duckdb",
                f"cw={churnwatch} scan {folder} --format {args.format} --output"
                f" {DATA / ('cw.' + args.format)}",
                f"duckdb={sys.executable} {args.kit / 'cw_duckdb.py'} {folder}"
                f" {DATA / 'duckdb.csv'}",
            ]
        )
        rows.append((label, json.loads(result.read_text())))
    print_table(rows)


def generate(kit: Path, size: str, folder: Path, per_customer: float | None) -> None:
    """The kit's data, or synthetic.py's with ``per_customer`` orders per customer (invoices
    and complaints in the kit's proportions: 0.8 and 0.03 per order)."""
    if per_customer is None:
        run([sys.executable, str(kit / "gen.py"), "-n", size, "-o", str(folder)])
        return
    from synthetic import generate as synthetic

    count = int(orders(size))
    synthetic(folder, count, int(0.8 * count), int(0.03 * count), int(count / per_customer))


def compile_package() -> None:
    """Byte-compile churnwatch where it is installed, as pip does when it installs a wheel.
    An editable install run where ``PYTHONDONTWRITEBYTECODE`` is set (some CI images and
    sandboxes set it) never writes its bytecode, so every run would compile every module
    again: 0.3-0.5 s of a run at 1 M orders that no installed copy pays."""
    spec = importlib.util.find_spec("churnwatch")
    if spec is None or not spec.submodule_search_locations:
        return
    run([sys.executable, "-m", "compileall", "-q", *spec.submodule_search_locations])


def run(command: list[str]) -> None:
    subprocess.run(command, check=True)


def orders(size: str) -> float:
    size = size.split("-per-", maxsplit=1)[0]
    return float(size[:-1]) * MILLION[size[-1]] if size[-1] in MILLION else float(size)


def print_table(rows: list[tuple[str, dict[str, object]]]) -> None:
    print()
    print(
        "| orders | churnwatch wall | DuckDB wall | ratio (paired) | churnwatch peak | DuckDB peak"
        " | churnwatch s per M orders |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for size, result in rows:
        runs = result["runs"]
        assert isinstance(runs, dict)
        cw, duck = runs["cw"], runs["duckdb"]
        ratios = [a["wall"] / b["wall"] for a, b in zip(cw, duck, strict=True)]
        median = statistics.median(r["wall"] for r in cw)
        print(
            f"| {size} | {spread([r['wall'] for r in cw], 's')} |"
            f" {spread([r['wall'] for r in duck], 's')} | {spread(ratios, '×')} |"
            f" {spread([r['peak'] for r in cw], ' MiB', 0)} |"
            f" {spread([r['peak'] for r in duck], ' MiB', 0)} |"
            f" {median / (orders(size) / 1e6):.2f} |"
        )


def spread(values: list[float], unit: str, digits: int = 2) -> str:
    """``median (min–max)`` with the unit."""
    return (
        f"{statistics.median(values):.{digits}f}{unit}"
        f" ({min(values):.{digits}f}–{max(values):.{digits}f})"
    )


if __name__ == "__main__":
    main()
