"""Complaint features: how often, how serious, and how well they are handled."""

from __future__ import annotations

import numpy as np

from churnwatch.features.aggregate import (
    MOSTLY_KNOWN,
    count,
    first_last,
    median,
    ratio,
    sorted_pairs,
)
from churnwatch.features.registry import Features, Inputs, provides

PER_DAYS = 90
HIGH = 2
"""Code of "high" in the severity vocabulary (low, medium, high)."""


@provides(
    "complaints",
    needs=("first_order_date",),
    complaints_recent=("complaints", "complaints opened in the recent window"),
    complaints_baseline=("complaints", "complaints opened in the baseline window"),
    complaint_rate_recent=("complaints/90 days", "complaints per 90 days, recent window"),
    complaint_rate_baseline=(
        "complaints/90 days",
        "complaints per 90 days, baseline window (days as a customer)",
    ),
    open_complaints=("complaints", "complaints still open at the reference date"),
    oldest_open_complaint_days=("days", "age of the oldest open complaint"),
    median_resolution_days=(
        "days",
        "median days to close complaints opened in the recent and baseline windows",
    ),
)
def complaint_handling(inputs: Inputs) -> Features:
    complaints, window = inputs.cut.frame("complaints"), inputs.window
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
    exposure = window.baseline_exposure(inputs.features["first_order_date"])
    still_open = np.isnan(closed)
    open_codes, open_age = sorted_pairs(codes[still_open], window.as_of - opened[still_open])
    _, oldest = first_last(open_codes, open_age, n)
    resolved = ~still_open & (recent | baseline)
    return {
        "complaints_recent": recent_count,
        "complaints_baseline": baseline_count,
        "complaint_rate_recent": recent_count / window.recent_days * PER_DAYS,
        "complaint_rate_baseline": ratio(baseline_count, exposure) * PER_DAYS,
        "open_complaints": count(codes, n, still_open),
        "oldest_open_complaint_days": oldest,
        "median_resolution_days": median(
            codes[resolved], np.maximum(closed[resolved] - opened[resolved], 0), n
        ),
    }


@provides(
    "complaints",
    needs=("complaints.severity",),
    high_severity_recent=("complaints", "high-severity complaints in the recent window"),
)
def complaint_severity(inputs: Inputs) -> Features:
    complaints, window = inputs.cut.frame("complaints"), inputs.window
    codes = complaints["customer"].to_numpy()
    recent = window.recent(complaints["opened_date"].to_numpy())
    severity = complaints["severity"].cat.codes.to_numpy()
    n, known = window.customers, severity >= 0
    high = count(codes, n, recent & (severity == HIGH))
    mostly_known = count(codes, n, recent & known) >= MOSTLY_KNOWN * count(codes, n, recent)
    return {"high_severity_recent": np.where(mostly_known, high, np.nan)}
