"""Evaluate the active rules on the feature frame: which fired for whom, and how strongly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnwatch.rules.catalog import Rule


@dataclass(frozen=True)
class Evaluation:
    rules: list[Rule]
    """The applicable rules, in the order of the columns below."""
    fired: np.ndarray
    """Bool, customers × rules."""
    margins: np.ndarray
    """How far past its thresholds each fired rule is (0 where it did not fire)."""
    not_applicable: list[Rule]
    """Rules that need a feature this data cannot provide (e.g. no complaints export)."""

    def fired_for(self, rules: list[Rule]) -> np.ndarray:
        """Customers × ``rules``, in that order; a rule that is not applicable never fires."""
        column = {rule.id: index for index, rule in enumerate(self.rules)}
        result = np.zeros((self.fired.shape[0], len(rules)), dtype=bool)
        for index, rule in enumerate(rules):
            if rule.id in column:
                result[:, index] = self.fired[:, column[rule.id]]
        return result


def evaluate(rules: list[Rule], features: pd.DataFrame) -> Evaluation:
    """Each rule once, on whole columns; missing values never fire."""
    available = set(features.columns)
    applicable = [r for r in rules if r.when.names <= available]
    skipped = [r for r in rules if not r.when.names <= available]
    size = len(features)
    used = set().union(*(rule.when.names for rule in applicable))
    columns = {name: _column(features[name]) for name in used}
    fired = np.zeros((size, len(applicable)), dtype=bool)
    margins = np.zeros((size, len(applicable)))
    for index, rule in enumerate(applicable):
        fired[:, index] = rule.when.fires(columns, size)
        margins[:, index] = np.where(fired[:, index], rule.when.margin(columns, size), 0.0)
    return Evaluation(applicable, fired, margins, skipped)


def _column(values: pd.Series) -> np.ndarray:
    """Floats; a category column as strings with ``None`` where missing."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return np.asarray(values.astype(object).where(values.notna(), None).to_numpy())
    return values.to_numpy(dtype=np.float64)
