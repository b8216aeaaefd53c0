"""``churnwatch scan``: the ranked list."""

from __future__ import annotations

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
    emit,
    handles_errors,
    message,
    progress_display,
    to_date,
)
from churnwatch.core.domain import Phase, Severity
from churnwatch.render.console import make_console
from churnwatch.render.formats import SCAN_FORMATS, choose_format, extension_mismatch

if TYPE_CHECKING:
    from churnwatch.api import ScanRun

    FormatName: TypeAlias = str
    FailOn: TypeAlias = str
else:  # choices for Typer, from the format registry and the severity scale
    FormatName = Literal[tuple(SCAN_FORMATS)]
    FailOn = Literal[tuple(s.label for s in sorted(Severity, reverse=True) if s.label != "none")]


TopOption = Annotated[
    int | None, typer.Option(min=1, help="Only the first N customers (table default: 25).")
]
MinRiskOption = Annotated[
    float | None,
    typer.Option(min=0, max=100, help="Only customers whose risk is at least this percent."),
]
PhaseOption = Annotated[
    list[Phase] | None,
    typer.Option(
        "--phase",
        help="Only customers in this lifecycle phase (repeatable; the table leaves out 'lost'"
        " unless asked).",
    ),
]
HorizonOption = Annotated[
    int | None,
    typer.Option(
        min=1, max=3650, help="Risk of no order within DAYS (default: [risk] horizon_days, 90)."
    ),
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
    horizon: HorizonOption = None,
    top: TopOption = None,
    min_risk: MinRiskOption = None,
    phase: PhaseOption = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
    fail_on: FailOnOption = None,
) -> None:
    """Rank customers by churn risk (the chance of no order within the horizon), with the
    reasons why and a next step."""
    from churnwatch import api
    from churnwatch.render.table import show

    renderer = choose_format(output_format, output)
    if note := extension_mismatch(renderer, output):
        message("note", "yellow", note)
    with progress_display() as step:
        run = api.scan_exports(exports, config, to_date(as_of), step, horizon=horizon)
    _report_data_quality(run, exports)
    shown = run.shown(renderer, top, min_risk, phase)
    if renderer.for_people and output is None:
        show(make_console(wide_in_pipes=True), shown)
    else:
        emit(api.render(renderer, shown, to_file=output is not None), output)
    if fail_on is not None and run.reaches(fail_on):
        raise typer.Exit(ExitCode.FAIL_ON)


def _report_data_quality(run: ScanRun, exports: Path) -> None:
    """A few lines on stderr, so machine output on stdout stays clean."""
    for issue in run.warnings():
        message("warning", "red", issue)
    for note in run.notes():
        message("note", "yellow", note)
    if count := run.problem_count():
        make_console(stderr=True).print(
            f"[yellow]{count} data-quality warning{'s' if count != 1 else ''}[/]: see"
            f" `churnwatch validate {escape(str(exports))}`"
        )
