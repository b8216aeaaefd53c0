"""The installed console script, run as a real subprocess: exit codes, streams, no tracebacks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import churnwatch
from helpers import FIXTURES, ORDERS, flat

SCRIPT = Path(sys.executable).parent / "churnwatch"
needs_script = pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed")


def run(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=60, check=False, env=env
    )


@needs_script
def test_version():
    result = run(SCRIPT, "--version")
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"churnwatch {churnwatch.__version__}\n",
        "",
    )


def test_python_dash_m_version():
    result = run(sys.executable, "-m", "churnwatch", "--version")
    assert (result.returncode, result.stdout) == (0, f"churnwatch {churnwatch.__version__}\n")


@pytest.mark.parametrize("args", [["--version"], ["-h"], ["scan", "-h"]])
def test_start_up_does_not_load_the_data_stack(args: list[str]) -> None:
    """Version and help answer at once: pandas and pyarrow are imported only to do work."""
    probe = (
        "import sys\n"
        f"sys.argv = ['churnwatch', *{args!r}]\n"
        "from churnwatch.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'pyarrow', 'numpy') if m in sys.modules))\n"
    )
    result = run(sys.executable, "-c", probe)
    assert result.stdout.splitlines()[-1] == "[]"


def test_version_answers_before_the_command_line_is_loaded() -> None:
    """``--version`` is for scripts: it imports neither typer and rich nor the templates."""
    probe = (
        "import sys\n"
        "sys.argv = ['churnwatch', '--version']\n"
        "from churnwatch.launch import main\n"
        "main()\n"
        "heavy = ('typer', 'rich', 'jinja2', 'babel', 'pandas')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = run(sys.executable, "-c", probe)
    assert result.stdout.splitlines() == [f"churnwatch {churnwatch.__version__}", "[]"]


def test_a_finished_run_ends_with_its_exit_handlers_run_and_its_output_flushed() -> None:
    """The command skips the interpreter's object-by-object teardown (0.2 s after a large
    scan), not what an ordinary exit does: exit handlers (temporary folders) and buffers."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stdout.write(' and the handler ran'))\n"
        "sys.stdout.write('buffered')\n"
        "from churnwatch.launch import leave\n"
        "leave(3)\n"
        "print('never')\n"
    )
    result = run(sys.executable, "-c", probe)
    assert (result.returncode, result.stdout) == (3, "buffered and the handler ran")


