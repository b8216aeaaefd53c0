"""The loyal core: long, steady, valuable, low-risk customers, to thank and to serve first.

The literature this product comes from says to give them the best offers and an explicit
thank-you; losing one costs the most. Everything is computed from the scan's own columns.
"""

from __future__ import annotations

import numpy as np

from churnwatch.analyses.result import ScanResult, Selection
from churnwatch.config import Loyal
from churnwatch.core.domain import Phase

YEAR = 365.0
SUGGESTION = "Thank them explicitly, and give them the best conditions and first access to offers"


def value_per_year(result: ScanResult) -> np.ndarray:
    """Lifetime revenue per year as a customer (a first year counts as a whole one)."""
    frame = result.customers
    tenure = np.maximum(frame["tenure_days"].to_numpy(dtype=float), YEAR)
    return frame["lifetime_revenue"].to_numpy(dtype=float) / tenure * YEAR


def loyal_core(result: ScanResult, settings: Loyal, top: int | None = None) -> Selection:
    """The customers who meet every loyal-core criterion, most valuable first."""
    frame = result.customers
    value = value_per_year(result)
    active = result.phases() != Phase.LOST
    threshold = np.quantile(value[active], 1 - settings.top_share) if active.any() else np.inf
    overdue = np.nan_to_num(frame["overdue_ratio"].to_numpy(dtype=float), nan=np.inf)
    keep = (
        active
        & (frame["tenure_days"].to_numpy(dtype=float) >= settings.min_tenure_days)
        & (frame["order_days"].to_numpy(dtype=float) >= settings.min_order_days)
        & (overdue <= settings.max_overdue_ratio)
        & (np.round(frame["risk"].to_numpy() * 100) < settings.max_risk)
        & ~result.fired.any(axis=1)  # no warning signal at all: steady is steady
        & (value >= threshold)
    )
    chosen = np.flatnonzero(keep)
    ranked = chosen[np.lexsort((frame["customer_id"].to_numpy()[chosen], -value[chosen]))]
    matched = result.rows(ranked)
    rows = matched if top is None else matched.rows(np.arange(min(top, len(ranked))))
    return Selection(result, rows, len(ranked), None, matched)
