"""The Typer app, and what every command shares: error handling, options, progress, messages."""

from __future__ import annotations

import _thread
import datetime as dt
import os
import re
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from churnwatch.cli.exitcodes import ExitCode
from churnwatch.core import stops
from churnwatch.core.errors import ChurnwatchError, OutputError, UsageError, stop_behind
from churnwatch.core.scratch import disk_full, out_of_space, remove_all
from churnwatch.core.stops import Stopped
from churnwatch.core.words import inline, printable_output
from churnwatch.render.console import discard, make_console

if TYPE_CHECKING:
    from churnwatch.api import Problem, Selection
    from churnwatch.render.language import Language

app = typer.Typer(
    name="churnwatch",
    help="Early warning for customer churn, from the CSV exports of your ERP, CRM or shop.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: greppable, no boxes, no [markup] eaten from the text
)

F = TypeVar("F", bound=Callable[..., Any])

Exports = Annotated[
    Path,
    typer.Argument(help="Folder with the CSV exports.", show_default=False, metavar="EXPORTS"),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", metavar="FILE", help="Config file (default: EXPORTS/churnwatch.toml)."
    ),
]


def calendar_date(text: str) -> dt.date:
    """``--as-of``: a date as YYYY-MM-DD, and one the calendar has (not 2026-02-30)."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text.strip()):
            raise typer.BadParameter(f"{text} is no day of the calendar") from None
        raise typer.BadParameter(f"{text!r}: write the date as YYYY-MM-DD") from None


AsOfOption = Annotated[
    dt.date | None,
    typer.Option(
        "--as-of",
        parser=calendar_date,
        metavar="YYYY-MM-DD",
        help="Reference date YYYY-MM-DD (default: the latest order date not after today).",
    ),
]


def _version(value: bool) -> None:
    if value:
        from churnwatch import __version__

        typer.echo(f"churnwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Early warning for customer churn, from the CSV exports of your ERP, CRM or shop."""


STOP_AGAIN_SECONDS = 0.05
"""How long after a stop was lost (see :func:`_stop_again`) it is delivered again."""
STOP_GRACE_SECONDS = 15.0
"""How long a stopped run may take to unwind before it exits regardless."""


def _end(code: int) -> None:
    """The stopped run's deadline: its temporary files removed, then the process ended
    (``os._exit`` runs no exit handlers, which may wait for what never comes)."""
    remove_all()
    os._exit(code)


def stop_on_signals() -> None:
    """Turn SIGTERM (``kill``, a cron timeout) and SIGHUP (a closed terminal) into an
    exception, so the same clean-up runs as for Ctrl-C; and make sure the process then ends.

    An exception raised at an arbitrary point can land inside an import and leave its lock
    held, and a thread of the scan then waits for that lock forever while the unwinding
    waits for the thread (a scan stopped in a test hung so). So a stopped run exits with
    128 + the signal's number after :data:`STOP_GRACE_SECONDS` at the latest.
    """

    def stopped(signum: int, _frame: object) -> None:
        deadline = threading.Timer(STOP_GRACE_SECONDS, _end, args=(128 + signum,))
        deadline.daemon = True
        deadline.start()
        stops.stop(signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stopped)
    sys.unraisablehook = _stop_again(sys.unraisablehook)


def run() -> None:
    """The command line, its stops turned into exceptions (:func:`stop_on_signals`) and
    ending with 128 + the signal's number. A stop that comes before a command's own error
    handling, while the arguments are parsed, Typer ends with Ctrl-C's 130: a SIGTERM in
    the first moments of a run exited 130, not 143."""
    stop_on_signals()
    try:
        app()
    except SystemExit as end:
        stop = stop_behind(end)
        if stop is None:
            raise
        raise SystemExit(_stop_code(stop)) from None
    except KeyboardInterrupt as stop:  # before Typer's own handling began
        raise SystemExit(_stop_code(stop)) from None


