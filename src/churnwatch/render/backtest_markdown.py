"""``backtest --format md``: the backtest as Markdown tables, for a wiki or a ticket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from churnwatch.core.words import plural

if TYPE_CHECKING:
    from churnwatch.analyses.backtest import BacktestResult


class BacktestMarkdown:
    name = "md"
    extensions = (".md",)
    bom = False
    for_people = False
    binary = False

    def render(self, result: BacktestResult) -> bytes:
        from churnwatch.render.backtest_records import backtest_document

        return "\n".join(markdown_lines(backtest_document(result))).encode("utf-8")


FORMAT = BacktestMarkdown()


def markdown_lines(document: dict[str, Any]) -> list[str]:
    from churnwatch.render.backtest_text import cut_off_sections, lead_time_line

    lines = [f"# Backtest: no order within {plural(document['horizon_days'], 'day')}", ""]
    for title, intro, tables in cut_off_sections(document):
        lines += [f"## {title}", "", *intro, ""]
        for caption, header, rows in tables:
            lines += [f"**{caption}**", "", _row(header), _row(["---"] * len(header))]
            lines += [_row(row) for row in rows]
            lines.append("")
    if lead := lead_time_line(document):
        lines += [lead, ""]
    return lines


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
