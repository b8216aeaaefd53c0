"""Shared setup: stable Rich output, example and fixture folders, export-folder builders."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner, Result

from churnwatch.cli import app
from churnwatch.core.sources import SOURCES
from helpers import FIXTURES

# Rich reads these whenever a console is created; pinned before any test renders anything.
os.environ["COLUMNS"] = "120"
os.environ["NO_COLOR"] = "1"
os.environ.pop("FORCE_COLOR", None)

settings.register_profile("churnwatch", max_examples=200, deadline=None)
settings.load_profile("churnwatch")


@pytest.fixture
def examples_dir() -> Path:
    """The repository's example exports (read-only: copy before changing anything)."""
    return FIXTURES.parents[1] / "examples"


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """An empty exports folder."""
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


@pytest.fixture
def write_csv(exports: Path) -> Callable[..., Path]:
    """Write CSV text into the exports folder, byte-exact in the given encoding and line end.

    ``write_csv("orders.csv", text, "cp1252", newline="\\r\\n")``; ``utf-8-sig`` and
    ``utf-16`` write a BOM.
    """

    def write(name: str, text: str, encoding: str = "utf-8", *, newline: str = "\n") -> Path:
        path = exports / name
        path.write_bytes(text.replace("\n", newline).encode(encoding))
        return path

    return write


@pytest.fixture
def use_fixture(exports: Path) -> Callable[[str, str], Path]:
    """Copy ``tests/fixtures/NAME`` into the exports folder as a source's default file."""

    def use(source: str, name: str) -> Path:
        target = exports / SOURCES[source].default_file
        shutil.copyfile(FIXTURES / name, target)
        return target

    return use


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run the Typer app in-process; paths may be passed as ``Path``."""
    runner = CliRunner()

    def invoke(*args: object) -> Result:
        return runner.invoke(app, [str(a) for a in args])

    return invoke
