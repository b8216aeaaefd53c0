"""``churnwatch features``, ``rules`` and ``schema``: what churnwatch knows, without data."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from churnwatch.cli.scanning import LangOption
from churnwatch.cli.shell import ConfigOption, app, handles_errors
from churnwatch.render.console import make_console


@app.command()
def features() -> None:
    """List the features rules can use: name, source, unit and meaning."""
    from churnwatch import api
    from churnwatch.render.listings import render_features

    render_features(make_console(wide_in_pipes=True), api.list_features())


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
        typer.Option(
            "--check", metavar="FILE", help="Only validate this rules/config file (no data needed)."
        ),
    ] = None,
    lang: LangOption = None,
) -> None:
    """List the active rules (defaults plus your config), or check a rules file."""
    from churnwatch import api
    from churnwatch.render.listings import render_rules

    active, words = api.rules_listing(exports, config, check, lang)
    if check is not None:
        make_console().print(f"{escape(str(check))}: ok, {len(active)} active rules")
        return
    render_rules(make_console(wide_in_pipes=True), active, words)


@app.command()
def schema() -> None:
    """Print the JSON Schema of `scan --format json` output."""
    from churnwatch import api

    sys.stdout.write(json.dumps(api.output_schema(), indent=2, ensure_ascii=False) + "\n")
