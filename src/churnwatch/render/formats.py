"""Output formats: one protocol, one registry, and inference from a file's extension.

Adding a format is one module (a class with the attributes below and ``render``) and one
line in :data:`SCAN_FORMATS`. Format modules import the data stack only when they render,
so the command line can list them without loading pandas.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from churnwatch.core.errors import UsageError

if TYPE_CHECKING:
    from churnwatch.analyses.result import ScanResult


class Renderer(Protocol):
    name: str
    extensions: tuple[str, ...]
    """File extensions that select this format for ``--output`` (the first is its own)."""
    bom: bool
    """Whether a file in this format starts with a UTF-8 BOM (so Excel reads umlauts)."""
    for_people: bool
    """Meant to be read by people (shown with colour on a terminal), not by programs."""

    def render(self, result: ScanResult, shown: ScanResult) -> bytes:
        """``shown`` (a selection of ``result``) as bytes; ``result`` for the totals."""
        ...


def _registry(*modules: str) -> dict[str, Renderer]:
    formats = [import_module(f"churnwatch.render.{module}").FORMAT for module in modules]
    return {f.name: f for f in formats}


SCAN_FORMATS: dict[str, Renderer] = _registry("table", "json_document", "json_lines", "csv_rows")
TABLE_ROWS = 25
"""Rows the table shows unless ``--top`` or ``--min-score`` says otherwise."""


def choose_format(explicit: str | None, output: Path | None) -> Renderer:
    """``--format`` if given, else the output file's extension, else the table."""
    if explicit is not None:
        return SCAN_FORMATS[explicit]
    if output is None:
        return SCAN_FORMATS["table"]
    inferred = by_extension(output)
    if inferred is None:
        known = ", ".join(ext for f in SCAN_FORMATS.values() for ext in f.extensions)
        raise UsageError(
            f"{output}: cannot tell the format from '{output.suffix or 'no extension'}'",
            hint=f"use one of {known} or pass --format",
        )
    return inferred


def by_extension(output: Path) -> Renderer | None:
    suffix = output.suffix.lower()
    return next((f for f in SCAN_FORMATS.values() if suffix in f.extensions), None)


def extension_mismatch(chosen: Renderer, output: Path | None) -> str | None:
    """A note when ``--format`` contradicts the output file's extension (it still wins)."""
    if output is None:
        return None
    implied = by_extension(output)
    if implied is None or implied is chosen:
        return None
    return f"writing {chosen.name} into {output.name}, whose extension suggests {implied.name}"
