"""``backtest`` on a terminal: the same tables as the Markdown, drawn by Rich."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from churnwatch.core.words import plural
from churnwatch.render.console import as_text

if TYPE_CHECKING:
    from churnwatch.analyses.backtest import BacktestResult

TEXT_WIDTH = 120


class BacktestTable:
    name = "table"
    extensions = (".txt",)
    bom = False
    for_people = True
    binary = False

    def render(self, result: BacktestResult) -> bytes:
        return as_text(show, result, TEXT_WIDTH)


FORMAT = BacktestTable()


def show(console: Console, result: BacktestResult) -> None:
    from churnwatch.render.backtest_records import backtest_document
    from churnwatch.render.backtest_text import cut_off_sections, lead_time_line

    document = backtest_document(result)
    console.print(f"[bold]Backtest: no order within {plural(document['horizon_days'], 'day')}[/]")
    for title, intro, tables in cut_off_sections(document):
        console.print(f"\n[bold]{escape(title)}[/]")
        for line in intro:
            console.print(f"[dim]{escape(line)}[/]")
        for caption, header, rows in tables:
            table = Table(title=escape(caption), title_justify="left", box=box.SIMPLE_HEAD)
            for index, column in enumerate(header):
                table.add_column(escape(column), justify="left" if index == 0 else "right")
            for row in rows:
                table.add_row(*(escape(cell) for cell in row))
            console.print(table)
    if lead := lead_time_line(document):
        console.print(escape(lead))
