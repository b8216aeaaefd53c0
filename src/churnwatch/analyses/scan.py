"""The scan: features → rules → risk → one ranked result."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from churnwatch.analyses.result import ModelInfo, ScanResult
from churnwatch.config import Config
from churnwatch.features import VALUE_FEATURES, compute_features, population_step
from churnwatch.ingest.problems import Level
from churnwatch.risk.score import ranking, severities
from churnwatch.risk.training import apply_model, fit_on_history, has_base
from churnwatch.rules.catalog import Rule
from churnwatch.rules.engine import evaluate
from churnwatch.timeframe import Cut

Progress = Callable[[str], None]


def scan(
    cut: Cut, config: Config, rules: list[Rule], progress: Progress | None = None
) -> ScanResult:
    """Score every customer with orders and rank them, riskiest first."""
    step = progress or (lambda _: None)
    step("computing features; fitting the risk model on the export's own history")
    horizon = config.risk.horizon_days
    with ThreadPoolExecutor(max_workers=1) as pool:  # the fit uses the other core
        training = pool.submit(fit_on_history, cut, config, rules)
        population = population_step(cut, config.windows, horizon, config.lifecycle)
        features = compute_features(cut, population)
        evaluation = evaluate(rules, features)
        fitted = training.result()
    model = fitted.model_for(population, rules)
    risk, base, contributions = apply_model(
        fitted, model, population, features, evaluation.fired_for(rules)
    )
    applicable = [rules.index(rule) for rule in evaluation.rules]
    fitted_rules = fitted.rules_fitted(rules)
    codes = features.index.to_numpy()
    identity = pd.DataFrame(
        {
            "customer_id": cut.customer_ids[codes],
            "risk": risk,
            "base_risk": base,
            "severity": severities(risk, evaluation, config.risk),
        },
        index=features.index,
    )
    order = ranking(risk, codes)
    customers = _with_master_data(identity, cut).join(features).iloc[order]
    # Machine output carries the data warnings too: a consumer of the JSON must be able to
    # tell a quiet customer from a source that could not be read.
    data = [p.describe() for p in cut.problems if p.level is Level.WARNING]
    notes = [*data, *population.notes, *([fitted.note] if fitted.note else [])]
    return ScanResult(
        cut,
        ModelInfo(
            horizon,
            fitted.training,
            fitted.note,
            tuple(float(p) * 100.0 for p in model.rule_probability),
            fitted_rules,
            has_base(model, population),
        ),
        evaluation.rules,
        evaluation.not_applicable,
        customers,
        evaluation.fired[order],
        contributions[order][:, applicable],
        model.rule_probability[applicable] * 100.0,
        np.array(fitted_rules)[applicable],
        list(VALUE_FEATURES),
        notes,
    )


MASTER_DATA = ("name", "segment", "owner", "email", "owner_email")


def _with_master_data(identity: pd.DataFrame, cut: Cut) -> pd.DataFrame:
    """Add name, segment, owner and the e-mails from the customers export (first row per
    customer)."""
    if not cut.has("customers"):
        return identity
    master = cut.frame("customers")
    columns = [c for c in MASTER_DATA if c in master]
    if not columns:
        return identity
    first = master.drop_duplicates("customer", keep="first").set_index("customer")[columns]
    joined = identity.join(first)
    return joined[["customer_id", *columns, "risk", "base_risk", "severity"]]


__all__ = ["Progress", "scan"]
