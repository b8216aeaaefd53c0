"""Contact features: is the customer still reachable?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnwatch.features.groups import count, ratio
from churnwatch.features.window import Window

Features = dict[str, np.ndarray]
NOT_REACHED = 1  # code of "not_reached" in the outcome vocabulary (reached, not_reached)


def contact_features(contacts: pd.DataFrame, window: Window) -> Features:
    codes = contacts["customer"].to_numpy()
    days = contacts["contact_date"].to_numpy()
    outcome = contacts["outcome"].cat.codes.to_numpy()
    n = window.customers
    missed = outcome == NOT_REACHED
    recent, baseline = window.recent(days), window.baseline(days)
    share_recent = ratio(count(codes, n, recent & missed), count(codes, n, recent))
    share_baseline = ratio(count(codes, n, baseline & missed), count(codes, n, baseline))
    return {
        "contact_attempts_recent": count(codes, n, recent),
        "not_reached_share_recent": share_recent,
        "not_reached_share_baseline": share_baseline,
        "not_reached_change": share_recent - share_baseline,
    }
