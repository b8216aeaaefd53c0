"""``churnwatch scan``: the ranked list."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

import typer
from rich.markup import escape

from churnwatch.cli.exitcodes import ExitCode
from churnwatch.cli.shell import (
    AsOfOption,
    ConfigOption,
    Exports,
    app,
    handles_errors,
    message,
    progress_display,
    to_date,
)
from churnwatch.core.domain import Severity
from churnwatch.render.console import make_console
from churnwatch.render.formats import SCAN_FORMATS, choose_format, extension_mismatch

if TYPE_CHECKING:
    from churnwatch.api import ScanRun

    FormatName: TypeAlias = str
    FailOn: TypeAlias = str
else:  # choices for Typer, built from the format registry and the severity scale
    FormatName = Literal[tuple(SCAN_FORMATS)]
    FailOn = Literal[tuple(s.label for s in sorted(Severity, reverse=True) if s.label != "none")]


TopOption = Annotated[
    int | None, typer.Option(min=1, help="Only the first N customers (table default: 25).")
]
MinScoreOption = Annotated[
    float | None, typer.Option(min=0, max=100, help="Only customers scoring at least S.")
]
FormatOption = Annotated[
    FormatName | None,
    typer.Option("--format", "-f", help="Output format (default: from --output, else table)."),
]
OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Write to FILE (atomically) instead of stdout."),
]
FailOnOption = Annotated[
    FailOn | None,
    typer.Option(help="Exit 1 if any customer is at or above this severity (for cron)."),
]


@app.command()
@handles_errors
def scan(
    exports: Exports,
    *,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    top: TopOption = None,
    min_score: MinScoreOption = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
    fail_on: FailOnOption = None,
) -> None:
    """Rank customers by churn risk, with the reasons why and a next step."""
    from churnwatch import api
    from churnwatch.render.table import show

    renderer = choose_format(output_format, output)
    if note := extension_mismatch(renderer, output):
        message("note", "yellow", note)
    with progress_display() as step:
        run = api.scan_exports(exports, config, to_date(as_of), step)
    _report_data_quality(run, exports)
    shown = run.shown(renderer, top, min_score)
    if renderer.for_people and output is None:
        show(make_console(wide_in_pipes=True), run.result, shown)
    elif output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(api.render(renderer, run, shown, to_file=False))
        sys.stdout.buffer.flush()
    else:
        api.write_output(output, api.render(renderer, run, shown, to_file=True))
        make_console(stderr=True).print(f"wrote {escape(str(output))}")
    if fail_on is not None and run.reaches(fail_on):
        raise typer.Exit(ExitCode.FAIL_ON)


def _report_data_quality(run: ScanRun, exports: Path) -> None:
    """A few lines on stderr, so machine output on stdout stays clean."""
    for issue in run.warnings():
        message("warning", "red", issue)
    if count := run.problem_count():
        make_console(stderr=True).print(
            f"[yellow]{count} data-quality warning{'s' if count != 1 else ''}[/]: see"
            f" `churnwatch validate {escape(str(exports))}`"
        )
