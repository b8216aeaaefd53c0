"""The loyal core: long, steady, valuable, low-risk customers, to thank and to serve first.

The literature this product comes from says to give them the best offers and an explicit
thank-you; losing one costs the most. Everything is computed from the scan's own columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from churnwatch.analyses.result import ScanResult, Selection
from churnwatch.config import Loyal
from churnwatch.core.domain import Phase

YEAR = 365.0


def value_per_year(result: ScanResult) -> np.ndarray:
    """Lifetime revenue per year as a customer (a first year counts as a whole one)."""
    frame = result.customers
    tenure = np.maximum(frame["tenure_days"].to_numpy(dtype=float), YEAR)
    return frame["lifetime_revenue"].to_numpy(dtype=float) / tenure * YEAR


def loyal_core(result: ScanResult, settings: Loyal, top: int | None = None) -> Selection:
    """The customers who meet every loyal-core criterion, most valuable first."""
    frame = result.customers
    value = value_per_year(result)
    keep = np.logical_and.reduce([held for _, held in _criteria(result, settings)])
    chosen = np.flatnonzero(keep)
    ranked = chosen[np.lexsort((frame["customer_id"].to_numpy()[chosen], -value[chosen]))]
    matched = result.rows(ranked)
    rows = matched if top is None else matched.rows(np.arange(min(top, len(ranked))))
    return Selection(result, rows, len(ranked), None, matched)


@dataclass(frozen=True)
class Shortfall:
    """Why a list of the loyal core is empty, in numbers (the words are the renderer's)."""

    core: int
    """Customers in the loyal core: more than none means the owners or segments chosen have
    none of them."""
    steps: list[tuple[str, int]]
    """Else each criterion (its key) with how many meet it and every one before, up to the
    first none meets."""


def shortfall(selection: Selection, settings: Loyal) -> Shortfall:
    """Why ``selection`` (a list of the loyal core) is empty."""
    core = loyal_core(selection.result, settings).matching
    if core:
        return Shortfall(core, [])
    kept = np.ones(selection.result.count, dtype=bool)
    steps = []
    for key, held in _criteria(selection.result, settings):
        kept &= held
        steps.append((key, int(kept.sum())))
        if not kept.any():
            break
    return Shortfall(0, steps)


def _criteria(result: ScanResult, settings: Loyal) -> list[tuple[str, np.ndarray]]:
    """Each criterion of the loyal core (its key) and who meets it."""
    frame = result.customers
    value = value_per_year(result)
    active = result.phases() != Phase.LOST
    threshold = np.quantile(value[active], 1 - settings.top_share) if active.any() else np.inf
    overdue = np.nan_to_num(frame["overdue_ratio"].to_numpy(dtype=float), nan=np.inf)
    return [
        ("not_lost", active),
        ("tenure", frame["tenure_days"].to_numpy(dtype=float) >= settings.min_tenure_days),
        ("order_days", frame["order_days"].to_numpy(dtype=float) >= settings.min_order_days),
        ("rhythm", overdue <= settings.max_overdue_ratio),
        ("risk", np.round(frame["risk"].to_numpy() * 100) < settings.max_risk),
        ("no_signal", ~result.fired.any(axis=1)),  # no warning signal at all: steady is steady
        ("top", value >= threshold),
    ]
