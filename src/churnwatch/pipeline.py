"""The scan pipeline: features → rules → scores → one ranked result."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from churnwatch.config import Config
from churnwatch.features import FEATURES, compute_features
from churnwatch.load import Dataset
from churnwatch.result import ScanResult
from churnwatch.rules.catalog import Rule
from churnwatch.rules.engine import evaluate
from churnwatch.score import evidence, phases, ranking, scores, severities

Progress = Callable[[str], None]


def scan(
    dataset: Dataset, config: Config, rules: list[Rule], progress: Progress | None = None
) -> ScanResult:
    """Score every customer with orders and rank them, most at risk first."""
    step = progress or (lambda _: None)
    step("computing features")
    features = compute_features(dataset, config.windows)
    step("evaluating rules")
    evaluation = evaluate(rules, features)
    step("scoring")
    score = scores(evaluation)
    severity = severities(score, evaluation, config.scoring)
    strength = evidence(evaluation, features)
    codes = features.index.to_numpy()
    order = ranking(score, strength, features["lifetime_revenue"].to_numpy(), codes)
    identity = pd.DataFrame(
        {
            "customer_id": dataset.customer_ids[codes],
            "score": score,
            "severity": severity,
            "phase": phases(features, severity),
        },
        index=features.index,
    )
    customers = _with_master_data(identity, dataset).join(features).iloc[order]
    names = [n for n in FEATURES if n in features.columns]
    return ScanResult(
        dataset,
        evaluation.rules,
        evaluation.not_applicable,
        customers,
        evaluation.fired[order],
        evaluation.margins[order],
        names,
    )


def _with_master_data(identity: pd.DataFrame, dataset: Dataset) -> pd.DataFrame:
    """Add name and owner from the customers export (first row per customer)."""
    if not dataset.has("customers"):
        return identity
    master = dataset.frame("customers")
    columns = [c for c in ("name", "owner") if c in master]
    if not columns:
        return identity
    first = master.drop_duplicates("customer", keep="first").set_index("customer")[columns]
    joined = identity.join(first)
    order = ["customer_id", *columns, "score", "severity", "phase"]
    return joined[order]


__all__ = ["Progress", "scan"]
