"""Wall time and peak memory of a command and of every process it starts (a Dask cluster's
workers), sampled every 0.1 s: ``wait4``'s peak is that of the largest single process, which
says nothing of the workers beside it.

    python benchmarks/tree_memory.py -- churnwatch scan DIR --engine dask -o out.csv

Prints the wall time, the peak of the summed resident memory, and each process's peak (the
command first, then its largest descendants). Samples can miss a peak shorter than 0.1 s.
"""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

INTERVAL = 0.1


def main(command: list[str]) -> int:
    started = time.monotonic()
    running = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    root = psutil.Process(running.pid)
    peaks: dict[int, int] = {}
    total = 0
    while running.poll() is None:
        summed = 0
        for process in [root, *_descendants(root)]:
            try:
                resident = process.memory_info().rss
            except psutil.Error:
                continue
            summed += resident
            peaks[process.pid] = max(peaks.get(process.pid, 0), resident)
        total = max(total, summed)
        time.sleep(INTERVAL)
    print(f"wall {time.monotonic() - started:.1f} s, exit {running.returncode}")
    print(f"peak of the sum {total / 2**20:,.0f} MiB")
    print(f"  command {peaks.get(root.pid, 0) / 2**20:,.0f} MiB")
    others = sorted((peak for pid, peak in peaks.items() if pid != root.pid), reverse=True)
    for peak in others[:4]:
        print(f"  a process it started {peak / 2**20:,.0f} MiB")
    return running.returncode


def _descendants(root: psutil.Process) -> list[psutil.Process]:
    try:
        return root.children(recursive=True)
    except psutil.Error:
        return []


if __name__ == "__main__":
    arguments = sys.argv[1:]
    sys.exit(main(arguments[1:] if arguments[:1] == ["--"] else arguments))
