"""The population step: what is computed once over all customers, before per-customer code.

Per-customer feature code receives these results instead of looking at other customers, so
it gives the same rows on any subset of whole customers (one core each, or a Dask cluster).
"""

from __future__ import annotations

from dataclasses import dataclass

from churnwatch.config import Windows
from churnwatch.timeframe import Cut, Window


@dataclass(frozen=True)
class Population:
    window: Window


def population_step(cut: Cut, windows: Windows) -> Population:
    window = Window(cut.as_of, windows.recent_days, windows.baseline_days, len(cut.customer_ids))
    return Population(window)
