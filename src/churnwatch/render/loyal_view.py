"""``churnwatch loyal`` as a table for people: who the loyal core is, and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from churnwatch.render.language import Language, language

if TYPE_CHECKING:
    from churnwatch.analyses.result import Selection
    from churnwatch.config import Loyal


def show_loyal(
    console: Console, selection: Selection, *, settings: Loyal, lang: Language | None = None
) -> None:
    from churnwatch.analyses.loyal import value_per_year

    lang = lang or language()
    rows = selection.rows
    console.print(
        Text(
            lang.t(
                "loyal.head",
                count=lang.count(selection.matching, "loyal_customer"),
                as_of=lang.date(selection.result.cut.as_of),
                **_thresholds(settings, lang),
            )
        )
    )
    console.print(Text(f"→ {lang.t('loyal.suggestion')}", style="italic"))
    if selection.matching == 0:
        console.print(Text(why_empty(selection, settings, lang), style="dim"))
        return
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    columns = [c for c in ("name", "owner") if c in rows.customers]
    for key in ("#", "customer", *columns, "per_year", "years", "order_days", "risk"):
        numeric = key in ("#", "per_year", "years", "order_days", "risk")
        header = key if key == "#" else lang.t(f"loyal.columns.{key}")
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
            lang.number(values[position]),
            lang.number(row["tenure_days"] / 365, 1),
            lang.number(row["order_days"]),
            lang.percent(row["risk"]),
        ]
        table.add_row(*map(Text, cells))
    console.print(table)
    if len(frame) < selection.matching:
        shown = lang.t("loyal.showing", shown=len(frame), total=lang.number(selection.matching))
        console.print(Text(shown, style="dim"))


def why_empty(selection: Selection, settings: Loyal, lang: Language | None = None) -> str:
    """Why a list of the loyal core is empty: the owners and segments chosen, or else how
    many meet the criteria one after another, up to the first none meets (``2 not lost, of
    them 0 a customer for 730 days or more``)."""
    from churnwatch.analyses.loyal import shortfall

    lang = lang or language()
    found = shortfall(selection, settings)
    if found.core:
        return lang.t("loyal.outside", core=lang.count(found.core, "customer"))
    thresholds = _thresholds(settings, lang)
    steps = [
        lang.t(f"loyal.criteria.{key}", count=lang.number(count), **thresholds)
        for key, count in found.steps
    ]
    return lang.t("loyal.none", steps=lang.t("loyal.then").join(steps))


def _thresholds(settings: Loyal, lang: Language) -> dict[str, str]:
    return {
        "tenure": lang.count(settings.min_tenure_days, "day_dative"),
        "order_days": lang.number(settings.min_order_days),
        "risk": lang.percent(settings.max_risk / 100),
        "share": lang.percent(settings.top_share),
    }


def _text(value: object) -> str:
    from churnwatch.render.records import is_missing

    return "" if is_missing(value) else str(value)