@needs_script
def test_the_command_exits_with_the_runs_code_and_complete_output(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    done = run(SCRIPT, "scan", root / "examples" / "exports", "--format", "csv", "-q")
    assert done.returncode == 0 and done.stdout.count("\n") == 301  # the header, 300 rows
    failed = run(SCRIPT, "scan", tmp_path / "missing", "-q")
    assert failed.returncode == 2 and "exports folder not found" in failed.stderr


@pytest.mark.parametrize(
    ("name", "given", "seen"),
    [
        ("NUMPY_MADVISE_HUGEPAGE", None, "0"),
        ("NUMPY_MADVISE_HUGEPAGE", "1", "1"),
        ("OPENBLAS_NUM_THREADS", None, "1"),
        ("OPENBLAS_NUM_THREADS", "4", "4"),
    ],
)
def test_numpy_is_tuned_before_it_is_imported_unless_the_user_says_otherwise(
    name: str, given: str | None, seen: str
) -> None:
    """No huge pages (compaction stalls every large array on common kernels) and one BLAS
    thread (idle OpenBLAS threads spin on the scan's cores): numpy and BLAS read these once,
    when imported, so the command sets them first; a user's own value stays."""
    probe = (
        "import os, sys\n"
        "sys.argv = ['churnwatch', 'scan', '-h']\n"
        "from churnwatch.launch import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(os.environ[{name!r}])\n"
    )
    env = {k: v for k, v in os.environ.items() if k != name}
    if given is not None:
        env[name] = given
    result = run(sys.executable, "-c", probe, env=env)
    assert result.stdout.splitlines()[-1] == seen


def test_what_cycles_hold_is_freed_before_the_interpreter_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A failed read's frames hold its Arrow reader in a reference cycle; freed only in the
    interpreter's last clean-up, after Arrow's own, it aborted the process (exit 134) after
    the right message, one run in twenty. The command frees such cycles as it ends."""
    import contextlib
    import gc
    import weakref

    import churnwatch.cli
    from churnwatch.launch import main

    class Held:
        pass

    seen: list[weakref.ref[Held]] = []

    def read() -> None:
        held = Held()
        held.cycle = held  # type: ignore[attr-defined]
        seen.append(weakref.ref(held))
        raise ValueError("no valid rows")

    def failing_command() -> None:
        with contextlib.suppress(ValueError):  # as the CLI prints the message: the
            read()  # reader's frame is let go, the cycle it held is not
        raise SystemExit(2)

    monkeypatch.setattr(churnwatch.cli, "main", failing_command)
    monkeypatch.setattr(sys, "argv", ["churnwatch", "validate", "x"])
    gc.disable()  # only the command may free it
    try:
        with pytest.raises(SystemExit):
            main()
        assert seen and seen[0]() is None
    finally:
        gc.enable()


@needs_script
def test_short_help_lists_the_commands():
    result = run(SCRIPT, "-h")
    assert (result.returncode, result.stderr) == (0, "")
    assert "Usage: churnwatch" in result.stdout
    assert "validate" in result.stdout
    assert "init" in result.stdout


@needs_script
def test_short_help_of_a_command():
    result = run(SCRIPT, "validate", "-h")
    assert (result.returncode, result.stderr) == (0, "")
    assert "Usage: churnwatch validate" in result.stdout
    assert "--as-of" in result.stdout


@needs_script
def test_validate_examples_exits_0_without_colour_codes(examples_dir):
    result = run(SCRIPT, "validate", examples_dir / "exports")
    assert result.returncode == 0, result.stderr
    assert "usable: as of" in result.stdout
    assert "\x1b[" not in result.stdout
    assert result.stderr == ""


BAD_ORDERS = [
    "empty.csv",
    "header_only.csv",
    "orders_missing_customer_id.csv",
    "no_valid_rows.csv",
]


@needs_script
@pytest.mark.parametrize("fixture", BAD_ORDERS)
def test_bad_orders_exit_2_naming_the_file(exports, fixture):
    shutil.copyfile(FIXTURES / fixture, exports / "orders.csv")
    result = run(SCRIPT, "validate", exports)
    assert result.returncode == 2
    assert result.stdout == ""
    assert flat(result.stderr).startswith(f"error: {exports / 'orders.csv'}: ")
    assert "Traceback" not in result.stdout + result.stderr
    assert "\x1b[" not in result.stderr


@needs_script
def test_not_a_text_file_exits_2(exports):
    (exports / "orders.csv").write_bytes(b"PK\x03\x04" + bytes(200))
    result = run(SCRIPT, "validate", exports)
    assert result.returncode == 2
    assert flat(result.stderr) == (
        f"error: {exports / 'orders.csv'}: not a text file: looks like an Excel workbook or ZIP"
        " archive, but it cannot be opened as one (File is not a zip file); it may be damaged or"
        " cut short: copy it again, or export the sheet as CSV"
    )
    assert "Traceback" not in result.stdout + result.stderr


@needs_script
def test_invalid_config_exits_2(write_csv, exports):
    write_csv("orders.csv", ORDERS)
    path = write_csv("churnwatch.toml", "[windows]\nrecnet_days = 30\n")
    result = run(SCRIPT, "validate", exports)
    assert result.returncode == 2
    assert flat(result.stderr) == (
        f"error: {path}: windows.recnet_days: unknown key (did you mean 'recent_days'?)"
    )
    assert "Traceback" not in result.stdout + result.stderr


@needs_script
def test_init_without_orders_exits_2(write_csv, exports):
    write_csv("customers.csv", "customer_id,name\nC1,Alpha\n")
    result = run(SCRIPT, "init", exports)
    assert result.returncode == 2
    assert "no file looks like an orders export" in flat(result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert not (exports / "churnwatch.toml").exists()


@needs_script
def test_unknown_option_is_a_usage_error(examples_dir):
    result = run(SCRIPT, "validate", examples_dir / "exports", "--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "all"),
        ({"MALLOC_ARENA_MAX": "4"}, "heap"),
        ({"MALLOC_MMAP_MAX_": "65536"}, "arena"),
        ({"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=131072"}, "arena"),
        ({"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"}, "all"),
        ({"GLIBC_TUNABLES": "glibc.malloc.arena_max=4"}, "heap"),
        ({"MALLOC_TRIM_THRESHOLD_": "131072"}, "arena"),
    ],
)
def test_malloc_reuses_freed_memory_unless_the_user_says_otherwise(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: str
) -> None:
    """Threads that each allocate from an arena of their own do not reuse what the others
    freed, and blocks glibc maps on their own go back to the kernel when freed: the command
    asks for one arena and keeps large blocks in the heap, as ``MALLOC_ARENA_MAX=1`` and
    ``MALLOC_MMAP_MAX_=0`` would; a user's own settings of either stand."""
    import ctypes
    from types import SimpleNamespace

    from churnwatch import launch

    calls: list[tuple[int, int]] = []
    library = SimpleNamespace(mallopt=lambda option, value: calls.append((option, value)))
    monkeypatch.setattr(ctypes, "CDLL", lambda name: library)
    for name in ("MALLOC_ARENA_MAX", "MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.delenv("GLIBC_TUNABLES", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    from churnwatch.core import memory

    monkeypatch.setattr(memory._Heap, "kept", False)
    launch.tune_malloc()
    assert memory._Heap.kept == (expected in ("all", "heap"))
    arena = [(launch.M_ARENA_MAX, 1)]
    heap = [(launch.M_MMAP_MAX, 0), (launch.M_TRIM_THRESHOLD, launch.KEEP_FREED_BYTES)]
    wanted = {"all": arena + heap, "arena": arena, "heap": heap}[expected]
    assert calls == wanted


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_the_heaps_holes_go_back_between_the_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large blocks kept in the heap leave holes the next stage's arrays do not fit: after
    the load and after the scan, the freed pages go back (a peak 9 % higher without)."""
    import ctypes
    from types import SimpleNamespace

    from churnwatch.core import memory

    calls: list[int] = []
    library = SimpleNamespace(malloc_trim=lambda pad: calls.append(pad) or 1)
    monkeypatch.setattr(ctypes, "CDLL", lambda name: library)
    monkeypatch.setattr(memory._Heap, "kept", False)
    memory.return_freed_memory()
    assert calls == []  # malloc as a program using churnwatch has it: left alone
    memory.heap_kept()
    memory.return_freed_memory()
    assert calls == [0]


def test_a_scan_returns_freed_memory_after_the_load_and_after_the_scan(
    monkeypatch: pytest.MonkeyPatch, examples_dir: Path
) -> None:
    from churnwatch import api
    from churnwatch.ingest import dataset

    stages: list[str] = []
    monkeypatch.setattr(dataset, "return_freed_memory", lambda: stages.append("loaded"))
    monkeypatch.setattr(api, "return_freed_memory", lambda: stages.append("scanned"))
    api.scan_exports(examples_dir / "exports")
    assert stages == ["loaded", "scanned"]
