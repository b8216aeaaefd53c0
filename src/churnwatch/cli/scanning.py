"""``churnwatch scan``: the ranked list."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

import typer

from churnwatch.cli.exitcodes import ExitCode
from churnwatch.cli.shell import (
    AsOfOption,
    ConfigOption,
    EngineOption,
    Exports,
    PartitionsOption,
    QuietOption,
    SchedulerOption,
    VerboseOption,
    WorkersOption,
    app,
    emit,
    handles_errors,
    message,
    progress_display,
    refuse_binary_on_terminal,
    report_problems,
    show_table,
)
from churnwatch.core.domain import Phase, Severity
from churnwatch.core.errors import ChurnwatchError, UsageError
from churnwatch.core.words import plural
from churnwatch.render.csv_rows import CSV_DIALECTS
from churnwatch.render.formats import (
    SCAN_FORMATS,
    choose_format,
    extension_mismatch,
    in_language,
    prettified,
    with_options,
)

if TYPE_CHECKING:
    from churnwatch.api import ScanRun, Selection

    FormatName: TypeAlias = str
    CsvDialectName: TypeAlias = str
    FailOn: TypeAlias = str
    LangName: TypeAlias = str
else:  # choices for Typer, from the format registry and the severity scale
    FormatName = Literal[tuple(SCAN_FORMATS)]
    CsvDialectName = Literal[tuple(CSV_DIALECTS)]
    FailOn = Literal[tuple(s.label for s in sorted(Severity, reverse=True) if s.label != "none")]
    LangName = Literal["en", "de"]


TopOption = Annotated[
    int | None,
    typer.Option(min=1, metavar="N", help="Only the first N customers (table default: 25)."),
]
MinRiskOption = Annotated[
    float | None,
    typer.Option(
        min=0,
        max=100,
        metavar="PERCENT",
        help="Only customers whose risk, as shown, is at least this percent.",
    ),
]
PhaseOption = Annotated[
    list[Phase] | None,
    typer.Option(
        "--phase",
        metavar="PHASE",
        help="Only customers in this lifecycle phase: initiation, growth, maturity,"
        " degeneration or lost (repeatable; the table leaves out 'lost' unless asked).",
    ),
]
HorizonOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=3650,
        metavar="DAYS",
        help="Risk of no order within DAYS (default: [risk] horizon_days, 90).",
    ),
]
FormatOption = Annotated[
    FormatName | None,
    typer.Option("--format", "-f", help="Output format (default: from --output, else table)."),
]


def _dash_is_stdout(value: Path | None) -> Path | None:
    """``-o -`` means stdout, as it does for most tools (it wrote a file named ``-``)."""
    return None if value == Path("-") else value


OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE (atomically) instead of stdout ('-': stdout).",
        callback=_dash_is_stdout,
    ),
]
FailOnOption = Annotated[
    FailOn | None,
    typer.Option(
        help="Exit 1 if a customer the filters select (not lost) is at or above this severity"
        " (for cron)."
    ),
]


CsvDialectOption = Annotated[
    CsvDialectName | None,
    typer.Option(
        "--csv-dialect",
        help="CSV for: standard (',' and '.', for programs), excel (with a BOM), excel-de"
        " (';' and decimal ',', with a BOM).",
    ),
]
FormulaGuardOption = Annotated[
    bool,
    typer.Option(
        "--formula-guard/--no-formula-guard",
        help="Prefix CSV text that a spreadsheet would run as a formula (=, +, -, @) with '."
        " Switch off only for data you trust.",
    ),
]
OwnerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--owner", metavar="NAME", help="Only this account manager's customers (repeatable)."
    ),
]
SegmentOption = Annotated[
    list[str] | None,
    typer.Option(
        "--segment", metavar="SEGMENT", help="Only customers of this segment (repeatable)."
    ),
]
SeverityName = StrEnum(  # type: ignore[misc]  # a list option needs an enum for its choices
    "SeverityName", {s.label: s.label for s in sorted(Severity, reverse=True)}
)
SeverityOption = Annotated[
    list[SeverityName] | None,
    typer.Option(
        "--severity",
        metavar="SEVERITY",
        help="Only customers of this severity: critical, high, medium, low or none (repeatable).",
    ),
]
PrettyOption = Annotated[
    bool, typer.Option("--pretty", help="Indent the JSON for reading (default: compact).")
]
LongOption = Annotated[
    bool, typer.Option("--long", help="The table shows every reason, not the first two.")
]
LangOption = Annotated[
    LangName | None,
    typer.Option(
        "--lang",
        help="Language of the texts for people: en or de (default: [report] lang, else en)."
        " Numbers and dates in machine formats stay as they are.",
    ),
]
HistoryOption = Annotated[
    Path | None,
    typer.Option(
        "--history",
        metavar="FILE",
        help="Record this run in a SQLite run history (default: [history] path in the config;"
        " created on first use; a run with the same reference date is replaced).",
    ),
]
NoHistoryOption = Annotated[
    bool,
    typer.Option(
        "--no-history",
        help="Record nothing, even when the config names a history (a what-if run: another"
        " horizon, a past date).",
    ),
]
SinceLastOption = Annotated[
    bool,
    typer.Option(
        "--since-last",
        help="Mark each customer new, escalated, unchanged, recovered or lost against the"
        " previous recorded run (needs a history).",
    ),
]
StrictOption = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Exit 2, writing nothing, on any data problem `validate` warns about (skipped"
        " rows, values not understood, duplicates, stale exports).",
    ),
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
    owner: OwnerOption = None,
    segment: SegmentOption = None,
    severity: SeverityOption = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
    fail_on: FailOnOption = None,
    csv_dialect: CsvDialectOption = None,
    formula_guard: FormulaGuardOption = True,
    strict: StrictOption = False,
    history: HistoryOption = None,
    since_last: SinceLastOption = False,
    no_history: NoHistoryOption = False,
    lang: LangOption = None,
    pretty: PrettyOption = False,
    long: LongOption = False,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
    partitions: PartitionsOption = None,
    workers: WorkersOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Rank customers by churn risk (the chance of no order within the horizon), with the
    reasons why and a next step."""
    from churnwatch import api

    renderer = chosen_renderer(
        output_format, output, csv_dialect, formula_guard=formula_guard, pretty=pretty, quiet=quiet
    )
    runs_on = api.engine(engine, scheduler, partitions, workers)
    with progress_display(quiet) as step:
        run = api.scan_exports(exports, config, as_of, step, horizon=horizon, engine=runs_on)
    if not quiet:
        report_problems(run.data_problems(), run.unusable(), run.missing_signals())
    if strict:
        _check_strict(run, quiet)
    compare_with = api.history_file(run, history)
    record_to = None if no_history else compare_with  # a what-if run only reads it
    if record_to is not None:
        api.prepare_history(record_to, run)
    if since_last:
        run = _compared(run, compare_with, quiet)
    shown = run.shown(
        renderer,
        top,
        min_risk,
        phase,
        owners=owner or (),
        segments=segment or (),
        severities=[str(s) for s in severity or ()],
    )
    if verbose and not (renderer.for_people and output is None):
        for text in run.model_notes():
            message("note", "yellow", text)
    words = api.output_language(run.config, lang)
    if renderer.for_people and output is None:
        show_table(shown, long=long, lang=words)
    else:
        renderer = in_language(renderer, words)
        data = api.render_parts(renderer, shown)
        reads = api.files_read(exports, config) if output else []
        reads += [compare_with] if output and compare_with else []
        emit(data, output, reads=reads, announce=verbose, binary=renderer.binary)
    if record_to is not None:
        api.record_run(run, record_to)
    if fail_on is not None:
        _check_fail_on(shown, Severity.parse(fail_on), fail_on, quiet)


