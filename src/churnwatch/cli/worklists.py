"""The week's work from a scan: ``explain`` one customer, the ``loyal`` core, ``winback`` and
the contact ``plan``."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

import typer

from churnwatch.cli.scanning import (
    CsvDialectOption,
    FormatOption,
    FormulaGuardOption,
    HorizonOption,
    LangOption,
    OutputOption,
    OwnerOption,
    PrettyOption,
    SegmentOption,
    TopOption,
    chosen_renderer,
)
from churnwatch.cli.shell import (
    AsOfOption,
    ConfigOption,
    EngineOption,
    Exports,
    PartitionsOption,
    QuietOption,
    SchedulerOption,
    WorkersOption,
    app,
    emit,
    emit_files,
    handles_errors,
    progress_display,
    refuse_binary_on_terminal,
    report_problems,
    show_document,
)
from churnwatch.core.errors import UsageError
from churnwatch.render.console import as_text, make_console
from churnwatch.render.formats import (
    TABLE_ROWS,
    format_named_by,
    in_language,
    not_csv,
    not_indented,
)

if TYPE_CHECKING:
    ExplainFormat: TypeAlias = str
    WinbackFormat: TypeAlias = str
    PlanFormat: TypeAlias = str
    SplitBy: TypeAlias = str
else:  # choices for Typer
    ExplainFormat = Literal["table", "json"]
    WinbackFormat = Literal["table", "json", "ndjson", "csv", "xlsx"]
    PlanFormat = Literal["table", "json", "ics"]
    SplitBy = Literal["owner"]


@app.command()
@handles_errors
def explain(
    exports: Exports,
    customer_id: Annotated[
        str, typer.Argument(help="The customer's id, as in the exports.", metavar="CUSTOMER_ID")
    ],
    *,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    horizon: HorizonOption = None,
    output_format: Annotated[
        ExplainFormat, typer.Option("--format", "-f", help="table (default) or json.")
    ] = "table",
    pretty: PrettyOption = False,
    lang: LangOption = None,
) -> None:
    """Everything about one customer: risk and what drives it, every signal with its next
    step, and a month-by-month timeline against the baseline."""
    from churnwatch import api
    from churnwatch.render.customer_view import profile_json, show_profile

    check_pretty(pretty, output_format)
    with progress_display() as step:
        run, found = api.explain_customer(
            exports, customer_id, config, as_of, step, horizon=horizon
        )
    report_problems(run.data_problems(), run.unusable())  # stale exports, skipped rows
    words = api.output_language(run.config, lang)
    if output_format == "json":
        emit(profile_json(found, words, pretty=pretty), None)
    else:
        show_profile(make_console(wide_in_pipes=True), found, words)


@app.command()
@handles_errors
def loyal(
    exports: Exports,
    *,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    horizon: HorizonOption = None,
    top: TopOption = None,
    owner: OwnerOption = None,
    segment: SegmentOption = None,
    output_format: FormatOption = None,
    output: OutputOption = None,
    csv_dialect: CsvDialectOption = None,
    formula_guard: FormulaGuardOption = True,
    pretty: PrettyOption = False,
    lang: LangOption = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
    partitions: PartitionsOption = None,
    workers: WorkersOption = None,
    quiet: QuietOption = False,
) -> None:
    """The loyal core: long, steady, valuable, low-risk customers, most valuable first, with
    the suggestion to thank them and serve them first (thresholds in [loyal])."""
    from churnwatch import api
    from churnwatch.render.loyal_view import show_loyal

    renderer = chosen_renderer(
        output_format, output, csv_dialect, formula_guard=formula_guard, pretty=pretty, quiet=quiet
    )
    runs_on = api.engine(engine, scheduler, partitions, workers)
    with progress_display(quiet) as step:
        run, core = api.loyal_exports(
            exports,
            config,
            as_of,
            step,
            horizon=horizon,
            top=top or (TABLE_ROWS if renderer.for_people and output is None else None),
            owners=owner or (),
            segments=segment or (),
            engine=runs_on,
        )
    if not quiet:
        report_problems(run.data_problems(), run.unusable())
    words = api.output_language(run.config, lang)
    if renderer.for_people and output is None:
        show_document(partial(show_loyal, settings=run.config.loyal, lang=words), core)
        return
    reads = api.files_read(exports, config) if output else []
    emit(
        api.render_parts(in_language(renderer, words), core),
        output,
        reads=reads,
        announce=False,
        binary=renderer.binary,
    )


@app.command()
@handles_errors
def winback(
    exports: Exports,
    *,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    horizon: HorizonOption = None,
    owner: OwnerOption = None,
    segment: SegmentOption = None,
    top: TopOption = None,
    min_value: Annotated[
        float,
        typer.Option(min=0, metavar="AMOUNT", help="Only customers worth this much per year."),
    ] = 0,
    output_format: Annotated[
        WinbackFormat | None,
        typer.Option(
            "--format", "-f", help="table, json, ndjson, csv or xlsx (default: from --output)."
        ),
    ] = None,
    output: OutputOption = None,
    csv_dialect: CsvDialectOption = None,
    formula_guard: FormulaGuardOption = True,
    pretty: PrettyOption = False,
    lang: LangOption = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
    partitions: PartitionsOption = None,
    workers: WorkersOption = None,
    quiet: QuietOption = False,
) -> None:
    """The lost customers, ranked by what winning them back is worth, with the last known
    reasons before they left and an approach that fits them."""
    from churnwatch import api
    from churnwatch.render.winback_view import (
        show_winback,
        winback_csv,
        winback_json,
        winback_ndjson,
        winback_xlsx,
    )

    chosen = output_format or _winback_format(output)
    check_pretty(pretty, chosen)
    if chosen != "csv" and (csv_dialect is not None or not formula_guard):
        raise not_csv(chosen)
    refuse_binary_on_terminal(chosen == "xlsx", output)
    runs_on = api.engine(engine, scheduler, partitions, workers)
    with progress_display(quiet) as step:
        run, found = api.winback_exports(
            exports,
            config,
            as_of,
            step,
            horizon=horizon,
            top=top or (TABLE_ROWS if chosen == "table" and output is None else None),
            min_value=min_value,
            owners=owner or (),
            segments=segment or (),
            engine=runs_on,
        )
    if not quiet:
        report_problems(run.data_problems(), run.unusable())
    words = api.output_language(run.config, lang)
    if chosen == "table" and output is None:
        show_document(partial(show_winback, lang=words), found)
        return
    data = {
        "json": lambda: winback_json(found, words, pretty=pretty),
        "ndjson": lambda: winback_ndjson(found, words),
        "csv": lambda: winback_csv(
            found, formula_guard=formula_guard, lang=words, dialect=csv_dialect or "standard"
        ),
        "xlsx": lambda: winback_xlsx(found, words),
        "table": lambda: as_text(partial(show_winback, lang=words), found, 100),
    }[chosen]()
    reads = api.files_read(exports, config) if output else []
    emit(data, output, reads=reads, announce=False, binary=chosen == "xlsx")


def check_pretty(pretty: bool, chosen: str) -> None:
    """``--pretty`` only where it means something: the json output."""
    if pretty and chosen != "json":
        raise not_indented(chosen)


def _winback_format(output: Path | None) -> str:
    return format_named_by(
        output,
        {
            ".txt": "table",
            ".json": "json",
            ".ndjson": "ndjson",
            ".jsonl": "ndjson",
            ".csv": "csv",
            ".xlsx": "xlsx",
        },
    )


@app.command()
@handles_errors
def plan(
    exports: Exports,
    *,
    config: ConfigOption = None,
    as_of: AsOfOption = None,
    owner: OwnerOption = None,
    segment: SegmentOption = None,
    days: Annotated[
        int, typer.Option(min=1, max=366, metavar="DAYS", help="Occasions due within DAYS.")
    ] = 14,
    output_format: Annotated[
        PlanFormat | None,
        typer.Option("--format", "-f", help="table, json or ics (default: from --output)."),
    ] = None,
    output: OutputOption = None,
    split_by: Annotated[
        SplitBy | None,
        typer.Option(
            "--split-by",
            help="owner: one calendar per account manager into the folder --output names.",
        ),
    ] = None,
    pretty: PrettyOption = False,
    lang: LangOption = None,
    engine: EngineOption = None,
    scheduler: SchedulerOption = None,
    partitions: PartitionsOption = None,
    workers: WorkersOption = None,
    quiet: QuietOption = False,
) -> None:
    """The contact plan: for each customer who needs it, the next occasion to get in touch,
    with its reason and due date, per account manager."""
    from churnwatch import api
    from churnwatch.render.plan_view import owner_calendars, plan_ics, plan_json, show_plan

    chosen = output_format or (
        "table"  # a folder has no extension: said below as what --split-by needs
        if split_by
        else format_named_by(output, {".txt": "table", ".json": "json", ".ics": "ics"})
    )
    check_pretty(pretty, chosen)
    if split_by and (chosen != "ics" or output is None or not output.is_dir()):
        raise UsageError(
            "--split-by owner writes one .ics per owner into an existing folder:"
            " pass --format ics --output FOLDER"
        )
    runs_on = api.engine(engine, scheduler, partitions, workers)
    with progress_display(quiet) as step:
        run, due = api.plan_exports(
            exports,
            config,
            as_of,
            step,
            days=days,
            owners=owner or (),
            segments=segment or (),
            engine=runs_on,
        )
    if not quiet:
        report_problems(run.data_problems(), run.unusable())
    as_of_text = run.result.as_of
    words = api.output_language(run.config, lang)
    reads = api.files_read(exports, config)
    if split_by and output is not None:
        calendars = owner_calendars(due, as_of_text, words)
        emit_files([(output / file, ics) for file, ics in calendars], reads=reads, announce=False)
        return
    if chosen == "table" and output is None:
        show_document(partial(show_plan, lang=words), due)
        return
    data = {
        "json": lambda: plan_json(due, as_of_text, words, pretty=pretty),
        "ics": lambda: plan_ics(due, as_of_text, words),
        "table": lambda: as_text(partial(show_plan, lang=words), due, 100),
    }[chosen]()
    emit(data, output, reads=reads if output else [], announce=False)
