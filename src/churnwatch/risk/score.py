"""Scores, severity bands and the ranking.

Fired rules combine with diminishing returns, ``100·(1 − Π(1 − wᵢ/100))``: two strong
signals outrank one, and no score exceeds 100. Customers with the same fired rules are
ordered by the strength of the evidence (how far past each threshold they are), then by
lifetime revenue, then by customer id.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnwatch.config import Scoring
from churnwatch.core.domain import Severity
from churnwatch.rules.engine import Evaluation


def scores(evaluation: Evaluation) -> np.ndarray:
    weights = np.array([rule.weight for rule in evaluation.rules]) / 100.0
    remaining = np.where(evaluation.fired, 1.0 - weights, 1.0).prod(axis=1)
    rounded: np.ndarray = np.round(100.0 * (1.0 - remaining), 1)
    return rounded


def severities(score: np.ndarray, evaluation: Evaluation, bands: Scoring) -> np.ndarray:
    """Band by score, raised to the highest severity floor among the fired rules."""
    band = np.select(
        [score >= bands.critical, score >= bands.high, score >= bands.medium, score >= bands.low],
        [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW],
        default=Severity.NONE,
    )
    floors = np.array(
        [Severity.parse(r.severity) if r.severity else Severity.NONE for r in evaluation.rules],
        dtype=np.int64,
    )
    floor = np.where(evaluation.fired, floors, Severity.NONE).max(axis=1, initial=Severity.NONE)
    raised: np.ndarray = np.maximum(band, floor)
    return raised


def evidence(evaluation: Evaluation, features: pd.DataFrame) -> np.ndarray:
    """Strength of the evidence: weighted, compressed margins, plus how overdue they are."""
    weights = np.array([rule.weight for rule in evaluation.rules])
    strength = (np.log1p(evaluation.margins) * weights).sum(axis=1)
    overdue = features.get("overdue_ratio")
    if overdue is not None:
        strength += np.log1p(np.nan_to_num(overdue.to_numpy(dtype=float), nan=0.0).clip(0, 100))
    return np.asarray(strength)


def ranking(
    score: np.ndarray, strength: np.ndarray, revenue: np.ndarray, code: np.ndarray
) -> np.ndarray:
    """Row order: score, then evidence, then lifetime revenue (all descending), then id."""
    return np.lexsort((code, -np.nan_to_num(revenue), -strength, -score))
