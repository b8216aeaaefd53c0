"""The ranked table for people: summary line, then the top customers with reasons.

On a terminal it is shown with colour; as a format (``-o report.txt``) it is plain text.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from churnwatch.core.days import days_to_iso
from churnwatch.core.domain import Phase
from churnwatch.core.words import plural
from churnwatch.render.console import as_text

if TYPE_CHECKING:  # the data stack is imported only when a table is rendered
    from churnwatch.analyses.result import ScanResult, Selection
    from churnwatch.risk.training import Training

COLOURS = {
    "critical": "bold white on red",
    "high": "bold red",
    "medium": "yellow",
    "low": "cyan",
    "none": "dim",
}
REASONS_SHOWN = 2
NARROW = 100
"""Below this many columns the reasons column would be too thin to read (dozens of lines per
customer): list customers one below the other instead."""
NAME_WIDTH = 22
OWNER_WIDTH = 16
NAME_SHARE = 0.3
"""Beyond the fixed columns, the name column's share of a wide terminal (at least 22 columns):
wide terminals show more of each name, narrow ones keep the room for the reasons."""
FIXED_COLUMNS = 40


TEXT_WIDTH = 100
"""Columns of the plain-text table written to a file (a mail or a printed page)."""


class TableFormat:
    """``--format table``: meant for people; written to a file as plain text."""

    name = "table"
    extensions = (".txt",)
    bom = False
    for_people = True
    binary = False

    def render(self, selection: Selection) -> bytes:
        """The table as plain text (for ``--output report.txt``): no colour codes."""
        return as_text(partial(show, hints=False), selection, TEXT_WIDTH)


FORMAT = TableFormat()


def summary_lines(selection: Selection, *, hints: bool = True) -> list[str]:
    """Who was scanned, what the risk means, how the customers spread over the bands, and
    where the weights come from."""
    result = selection.result
    phases = result.by_phase()
    lost = phases[Phase.LOST]
    active = result.select(phases=[p for p in Phase if p is not Phase.LOST]).rows
    counts = " · ".join(f"{label} {n}" for label, n in active.by_severity().items() if n)
    head = (
        f"{plural(len(result.customers), 'customer')} as of {result.as_of} · risk = chance of no"
        f" order within {result.model.horizon_days} days"
    )
    spread = f"not lost: {counts or 'none'}"
    if lost and (selection.phases is None or Phase.LOST in selection.phases):
        spread += f" · lost {lost:,}"
    elif lost:
        spread += f" · lost {lost:,}, not shown" + (" (--phase lost lists them)" if hints else "")
    sources = ", ".join(result.cut.sources)
    lines = [head, spread, f"{weights_line(result)} · sources: {sources}"]
    if not result.model.history_based:
        lines.append(
            "no model of the order history (too few customers): the risk counts the warning"
            " rules only"
        )
    return lines


def weights_line(result: ScanResult) -> str:
    training = result.model.training
    if training is None:
        return result.model.note or "configured rule weights"
    return f"weights fitted on this export's history ({training_text(training)})"


def training_text(training: Training) -> str:
    """``as of 2026-07-02 and 2 earlier cut-offs: 860 customers, 95 placed no order within 90
    days``."""
    latest, *earlier = training.cut_offs
    more = (
        f" and {len(earlier)} earlier cut-off{'s' if len(earlier) > 1 else ''}" if earlier else ""
    )
    return (
        f"as of {days_to_iso(latest)}{more}: {training.customers:,} customers,"
        f" {training.churners:,} placed no order within {training.horizon_days} days"
    )


def show(console: Console, selection: Selection, *, hints: bool = True, long: bool = False) -> None:
    """The summary and the table (a stacked list on narrow terminals) on ``console``;
    ``hints=False`` leaves out how to get more from the command line (for a report file)."""
    from churnwatch.render.records import to_records

    result = selection.result
    first, *rest = summary_lines(selection, hints=hints)
    console.print(escape(first))
    for line in rest:
        console.print(f"[dim]{escape(line)}[/]")
    if result.not_applicable:
        ids = ", ".join(r.id for r in result.not_applicable)
        console.print(f"[dim]not applicable (no data for them): {escape(ids)}[/]")
    records = to_records(selection.rows)
    shown = None if long else REASONS_SHOWN
    columns = [c for c in ("name", "owner") if c in selection.rows.customers]
    narrow = NARROW + (OWNER_WIDTH + 3 if "owner" in columns else 0)  # keep the reasons wide
    if console.width < narrow:
        _render_stacked(console, records, shown)
    else:
        name_width = max(NAME_WIDTH, int((console.width - FIXED_COLUMNS) * NAME_SHARE))
        console.print(_table(records, columns, name_width=name_width, reasons=shown))
    if any(not s["weight_fitted"] for record in records for s in record["signals"]):
        console.print(
            "[dim]pts: what a signal adds to the risk, in percentage points; * the signal's weight"
            " is the configured one, not fitted on this export's history[/]"
        )
    if len(records) < selection.matching and hints:
        console.print(
            f"[dim]showing {len(records)} of {selection.matching:,} (--top, --min-risk, --phase;"
            " --format csv for all)[/]"
        )


def _table(
    records: list[dict[str, Any]], texts: list[str], *, name_width: int, reasons: int | None
) -> Table:
    """One row per customer; ``texts``: the master-data columns to show (name, owner)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("customer", no_wrap=True)
    for column in texts:
        width = name_width if column == "name" else OWNER_WIDTH
        table.add_column(column, max_width=width, overflow="ellipsis", no_wrap=True)
    table.add_column("risk", justify="right", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    table.add_column("why · next step")
    for record in records:
        label = record["severity"]
        cells = [Text(str(record["rank"])), Text(record["customer_id"])]
        cells += [Text(record[column] or "") for column in texts]
        cells += [Text(percent(record["risk"])), Text(label, style=COLOURS[label])]
        table.add_row(*cells, _why(record, reasons))
    return table


def _render_stacked(console: Console, records: list[dict[str, Any]], reasons: int | None) -> None:
    """One block per customer, for narrow terminals: nothing is cut off."""
    for record in records:
        label = record["severity"]
        head = Text(f"{record['rank']}. {record['customer_id']}", style="bold")
        if record["name"]:
            head.append(f" {record['name']}")
        head.append(f" · {percent(record['risk'])} ")
        head.append(label, style=COLOURS[label])
        if record.get("owner"):
            head.append(f" · {record['owner']}", style="dim")
        console.print(head)
        console.print(Padding(_why(record, reasons), (0, 0, 0, 3)))


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _why(record: dict[str, Any], shown: int | None = REASONS_SHOWN) -> Text:
    """The order history in words, the top warning signals with what each adds to the risk,
    then the suggested next step."""
    signals = record["signals"]
    text = Text(f"{record['history']} ({record['phase']})", style="dim")
    for signal in signals[:shown]:
        text.append("\n")
        text.append(signal["title"], style="bold")
        configured = "" if signal["weight_fitted"] else "*"
        points = round(signal["contribution"] * 100)
        text.append(f" (+{points} pt{'' if points == 1 else 's'}{configured})")
        text.append(f": {signal['detail']}" if signal["detail"] else "")
    if shown is not None and len(signals) > shown:
        text.append(f"\n… and {len(signals) - shown} more (--long)", style="dim")
    if signals:
        text.append(f"\n→ {signals[0]['action']}", style="italic")
    return text
