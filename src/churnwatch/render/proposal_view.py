"""What ``init`` recognised, shown so the user knows what to check in the proposed file."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from churnwatch.core.sources import Kind
from churnwatch.core.words import inline
from churnwatch.ingest.proposal import Proposal


def render_proposal(console: Console, proposal: Proposal) -> None:
    console.print(f"[bold]{escape(str(proposal.folder))}[/]: recognised exports")
    for name, p in proposal.sources.items():
        dialect = p.dialect.describe(
            numbers=p.has_samples(Kind.NUMBER), dates=p.has_samples(Kind.DATE)
        )
        console.print(f"[bold]{name}[/] ← {escape(inline(p.file))} [dim]({escape(dialect)})[/]")
        mapped = " · ".join(f"{c} ← {inline(h)}" for c, h in p.columns.items())  # one line each
        console.print(f"  {escape(mapped)}")
        if p.unmapped_headers:
            unused = ", ".join(inline(h) for h in p.unmapped_headers)
            console.print(f"  [dim]not used: {escape(unused)}[/]")
    for level, text in proposal.remarks():
        style = "yellow" if level == "warning" else "dim"
        console.print(f"[{style}]{level}:[/] {escape(text)}")
