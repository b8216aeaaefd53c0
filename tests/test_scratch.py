"""Temporary folders of runs that were killed outright (SIGKILL, the out-of-memory killer)
are removed by a later run; a living run's folders, and folders that are not a run's, stay."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from churnwatch.core import scratch

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="no flock on Windows")

KILLED_RUN = """
import os, signal, sys
from pathlib import Path
from churnwatch.core.scratch import Scratch
folder = Scratch(sys.argv[1])
(Path(folder.name) / "orders.csv").write_text("customer data")
os.kill(os.getpid(), signal.SIGKILL)
"""


def _killed_run(tmp: Path, prefix: str = "churnwatch-") -> Path:
    """The folder a run made and left when it was killed."""
    environment = {**os.environ, "TMPDIR": str(tmp)}
    done = subprocess.run([sys.executable, "-c", KILLED_RUN, prefix], env=environment, check=False)
    assert done.returncode == -signal.SIGKILL
    (left,) = tmp.iterdir()
    assert (left / "orders.csv").exists() and (left / scratch.OWNER).exists()
    return left


def test_a_killed_runs_folder_is_removed_and_a_living_ones_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    left = _killed_run(tmp_path, "churnwatch-parts-")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    living = scratch.Scratch("churnwatch-dask-")
    not_a_run = tmp_path / "churnwatch-notes"  # no owner file: someone else's, or being made
    not_a_run.mkdir()
    other = tmp_path / "another-tool"
    other.mkdir()
    (other / scratch.OWNER).write_text("")
    try:
        assert scratch.sweep(tmp_path) == [left]
        assert not left.exists()
        assert Path(living.name).exists() and not_a_run.exists() and other.exists()
    finally:
        living.cleanup()
    assert not Path(living.name).exists()
    assert scratch.sweep(tmp_path) == []  # removed by its run: nothing claimed is left


@pytest.mark.parametrize("packed", [True, False])
def test_the_next_run_removes_what_a_killed_run_left(
    examples_dir: Path, tmp_path: Path, packed: bool
) -> None:
    """A cron job killed by the out-of-memory killer while reading a packed export left the
    unpacked copy (the customers' data, gigabytes of it) in the shared temporary folder. The
    next run removes it, whether or not it makes a folder of its own."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    left = _killed_run(tmp)
    exports = tmp_path / "exports"
    shutil.copytree(examples_dir / "exports", exports)
    if packed:  # the run makes a folder of its own, for the unpacked copy
        orders = exports / "orders.csv"
        orders.with_name("orders.csv.gz").write_bytes(gzip.compress(orders.read_bytes()))
        orders.unlink()
    command = [str(Path(sys.executable).with_name("churnwatch")), "scan", str(exports), "-q"]
    command += ["--as-of", "2026-09-30", "-o", str(tmp_path / "risks.csv")]
    done = subprocess.run(
        command, env={**os.environ, "TMPDIR": str(tmp)}, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not left.exists()
    assert list(tmp.iterdir()) == []  # and its own folder, if any, is gone too


KILLED_WHILE_REMOVING = """
import os, signal
from pathlib import Path
from churnwatch.core import scratch
folder = scratch.Scratch("churnwatch-parts-")
for number in range(50):
    (Path(folder.name) / f"part-{number}.csv").write_text("customer data")
removing = os.unlink
def unlink(path, *args, **kwargs):
    removing(path, *args, **kwargs)
    if str(path).endswith(scratch.OWNER):  # `timeout -k`: SIGKILL during the clean-up
        os.kill(os.getpid(), signal.SIGKILL)
os.unlink = unlink
folder.cleanup()
"""


def test_a_run_killed_while_removing_its_folder_leaves_nothing_for_good(
    tmp_path: Path,
) -> None:
    """The owner file goes last: removed where the directory listing happened to put it,
    the rest of the folder (the customers' data) was no run's any more, and no sweep took
    it away. Now at most the empty folder is left, which a later sweep removes."""
    environment = {**os.environ, "TMPDIR": str(tmp_path)}
    command = [sys.executable, "-c", KILLED_WHILE_REMOVING]
    done = subprocess.run(command, env=environment, check=False)
    assert done.returncode == -signal.SIGKILL
    (left,) = tmp_path.iterdir()
    assert list(left.iterdir()) == []
    assert scratch.sweep(tmp_path) == []  # it may be a folder just made: left for now
    long_ago = time.time() - 2 * scratch.CLAIMING_SECONDS
    os.utime(left, (long_ago, long_ago))
    assert scratch.sweep(tmp_path) == [left]
    assert list(tmp_path.iterdir()) == []


def _dead_folder(root: Path, name: str, owner: str, text: bytes) -> Path:
    """A folder as a run that is gone left it (its owner file unlocked)."""
    folder = root / name
    folder.mkdir()
    (folder / "orders.csv").write_text("customer data")
    (folder / owner).write_bytes(text)
    return folder


def test_what_the_sweep_leaves_alone(tmp_path: Path) -> None:
    host = socket.gethostname().encode()
    elsewhere = _dead_folder(tmp_path, "churnwatch-a", scratch.OWNER, b"another-machine")
    claiming = _dead_folder(tmp_path, "churnwatch-b", f"{scratch.OWNER}.new", host)
    died_claiming = _dead_folder(tmp_path, "churnwatch-c", f"{scratch.OWNER}.new", host)
    long_ago = time.time() - 2 * scratch.CLAIMING_SECONDS
    os.utime(died_claiming / f"{scratch.OWNER}.new", (long_ago, long_ago))
    assert scratch.sweep(tmp_path) == [died_claiming]
    # a run on another machine sharing the folder: its lock may be one this one cannot see
    # (NFS without shared locks); a run between making its folder and claiming it
    assert elsewhere.exists() and claiming.exists()


def test_a_fifo_for_an_owner_file_does_not_hang_the_run(tmp_path: Path) -> None:
    folder = tmp_path / "churnwatch-x"
    folder.mkdir()
    os.mkfifo(folder / scratch.OWNER)
    sweeping = threading.Thread(target=scratch.sweep, args=(tmp_path,), daemon=True)
    sweeping.start()
    sweeping.join(timeout=10)
    assert not sweeping.is_alive()
    assert folder.exists()
