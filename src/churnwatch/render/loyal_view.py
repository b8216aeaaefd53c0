"""``churnwatch loyal`` as a table for people: who the loyal core is, and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from churnwatch.core.words import plural

if TYPE_CHECKING:
    from churnwatch.analyses.result import Selection
    from churnwatch.config import Loyal


def show_loyal(console: Console, selection: Selection, *, settings: Loyal) -> None:
    from churnwatch.analyses.loyal import SUGGESTION, value_per_year, why_empty

    rows = selection.rows
    console.print(
        Text(
            f"{plural(selection.matching, 'loyal customer')} as of {selection.result.as_of}:"
            f" a customer for {settings.min_tenure_days:,} days or more, at least"
            f" {settings.min_order_days} order days, on rhythm, risk under"
            f" {settings.max_risk:g}%, in the top {settings.top_share:.0%} by revenue per year"
        )
    )
    console.print(Text(f"→ {SUGGESTION}", style="italic"))
    if selection.matching == 0:
        console.print(Text(why_empty(selection, settings), style="dim"))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    columns = [c for c in ("name", "owner") if c in rows.customers]
    for header in ("#", "customer", *columns, "per year", "years", "order days", "risk"):
        numeric = header in ("#", "per year", "years", "order days", "risk")
        table.add_column(header, justify="right" if numeric else "left", no_wrap=True)
    frame = rows.customers
    values = value_per_year(rows)
    for position in range(len(frame)):
        row = frame.iloc[position]
        cells = [str(position + 1), str(row["customer_id"])]
        cells += [
            "" if row.get(c) is None or row.get(c) != row.get(c) else str(row[c]) for c in columns
        ]
        cells += [
            f"{values[position]:,.0f}",
            f"{row['tenure_days'] / 365:.1f}",
            f"{row['order_days']:.0f}",
            f"{row['risk'] * 100:.0f}%",
        ]
        table.add_row(*map(Text, cells))
    console.print(table)
    if len(frame) < selection.matching:
        console.print(Text(f"showing {len(frame)} of {selection.matching:,} (--top)", style="dim"))


def _text(value: object) -> str:
    from churnwatch.render.records import is_missing

    return "" if is_missing(value) else str(value)
