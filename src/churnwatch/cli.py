"""The ``churnwatch`` command line: argument parsing, display and exit codes, no logic."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from churnwatch import __version__
from churnwatch.api import open_exports
from churnwatch.errors import ChurnwatchError
from churnwatch.exitcodes import ExitCode
from churnwatch.init import propose, write_proposal
from churnwatch.render.console import make_console
from churnwatch.render.init import render_proposal
from churnwatch.render.quality import render_problems, render_summary
from churnwatch.summary import summarise

app = typer.Typer(
    name="churnwatch",
    help="Early warning for customer churn, from the CSV exports of your ERP, CRM or shop.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])

Exports = Annotated[Path, typer.Argument(help="Folder with the CSV exports.", show_default=False)]
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
            make_console(stderr=True).print(f"[red]error:[/] {_escape(str(exc))}")
            raise typer.Exit(ExitCode.ERROR) from None
        except BrokenPipeError:
            _silence_closed_pipe()
            raise typer.Exit(ExitCode.OK) from None
        except KeyboardInterrupt:
            raise typer.Exit(ExitCode.INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _silence_closed_pipe() -> None:
    """After `| head` closed stdout, stop Python from complaining while it shuts down."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@app.command()
@handles_errors
def validate(exports: Exports, config: ConfigOption = None, as_of: AsOfOption = None) -> None:
    """Load every export and report data quality: rows, skips, duplicates, orphans."""
    loaded = open_exports(exports, config, _date(as_of))
    console = make_console()
    render_summary(console, loaded.dataset, summarise(loaded.dataset))
    render_problems(console, loaded.dataset.problems)
    console.print(
        f"usable: as of {loaded.dataset.as_of_iso}, {len(loaded.dataset.customer_ids):,} customers"
    )


@app.command()
@handles_errors
def init(
    exports: Exports,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing churnwatch.toml.")
    ] = False,
) -> None:
    """Inspect the exports and write a proposed churnwatch.toml into the folder."""
    proposal = propose(exports)
    console = make_console()
    render_proposal(console, proposal)
    target = write_proposal(proposal, force)
    console.print(f"wrote {target}; check it, then run: churnwatch validate {exports}")


@app.command()
@handles_errors
def scan(exports: Exports, config: ConfigOption = None, as_of: AsOfOption = None) -> None:
    """Rank customers by churn risk (scoring arrives with the rules engine)."""
    loaded = open_exports(exports, config, _date(as_of))
    console = make_console()
    render_summary(console, loaded.dataset, summarise(loaded.dataset))
    render_problems(console, loaded.dataset.problems)
    console.print("scoring is not implemented yet: this shows what was loaded, nothing is ranked")


def main() -> None:
    app()
