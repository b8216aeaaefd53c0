"""The backtest's tables as rows of text, shared by the terminal table and Markdown."""

from __future__ import annotations

from typing import Any

from churnwatch.core.words import plural

Table = tuple[str, list[str], list[list[str]]]


def cut_off_sections(document: dict[str, Any]) -> list[tuple[str, list[str], list[Table]]]:
    """Per cut-off: a title, lines of introduction, and the tables (caption, header, rows)."""
    sections = []
    for cut_off in document["cut_offs"]:
        intro = [weights_text(cut_off["risk_model"])]
        tables: list[Table] = []
        for group in cut_off["groups"]:
            caption = (
                f"{group['name']}: {group['customers']:,} customers,"
                f" {pct(group['churn_rate'])} placed no order"
            )
            tables.append((caption, SCORE_HEADER, [_score_row(s) for s in group["scores"]]))
            tables.append((f"{group['name']}: each rule alone", RULE_HEADER, _rule_rows(group)))
        tables.append(_calibration(cut_off["groups"][0]))
        sections.append((f"Cut-off {cut_off['as_of']}", intro, tables))
    return sections


SCORE_HEADER = ["score", "ROC AUC", "top 5 %", "top 10 %", "top 20 %", "Brier", "ECE"]
RULE_HEADER = ["rule", "flagged", "precision", "lift"]


def _score_row(score: dict[str, Any]) -> list[str]:
    calibration = score["calibration"] or {}
    tops = [f"{pct(t['precision'])} ×{fixed(t['lift'], 2)}" for t in score["top"]]
    return [
        score["name"],
        fixed(score["roc_auc"], 3),
        *tops,
        fixed(calibration.get("brier"), 3),
        fixed(calibration.get("expected_error"), 3),
    ]


def _rule_rows(group: dict[str, Any]) -> list[list[str]]:
    return [
        [rule["id"], f"{rule['flagged']:,}", pct(rule["precision"]), fixed(rule["lift"], 2)]
        for rule in group["rules"]
    ]


def _calibration(group: dict[str, Any]) -> tuple[str, list[str], list[list[str]]]:
    risk = next(s for s in group["scores"] if s["name"] == "churnwatch risk")
    deciles = risk["calibration"]["deciles"] if risk["calibration"] else []
    rows = [
        [str(index + 1), f"{d['customers']:,}", pct(d["predicted"]), pct(d["observed"])]
        for index, d in enumerate(deciles)
    ]
    caption = f"calibration of the risk, {group['name']}, by decile of predicted risk"
    return caption, ["decile", "customers", "predicted", "observed"], rows


def weights_text(model: dict[str, Any]) -> str:
    if model["weights"] == "fitted":
        dates = _cut_off_dates(model["trained_as_of"])
        return (
            f"weights fitted on the history before it (cut-offs {dates}:"
            f" {model['customers']:,} customers, {model['churners']:,} placed no order within"
            f" {plural(model['training_horizon_days'], 'day')})"
        )
    return "configured weights" + (f": {model['reason']}" if model.get("reason") else "")


def _cut_off_dates(dates: list[str]) -> str:
    """A few cut-offs in full; many as the latest and earliest (up to twelve are stacked)."""
    if len(dates) <= 3:
        return ", ".join(dates)
    return f"{dates[0]} back to {dates[-1]}, {len(dates)} in all"


def lead_time_line(document: dict[str, Any]) -> str | None:
    """How long before their last order the customers who stopped were warned; None with a
    single cut-off, which has no lead time to measure."""
    lead = document["lead_time"]
    if lead is None:
        return None
    stopped, warned = lead["churners"], lead["churners_warned"]
    if not stopped:
        return "Lead time: no customer stopped ordering during the backtest."
    if not warned:
        return (
            f"Lead time: none of the {stopped:,} customers who stopped ordering during the"
            " backtest had been warned (severity medium or above) at a cut-off."
        )
    return (
        f"Lead time: {warned:,} of the {stopped:,} customers who stopped ordering during the"
        f" backtest had been warned (severity medium or above); the median first warning came"
        f" {fixed(abs(lead['median_days']), 0)} days"
        f" {'before' if lead['median_days'] >= 0 else 'after'} their last order;"
        f" {pct(lead['warned_before_last_order'])} were warned before it."
    )


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def fixed(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
