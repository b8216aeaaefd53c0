"""The result of a scan: one ranked model that every renderer reads (compute once, render many)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from churnwatch.dates import days_to_iso
from churnwatch.features import DATE_FEATURES, FEATURES
from churnwatch.load import Dataset
from churnwatch.rules.catalog import Rule, template_fields
from churnwatch.score import Severity

SCHEMA_VERSION = 1
WHOLE_UNITS = {"orders", "invoices", "complaints", "contacts", "days"}
DECIMALS = 4


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

    def signals(self) -> list[list[dict[str, Any]]]:
        """Per row, the fired rules strongest first, as dicts with the explanation filled in.

        Each rule's explanation is filled for the rows it fired on, from columns taken out
        of the frame once; healthy customers cost nothing.
        """
        rows, columns = np.nonzero(self.fired)
        weights = np.array([r.weight for r in self.rules])
        strength = weights[columns] * (1 + self.margins[rows, columns])
        order = np.lexsort((columns, -strength, rows))
        details = {index: self._details(index) for index in np.unique(columns)}
        result: list[list[dict[str, Any]]] = [[] for _ in range(len(self.customers))]
        for row, column in zip(rows[order].tolist(), columns[order].tolist(), strict=True):
            rule = self.rules[column]
            result[row].append(
                {
                    "id": rule.id,
                    "title": rule.title,
                    "weight": rule.weight,
                    "detail": details[column][row],
                    "action": rule.action,
                }
            )
        return result

    def _details(self, index: int) -> dict[int, str]:
        """The rule's explanation for every row it fired on."""
        rule = self.rules[index]
        fields = sorted(set(template_fields(rule.explain)))
        missing = np.full(len(self.customers), np.nan)  # a feature this data cannot provide
        arrays = {
            f: self.customers[f].to_numpy(dtype=np.float64) if f in self.customers else missing
            for f in fields
        }
        return {
            row: explain(rule.explain, {f: float(arrays[f][row]) for f in fields})
            for row in np.flatnonzero(self.fired[:, index]).tolist()
        }

    def feature_columns(self) -> dict[str, list[Any]]:
        """Features as machine output shows them: ISO dates, whole counts, rounded, None."""
        return {name: output_values(name, self.customers[name]) for name in self.feature_names}

    def identity_columns(self) -> dict[str, list[Any]]:
        """Who each row is and how they scored, column by column."""
        frame = self.customers
        labels = np.array([s.label for s in Severity])
        return {
            "customer_id": frame["customer_id"].tolist(),
            "name": _texts(frame, "name"),
            "owner": _texts(frame, "owner"),
            "score": frame["score"].astype(float).tolist(),
            "severity": labels[frame["severity"].to_numpy(dtype=np.int64)].tolist(),
            "phase": frame["phase"].tolist(),
        }

    def to_records(self) -> list[dict[str, Any]]:
        """Plain JSON-ready dicts in rank order (what JSON, NDJSON and the table show)."""
        frame = self.customers
        identity = self.identity_columns()
        features = self.feature_columns()
        signals = self.signals()
        records = []
        for row in range(len(frame)):
            record: dict[str, Any] = {"rank": row + 1}
            record |= {key: values[row] for key, values in identity.items()}
            record["signals"] = signals[row]
            record["features"] = {name: values[row] for name, values in features.items()}
            records.append(record)
        return records


def output_array(name: str, column: pd.Series) -> pa.Array:
    """One feature column as machine output shows it: dates, whole counts, rounded decimals,
    null where missing (converted without a loop in Python)."""
    values = column.to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    filled = np.where(missing, 0, values)
    if name in DATE_FEATURES:
        return pa.array(filled.astype("datetime64[D]"), mask=missing)
    if FEATURES[name].unit in WHOLE_UNITS and np.all(np.mod(filled, 1) == 0):
        return pa.array(filled.astype(np.int64), mask=missing)
    return pa.array(np.round(filled, DECIMALS), mask=missing)


def output_values(name: str, column: pd.Series) -> list[Any]:
    """The same as plain JSON values: ISO date strings, ints, floats and None."""
    values = output_array(name, column).to_pylist()
    if name in DATE_FEATURES:
        return [None if day is None else day.isoformat() for day in values]
    return values


def explain(template: str, values: dict[str, float]) -> str:
    """Fill a rule's explanation from feature values; a missing value shows as '–'."""
    present: dict[str, float | int] = {}
    for field, value in values.items():
        if math.isnan(value):
            template = _literal(template, field, "–")
        elif field in DATE_FEATURES:
            template = _literal(template, field, days_to_iso(int(value)))
        else:
            present[field] = int(value) if value.is_integer() else value  # 147, not 147.0
    return template.format(**present)


def _literal(template: str, field: str, text: str) -> str:
    """Replace ``{field}`` or ``{field:spec}`` by fixed text."""
    return re.sub(r"\{" + re.escape(field) + r"(?::[^}]*)?\}", lambda _: text, template)


def _texts(frame: pd.DataFrame, column: str) -> list[str | None]:
    if column not in frame:
        return [None] * len(frame)
    return [None if pd.isna(v) else str(v) for v in frame[column].tolist()]
