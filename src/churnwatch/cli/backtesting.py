"""``churnwatch backtest`` and ``churnwatch calibrate``: does the ranking predict, and with
which weights?"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

import typer

from churnwatch.cli.scanning import HorizonOption, OutputOption, PrettyOption
from churnwatch.cli.shell import (
    AsOfOption,
    ConfigOption,
    Exports,
    app,
    calendar_date,
    emit,
    handles_errors,
    message,
    progress_display,
)
from churnwatch.render.console import make_console
from churnwatch.render.formats import (
    BACKTEST_FORMATS,
    choose_format,
    extension_mismatch,
    prettified,
)

if TYPE_CHECKING:
    BacktestFormat: TypeAlias = str
else:
    BacktestFormat = Literal[tuple(BACKTEST_FORMATS)]


@app.command()
@handles_errors
def backtest(
    exports: Exports,
    *,
    config: ConfigOption = None,
    as_of: Annotated[
        list[dt.date] | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            parser=calendar_date,
            help="A cut-off YYYY-MM-DD (repeatable; default: the last with a whole horizon after"
            " it).",
        ),
    ] = None,
    start: Annotated[
        dt.date | None,
        typer.Option(
            "--from", parser=calendar_date, metavar="YYYY-MM-DD", help="First cut-off of a series."
        ),
    ] = None,
    end: Annotated[
        dt.date | None,
        typer.Option(
            "--to",
            parser=calendar_date,
            metavar="YYYY-MM-DD",
            help="Last cut-off (default: the last usable).",
        ),
    ] = None,
    every: Annotated[
        int | None, typer.Option(min=1, metavar="DAYS", help="Days between cut-offs (default: 30).")
    ] = None,
    horizon: HorizonOption = None,
    output_format: Annotated[
        BacktestFormat | None,
        typer.Option("--format", "-f", help="Output format (default: from --output, else table)."),
    ] = None,
    output: OutputOption = None,
    pretty: PrettyOption = False,
) -> None:
    """Score at past cut-offs with only the data up to each and compare with what happened:
    ROC AUC, precision and lift, calibration, against the simple baselines and per rule."""
    from churnwatch import api
    from churnwatch.render.backtest_table import show

    renderer = prettified(choose_format(output_format, output, BACKTEST_FORMATS), pretty)
    if note := extension_mismatch(renderer, output, BACKTEST_FORMATS):
        message("note", "yellow", note)
    with progress_display() as step:
        result = api.backtest_exports(
            exports,
            config,
            dates=list(as_of or []),
            start=start,
            end=end,
            every=every,
            horizon=horizon,
            progress=step,
        )
    if renderer.for_people and output is None:
        show(make_console(wide_in_pipes=True), result)
    else:
        data = api.render(renderer, result, to_file=output is not None)
        emit(data, output, reads=api.files_read(exports, config) if output else [])


@app.command()
@handles_errors
def calibrate(
    exports: Exports,
    *,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    horizon: HorizonOption = None,
    output: OutputOption = None,
) -> None:
    """Fit the rule weights on the export's own history and write them as a rules file, each
    rule with what it measured."""
    from churnwatch import api
    from churnwatch.render.rules_file import rules_file

    with progress_display() as step:
        step("fitting the weights")
        calibrated = api.calibrate_exports(exports, config, as_of, horizon)
    reads = api.files_read(exports, config) if output else []
    emit(rules_file(calibrated).encode("utf-8"), output, reads=reads)


__all__ = ["Path", "backtest", "calibrate"]
