"""How well a ranking predicts who stops ordering: the measures a backtest reports.

All of them take one score per customer (higher = more likely to stop) and the label (1 =
placed no order in the horizon), and work on whole arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TOP_SHARES = (0.05, 0.10, 0.20)
DECILES = 10


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The probability that a random churner scores above a random stayer (ties count half):
    the Mann-Whitney statistic, from average ranks. NaN when one class is empty."""
    positives = int(labels.sum())
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        return math.nan
    ranks = average_ranks(scores)
    u = ranks[labels.astype(bool)].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, tied values sharing the mean of their ranks."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    starts = np.cumsum(counts) - counts
    return (starts + (counts + 1) / 2.0)[inverse]


@dataclass(frozen=True)
class TopShare:
    share: float
    flagged: int
    precision: float
    recall: float
    lift: float


def top_share(scores: np.ndarray, labels: np.ndarray, share: float) -> TopShare:
    """Precision, recall and lift among the ``share`` of customers ranked riskiest (ties keep
    their order in the input: the ranked list's, which breaks churnwatch's ties by id)."""
    count = max(1, math.ceil(share * scores.size))
    order = np.argsort(-scores, kind="stable")[:count]
    hits = float(labels[order].sum())
    base = labels.mean() if labels.size else math.nan
    total = float(labels.sum())
    precision = hits / count
    return TopShare(
        share,
        count,
        precision,
        hits / total if total else math.nan,
        precision / base if base else math.nan,
    )


@dataclass(frozen=True)
class Bin:
    customers: int
    predicted: float
    observed: float


@dataclass(frozen=True)
class Calibration:
    bins: list[Bin]
    brier: float
    expected_error: float
    """Expected calibration error: the customer-weighted mean of |observed − predicted|."""
    worst_error: float


def calibration(predicted: np.ndarray, labels: np.ndarray, bins: int = DECILES) -> Calibration:
    """Observed against predicted churn by decile of predicted risk, and the Brier score."""
    order = np.argsort(predicted, kind="stable")
    groups = [g for g in np.array_split(order, bins) if g.size]
    table = [Bin(g.size, float(predicted[g].mean()), float(labels[g].mean())) for g in groups]
    gaps = np.array([abs(b.observed - b.predicted) for b in table])
    weights = np.array([b.customers for b in table], dtype=float)
    return Calibration(
        table,
        float(np.mean((predicted - labels) ** 2)),
        float((gaps * weights).sum() / weights.sum()) if table else math.nan,
        float(gaps.max()) if table else math.nan,
    )
