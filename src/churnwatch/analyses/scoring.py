"""The per-customer stages of a scan: features, rules, risk and severity.

They see one set of whole customers and the population step's results, never the other
customers, so every engine runs this same code: the local engine on the whole cut, the Dask
engine on each part, and the rows come out the same.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from churnwatch.config import Risk
from churnwatch.features import compute_features
from churnwatch.features.population import Population
from churnwatch.risk.model import RiskModel
from churnwatch.risk.score import severities
from churnwatch.risk.training import Fitted, apply_model
from churnwatch.rules.catalog import Rule
from churnwatch.rules.engine import Evaluation, evaluate
from churnwatch.timeframe import Cut


@dataclass(frozen=True)
class Scored:
    """Per customer with orders (rows in the order of ``features.index``, the codes)."""

    features: pd.DataFrame
    rule_ids: tuple[str, ...]
    """The ids of the applicable rules: the columns of ``fired`` and ``contributions`` (ids,
    as the rules themselves may come back as copies from another process)."""
    not_applicable_ids: tuple[str, ...]
    fired: np.ndarray
    contributions: np.ndarray
    risk: np.ndarray
    base: np.ndarray
    severity: np.ndarray

    def recoded(self, codes: np.ndarray) -> Scored:
        """The same rows indexed by ``codes[local code]``: a part's rows in the whole cut."""
        index = pd.Index(codes[self.features.index.to_numpy()], name=self.features.index.name)
        return replace(self, features=self.features.set_axis(index))


@dataclass(frozen=True)
class Model:
    """The risk model as fitted on the whole export: the same for every part."""

    fitted: Fitted
    model: RiskModel
    bands: Risk


def rule_features(cut: Cut, population: Population, rules: list[Rule]) -> Evaluated:
    """Features and fired rules: the work that need not wait for the risk model."""
    features = compute_features(cut, population)
    return Evaluated(features, evaluate(rules, features))


@dataclass(frozen=True)
class Evaluated:
    """Features and fired rules of a set of customers, waiting for the risk model."""

    features: pd.DataFrame
    evaluation: Evaluation


def scored(evaluated: Evaluated, population: Population, rules: list[Rule], model: Model) -> Scored:
    """Risk, base risk, rule contributions and severity of each customer."""
    features, evaluation = evaluated.features, evaluated.evaluation
    risk, base, contributions = apply_model(
        model.fitted, model.model, population, features, evaluation.fired_for(rules)
    )
    ids = [rule.id for rule in rules]
    applicable = [ids.index(rule.id) for rule in evaluation.rules]
    return Scored(
        features,
        tuple(rule.id for rule in evaluation.rules),
        tuple(rule.id for rule in evaluation.not_applicable),
        evaluation.fired,
        contributions[:, applicable],
        risk,
        base,
        severities(risk, evaluation, model.bands),
    )


def combined(parts: list[Scored]) -> Scored:
    """The parts' rows as one, ordered by customer code (as the whole cut would give them)."""
    kept = [part for part in parts if len(part.features)] or parts[:1]
    features = pd.concat([part.features for part in kept])
    order = np.argsort(features.index.to_numpy(), kind="stable")
    first = kept[0]

    def stacked(values: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(values)[order]

    return Scored(
        features.iloc[order],
        first.rule_ids,
        first.not_applicable_ids,
        stacked([part.fired for part in kept]),
        stacked([part.contributions for part in kept]),
        stacked([part.risk for part in kept]),
        stacked([part.base for part in kept]),
        stacked([part.severity for part in kept]),
    )
