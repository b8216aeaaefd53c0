"""The weekly report's formats: HTML for mail, Markdown, plain text, and xlsx.

HTML, Markdown and text are Jinja2 templates (``render/templates``) over the same
:class:`~churnwatch.render.report_view.ReportView`; HTML is autoescaped, Markdown escapes its
punctuation, text spells out control characters. xlsx writes one sheet per section with
typed cells. Adding a format is one class here and one line in :data:`REPORT_FORMATS`.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from churnwatch.core.words import printable

if TYPE_CHECKING:
    import jinja2

    from churnwatch.render.report_view import ReportView, Section

BAR_WIDTH = 30
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]|<>~])")
"""What could make text from the data markup: emphasis, links, table cells, HTML."""
_BLANKS = re.compile(r"[ \t\r\n]+")


@dataclass(frozen=True)
class TemplateFormat:
    """A report written by one of the templates."""

    name: str
    extensions: tuple[str, ...]
    template: str
    mime_type: str
    binary = False

    def render(self, view: ReportView) -> bytes:
        environment = _environment(autoescape=self.name == "html")
        page = environment.get_template(self.template).render(view=view)
        return (page.rstrip() + "\n").encode("utf-8")


@dataclass(frozen=True)
class WorkbookFormat:
    """The report as a workbook: an overview sheet, then one sheet per section."""

    name = "xlsx"
    extensions = (".xlsx",)
    mime_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    binary = True

    def render(self, view: ReportView) -> bytes:
        from churnwatch.render.xlsx_sheet import workbook_bytes

        overview = {
            view.figure_header: [figure.label for figure in view.figures],
            view.value_header: [figure.value.value for figure in view.figures],
            "": [figure.change for figure in view.figures],
        }
        sheets = {view.overview: overview}
        formats: dict[str, Mapping[str, str | list[str | None]]] = {
            view.overview: {
                view.value_header: [EXCEL_FORMATS.get(figure.value.kind) for figure in view.figures]
            }
        }
        for section in view.sections:
            sheets[section.title] = _section_columns(section)
            formats[section.title] = _section_formats(section, sheets[section.title])
        return workbook_bytes(sheets, formats)


EXCEL_FORMATS = {"percent": "0%", "money": "#,##0", "count": "#,##0", "number": "#,##0.0"}
"""The number format of each kind of cell: a share shows as 82 %, as in the report."""


def _section_formats(section: Section, columns: dict[str, list[Any]]) -> dict[str, str]:
    """Per column of the sheet, the number format of its kind of value (from the first row
    with a value there: a first row may have none, as an earlier run without a result)."""
    formats = {}
    for place, name in enumerate(columns):
        cells = (row[place] for row in section.rows if place < len(row))
        kinds = (cell.kind for cell in cells if cell.value is not None)
        if (kind := next(kinds, "")) in EXCEL_FORMATS:
            formats[name] = EXCEL_FORMATS[kind]
    return formats


def _section_columns(section: Section) -> dict[str, list[Any]]:
    if section.lines or not section.columns:
        return {section.title: list(section.lines) or [section.empty]}
    columns: dict[str, list[Any]] = {}
    for index, title in enumerate(section.columns):
        key = title if title not in columns else f"{title} ({index + 1})"
        columns[key] = [row[index].value for row in section.rows]
    return columns


REPORT_FORMATS: dict[str, Any] = {
    f.name: f
    for f in (
        TemplateFormat("html", (".html", ".htm"), "report.html.j2", "text/html"),
        TemplateFormat("md", (".md", ".markdown"), "report.md.j2", "text/markdown"),
        TemplateFormat("txt", (".txt",), "report.txt.j2", "text/plain"),
        WorkbookFormat(),
    )
}


@cache
def _environment(*, autoescape: bool) -> jinja2.Environment:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("churnwatch.render", "templates"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,  # a missing value is a bug, never an empty cell
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters |= {
        "md": markdown_text,
        "safe_text": printable,
        "wrap": wrap,
        "pad": lambda text, width: str(text).ljust(width),
        "bar": bar,
    }
    environment.globals |= {
        "bar_label_width": bar_label_width,
        "row_head": row_head,
        "wide_heading": wide_heading,
    }
    return environment


def markdown_text(text: object) -> str:
    """Text that Markdown shows as it is: punctuation escaped, on one line."""
    flat = _BLANKS.sub(" ", printable(str(text))).strip()
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", flat)


def wrap(text: object, width: int, indent: str, first: str | None = None) -> str:
    """Text broken into lines of at most ``width`` characters, indented."""
    lines = textwrap.wrap(
        _BLANKS.sub(" ", str(text)).strip(),  # no-break spaces stay: '35\u00a0%' is one word
        width,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
    )
    return "\n".join(lines)


def bar(share: float, width: int = BAR_WIDTH) -> str:
    """A bar of block characters; anything above zero shows at least a sliver."""
    length = round(max(0.0, min(1.0, share)) * width)
    return ("█" * length or ("▏" if share > 0 else "")).ljust(width)


def bar_label_width(section: Section) -> int:
    return max((len(b.label) for b in section.bars), default=0)


def wide_heading(section: Section) -> str:
    """The heading of the one column HTML stacks the sentences in (why · next step · …)."""
    return " · ".join(section.columns[index] for index in section.wide)


def row_head(section: Section, row: list[Any]) -> str:
    """The short cells of a row on one line, named after the first ``section.plain`` (the
    sentences follow on their own lines)."""
    return " · ".join(
        cell.text
        if index < section.plain or index in section.unnamed
        else f"{section.columns[index]} {cell.text}"
        for index, cell in enumerate(row)
        if index not in section.wide and cell.text
    )
