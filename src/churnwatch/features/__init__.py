"""Per-customer warning-signal features, computed as of the reference date.

Every feature compares a customer with their own history. The functions work on whole
customers, so any partition of customers (one core each, or a Dask cluster later) gives
the same rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnwatch.config import Windows
from churnwatch.features.complaints import complaint_features
from churnwatch.features.contacts import contact_features
from churnwatch.features.orders import order_features
from churnwatch.features.payments import payment_features
from churnwatch.features.registry import DATE_FEATURES, FEATURES, FeatureSpec, features_of
from churnwatch.features.window import Window
from churnwatch.load import Dataset

__all__ = ["DATE_FEATURES", "FEATURES", "FeatureSpec", "compute_features", "features_of"]


def compute_features(dataset: Dataset, windows: Windows) -> pd.DataFrame:
    """One row per customer with orders (index: customer code), one column per feature.

    Features of an absent source are absent columns; a feature without enough history is
    missing (NaN) for that customer, never a made-up value.
    """
    window = Window(
        dataset.as_of, windows.recent_days, windows.baseline_days, len(dataset.customer_ids)
    )
    values = order_features(dataset.frame("orders"), window)
    if dataset.has("payments"):
        values |= payment_features(dataset.frame("payments"), window)
    if dataset.has("complaints"):
        values |= complaint_features(
            dataset.frame("complaints"), window, values["first_order_date"]
        )
    if dataset.has("contacts"):
        values |= contact_features(dataset.frame("contacts"), window)
    ordered = {name: values[name] for name in FEATURES if name in values}
    frame = pd.DataFrame(ordered)
    frame.index.name = "customer"
    return frame[np.asarray(values["order_count"]) > 0]
