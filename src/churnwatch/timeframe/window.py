"""The two windows every feature compares: recent behaviour against the customer's own baseline."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_BASELINE_DAYS = 30
"""A baseline shorter than this (a customer who started just before the recent window) is
too little history: baseline rates are missing rather than made up."""


@dataclass(frozen=True)
class Window:
    """Day numbers of the reference date and window edges; windows are ``(start, end]``."""

    as_of: int
    recent_days: int
    baseline_days: int
    customers: int
    """Length of per-customer arrays (the size of the customer index)."""

    @property
    def recent_start(self) -> int:
        return self.as_of - self.recent_days

    @property
    def baseline_start(self) -> int:
        return self.recent_start - self.baseline_days

    def recent(self, days: np.ndarray) -> np.ndarray:
        return (days > self.recent_start) & (days <= self.as_of)

    def baseline(self, days: np.ndarray) -> np.ndarray:
        return (days > self.baseline_start) & (days <= self.recent_start)

    def baseline_exposure(self, first_order: np.ndarray) -> np.ndarray:
        """Days of the baseline window in which each customer already was a customer.

        Missing (NaN) when that is shorter than :data:`MIN_BASELINE_DAYS`.
        """
        start = np.maximum(self.baseline_start, first_order - 1)
        exposure = np.clip(self.recent_start - start, 0, self.baseline_days)
        return np.where(exposure >= MIN_BASELINE_DAYS, exposure, np.nan)
