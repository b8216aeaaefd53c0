"""The scan: features → rules → scores → one ranked result."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from churnwatch.analyses.result import ScanResult
from churnwatch.config import Config
from churnwatch.features import VALUE_FEATURES, compute_features, population_step
from churnwatch.risk.score import evidence, ranking, scores, severities
from churnwatch.rules.catalog import Rule
from churnwatch.rules.engine import evaluate
from churnwatch.timeframe import Cut

Progress = Callable[[str], None]


def scan(
    cut: Cut, config: Config, rules: list[Rule], progress: Progress | None = None
) -> ScanResult:
    """Score every customer with orders and rank them, most at risk first."""
    step = progress or (lambda _: None)
    step("computing features")
    features = compute_features(cut, population_step(cut, config.windows))
    step("evaluating rules")
    evaluation = evaluate(rules, features)
    step("scoring")
    score = scores(evaluation)
    severity = severities(score, evaluation, config.scoring)
    strength = evidence(evaluation, features)
    codes = features.index.to_numpy()
    order = ranking(score, strength, features["lifetime_revenue"].to_numpy(), codes)
    identity = pd.DataFrame(
        {"customer_id": cut.customer_ids[codes], "score": score, "severity": severity},
        index=features.index,
    )
    customers = _with_master_data(identity, cut).join(features).iloc[order]
    names = [n for n in VALUE_FEATURES if n in features.columns]
    return ScanResult(
        cut,
        evaluation.rules,
        evaluation.not_applicable,
        customers,
        evaluation.fired[order],
        evaluation.margins[order],
        names,
    )


def _with_master_data(identity: pd.DataFrame, cut: Cut) -> pd.DataFrame:
    """Add name and owner from the customers export (first row per customer)."""
    if not cut.has("customers"):
        return identity
    master = cut.frame("customers")
    columns = [c for c in ("name", "owner") if c in master]
    if not columns:
        return identity
    first = master.drop_duplicates("customer", keep="first").set_index("customer")[columns]
    joined = identity.join(first)
    return joined[["customer_id", *columns, "score", "severity"]]


__all__ = ["Progress", "scan"]
