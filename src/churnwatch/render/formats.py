"""Output formats: one enum, one renderer each, and inference from a file's extension."""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path

from churnwatch.errors import UsageError
from churnwatch.render.console import make_console
from churnwatch.render.machine import render_csv, render_json, render_ndjson
from churnwatch.render.table import render_table
from churnwatch.result import ScanResult


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    NDJSON = "ndjson"
    CSV = "csv"


EXTENSIONS = {
    ".json": Format.JSON,
    ".ndjson": Format.NDJSON,
    ".jsonl": Format.NDJSON,
    ".csv": Format.CSV,
    ".txt": Format.TABLE,
}
TABLE_ROWS = 25


def choose_format(explicit: Format | None, output: Path | None) -> Format:
    """``--format`` if given, else the output file's extension, else the table."""
    if explicit is not None:
        return explicit
    if output is None:
        return Format.TABLE
    inferred = EXTENSIONS.get(output.suffix.lower())
    if inferred is None:
        known = ", ".join(EXTENSIONS)
        raise UsageError(
            f"{output}: cannot tell the format from '{output.suffix or 'no extension'}'",
            hint=f"use one of {known} or pass --format",
        )
    return inferred


def extension_mismatch(chosen: Format, output: Path | None) -> str | None:
    """A note when ``--format`` contradicts the output file's extension (it still wins)."""
    if output is None:
        return None
    implied = EXTENSIONS.get(output.suffix.lower())
    if implied is None or implied is chosen:
        return None
    return f"writing {chosen.value} into {output.name}, whose extension suggests {implied.value}"


def render_machine(result: ScanResult, output_format: Format) -> str:
    renderers = {Format.JSON: render_json, Format.NDJSON: render_ndjson, Format.CSV: render_csv}
    return renderers[output_format](result)


def render_table_text(result: ScanResult, shown: ScanResult, width: int = 160) -> str:
    """The table as plain text (for ``--output report.txt``): no colour codes."""
    buffer = io.StringIO()
    console = make_console(buffer)
    console.width = width
    render_table(console, result, shown)
    return buffer.getvalue()
