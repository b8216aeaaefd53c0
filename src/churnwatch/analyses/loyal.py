"""The loyal core: long, steady, valuable, low-risk customers, to thank and to serve first.

The literature this product comes from says to give them the best offers and an explicit
thank-you; losing one costs the most. Everything is computed from the scan's own columns.
"""

from __future__ import annotations

import numpy as np

from churnwatch.analyses.result import ScanResult, Selection
from churnwatch.config import Loyal
from churnwatch.core.domain import Phase
from churnwatch.core.words import plural

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
    keep = np.logical_and.reduce([held for _, held in _criteria(result, settings)])
    chosen = np.flatnonzero(keep)
    ranked = chosen[np.lexsort((frame["customer_id"].to_numpy()[chosen], -value[chosen]))]
    matched = result.rows(ranked)
    rows = matched if top is None else matched.rows(np.arange(min(top, len(ranked))))
    return Selection(result, rows, len(ranked), None, matched)


def why_empty(selection: Selection, settings: Loyal) -> str:
    """Why a list of the loyal core is empty: the owners and segments chosen, or else how
    many meet the criteria one after another, up to the first none meets (``2 not lost, of
    them 0 a customer for 730 days or more``)."""
    core = loyal_core(selection.result, settings).matching
    if core:
        return (
            f"the loyal core has {plural(core, 'customer')}, none of the owners or segments chosen"
        )
    kept = np.ones(len(selection.result.customers), dtype=bool)
    steps = []
    for label, held in _criteria(selection.result, settings):
        kept &= held
        steps.append(f"{int(kept.sum()):,} {label}")
        if not kept.any():
            break
    return "none qualifies: " + ", of them ".join(steps)


def _criteria(result: ScanResult, settings: Loyal) -> list[tuple[str, np.ndarray]]:
    """Each criterion of the loyal core, as said to people, and who meets it."""
    frame = result.customers
    value = value_per_year(result)
    active = result.phases() != Phase.LOST
    threshold = np.quantile(value[active], 1 - settings.top_share) if active.any() else np.inf
    overdue = np.nan_to_num(frame["overdue_ratio"].to_numpy(dtype=float), nan=np.inf)
    return [
        ("not lost", active),
        (
            f"a customer for {settings.min_tenure_days:,} days or more",
            frame["tenure_days"].to_numpy(dtype=float) >= settings.min_tenure_days,
        ),
        (
            f"with {settings.min_order_days} order days or more",
            frame["order_days"].to_numpy(dtype=float) >= settings.min_order_days,
        ),
        ("on rhythm", overdue <= settings.max_overdue_ratio),
        (
            f"at a risk under {settings.max_risk:g}%",
            np.round(frame["risk"].to_numpy() * 100) < settings.max_risk,
        ),
        # no warning signal at all: steady is steady
        ("without a warning signal", ~result.fired.any(axis=1)),
        (f"in the top {settings.top_share:.0%} by revenue per year", value >= threshold),
    ]
