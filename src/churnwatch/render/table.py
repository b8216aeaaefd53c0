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

from churnwatch.core.domain import Phase
from churnwatch.core.words import printable
from churnwatch.render.console import as_text

if TYPE_CHECKING:  # the data stack is imported only when a table is rendered
    from churnwatch.analyses.result import ScanResult, Selection
    from churnwatch.render.language import Language
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
ID_WIDTH = 24
"""An id longer than this is shown by its start and its end, "…" between, so that risk,
severity and the reasons keep their room while ids that share a long prefix
(``gid://shopify/Customer/…``) stay told apart; JSON and CSV carry it whole."""
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

    def __init__(self, lang: Language | None = None) -> None:
        self.lang = lang

    def with_language(self, lang: Language) -> TableFormat:
        return TableFormat(lang)

    def render(self, selection: Selection) -> bytes:
        """The table as plain text (for ``--output report.txt``): no colour codes."""
        return as_text(partial(show, hints=False, lang=self.lang), selection, TEXT_WIDTH)


FORMAT = TableFormat()


def _language(lang: Language | None) -> Language:
    """``lang``, or English (the catalogs are read only when a table is drawn)."""
    from churnwatch.render.language import language

    return lang or language()


def summary_lines(
    selection: Selection, *, hints: bool = True, lang: Language | None = None
) -> list[str]:
    """Who was scanned, what the risk means, how the customers spread over the bands, and
    where the weights come from."""
    lang = _language(lang)
    result = selection.result
    phases = result.by_phase()
    lost = phases[Phase.LOST]
    active = result.select(phases=[p for p in Phase if p is not Phase.LOST]).rows
    counts = " · ".join(
        f"{lang.severity(label)} {lang.number(n)}" for label, n in active.by_severity().items() if n
    )
    head = lang.t(
        "table.head",
        customers=lang.count(result.count, "customer"),
        as_of=lang.date(result.cut.as_of),
        horizon=lang.count(result.model.horizon_days, "day_dative"),
    )
    spread = lang.t("table.not_lost", counts=counts or lang.t("table.nobody"))
    if lost and not selection.hides_lost:
        spread += lang.t("table.lost_shown", lost=lang.number(lost))
    elif lost:
        spread += lang.t("table.lost_hidden", lost=lang.number(lost))
        spread += lang.t("table.lost_hint") if hints else ""
    sources = ", ".join(lang.t(f"source_names.{name}") for name in result.cut.sources)
    lines = [head, spread, f"{weights_line(result, lang)} · {lang.t('table.sources')}: {sources}"]
    if not result.model.history_based:
        lines.append(lang.t("table.no_model"))
    if suggested := result.suggested_horizon():
        gap = lang.count(round(result.usual_gap_days() or 0), "day")
        lines.append(
            lang.t(
                "table.horizon_hint",
                gap=gap,
                horizon=lang.count(result.model.horizon_days, "day_dative"),
                suggested=lang.number(suggested),
            )
        )
    return lines


def weights_line(result: ScanResult, lang: Language | None = None) -> str:
    lang = _language(lang)
    training = result.model.training
    why = result.model.why
    if training is None and why is not None:
        return lang.t(f"weights.{why.key}", **{k: lang.number(v) for k, v in why.values})
    if training is None:
        return result.model.note or lang.t("table.configured")
    return lang.t("table.fitted", training=training_text(training, lang))


def training_text(training: Training, lang: Language | None = None) -> str:
    """``as of 2026-07-02 and 2 earlier cut-offs: 860 customers, 95 placed no order within 90
    days``."""
    lang = _language(lang)
    latest, *earlier = training.cut_offs
    more = lang.t("table.earlier", cut_offs=lang.count(len(earlier), "cut_off")) if earlier else ""
    return lang.t(
        "table.training",
        as_of=lang.date(latest),
        more=more,
        customers=lang.count(training.customers, "customer"),
        churners=lang.number(training.churners),
        horizon=lang.count(training.horizon_days, "day_dative"),
    )


def _nobody_shown(selection: Selection, *, hints: bool, lang: Language) -> str:
    """Why the list is empty: every customer is lost (not listed unless asked for), or the
    filters the user gave left nobody."""
    if not hints:
        return lang.t("table.none_shown")
    lost = selection.result.by_phase()[Phase.LOST]
    if selection.hides_lost and lost == selection.result.count:
        return lang.t("table.all_lost", customers=lang.count(lost, "customer"))
    return lang.t("table.none_match")


def show(
    console: Console,
    selection: Selection,
    *,
    hints: bool = True,
    long: bool = False,
    lang: Language | None = None,
) -> None:
    """The summary and the table (a stacked list on narrow terminals) on ``console``;
    ``hints=False`` leaves out how to get more from the command line (for a report file)."""
    from churnwatch.render.records import to_records

    lang = _language(lang)
    result = selection.result
    first, *rest = summary_lines(selection, hints=hints, lang=lang)
    console.print(escape(first))
    for line in rest:
        console.print(f"[dim]{escape(line)}[/]")
    if result.not_applicable:
        ids = ", ".join(r.id for r in result.not_applicable)
        console.print(f"[dim]{escape(lang.t('table.not_applicable', rules=ids))}[/]")
    records = to_records(selection.rows, lang=lang)
    if not records and result.count:  # the filters left nobody: say so, no empty table
        console.print(escape(_nobody_shown(selection, hints=hints, lang=lang)))
        return
    shown = None if long else REASONS_SHOWN
    columns = [c for c in ("name", "owner") if c in selection.rows.customers]
    narrow = NARROW + (OWNER_WIDTH + 3 if "owner" in columns else 0)  # keep the reasons wide
    if console.width < narrow:
        _render_stacked(console, records, shown, lang)
    else:
        name_width = max(NAME_WIDTH, int((console.width - FIXED_COLUMNS) * NAME_SHARE))
        console.print(_table(records, columns, name_width=name_width, reasons=shown, lang=lang))
    if any(not s["weight_fitted"] for record in records for s in record["signals"]):
        console.print(f"[dim]{escape(lang.t('table.points_note'))}[/]")
    if len(records) < selection.in_phases and hints:  # cut by --top, or narrowed by filters
        showing = _showing(selection, len(records), lang)
        console.print(f"[dim]{escape(showing)}[/]")