def chosen_renderer(
    output_format: str | None,
    output: Path | None,
    csv_dialect: str | None,
    *,
    formula_guard: bool,
    pretty: bool,
    quiet: bool,
) -> Any:
    """The output format the options choose, with its CSV and JSON options, for the scan's
    rows and the lists made of them: refused before any reading where it cannot be written
    (a workbook to a terminal), with a note where ``--format`` and the file's extension
    disagree."""
    renderer = with_options(
        choose_format(output_format, output), csv_dialect=csv_dialect, formula_guard=formula_guard
    )
    renderer = prettified(renderer, pretty)
    refuse_binary_on_terminal(renderer.binary, output)
    if (note := extension_mismatch(renderer, output)) and not quiet:
        message("note", "yellow", note)
    return renderer


def _check_strict(run: ScanRun, quiet: bool) -> None:
    """``--strict``: any data warning stops the run before anything is written."""
    if not (failures := run.strict_failures()):
        return
    if quiet:  # the errors --quiet keeps: they are why nothing is written
        report_problems(run.data_warnings(), run.unusable())
    raise ChurnwatchError(f"--strict: {plural(failures, 'data problem')} (above); nothing written")


def _compared(run: ScanRun, history: Path | None, quiet: bool) -> ScanRun:
    """The run with each customer's change since the previous recorded run, and a line on
    stderr saying against which run and how many changed."""
    from churnwatch import api
    from churnwatch.render.history_view import changes_line

    if history is None:
        raise UsageError(
            "--since-last needs a run history",
            hint="pass --history FILE or set [history] path in churnwatch.toml",
        )
    previous = api.previous_run(run, history) if history.exists() else None
    compared = api.with_changes(run, previous)
    if not quiet:
        message(
            "note", "yellow", changes_line(compared.result, previous.info if previous else None)
        )
        for doubt in previous.doubts if previous else []:
            message("warning", "yellow", doubt)
    return compared


def _check_fail_on(shown: Selection, severity: Severity, label: str, quiet: bool) -> None:
    """Exit 1 when a customer the filters selected (not lost) reaches ``severity``; say how
    many, and how many of them ``--top`` left out of the output."""
    matched, listed = shown.reaching(severity)
    if not matched:
        return
    if not quiet:
        left_out = (
            f"; {matched - listed:,} of them not in the output (--top)" if listed < matched else ""
        )
        message(
            "exit 1",
            "red",
            f"{plural(matched, 'customer')} not lost at {label} or above (--fail-on {label})"
            f"{left_out}",
        )
    raise typer.Exit(ExitCode.FAIL_ON)
