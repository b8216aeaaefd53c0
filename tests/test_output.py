"""Atomic writes: a failed write leaves neither a half-written file nor a temp file behind."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from churnwatch.core.errors import OutputError
from churnwatch.deliver import atomic
from churnwatch.deliver.atomic import write_atomically


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_writes_the_bytes_with_normal_permissions(tmp_path, umask_022):
    target = tmp_path / "report.html"
    write_atomically(target, b"<p>hello</p>")
    assert target.read_bytes() == b"<p>hello</p>"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_replaces_an_existing_file(tmp_path):
    target = tmp_path / "report.csv"
    target.write_bytes(b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_missing_folder_is_an_output_error(tmp_path):
    target = tmp_path / "missing" / "report.csv"
    with pytest.raises(OutputError) as raised:
        write_atomically(target, b"data")
    assert str(raised.value) == f"{target}: folder {target.parent} does not exist"
    assert list(tmp_path.iterdir()) == []


def test_target_that_is_a_folder_leaves_no_temp_file(tmp_path):
    target = tmp_path / "report.csv"
    target.mkdir()
    with pytest.raises(OutputError) as raised:
        write_atomically(target, b"data")
    assert str(raised.value) == f"{target}: is a folder; give a file name"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]
    assert list(target.iterdir()) == []


def test_failed_rename_keeps_the_old_file_and_removes_the_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "report.csv"
    target.write_bytes(b"last week")

    def refuse(source, destination):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OutputError) as raised:
        write_atomically(target, b"this week")
    assert str(raised.value) == f"{target}: cannot write: Permission denied"
    assert target.read_bytes() == b"last week"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_unexpected_error_while_writing_removes_the_temp_file(tmp_path):
    target = tmp_path / "report.csv"
    with pytest.raises(TypeError):
        write_atomically(target, "text, not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_symlink_is_followed_and_permissions_are_kept(tmp_path):
    real = tmp_path / "real.csv"
    real.write_bytes(b"old")
    real.chmod(0o600)
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    write_atomically(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"
    assert real.stat().st_mode & 0o777 == 0o600


def test_device_is_written_through_not_replaced(tmp_path):
    write_atomically(Path("/dev/null"), b"data")
    assert Path("/dev/null").is_char_device()
