"""The ``churnwatch`` command line: argument parsing, display and exit codes, no logic."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape

from churnwatch import __version__
from churnwatch.api import open_exports, rules_for, scan_exports
from churnwatch.config import CONFIG_NAME, find_config, load_config
from churnwatch.errors import ChurnwatchError
from churnwatch.exitcodes import ExitCode
from churnwatch.init import propose, refuse_overwrite, write_proposal
from churnwatch.load import Dataset
from churnwatch.output import write_atomically
from churnwatch.quality import Level, plural
from churnwatch.render.catalog import render_features, render_rules
from churnwatch.render.console import make_console
from churnwatch.render.formats import (
    TABLE_ROWS,
    Format,
    choose_format,
    extension_mismatch,
    render_machine,
    render_table_text,
)
from churnwatch.render.init import render_proposal
from churnwatch.render.quality import render_problems, render_summary
from churnwatch.render.schema import scan_schema
from churnwatch.render.table import render_table
from churnwatch.score import Severity
from churnwatch.summary import blocking_issues, summarise

app = typer.Typer(
    name="churnwatch",
    help="Early warning for customer churn, from the CSV exports of your ERP, CRM or shop.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])

Exports = Annotated[
    Path,
    typer.Argument(help="Folder with the CSV exports.", show_default=False, metavar="EXPORTS"),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="Config file (default: EXPORTS/churnwatch.toml)."),
]
AsOfOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        help="Reference date YYYY-MM-DD (default: the latest order date not after today).",
    ),
]


def _version(value: bool) -> None:
    if value:
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


def handles_errors(command: F) -> F:
    """Turn library errors into one message on stderr and exit code 2, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ChurnwatchError as exc:
            make_console(stderr=True).print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(ExitCode.ERROR) from None
        except BrokenPipeError:
            _silence_closed_pipe()
            raise typer.Exit(ExitCode.OK) from None
        except KeyboardInterrupt:
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            if os.environ.get("CHURNWATCH_DEBUG"):
                raise
            make_console(stderr=True).print(
                f"[red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))}\n"
                "  this is a bug in churnwatch; rerun with CHURNWATCH_DEBUG=1 for details"
            )
            raise typer.Exit(ExitCode.ERROR) from None

    return wrapper  # type: ignore[return-value]


def _silence_closed_pipe() -> None:
    """After `| head` closed stdout, stop Python from complaining while it shuts down."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@app.command()
@handles_errors
def validate(exports: Exports, *, config: ConfigOption = None, as_of: AsOfOption = None) -> None:
    """Load every export and report data quality: rows, skips, duplicates, orphans."""
    loaded = open_exports(exports, config, _date(as_of))
    console = make_console()
    summaries = summarise(loaded.dataset)
    render_summary(console, loaded.dataset, summaries)
    render_problems(console, loaded.dataset.problems)
    if issues := blocking_issues(summaries):
        for issue in issues:
            make_console(stderr=True).print(f"[red]not usable:[/] {escape(issue)}")
        raise typer.Exit(ExitCode.ERROR)
    customers = plural(loaded.dataset.ordering_customers(), "customer")
    console.print(f"usable: as of {loaded.dataset.as_of_iso}, {customers} with orders")


@app.command()
@handles_errors
def init(
    exports: Exports,
    *,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing churnwatch.toml.")
    ] = False,
) -> None:
    """Inspect the exports and write a proposed churnwatch.toml into the folder."""
    refuse_overwrite(exports / CONFIG_NAME, force)
    proposal = propose(exports)
    console = make_console()
    render_proposal(console, proposal)
    target = write_proposal(proposal, force)
    console.print(f"wrote {target}; check it, then run: churnwatch validate {exports}")


class FailOn(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@app.command()
@handles_errors
def scan(
    exports: Exports,
    *,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    top: Annotated[
        int | None,
        typer.Option(min=1, help="Only the first N customers (table default: 25)."),
    ] = None,
    min_score: Annotated[
        float | None, typer.Option(min=0, max=100, help="Only customers scoring at least S.")
    ] = None,
    output_format: Annotated[
        Format | None,
        typer.Option("--format", "-f", help="table, json, ndjson or csv (default: from --output)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE (atomically) instead of stdout."),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(help="Exit 1 if any customer is at or above this severity (for cron)."),
    ] = None,
) -> None:
    """Rank customers by churn risk, with the reasons why and a next step."""
    chosen = choose_format(output_format, output)
    if note := extension_mismatch(chosen, output):
        make_console(stderr=True).print(f"[yellow]note:[/] {escape(note)}")
    with progress_display() as step:
        loaded, result = scan_exports(exports, config, _date(as_of), step)
    report_data_quality(loaded.dataset, exports)
    default_top = TABLE_ROWS if chosen is Format.TABLE else None
    shown = result.select(top or default_top, min_score)
    if chosen is Format.TABLE and output is None:
        render_table(make_console(wide_in_pipes=True), result, shown)
    else:
        text = (
            render_table_text(result, shown)
            if chosen is Format.TABLE
            else render_machine(shown, chosen)
        )
        emit(text, output, bom=chosen is Format.CSV)
    if fail_on is not None and result.worst_severity() >= Severity.parse(fail_on.value):
        raise typer.Exit(ExitCode.FAIL_ON)


def emit(text: str, output: Path | None, *, bom: bool = False) -> None:
    """Machine output to stdout, or atomically to a file (CSV files get a BOM for Excel)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    write_atomically(output, text.encode("utf-8-sig" if bom else "utf-8"))
    make_console(stderr=True).print(f"wrote {escape(str(output))}")


def report_data_quality(dataset: Dataset, exports: Path) -> None:
    """A few lines on stderr, so machine output on stdout stays clean."""
    for issue in blocking_issues(summarise(dataset)):
        make_console(stderr=True).print(f"[red]warning:[/] {escape(issue)}")
    count = sum(p.level is Level.WARNING for p in dataset.problems)
    if count:
        make_console(stderr=True).print(
            f"[yellow]{count} data-quality warning{'s' if count != 1 else ''}[/]: see"
            f" `churnwatch validate {escape(str(exports))}`"
        )


@contextmanager
def progress_display() -> Iterator[Callable[[str], None]]:
    """A spinner on stderr when it is a terminal; nothing in pipes, files or CI logs."""
    console = make_console(stderr=True)
    if not console.is_terminal:
        yield lambda _: None
        return
    with console.status("starting") as status:
        yield status.update


@app.command()
def features() -> None:
    """List the features rules can use: name, source, unit and meaning."""
    render_features(make_console(wide_in_pipes=True))


@app.command()
@handles_errors
def rules(
    exports: Annotated[
        Path | None, typer.Argument(help="Exports folder whose churnwatch.toml to use.")
    ] = None,
    *,
    config: ConfigOption = None,
    check: Annotated[
        Path | None,
        typer.Option("--check", help="Only validate this rules/config file (no data needed)."),
    ] = None,
) -> None:
    """List the active rules (defaults plus your config), or check a rules file."""
    explicit = check or config
    path = find_config(exports or Path("."), explicit) if explicit or exports else None
    settings = load_config(path)
    active = rules_for(settings, path)
    if check is not None:
        make_console().print(f"{escape(str(check))}: ok, {len(active)} active rules")
        return
    render_rules(make_console(wide_in_pipes=True), active)


@app.command()
def schema() -> None:
    """Print the JSON Schema of `scan --format json` output."""
    sys.stdout.write(json.dumps(scan_schema(), indent=2, ensure_ascii=False) + "\n")


def main() -> None:
    app()
