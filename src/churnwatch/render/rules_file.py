"""``calibrate``: the fitted weights as a readable rules file, with what each rule measured.

TOML is written by hand here so that every rule carries its evidence as a comment.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from churnwatch.core.days import days_to_iso
from churnwatch.core.words import plural

if TYPE_CHECKING:
    from churnwatch.analyses.calibration import Calibrated
    from churnwatch.risk.training import Training


def rules_file(calibrated: Calibrated) -> str:
    result = calibrated.result
    training = result.model.training
    assert training is not None
    rate = training.churners / training.customers if training.customers else 0.0
    lines = [
        f"# churnwatch rules calibrated on {calibrated.folder} as of {result.as_of}.",
        f"# Fitted on the history: at {', '.join(days_to_iso(d) for d in training.cut_offs)},"
        f" {training.customers:,}"
        f" customers, of whom {training.churners:,} ({rate:.1%}) placed no order in the"
        f" {plural(training.horizon_days, 'day')} after.",
        "# weight = the chance, in percent, that this rule adds on its own: a customer it fires on"
        f" places no order within {plural(result.model.horizon_days, 'day')} with at least this"
        " probability, on top of the order history and the other signals.",
        "# pin = true keeps a fitted weight as it is; rules that never fired keep their configured"
        " weight and are not pinned.",
        "# Use it as the [[rules]] of churnwatch.toml, or pass it with --config. Do not backtest"
        f" with it before {result.as_of}: its weights were fitted on what happened up to then.",
        "",
    ]
    for index, rule in enumerate(calibrated.rules):
        lines += _rule(rule.id, (rule.weight, calibrated.weights[index]), index, training, rate)
    return "\n".join(lines)


def _rule(
    rule_id: str, weights: tuple[float, float], index: int, training: Training, rate: float
) -> list[str]:
    """One ``[[rules]]`` entry; ``weights``: configured and fitted."""
    configured, fitted = weights
    flagged = training.flagged[index]
    churners = training.flagged_churners[index]
    if not flagged:
        return [
            "[[rules]]",
            f"id = {json.dumps(rule_id)}",
            f"weight = {configured:g}  # never fired in the training history: as configured",
            "",
        ]
    share = churners / flagged
    lift = f", lift {share / rate:.2f}" if rate else ""
    evidence = f"fired on {flagged:,}, of whom {churners:,} ({share:.1%}) placed no order{lift}"
    return [
        "[[rules]]",
        f"id = {json.dumps(rule_id)}",
        f"weight = {fitted:.1f}  # configured {configured:g}; {evidence}",
        "pin = true",
        "",
    ]
