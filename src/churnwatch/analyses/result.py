"""The result of a scan: one ranked model that every renderer reads (compute once, render many).

It holds values only; every sentence shown to people is formed in :mod:`churnwatch.render`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnwatch.core.domain import Severity
from churnwatch.rules.catalog import Rule
from churnwatch.timeframe import Cut


@dataclass(frozen=True)
class SourceRows:
    name: str
    file: str
    rows: int


@dataclass
class ScanResult:
    cut: Cut
    rules: list[Rule]
    not_applicable: list[Rule]
    customers: pd.DataFrame
    """Ranked rows: customer_id, name, owner, score, severity, then the features (phase too)."""
    fired: np.ndarray
    margins: np.ndarray
    feature_names: list[str]
    """The numeric and date features, in registry order (what machine output lists)."""

    @property
    def as_of(self) -> str:
        return self.cut.as_of_iso

    def by_severity(self) -> dict[str, int]:
        counts = np.bincount(self.customers["severity"].to_numpy(), minlength=len(Severity))
        return {s.label: int(counts[s]) for s in sorted(Severity, reverse=True)}

    def worst_severity(self) -> Severity:
        if self.customers.empty:
            return Severity.NONE
        return Severity(int(self.customers["severity"].max()))

    def reaches(self, severity: Severity) -> bool:
        """Whether any customer is at or above ``severity`` (what ``--fail-on`` asks)."""
        return self.worst_severity() >= severity

    def select(self, top: int | None = None, min_score: float | None = None) -> ScanResult:
        """The same result narrowed to the first ``top`` rows scoring at least ``min_score``."""
        keep = np.ones(len(self.customers), dtype=bool)
        if min_score is not None:
            keep &= self.customers["score"].to_numpy() >= min_score
        positions = np.flatnonzero(keep)[:top]
        return ScanResult(
            self.cut,
            self.rules,
            self.not_applicable,
            self.customers.iloc[positions],
            self.fired[positions],
            self.margins[positions],
            self.feature_names,
        )

    def sources(self) -> list[SourceRows]:
        return [
            SourceRows(name, source.path.name, len(self.cut.frame(name)))
            for name, source in self.cut.sources.items()
        ]

    def signal_order(self) -> list[list[int]]:
        """Per row, the indices of the fired rules, strongest first (weight × margin)."""
        rows, columns = np.nonzero(self.fired)
        weights = np.array([r.weight for r in self.rules])
        strength = weights[columns] * (1 + self.margins[rows, columns])
        order = np.lexsort((columns, -strength, rows))
        result: list[list[int]] = [[] for _ in range(len(self.customers))]
        for row, column in zip(rows[order].tolist(), columns[order].tolist(), strict=True):
            result[row].append(column)
        return result
