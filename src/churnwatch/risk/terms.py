"""The base terms of the risk model: a few transforms of the customer's own history.

Logarithms, because a customer silent for 200 days is not twice as gone as one silent for
100, and a thousand orders are not a hundred times as loyal as ten. The statistical term is
the BG/NBD model's own log-odds of no order within the horizon. No sign is fixed: the fit
decides, per export, how each term bears on the risk (tenure works differently in different
businesses).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TERMS = ("recency", "frequency", "tenure", "order_value", "statistical")
MEANING = {
    "recency": "ln(1 + days since the latest order)",
    "frequency": "ln(distinct order days)",
    "tenure": "ln(1 + days since the first order)",
    "order_value": "ln(1 + mean order value)",
    "statistical": "BG/NBD log-odds of no order within the horizon",
}


def base_terms(features: pd.DataFrame, statistical: np.ndarray) -> np.ndarray:
    """Customers × :data:`TERMS`; ``statistical`` is the log-odds per customer row."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.column_stack(
            [
                np.log1p(features["days_since_last_order"].to_numpy(dtype=float)),
                np.log(features["order_days"].to_numpy(dtype=float)),
                np.log1p(features["tenure_days"].to_numpy(dtype=float)),
                np.log1p(np.maximum(features["avg_order_value"].to_numpy(dtype=float), 0.0)),
                statistical,
            ]
        )
