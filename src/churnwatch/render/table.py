"""The ranked table for people: summary line, then the top customers with reasons.

On a terminal it is shown with colour; as a format (``-o report.txt``) it is plain text.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from churnwatch.core.words import plural
from churnwatch.render.console import make_console

if TYPE_CHECKING:  # the data stack is imported only when a table is rendered
    from churnwatch.analyses.result import ScanResult

COLOURS = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "none": "dim",
}
REASONS_SHOWN = 2
NARROW = 72
"""Below this many columns the table would cut ids and reasons: list customers instead."""


TEXT_WIDTH = 160
"""Columns of the plain-text table written to a file."""


class TableFormat:
    """``--format table``: meant for people; written to a file as plain text."""

    name = "table"
    extensions = (".txt",)
    bom = False
    for_people = True

    def render(self, result: ScanResult, shown: ScanResult) -> bytes:
        """The table as plain text (for ``--output report.txt``): no colour codes."""
        buffer = io.StringIO()
        console = make_console(buffer)
        console.width = TEXT_WIDTH
        show(console, result, shown)
        return buffer.getvalue().encode("utf-8")


FORMAT = TableFormat()


def summary_line(result: ScanResult, scanned: int) -> str:
    counts = " · ".join(f"{label} {n}" for label, n in result.by_severity().items() if n)
    sources = ", ".join(result.cut.sources)
    return (
        f"{plural(scanned, 'customer')} scanned as of {result.as_of} · {counts or 'no signals'}"
        f" · sources: {sources}"
    )


def show(console: Console, result: ScanResult, shown: ScanResult) -> None:
    """The summary line and the table (a stacked list on narrow terminals) on ``console``."""
    from churnwatch.render.records import to_records

    console.print(escape(summary_line(result, len(result.customers))))
    if result.not_applicable:
        ids = ", ".join(r.id for r in result.not_applicable)
        console.print(f"[dim]not applicable (no data for them): {escape(ids)}[/]")
    if console.width < NARROW:
        _render_stacked(console, result, shown)
        return
    has_names = "name" in shown.customers
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("customer", no_wrap=True)
    if has_names:
        table.add_column("name", max_width=22, overflow="ellipsis", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("why · next step")
    records = to_records(shown)
    for record in records:
        label = record["severity"]
        cells = [Text(str(record["rank"])), Text(record["customer_id"])]
        if has_names:
            cells.append(Text(record["name"] or ""))
        cells += [Text(f"{record['score']:.0f}"), Text(label, style=COLOURS[label])]
        table.add_row(*cells, _why(record["signals"], record["phase"]))
    console.print(table)
    if len(records) < len(result.customers):
        console.print(
            f"[dim]showing {len(records)} of {len(result.customers):,} (--top, --min-score;"
            " --format csv for all)[/]"
        )


def _render_stacked(console: Console, result: ScanResult, shown: ScanResult) -> None:
    """One block per customer, for narrow terminals: nothing is cut off."""
    from churnwatch.render.records import to_records

    for record in to_records(shown):
        label = record["severity"]
        head = Text(f"{record['rank']}. {record['customer_id']}", style="bold")
        if record["name"]:
            head.append(f" {record['name']}")
        head.append(f" · {record['score']:.0f} ")
        head.append(label, style=COLOURS[label])
        console.print(head)
        console.print(Padding(_why(record["signals"], record["phase"]), (0, 0, 0, 3)))
    if len(shown.customers) < len(result.customers):
        console.print(f"[dim]showing {len(shown.customers)} of {len(result.customers):,}[/]")


def _why(signals: list[dict[str, Any]], phase: str) -> Text:
    """Top reasons with their figures, then the suggested next step."""
    if not signals:
        return Text(f"no warning signals ({phase})", style="dim")
    text = Text()
    for signal in signals[:REASONS_SHOWN]:
        text.append(signal["title"], style="bold")
        text.append(f": {signal['detail']}\n" if signal["detail"] else "\n")
    if len(signals) > REASONS_SHOWN:
        text.append(f"… and {len(signals) - REASONS_SHOWN} more\n", style="dim")
    text.append(f"→ {signals[0]['action']}", style="italic")
    return text
