"""``churnwatch validate`` and ``churnwatch init``: is the data usable, and how is it written?"""

from __future__ import annotations

from typing import Annotated

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
)
from churnwatch.core.words import plural
from churnwatch.render.console import make_console


@app.command()
@handles_errors
def validate(exports: Exports, *, config: ConfigOption = None, as_of: AsOfOption = None) -> None:
    """Load every export and report data quality: rows, skips, duplicates, orphans."""
    from churnwatch import api
    from churnwatch.render.data_quality import render_problems, render_summary

    validation = api.validate_exports(exports, config, as_of)
    console = make_console()
    render_summary(console, validation.cut, validation.summaries)
    render_problems(console, validation.problems)
    for issue in validation.blocking:
        message("not usable", "red", issue)
    if validation.blocking:
        raise typer.Exit(ExitCode.ERROR)
    customers = plural(validation.cut.ordering_customers(), "customer")
    console.print(f"usable: as of {validation.cut.as_of_iso}, {customers} with orders")


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
    from churnwatch import api
    from churnwatch.render.proposal_view import render_proposal

    proposal = api.propose_config(exports, force=force)
    target = api.write_config(proposal, force=force)  # before any output: `| head` may stop it
    console = make_console()
    render_proposal(console, proposal)
    console.print(
        f"wrote {escape(str(target))}; check it, then run: churnwatch validate"
        f" {escape(str(exports))}"
    )