def _stop_again(previous: Callable[[Any], object]) -> Callable[[Any], None]:
    """An unraisable-exception hook that delivers a stop once more: one that lands where
    Python cannot raise (a weak reference's callback while a module is imported) would be
    printed as "Exception ignored" with a traceback and then lost, and the run would go on
    until the grace period ended it. Sent again, it is raised where the run can unwind."""

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, Stopped):
            # From another thread, a moment later: delivered now, it would be raised inside
            # this hook, where it is lost again.
            again = threading.Timer(
                STOP_AGAIN_SECONDS, _thread.interrupt_main, args=(unraisable.exc_value.signum,)
            )
            again.daemon = True
            again.start()
            return
        previous(unraisable)

    return hook


def handles_errors(command: F) -> F:
    """Turn library errors into one message on stderr and exit code 2, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ChurnwatchError as exc:
            error(str(exc))
            raise typer.Exit(ExitCode.ERROR) from None
        except BrokenPipeError:
            _silence_closed_pipe()
            raise typer.Exit(ExitCode.OK) from None
        except MemoryError:
            _silence_closed_pipe()
            error(
                "out of memory; nothing (more) was written. Run on a machine with more memory,"
                " or narrow the output with --top or --min-risk"
            )
            raise typer.Exit(ExitCode.ERROR) from None
        except KeyboardInterrupt as interrupt:
            raise typer.Exit(_stop_code(interrupt)) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if (stop := stop_behind(exc)) is not None:  # e.g. one that hit a class body
                raise typer.Exit(_stop_code(stop)) from None
            if os.environ.get("CHURNWATCH_DEBUG"):
                raise
            if disk_full(exc):  # a run's temporary files
                error(out_of_space(exc))
                raise typer.Exit(ExitCode.ERROR) from None
            make_console(stderr=True).print(
                f"[red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))}\n"
                "  this is a bug in churnwatch; rerun with CHURNWATCH_DEBUG=1 for details"
            )
            raise typer.Exit(ExitCode.ERROR) from None

    return wrapper  # type: ignore[return-value]


def _stop_code(stop: KeyboardInterrupt) -> int:
    return 128 + stop.signum if isinstance(stop, Stopped) else ExitCode.INTERRUPTED


def _silence_closed_pipe() -> None:
    """After `| head` closed stdout, stop Python from complaining while it shuts down."""
    discard(sys.stdout)


def error(text: str) -> None:
    make_console(stderr=True).print(f"[red]error:[/] {escape(text)}")


def message(label: str, style: str, text: str) -> None:
    """One line on stderr, such as ``warning: …`` or ``note: …``: a line break from the data
    (an owner's name) is spelled out, lest it start a line that reads as another message."""
    make_console(stderr=True).print(f"[{style}]{label}:[/] {escape(inline(text))}")


EngineOption = Annotated[
    str | None,
    typer.Option(
        "--engine",
        metavar="local|dask",
        help="Where the per-customer stages run: local (this process, the default) or dask"
        " (a Dask cluster: --scheduler, else a local cluster, on which scan splits the export"
        " into parts on disk and never holds it whole; needs churnwatch[dask]).",
    ),
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="A running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --engine dask).",
    ),
]
PartitionsOption = Annotated[
    int | None,
    typer.Option(
        "--partitions",
        min=1,
        metavar="N",
        help="Dask engine (implied): split the export into N parts of whole customers"
        " (default: a local cluster's scan, parts of about 64 MB of export; with --scheduler,"
        " at most 250,000 customers each; two per worker at least).",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        metavar="N",
        help="Dask engine (implied) without --scheduler: worker processes of the local cluster"
        " (default: one per core, at least 2).",
    ),
]
QuietOption = Annotated[
    bool,
    typer.Option(
        "--quiet", "-q", help="Print nothing but errors (for cron: exit codes say the rest)."
    ),
]
VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Also print notes on the model and the file written."),
]


