"""The result of a scan: one ranked model that every renderer reads (compute once, render many)."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from churnwatch.dates import days_to_iso
from churnwatch.features import DATE_FEATURES, FEATURES
from churnwatch.load import Dataset
from churnwatch.rules.catalog import Rule, template_fields
from churnwatch.score import Severity

SCHEMA_VERSION = 1
_WHOLE_UNITS = {"orders", "invoices", "complaints", "contacts", "days"}
DECIMALS = 4


@dataclass(frozen=True)
class Signal:
    id: str
    title: str
    weight: float
    detail: str
    action: str


@dataclass
class ScanResult:
    dataset: Dataset
    rules: list[Rule]
    not_applicable: list[Rule]
    customers: pd.DataFrame
    """Ranked rows: customer_id, name, owner, score, severity, phase, then the features."""
    fired: np.ndarray
    margins: np.ndarray
    feature_names: list[str]

    @property
    def as_of(self) -> str:
        return self.dataset.as_of_iso

    def by_severity(self) -> dict[str, int]:
        counts = np.bincount(self.customers["severity"].to_numpy(), minlength=len(Severity))
        return {s.label: int(counts[s]) for s in sorted(Severity, reverse=True)}

    def worst_severity(self) -> Severity:
        if self.customers.empty:
            return Severity.NONE
        return Severity(int(self.customers["severity"].max()))

    def select(self, top: int | None = None, min_score: float | None = None) -> ScanResult:
        """The same result narrowed to the first ``top`` rows scoring at least ``min_score``."""
        keep = np.ones(len(self.customers), dtype=bool)
        if min_score is not None:
            keep &= self.customers["score"].to_numpy() >= min_score
        positions = np.flatnonzero(keep)[:top]
        return ScanResult(
            self.dataset,
            self.rules,
            self.not_applicable,
            self.customers.iloc[positions],
            self.fired[positions],
            self.margins[positions],
            self.feature_names,
        )

    def sources(self) -> list[dict[str, Any]]:
        return [
            {"name": name, "file": source.path.name, "rows": len(source.frame)}
            for name, source in self.dataset.sources.items()
        ]

    def signals(self) -> list[list[Signal]]:
        """Per row, the fired rules strongest first, explanations filled in.

        Only fired (row, rule) pairs are visited, so healthy customers cost nothing.
        """
        rows, columns = np.nonzero(self.fired)
        strength = np.array([r.weight for r in self.rules])[columns] * (
            1 + self.margins[rows, columns]
        )
        order = np.lexsort((columns, -strength, rows))
        result: list[list[Signal]] = [[] for _ in range(len(self.customers))]
        features = self.customers
        for row, column in zip(rows[order], columns[order], strict=True):
            rule = self.rules[column]
            detail = explain(rule.explain, features, int(row))
            result[row].append(Signal(rule.id, rule.title, rule.weight, detail, rule.action))
        return result

    def feature_columns(self) -> dict[str, list[Any]]:
        """Features as machine output shows them: ISO dates, whole counts, rounded, None."""
        return {name: output_values(name, self.customers[name]) for name in self.feature_names}

    def to_records(self) -> list[dict[str, Any]]:
        """Plain JSON-ready dicts in rank order (the one source of JSON, NDJSON and CSV)."""
        frame = self.customers
        identity = {
            "customer_id": frame["customer_id"].tolist(),
            "name": _texts(frame, "name"),
            "owner": _texts(frame, "owner"),
            "score": frame["score"].astype(float).tolist(),
            "severity": [Severity(int(s)).label for s in frame["severity"]],
            "phase": frame["phase"].tolist(),
        }
        features = self.feature_columns()
        signals = self.signals()
        records = []
        for row in range(len(frame)):
            record: dict[str, Any] = {"rank": row + 1}
            record |= {key: values[row] for key, values in identity.items()}
            record["signals"] = [asdict(s) for s in signals[row]]
            record["features"] = {name: values[row] for name, values in features.items()}
            records.append(record)
        return records


def output_values(name: str, column: pd.Series) -> list[Any]:
    """One feature column for machine output, converted without a loop in Python."""
    values = column.to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    if name in DATE_FEATURES:
        text = np.where(missing, 0, values).astype("datetime64[D]").astype(str)
        converted: list[Any] = text.tolist()
    elif FEATURES[name].unit in _WHOLE_UNITS and np.all(np.mod(values[~missing], 1) == 0):
        converted = np.where(missing, 0, values).astype(np.int64).tolist()
    else:
        converted = np.round(values, DECIMALS).tolist()
    return [None if gone else value for gone, value in zip(missing, converted, strict=True)]


def explain(template: str, features: pd.DataFrame, row: int) -> str:
    """Fill a rule's explanation for one row; a missing value shows as '–'."""
    values: dict[str, float] = {}
    for field in set(template_fields(template)):
        value = float(features[field].to_numpy(dtype=np.float64)[row])
        if math.isnan(value):
            template = _literal(template, field, "–")
        elif field in DATE_FEATURES:
            template = _literal(template, field, days_to_iso(int(value)))
        else:
            values[field] = value
    return template.format(**values)


def _literal(template: str, field: str, text: str) -> str:
    """Replace ``{field}`` or ``{field:spec}`` by fixed text."""
    return re.sub(r"\{" + re.escape(field) + r"(?::[^}]*)?\}", lambda _: text, template)


def _texts(frame: pd.DataFrame, column: str) -> list[str | None]:
    if column not in frame:
        return [None] * len(frame)
    return [None if pd.isna(v) else str(v) for v in frame[column].tolist()]
