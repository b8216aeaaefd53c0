"""A backtest as plain data: what its JSON, Markdown and table show."""

from __future__ import annotations

import math
from typing import Any

from churnwatch.analyses.backtest import BacktestResult, CutOff, Group, Scorer
from churnwatch.core.days import days_to_iso
from churnwatch.render.records import risk_model

SCHEMA_VERSION = 2
"""2: ``lead_time`` has ``churners`` (who stopped, warned or not), and is there, its median
null, when none was warned (it was null)."""
DECIMALS = 4


def number(value: float) -> float | None:
    """Rounded, and None where there is no value (JSON has no NaN)."""
    return None if math.isnan(value) else round(value, DECIMALS)


def backtest_document(result: BacktestResult) -> dict[str, Any]:
    lead = result.lead_time
    return {
        "schema_version": SCHEMA_VERSION,
        "horizon_days": result.horizon_days,
        "cut_offs": [_cut_off(cut_off) for cut_off in result.cut_offs],
        "lead_time": None
        if lead is None
        else {
            "churners": lead.stopped,
            "churners_warned": lead.churners,
            "median_days": number(lead.median_days),
            "warned_before_last_order": number(lead.warned_before),
        },
    }


def _cut_off(cut_off: CutOff) -> dict[str, Any]:
    return {
        "as_of": days_to_iso(cut_off.as_of),
        "risk_model": risk_model(cut_off.result),
        "groups": [_group(group) for group in cut_off.groups],
    }


def _group(group: Group) -> dict[str, Any]:
    return {
        "name": group.name,
        "customers": group.customers,
        "churn_rate": number(group.churn_rate),
        "scores": [_scorer(scorer) for scorer in group.scorers],
        "rules": [
            {
                "id": rule.id,
                "flagged": rule.flagged,
                "precision": number(rule.precision),
                "lift": number(rule.lift),
            }
            for rule in group.rules
        ],
    }


def _scorer(scorer: Scorer) -> dict[str, Any]:
    calibration = scorer.calibration
    return {
        "name": scorer.name,
        "roc_auc": number(scorer.auc),
        "top": [
            {
                "share": top.share,
                "customers": top.flagged,
                "precision": number(top.precision),
                "recall": number(top.recall),
                "lift": number(top.lift),
            }
            for top in scorer.top
        ],
        "calibration": None
        if calibration is None
        else {
            "brier": number(calibration.brier),
            "expected_error": number(calibration.expected_error),
            "worst_error": number(calibration.worst_error),
            "deciles": [
                {
                    "customers": b.customers,
                    "predicted": number(b.predicted),
                    "observed": number(b.observed),
                }
                for b in calibration.bins
            ],
        },
    }
