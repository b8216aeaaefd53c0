"""``churnwatch history``: the recorded runs, or one customer's risk over them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from churnwatch.cli.shell import ConfigOption, app, handles_errors, show_document
from churnwatch.core.errors import UsageError


@app.command()
@handles_errors
def history(
    customer_id: Annotated[
        str | None,
        typer.Argument(
            metavar="CUSTOMER_ID", help="Show this customer's risk in every recorded run."
        ),
    ] = None,
    *,
    history: Annotated[
        Path | None,
        typer.Option(
            "--history", metavar="FILE", help="The run history to read (scan --history makes one)."
        ),
    ] = None,
    exports: Annotated[
        Path | None,
        typer.Option(
            "--exports",
            "-e",
            metavar="FOLDER",
            help="Use the [history] path of this exports folder's churnwatch.toml.",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """List the recorded runs (reference date, customers per band, mean risk, fingerprints),
    or one customer's risk over time."""
    from churnwatch import api
    from churnwatch.render.history_view import show_runs, show_timeline

    path = history or api.configured_history(exports, config)
    if path is None:
        raise UsageError(
            "no run history given",
            hint="pass --history FILE, or --exports FOLDER whose churnwatch.toml sets"
            " [history] path",
        )
    if customer_id is None:
        show_document(show_runs, api.recorded_runs(path))
        return
    points = api.customer_timeline(path, customer_id)
    show_document(lambda console, found: show_timeline(console, customer_id, found), points)
