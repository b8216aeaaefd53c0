"""The data-quality report printed by ``validate`` (and by ``scan`` as a footnote)."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from churnwatch.ingest.load_summary import SourceSummary
from churnwatch.ingest.problems import Level, Problem
from churnwatch.timeframe import Cut

MAX_PROBLEMS = 20


def render_summary(console: Console, cut: Cut, summaries: list[SourceSummary]) -> None:
    """One row per source with the counts, then one line per source on how it was read."""
    table = Table(
        title=f"{escape(str(cut.dataset.folder))} · as of {cut.as_of_iso}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("source")
    for header in ("rows", "skipped", "dupes", "customers", "orphans"):
        table.add_column(header, justify="right")
    table.add_column("first")
    table.add_column("last")
    for s in summaries:
        table.add_row(
            s.source,
            f"{s.rows_read:,}",
            f"{s.rows_skipped:,}",
            f"{s.duplicates:,}",
            f"{s.customers:,}",
            f"{s.orphan_rows:,}",
            s.first_date or "–",
            s.last_date or "–",
        )
    console.print(table)
    for s in summaries:
        dialect = s.dialect.describe(numbers=s.has_numbers, dates=s.has_dates)
        console.print(f"[dim]{s.source}: {escape(s.file)} read as {escape(dialect)}[/]")


def render_problems(console: Console, problems: list[Problem], limit: int = MAX_PROBLEMS) -> None:
    """Warnings first, then notes; long lists are capped with a count of the rest."""
    ordered = sorted(problems, key=lambda p: p.level is not Level.WARNING)
    for problem in ordered[:limit]:
        style = "yellow" if problem.level is Level.WARNING else "dim"
        console.print(f"[{style}]{problem.level}:[/] {escape(problem.describe())}")
        for line in problem.fix:  # what to paste into churnwatch.toml
            console.print(f"    {escape(line)}", highlight=False)
    if len(ordered) > limit:
        console.print(f"… and {len(ordered) - limit} more")