def _table(
    records: list[dict[str, Any]],
    texts: list[str],
    *,
    name_width: int,
    reasons: int | None,
    lang: Language,
) -> Table:
    """One row per customer; ``texts``: the master-data columns to show (name, owner)."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    heading = partial(_heading, lang)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column(heading("customer"), no_wrap=True)
    for column in texts:
        width = name_width if column == "name" else OWNER_WIDTH
        table.add_column(heading(column), max_width=width, overflow="ellipsis", no_wrap=True)
    table.add_column(heading("risk"), justify="right", no_wrap=True)
    table.add_column(heading("severity"), no_wrap=True)
    compared = bool(records) and "change" in records[0]
    if compared:
        table.add_column(heading("change"), no_wrap=True)
    table.add_column(heading("why"))
    for record in records:
        label = record["severity"]
        cells = [Text(str(record["rank"])), Text(shown_id(one_line(record["customer_id"])))]
        cells += [Text(one_line(record[column] or "")) for column in texts]
        cells += [Text(lang.percent(record["risk"])), Text(lang.severity(label), COLOURS[label])]
        cells += [change_text(record, lang)] if compared else []
        table.add_row(*cells, _why(record, reasons, lang))
    return table


def shown_id(text: str) -> str:
    """``text`` in at most :data:`ID_WIDTH` characters: its start, "…", and its end."""
    if len(text) <= ID_WIDTH:
        return text
    tail = ID_WIDTH * 2 // 3
    return f"{text[: ID_WIDTH - tail - 1]}…{text[-tail:]}"


def _heading(lang: Language, column: str) -> str:
    return lang.t(f"table.columns.{column}")


def _render_stacked(
    console: Console, records: list[dict[str, Any]], reasons: int | None, lang: Language
) -> None:
    """One block per customer, for narrow terminals: nothing is cut off."""
    for record in records:
        label = record["severity"]
        head = Text(f"{record['rank']}. {one_line(record['customer_id'])}", style="bold")
        if record["name"]:
            head.append(f" {one_line(record['name'])}")
        head.append(f" · {lang.percent(record['risk'])} ")
        head.append(lang.severity(label), style=COLOURS[label])
        if record.get("change"):
            head.append(" · ").append_text(change_text(record, lang))
        if record.get("owner"):
            head.append(f" · {one_line(record['owner'])}", style="dim")
        console.print(head)
        console.print(Padding(_why(record, reasons, lang), (0, 0, 0, 3)))


CHANGE_STYLES = {"new": "bold red", "escalated": "red", "recovered": "green", "lost": "dim"}


def change_text(record: dict[str, Any], lang: Language | None = None) -> Text:
    """``new``, ``escalated from 55%``, ``recovered from 62%`` … against the previous run."""
    lang = _language(lang)
    change = record.get("change") or ""
    before = record.get("previous_risk")
    style = CHANGE_STYLES.get(change, "dim")
    if change in ("escalated", "recovered", "lost") and before is not None:
        words = lang.t("table.change_from", change=lang.change(change), risk=lang.percent(before))
        return Text(words, style=style)
    return Text(lang.change(change) if change else "", style=style)


def one_line(text: str) -> str:
    """Text from the data for one table cell: control characters spelled out before the
    table measures it (so the columns stay aligned) and line breaks shown as ``\n``."""
    return printable(text).replace("\n", "\\n").replace("\t", " ")


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _why(
    record: dict[str, Any], shown: int | None = REASONS_SHOWN, lang: Language | None = None
) -> Text:
    """The order history in words, the top warning signals with what each adds to the risk,
    then the suggested next step."""
    lang = _language(lang)
    signals = record["signals"]
    text = Text(f"{record['history']} ({lang.phase(record['phase'])})", style="dim")
    for signal in signals[:shown]:
        text.append("\n")
        text.append(signal["title"], style="bold")
        configured = "" if signal["weight_fitted"] else "*"
        points = lang.points(signal["contribution"])
        text.append(f" ({points}{configured})")
        text.append(f": {signal['detail']}" if signal["detail"] else "")
    if shown is not None and len(signals) > shown:
        more = lang.t("table.more", count=len(signals) - shown)
        text.append(f"\n{more}", style="dim")
    if signals:
        text.append(f"\n→ {signals[0]['action']}", style="italic")
    return text


def _showing(selection: Selection, shown: int, lang: Language) -> str:
    """How much of the list is shown: of the customers in the phases asked for, and, when
    filters narrowed them and ``--top`` cut the rest, how many matched."""
    matching = ""
    if shown < selection.matching < selection.in_phases:
        matching = lang.t("table.matching", matching=lang.number(selection.matching))
    return lang.t(
        "table.showing",
        shown=lang.number(shown),
        total=lang.number(selection.in_phases),
        matching=matching,
    )
