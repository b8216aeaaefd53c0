"""What ``init`` recognised, shown so the user knows what to check in the proposed file."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from churnwatch.init import Proposal


def render_proposal(console: Console, proposal: Proposal) -> None:
    table = Table(title=f"{proposal.folder}: recognised exports", title_justify="left")
    for header in ("source", "file", "dialect", "columns mapped", "not mapped"):
        table.add_column(header)
    for name, p in proposal.sources.items():
        mapped = ", ".join(f"{c} ← {h}" for c, h in p.columns.items())
        delimiter = {"\t": "tab"}.get(p.head.delimiter, p.head.delimiter)
        dialect = f"{p.head.encoding}, {delimiter!r}, decimal {p.decimal!r}, {p.date_format}"
        table.add_row(
            name,
            p.file,
            escape(dialect),
            escape(mapped),
            escape(", ".join(p.unmapped_headers)) or "–",
        )
    console.print(table)
    for level, text in proposal.remarks():
        style = "yellow" if level == "warning" else "dim"
        console.print(f"[{style}]{level}:[/] {escape(text)}")
