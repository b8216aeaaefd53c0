"""Output formats: one protocol, one registry, and inference from a file's extension.

Adding a format is one module (a class with the attributes below and ``render``) and one
line in :data:`SCAN_FORMATS`. Format modules import the data stack only when they render,
so the command line can list them without loading pandas.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from churnwatch.core.errors import UsageError
from churnwatch.core.paths import open_descriptor

if TYPE_CHECKING:
    from churnwatch.analyses.backtest import BacktestResult
    from churnwatch.analyses.result import Selection


Document_contra = TypeVar("Document_contra", contravariant=True)


class Renderer(Protocol[Document_contra]):
    name: str
    extensions: tuple[str, ...]
    """File extensions that select this format for ``--output`` (the first is its own)."""
    bom: bool
    """Whether a file in this format starts with a UTF-8 BOM (so Excel reads umlauts)."""
    for_people: bool
    """Meant to be read by people (shown with colour on a terminal), not by programs."""
    binary: bool
    """Not text (xlsx): never written to a terminal."""

    def render(self, document: Document_contra) -> bytes:
        """The document (for a scan: the selection of customers to show) as bytes."""
        ...


def _registry(*modules: str) -> dict[str, Any]:
    formats = [import_module(f"churnwatch.render.{module}").FORMAT for module in modules]
    return {f.name: f for f in formats}


SCAN_FORMATS: dict[str, Renderer[Selection]] = _registry(
    "table", "json_document", "json_lines", "csv_rows", "xlsx_sheet"
)
BACKTEST_FORMATS: dict[str, Renderer[BacktestResult]] = _registry(
    "backtest_table", "backtest_json", "backtest_markdown"
)
TABLE_ROWS = 25
"""Rows the table shows unless ``--top``, ``--min-risk`` or ``--phase`` say otherwise."""


def choose_format(
    explicit: str | None, output: Path | None, formats: dict[str, Any] | None = None
) -> Any:
    """``--format`` if given, else the output file's extension, else the first (the table)."""
    formats = SCAN_FORMATS if formats is None else formats
    if explicit is not None:
        return formats[explicit]
    if (file := _file_named(output)) is None:
        return next(iter(formats.values()))
    inferred = by_extension(file, formats)
    if inferred is None:
        raise _unknown_extension(file, [ext for f in formats.values() for ext in f.extensions])
    return inferred


def format_named_by(output: Path | None, extensions: dict[str, str]) -> str:
    """The name of the format ``output``'s extension selects (``extensions``: extension →
    name, the table's first); the table's where there is no file to write (the standard
    output). An extension that selects none is an error, as for the scan: a plan written as
    text into ``plan.xlsx`` is a workbook Excel cannot open."""
    if (file := _file_named(output)) is None:
        return next(iter(extensions.values()))
    chosen = extensions.get(file.suffix.lower())
    if chosen is None:
        raise _unknown_extension(file, list(extensions))
    return chosen


def _file_named(output: Path | None) -> Path | None:
    """The file whose extension names the format; None for the standard output (also as
    ``-o /dev/stdout``, an open descriptor without an extension)."""
    if output is None or (not output.suffix and open_descriptor(output) is not None):
        return None
    return output


def _unknown_extension(output: Path, known: list[str]) -> UsageError:
    return UsageError(
        f"{output}: cannot tell the format from '{output.suffix or 'no extension'}'",
        hint=f"use one of {', '.join(known)} or pass --format",
    )


def with_options(renderer: Any, *, csv_dialect: str | None, formula_guard: bool) -> Any:
    """The renderer with the CSV options; an error if they were given for another format."""
    if csv_dialect is None and formula_guard:
        return renderer
    if not hasattr(renderer, "with_options"):
        raise not_csv(renderer.name)
    return renderer.with_options(csv_dialect=csv_dialect, formula_guard=formula_guard)


def not_csv(name: str) -> UsageError:
    """What a CSV option with the output format ``name`` is."""
    return UsageError(f"--csv-dialect and --no-formula-guard apply to csv output, not {name}")


def prettified(renderer: Any, pretty: bool) -> Any:
    """The renderer indenting its output (``--pretty``); an error for a format without it."""
    if not pretty:
        return renderer
    if not hasattr(renderer, "with_pretty"):
        raise not_indented(renderer.name)
    return renderer.with_pretty(pretty)


def not_indented(name: str) -> UsageError:
    """What ``--pretty`` with the output format ``name`` is: only JSON is indented."""
    return UsageError(f"--pretty applies to json output, not {name}")


def in_language(renderer: Any, lang: Any) -> Any:
    """The renderer writing its texts for people in ``lang`` (a :class:`Language`)."""
    return renderer.with_language(lang) if hasattr(renderer, "with_language") else renderer


def by_extension(output: Path, formats: dict[str, Any] | None = None) -> Any:
    suffix = output.suffix.lower()
    candidates = (SCAN_FORMATS if formats is None else formats).values()
    return next((f for f in candidates if suffix in f.extensions), None)


def extension_mismatch(
    chosen: Any, output: Path | None, formats: dict[str, Any] | None = None
) -> str | None:
    """A note when ``--format`` contradicts the output file's extension (it still wins)."""
    if output is None:
        return None
    implied = by_extension(output, formats)
    if implied is None or implied.name == chosen.name:
        return None
    return f"writing {chosen.name} into {output.name}, whose extension suggests {implied.name}"
