"""The scan: features → rules → risk → one ranked result."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np
import pandas as pd

from churnwatch.analyses.engines import Engine, LocalEngine, Progress
from churnwatch.analyses.result import ModelInfo, ScanResult
from churnwatch.analyses.scoring import Model, Scored
from churnwatch.config import Config
from churnwatch.features import VALUE_FEATURES, population_step
from churnwatch.features.population import Population
from churnwatch.ingest.problems import Level
from churnwatch.risk.score import ranking
from churnwatch.risk.training import fit_on_history, has_base
from churnwatch.rules.catalog import Rule
from churnwatch.timeframe import Cut


def scan(
    cut: Cut,
    config: Config,
    rules: list[Rule],
    progress: Progress | None = None,
    engine: Engine | None = None,
) -> ScanResult:
    """Score every customer with orders and rank them, riskiest first."""
    step = progress or (lambda _: None)
    step("computing features; fitting the risk model on the export's own history")
    horizon = config.risk.horizon_days
    with ThreadPoolExecutor(max_workers=1) as pool:  # the fit uses the other core
        training = pool.submit(fit_on_history, cut, config, rules)
        population = population_step(cut, config.windows, horizon, config.lifecycle)

        @cache
        def fitted_model() -> Model:
            """The fit's result, waited for when the scoring needs it (once)."""
            fitted = training.result()
            return Model(fitted, fitted.model_for(population, rules), config.risk)

        scored = (engine or LocalEngine()).score(cut, population, rules, fitted_model, step)
    master = master_data(cut.frame("customers")) if cut.has("customers") else None
    return scan_result(cut, population, fitted_model(), rules, scored, master=master)


def scan_result(
    cut: Cut,
    population: Population,
    chosen: Model,
    rules: list[Rule],
    scored: Scored,
    *,
    master: pd.DataFrame | None,
) -> ScanResult:
    """The scored customers ranked, with their master data, and what the scan says about
    the data and the model."""
    fitted, model = chosen.fitted, chosen.model
    horizon = population.horizon_days
    by_id = {rule.id: rule for rule in rules}
    applicable = [rules.index(by_id[rule]) for rule in scored.rule_ids]
    fitted_rules = fitted.rules_fitted(rules)
    features = scored.features
    codes = features.index.to_numpy()
    risk = scored.risk
    identity = pd.DataFrame(
        {
            "customer_id": cut.customer_ids[codes],
            "risk": risk,
            "base_risk": scored.base,
            "severity": scored.severity,
        },
        index=features.index,
    )
    order = ranking(risk, codes)
    scored_rows = _with_master_data(identity, master).join(features)
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
            fitted.why,
        ),
        [by_id[rule] for rule in scored.rule_ids],
        [by_id[rule] for rule in scored.not_applicable_ids],
        scored_rows,
        order,
        scored.fired,
        scored.contributions,
        model.rule_probability[applicable] * 100.0,
        np.array(fitted_rules)[applicable],
        list(VALUE_FEATURES),
        notes,
        list(population.notes),
    )


MASTER_DATA = ("name", "segment", "owner", "email", "owner_email")


def master_data(customers: pd.DataFrame) -> pd.DataFrame | None:
    """Name, segment, owner and the e-mails from the customers export, by customer code
    (the first row of each); None where the export has none of them."""
    columns = [c for c in MASTER_DATA if c in customers]
    if not columns:
        return None
    return customers.drop_duplicates("customer", keep="first").set_index("customer")[columns]


def _with_master_data(identity: pd.DataFrame, master: pd.DataFrame | None) -> pd.DataFrame:
    """Add the master data's columns after the customer's id."""
    if master is None:
        return identity
    joined = identity.join(master)
    return joined[["customer_id", *master.columns, "risk", "base_risk", "severity"]]


__all__ = ["Progress", "scan"]