def report_problems(
    problems: list[Problem], unusable: list[str], missing: Sequence[str] = ()
) -> None:
    """Each data problem as one line on stderr naming file and column, with the lines of
    churnwatch.toml that would settle it indented below; then why some features are empty
    for every customer."""
    from churnwatch.render.data_quality import render_problems

    for text in unusable:
        message("warning", "red", f"{text} (the results rest on the rows that were read)")
    render_problems(make_console(stderr=True), problems)
    for text in missing:
        message("warning", "yellow", text)


@contextmanager
def progress_display(quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr when it is a terminal; nothing in pipes, files, CI logs or with
    ``--quiet``."""
    console = make_console(stderr=True)
    if quiet or not console.is_terminal:
        yield lambda _: None
        return
    with console.status("starting") as status:
        yield status.update


def write_stdout(data: bytes | Iterable[bytes]) -> None:
    """Bytes to the standard output; a closed or full one is a clear error (exit 2)."""
    if sys.stdout is None:
        raise OutputError("the standard output is closed; write to a file with --output FILE")
    try:
        sys.stdout.flush()
        sys.stdout.buffer.writelines([data] if isinstance(data, bytes) else data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        _silence_closed_pipe()  # nothing more may reach it, not even at exit
        raise OutputError(f"the standard output: cannot write: {exc.strerror}") from None


def show_table(selection: Selection, *, long: bool = False, lang: Language | None = None) -> None:
    """The ranked table on stdout; ``long``: every reason."""
    from churnwatch.render.table import show

    show_document(partial(show, long=long, lang=lang), selection)


def show_document(draw: Callable[[Console, Any], None], document: Any) -> None:
    """What ``draw`` prints, on stdout: in colour on a terminal, else as plain text without
    trailing blanks (160 columns, or ``COLUMNS``)."""
    from churnwatch.render.console import as_text

    console = make_console(wide_in_pipes=True)
    if console.is_terminal:
        draw(console, document)
        return
    write_stdout(as_text(draw, document, console.width))


def _on_terminal() -> bool:
    return sys.stdout is not None and sys.stdout.isatty()


def _names_a_terminal(path: Path) -> bool:
    """``-o /dev/stdout`` or ``-o /dev/tty`` on a terminal is a terminal too."""
    try:
        if not stat.S_ISCHR(os.stat(path).st_mode):
            return False
        descriptor = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        return os.isatty(descriptor)
    finally:
        os.close(descriptor)


def _is_terminal(output: Path | None) -> bool:
    return _on_terminal() if output is None else _names_a_terminal(output)


def refuse_binary_on_terminal(binary: bool, output: Path | None) -> None:
    """xlsx is no text for a terminal: refused at once, before the exports are read."""
    if binary and _is_terminal(output):
        raise UsageError(NOT_TEXT)


NOT_TEXT = "xlsx is not text: write it to a file with --output FILE.xlsx"


def emit_files(
    outputs: Sequence[tuple[Path, bytes]], *, reads: Sequence[Path] = (), announce: bool = True
) -> None:
    """Several files written as one set (one per owner): all of them or, where one cannot be
    written, none; then, if ``announce``, a line on stderr for each."""
    from churnwatch import api

    api.write_outputs(outputs, reads=reads)
    if announce:
        console = make_console(stderr=True)
        for target, _ in outputs:
            console.print(f"wrote {escape(str(target))}")


def emit(
    data: bytes | Iterable[bytes],
    output: Path | None,
    *,
    reads: Sequence[Path] = (),
    announce: bool = True,
    binary: bool = False,
) -> None:
    """Machine output to stdout, or atomically to ``output`` (then, if ``announce``, one line
    on stderr saying so); never over a file in ``reads``, the files the run read."""
    from churnwatch import api

    parts = [data] if isinstance(data, bytes) else data
    if _is_terminal(output):  # looked at once: a named device is opened to ask
        if binary:
            raise UsageError(NOT_TEXT)
        parts = printable_output(parts)  # a pipe or a file: exactly the data
    if output is None:
        write_stdout(parts)
        return
    api.write_output(output, parts, reads=reads)
    if announce:
        make_console(stderr=True).print(f"wrote {escape(str(output))}")
