"""Complaint features: how often, how serious, and how well they are handled."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnwatch.features.groups import count, first_last, median, ratio, sorted_pairs
from churnwatch.features.window import Window

Features = dict[str, np.ndarray]
PER_DAYS = 90
HIGH = 2  # code of "high" in the severity vocabulary (low, medium, high)


def complaint_features(
    complaints: pd.DataFrame, window: Window, first_order: np.ndarray
) -> Features:
    codes = complaints["customer"].to_numpy()
    opened = complaints["opened_date"].to_numpy()
    closed = (
        complaints["closed_date"].to_numpy()
        if "closed_date" in complaints
        else np.full(len(complaints), np.nan)
    )
    n = window.customers
    recent, baseline = window.recent(opened), window.baseline(opened)
    recent_count, baseline_count = count(codes, n, recent), count(codes, n, baseline)
    still_open = np.isnan(closed)
    open_codes, open_age = sorted_pairs(codes[still_open], window.as_of - opened[still_open])
    _, oldest = first_last(open_codes, open_age, n)
    resolved = ~still_open & (recent | baseline)
    out: Features = {
        "complaints_recent": recent_count,
        "complaints_baseline": baseline_count,
        "complaint_rate_recent": recent_count / window.recent_days * PER_DAYS,
        "complaint_rate_baseline": ratio(baseline_count, window.baseline_exposure(first_order))
        * PER_DAYS,
        "open_complaints": count(codes, n, still_open),
        "oldest_open_complaint_days": oldest,
        "median_resolution_days": median(
            codes[resolved], np.maximum(closed[resolved] - opened[resolved], 0), n
        ),
    }
    if "severity" in complaints:
        high = complaints["severity"].cat.codes.to_numpy() == HIGH
        out["high_severity_recent"] = count(codes, n, recent & high)
    return out
