"""Per-customer features, computed as of the reference date of a cut.

Every feature compares a customer with their own history. Groups of features are registered
where they are computed (:mod:`churnwatch.features.registry`); they work on whole customers,
given the population step's results, so any partition of customers gives the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module

import numpy as np
import pandas as pd

from churnwatch.features.population import Population, population_step
from churnwatch.features.registry import (
    FEATURES,
    Features,
    FeatureSpec,
    Inputs,
    category_features,
    date_features,
    features_of,
    run_groups,
)
from churnwatch.timeframe import Cut

GROUP_MODULES = ("orders", "payments", "complaints", "contacts", "statistical", "lifecycle")
"""Importing a module registers its groups: this order is the order of the columns, and a
group may use the features of the groups before it."""
for _module in GROUP_MODULES:
    import_module(f"churnwatch.features.{_module}")

DATE_FEATURES = date_features()
CATEGORY_FEATURES = category_features()
VALUE_FEATURES = tuple(name for name in FEATURES if name not in CATEGORY_FEATURES)
"""Features with a number or date value: the ``features`` of machine output (categories such
as the phase are fields of their own)."""

__all__ = [
    "CATEGORY_FEATURES",
    "DATE_FEATURES",
    "FEATURES",
    "VALUE_FEATURES",
    "FeatureSpec",
    "Features",
    "Population",
    "compute_features",
    "features_of",
    "population_step",
]


def compute_features(cut: Cut, population: Population) -> pd.DataFrame:
    """One row per customer with orders (index: customer code), one column per feature.

    Features of an absent source are absent columns; a feature without enough history is
    missing (NaN) for that customer, never a made-up value.
    """
    values = run_groups(Inputs(cut, population.window, population))
    names = [name for name in FEATURES if name in values]
    ordering = np.asarray(values["order_count"]) > 0
    rows = None if ordering.all() else np.flatnonzero(ordering)
    numbers = {name: values[name] for name in names if name not in CATEGORY_FEATURES}
    frame = _numbers_frame(numbers, rows, ordering.size)
    for place, name in enumerate(names):
        if name in CATEGORY_FEATURES:
            labels = np.asarray(values[name])
            kept = labels if rows is None else labels[rows]
            frame.insert(
                place, name, pd.Series(_categorical(kept, CATEGORY_FEATURES[name]), frame.index)
            )
    frame.index.name = "customer"
    return frame


def _numbers_frame(
    columns: dict[str, np.ndarray], rows: np.ndarray | None, count: int
) -> pd.DataFrame:
    """The numeric features of the customers ``rows`` (None: all ``count``) as one frame,
    each value written once, into the very block the frame keeps: from a dict, pandas copies
    the columns into a block, and once more to keep the rows (two seconds for seventy
    features of two million customers)."""
    size = count if rows is None else rows.size
    block = np.empty((len(columns), size), dtype=np.float64)  # pandas' layout: one row each
    for place, values in enumerate(columns.values()):
        block[place] = values if rows is None else np.asarray(values)[rows]
    index = pd.RangeIndex(count) if rows is None else pd.Index(rows)
    return pd.DataFrame(block.T, index=index, columns=list(columns), copy=False)


def _categorical(labels: np.ndarray, categories: Sequence[str]) -> pd.Categorical[str]:
    """Labels as a categorical built from their codes: one comparison per category, where
    pandas would hash every label (half a second at two million customers). A label that is
    no category is missing, as pandas makes it."""
    codes = np.full(len(labels), -1, dtype=np.int8)
    for code, category in enumerate(categories):
        codes[labels == category] = code
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(categories)))
