"""An export is read through a memory map only while no other process can cut it short."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest

from churnwatch.ingest import held_file
from churnwatch.ingest.held_file import held_for_reading

fcntl = pytest.importorskip("fcntl")  # file leases: Linux

TRUNCATE = "import sys; open(sys.argv[1], 'w').close()"


def _export(tmp_path: Path, rows: int = 50_000) -> Path:
    path = tmp_path / "orders.csv"
    lines = "".join(f"C{i},2024-01-{i % 28 + 1:02d},{i}.50\n" for i in range(rows))
    path.write_text("customer_id,order_date,amount\n" + lines)
    return path


def _leases_here(path: Path) -> bool:
    with open(path) as file:
        try:
            fcntl.fcntl(file.fileno(), fcntl.F_SETLEASE, fcntl.F_RDLCK)
        except OSError:
            return False
        fcntl.fcntl(file.fileno(), fcntl.F_SETLEASE, fcntl.F_UNLCK)
    return True


def test_a_writer_waits_until_the_mapped_read_is_over(tmp_path: Path) -> None:
    """A process that truncates the export mid-read would crash a mapped read (SIGBUS);
    under the lease it is held back until the read is done, then goes ahead."""
    path = _export(tmp_path)
    if not _leases_here(path):
        pytest.skip("no file leases on this system or file system")
    size = path.stat().st_size
    with held_for_reading(path) as source:
        assert isinstance(source, pa.MemoryMappedFile)
        writer = subprocess.Popen([sys.executable, "-c", TRUNCATE, str(path)])
        time.sleep(0.5)
        assert writer.poll() is None, "the writer truncated the file under the mapped read"
        assert path.stat().st_size == size
        assert len(source.read()) == size  # every mapped page is still there
    assert writer.wait(timeout=30) == 0
    assert path.stat().st_size == 0


def test_a_file_open_for_writing_is_read_not_mapped(tmp_path: Path) -> None:
    path = _export(tmp_path, rows=10)
    with open(path, "a"), held_for_reading(path) as source:
        assert source == path


def test_empty_and_missing_files_are_left_to_the_reader(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with held_for_reading(empty) as source:
        assert source == empty
    with held_for_reading(tmp_path / "gone.csv") as source:
        assert source == tmp_path / "gone.csv"


def test_the_lease_is_given_back_after_the_read(tmp_path: Path) -> None:
    path = _export(tmp_path, rows=10)
    with held_for_reading(path):
        pass
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", TRUNCATE, str(path)], check=True, timeout=30)
    assert time.monotonic() - started < 10  # not held back by a lease left behind
    assert path.stat().st_size == 0


def _mounted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """This process's mount table, as if ``tmp_path`` were a mount of ``kind``."""
    table = tmp_path / "mountinfo"
    point = str(tmp_path.resolve()).replace(" ", "\\040")
    table.write_text(
        "1 0 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"
        f"90 1 0:50 / {point} rw,relatime shared:7 - {kind} server:/exports rw\n"
    )
    monkeypatch.setattr(held_file, "MOUNTS", table)


def test_a_file_on_a_network_share_is_read_not_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lease holds back this machine's writers only: another machine could cut the file."""
    path = _export(tmp_path, rows=10)
    _mounted(tmp_path, monkeypatch, "nfs4")
    with held_for_reading(path) as source:
        assert source == path


def test_a_file_on_a_local_disk_is_mapped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _export(tmp_path, rows=10)
    if not _leases_here(path):
        pytest.skip("no file leases on this system or file system")
    _mounted(tmp_path, monkeypatch, "xfs")
    with held_for_reading(path) as source:
        assert isinstance(source, pa.MemoryMappedFile)


def test_a_byte_is_found_wherever_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the first block, a later one, at the very end, and not at all (blocks of 4 KiB)."""
    monkeypatch.setattr(held_file, "SEARCH_BLOCK", 4096)
    path = _export(tmp_path, rows=2_000)
    assert not held_file.holds_byte(path, b'"')
    text = path.read_bytes()
    for where in (0, len(text) // 2, len(text) - 1):
        path.write_bytes(text[:where] + b'"' + text[where + 1 :])
        assert held_file.holds_byte(path, b'"')
