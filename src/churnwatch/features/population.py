"""The population step: what is computed once over all customers, before per-customer code.

Per-customer feature code receives these results instead of looking at other customers, so
it gives the same rows on any subset of whole customers (one core each, or a Dask cluster).
Here: the windows and horizon, the lifecycle thresholds, every customer's sorted order days,
and the BG/NBD model fitted over all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from churnwatch.config import Lifecycle
from churnwatch.config import Windows as WindowSettings
from churnwatch.core.words import plural
from churnwatch.features import bgnbd
from churnwatch.features.orders import OrderDays, history_parts, order_history
from churnwatch.timeframe import Cut, Window
from churnwatch.timeframe.partition import Split

MIN_REPEAT_CUSTOMERS = 20
"""BG/NBD is fitted only when at least this many customers ordered on two or more days."""
EMPTY = "p_alive, expected_orders_horizon and p_no_order_horizon are left empty"
"""The features the BG/NBD fit gives, named when there is none."""
FIT_CUSTOMERS = 10_000
"""The four population parameters are fitted on at most this many customers (every k-th by
code: the same customers each run); their estimates are as good, the fit a few times faster."""


@dataclass(frozen=True)
class Population:
    window: Window
    horizon_days: int
    lifecycle: Lifecycle
    history: OrderDays
    """Every customer's order days, sorted: what the model was fitted on."""
    statistical: bgnbd.Fit | None
    """The BG/NBD fit, or None when it could not be fitted or did not converge."""
    notes: list[str] = field(default_factory=list)
    """Why there is no BG/NBD fit, when there is none (its features are then empty)."""

    def parts(self, split: Split) -> Iterator[Population]:
        """The step's results for each part's customers in turn, coded as in the part: what
        a part needs, not every customer's history."""
        for members, history in zip(split.members, history_parts(self.history, split), strict=True):
            window = replace(self.window, customers=members.size)
            yield replace(self, window=window, history=history, notes=[])


def population_step(
    cut: Cut, windows: WindowSettings, horizon_days: int = 90, lifecycle: Lifecycle | None = None
) -> Population:
    n = len(cut.customer_ids)
    window = Window(cut.as_of, windows.recent_days, windows.baseline_days, n)
    history = order_history(cut, n)
    statistical, notes = fit_statistical_model(history, cut.as_of)
    return Population(window, horizon_days, lifecycle or Lifecycle(), history, statistical, notes)


def repeat_history(history: OrderDays, as_of: int) -> tuple[np.ndarray, ...]:
    """``(x, t_x, age)`` in days for every customer code (zeros where there are no orders)."""
    ordering = history.distinct_days > 0
    first = np.where(ordering, history.first, as_of)
    last = np.where(ordering, history.last, as_of)
    x = np.maximum(history.distinct_days - 1, 0)
    return x, last - first, as_of - first


def fit_statistical_model(history: OrderDays, as_of: int) -> tuple[bgnbd.Fit | None, list[str]]:
    """The BG/NBD fit over all customers with orders, or None and a note saying why not."""
    x, t_x, age = repeat_history(history, as_of)
    ordering = history.distinct_days > 0
    repeaters = int((x[ordering] > 0).sum())
    if repeaters < MIN_REPEAT_CUSTOMERS:
        note = (
            f"no statistical base: only {plural(repeaters, 'customer')} ordered on two or more"
            f" days (BG/NBD needs {MIN_REPEAT_CUSTOMERS}); {EMPTY}"
        )
        return None, [note]
    sample = np.flatnonzero(ordering)
    sample = sample[:: -(-sample.size // FIT_CUSTOMERS)]
    fitted = bgnbd.fit(x[sample], t_x[sample], age[sample])
    degenerate = [name for name in fitted.at_bound if name in ("r", "alpha")]
    if not fitted.converged or degenerate:
        why = f"{', '.join(degenerate)} at a bound" if degenerate else fitted.message
        note = f"no statistical base: the BG/NBD fit did not converge ({why}); {EMPTY}"
        return None, [note]
    return fitted, []
