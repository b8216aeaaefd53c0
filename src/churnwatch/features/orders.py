"""Order features: rhythm, volume, value and who initiates the orders."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnwatch.features.groups import (
    count,
    first_last,
    mean,
    median_sorted,
    ratio,
    sorted_pairs,
    total,
)
from churnwatch.features.window import Window
from churnwatch.load import is_order

MIN_GAPS = 2
"""A typical gap needs at least two gaps, i.e. three distinct order days."""
MIN_BASELINE_ORDERS = 2
"""A change against the baseline needs at least two baseline orders to mean anything."""
LAPSE_DAYS = 180
LAPSE_GAPS = 4

Features = dict[str, np.ndarray]


def order_features(orders: pd.DataFrame, window: Window) -> Features:
    """Credit notes (negative amounts) count towards revenue but are not orders."""
    codes = orders["customer"].to_numpy()
    days = orders["order_date"].to_numpy()
    amount = orders["amount"].to_numpy()
    orders_only = is_order(amount)
    every = bool(orders_only.all())
    order_codes, order_days = (codes, days) if every else (codes[orders_only], days[orders_only])
    out: Features = {"order_count": count(order_codes, window.customers)}
    out |= _rhythm(order_codes, order_days, window)
    out |= _volume(codes, days, amount, orders_only, window, first=out["first_order_date"])
    if "channel" in orders:
        channel = orders["channel"].cat.codes.to_numpy()
        out |= _initiative(
            order_codes, order_days, channel if every else channel[orders_only], window
        )
    return out


def _rhythm(codes: np.ndarray, days: np.ndarray, window: Window) -> Features:
    """First/last order, typical gap between order days, overdue ratio, lapses."""
    n = window.customers
    origin = int(days.min()) if days.size else 0
    sorted_codes, sorted_days = sorted_pairs(codes, days - origin)
    first, last = first_last(sorted_codes, sorted_days, n)
    first, last = first + origin, last + origin
    step = sorted_days[1:] - sorted_days[:-1]
    gap = (sorted_codes[1:] == sorted_codes[:-1]) & (step > 0)  # between distinct order days
    gaps, gap_codes = step[gap], sorted_codes[1:][gap]
    gap_ends = sorted_days[1:][gap] + origin
    gap_count = np.bincount(gap_codes, minlength=n)
    gap_sorted_codes, gap_sorted = sorted_pairs(gap_codes, gaps)
    typical = np.where(
        gap_count >= MIN_GAPS, median_sorted(gap_sorted_codes, gap_sorted, n), np.nan
    )
    _, longest = first_last(gap_sorted_codes, gap_sorted, n)
    since_last = window.as_of - last
    return {
        "first_order_date": first,
        "last_order_date": last,
        "tenure_days": window.as_of - first,
        "days_since_last_order": since_last,
        "typical_gap_days": typical,
        "overdue_ratio": ratio(since_last, typical),
        "longest_gap_days": longest,
        "returned_after_days": _return_after_lapse(gap_codes, gaps, gap_ends, typical, window),
    }


def _return_after_lapse(
    codes: np.ndarray, gaps: np.ndarray, ends: np.ndarray, typical: np.ndarray, window: Window
) -> np.ndarray:
    """Length of the latest lapse if the customer came back from it within ``LAPSE_DAYS``.

    A lapse is a gap of at least ``LAPSE_DAYS`` and ``LAPSE_GAPS`` typical gaps; gaps are
    grouped by customer in day order, so the last one per customer is the latest.
    """
    long = np.flatnonzero(gaps >= LAPSE_DAYS)  # few: test only these against the rhythm
    typical_there = np.nan_to_num(typical[codes[long]], nan=0.0)
    lapse = long[gaps[long] >= LAPSE_GAPS * typical_there]
    _, latest_gap = first_last(codes[lapse], gaps[lapse], window.customers)
    _, latest_end = first_last(codes[lapse], ends[lapse], window.customers)
    recent_return = latest_end > window.as_of - LAPSE_DAYS
    return np.where(recent_return, latest_gap, np.nan)


def _volume(
    codes: np.ndarray,
    days: np.ndarray,
    amount: np.ndarray,
    orders_only: np.ndarray,
    window: Window,
    *,
    first: np.ndarray,
) -> Features:
    """Frequency, order value and revenue, recent against baseline."""
    n = window.customers
    recent, baseline = window.recent(days), window.baseline(days)
    exposure = window.baseline_exposure(first)
    orders_recent = count(codes, n, recent & orders_only)
    orders_baseline = count(codes, n, baseline & orders_only)
    rate_recent = orders_recent / window.recent_days
    rate_baseline = ratio(orders_baseline, exposure)
    real_orders = amount > 0
    value_recent = mean(codes, amount, n, recent & real_orders)
    value_baseline = mean(codes, amount, n, baseline & real_orders)
    revenue_recent = total(codes, amount, n, recent)
    revenue_baseline = total(codes, amount, n, baseline)
    return {
        "orders_recent": orders_recent,
        "orders_baseline": orders_baseline,
        "order_rate_recent": rate_recent,
        "order_rate_baseline": np.where(np.isnan(exposure), np.nan, rate_baseline),
        "order_frequency_change": np.where(
            orders_baseline >= MIN_BASELINE_ORDERS, ratio(rate_recent, rate_baseline) - 1, np.nan
        ),
        "orders_expected_recent": rate_baseline * window.recent_days,
        "avg_order_value_recent": value_recent,
        "avg_order_value_baseline": value_baseline,
        "order_value_change": ratio(value_recent, value_baseline) - 1,
        "revenue_recent": revenue_recent,
        "revenue_baseline": revenue_baseline,
        "revenue_change": np.where(
            orders_baseline >= MIN_BASELINE_ORDERS,
            ratio(revenue_recent / window.recent_days, ratio(revenue_baseline, exposure)) - 1,
            np.nan,
        ),
        "lifetime_revenue": total(codes, amount, n),
    }


def _initiative(
    codes: np.ndarray, days: np.ndarray, channel: np.ndarray, window: Window
) -> Features:
    """Share of orders the sales side initiated (channel code 1 = outbound)."""
    n = window.customers
    known, outbound = channel >= 0, channel == 1
    shares = {}
    for name, in_window in (("recent", window.recent(days)), ("baseline", window.baseline(days))):
        shares[name] = ratio(
            count(codes, n, in_window & outbound), count(codes, n, in_window & known)
        )
    return {
        "outbound_share_recent": shares["recent"],
        "outbound_share_baseline": shares["baseline"],
        "outbound_share_change": shares["recent"] - shares["baseline"],
    }
