"""``calibrate``: the weights the scan fitted on the export's own history, kept as rules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from churnwatch.analyses.result import ScanResult
from churnwatch.core.errors import InputError
from churnwatch.rules.catalog import Rule


@dataclass(frozen=True)
class Calibrated:
    """The rule weights fitted on an export's own history, to keep as a rules file."""

    folder: Path
    result: ScanResult
    rules: list[Rule]
    """Every active rule, in the order of the model's weights."""

    @property
    def weights(self) -> tuple[float, ...]:
        """Per rule: the fitted weight in percent."""
        return self.result.model.weights


def calibrated(folder: Path, result: ScanResult, rules: list[Rule]) -> Calibrated:
    """The calibration of a scan; an error when its weights could not be fitted."""
    model = result.model
    if model.training is None:
        why = model.note or "fitting is switched off ([risk] fit = false)"
        raise InputError(f"{folder}: cannot calibrate: {why}")
    return Calibrated(folder, result, rules)
