"""Severity bands and the ranking, from the risk.

The severity band follows the risk (a percentage at or above a band's threshold), raised to
the highest ``severity`` floor among the rules that fired. The ranking is by risk, riskiest
first, ties broken by customer id.
"""

from __future__ import annotations

import numpy as np

from churnwatch.config import Risk
from churnwatch.core.domain import Severity
from churnwatch.rules.engine import Evaluation


def severities(risk: np.ndarray, evaluation: Evaluation, bands: Risk) -> np.ndarray:
    """Band by risk (in percent), raised to the highest severity floor among the fired rules."""
    percent = risk * 100.0
    band = np.select(
        [
            percent >= bands.critical,
            percent >= bands.high,
            percent >= bands.medium,
            percent >= bands.low,
        ],
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


def ranking(risk: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Row order: risk descending, then customer code (the natural order of the ids)."""
    return np.lexsort((code, -risk))
