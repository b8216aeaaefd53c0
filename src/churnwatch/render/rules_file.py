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
        *_weight_lines(training.horizon_days, result.model.horizon_days),
        "# pin = true keeps a fitted weight as it is; rules that never fired keep their configured"
        " weight and are not pinned.",
        "# Use it as the [[rules]] of churnwatch.toml: append it to the churnwatch.toml that maps"
        " the exports (a file passed with --config takes that file's place, mapping and all)."
        f" Do not backtest with it before {result.as_of}: its weights were fitted on what"
        " happened up to then.",
        "",
    ]
    for index, rule in enumerate(calibrated.rules):
        lines += _rule(rule.id, (rule.weight, calibrated.weights[index]), index, training, rate)
    return "\n".join(lines)


def _weight_lines(trained: int, horizon: int) -> list[str]:
    """What a weight means: a chance within the horizon the weights were trained on, which
    is the scan's, or a shorter one that the order history carries on (then the weight is
    no floor on the scan's risk)."""
    within = f"places no order within {plural(trained, 'day')} with at least this probability"
    lines = [
        "# weight = the chance, in percent, that this rule adds on its own: a customer it fires"
        f" on {within}, on top of the order history and the other signals."
    ]
    if trained < horizon:
        lines.append(
            f"# The history was too short to train on {plural(horizon, 'day')}: the weights are"
            f" chances within {plural(trained, 'day')}, and the risk of no order within"
            f" {plural(horizon, 'day')} is that chance times the order history's chance of no"
            " order in the days after (BG/NBD), so it may be lower than a weight."
        )
    return lines


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
