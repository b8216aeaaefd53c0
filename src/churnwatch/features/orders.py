"""Order features: rhythm, volume, value, who initiates the orders, and lapses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from churnwatch.core.amounts import Amounts
from churnwatch.core.domain import is_order
from churnwatch.features.aggregate import (
    count,
    first_last,
    known_share,
    median_sorted,
    ratio,
    sizes,
    sorted_pairs,
)
from churnwatch.features.registry import Features, Inputs, provides
from churnwatch.timeframe import Cut
from churnwatch.timeframe.partition import Split

MIN_GAPS = 2
"""A typical gap needs at least two gaps, i.e. three distinct order days."""
MIN_BASELINE_ORDERS = 2
"""A change against the baseline needs at least two baseline orders to mean anything."""
LAPSE_GAPS = 4


class OrderDays(NamedTuple):
    """Each customer's order days (credit notes left out), sorted, and the gaps between
    distinct order days: the intermediate that rhythm, lapse and statistical features share."""

    codes: np.ndarray
    days: np.ndarray
    first: np.ndarray
    last: np.ndarray
    distinct_days: np.ndarray
    """Distinct order days per customer (0 for customers without orders)."""
    gap_codes: np.ndarray
    gaps: np.ndarray
    gap_ends: np.ndarray
    typical_gap: np.ndarray
    longest_gap: np.ndarray


def history_parts(history: OrderDays, split: Split) -> Iterator[OrderDays]:
    """Each part's slice of the sorted order days, its customers coded as in the part (the
    order days and gaps sorted by part once, as positions; a part takes its own)."""
    day_order, day_starts = split.rows(history.codes)
    gap_order, gap_starts = split.rows(history.gap_codes)
    for index, members in enumerate(split.members):
        days = day_order[day_starts[index] : day_starts[index + 1]]
        gaps = gap_order[gap_starts[index] : gap_starts[index + 1]]
        yield OrderDays(
            split.local[history.codes[days]],
            history.days[days],
            history.first[members],
            history.last[members],
            history.distinct_days[members],
            split.local[history.gap_codes[gaps]],
            history.gaps[gaps],
            history.gap_ends[gaps],
            history.typical_gap[members],
            history.longest_gap[members],
        )


def order_days(inputs: Inputs) -> OrderDays:
    """Sorted once, in the population step, for the model fit; the groups here reuse it."""
    return inputs.population.history


def _orders_only(cut: Cut) -> tuple[np.ndarray, np.ndarray]:
    """Codes and days of the orders proper: credit notes (negative amounts) are not orders."""
    orders = cut.frame("orders")
    codes, days = orders["customer"].to_numpy(), orders["order_date"].to_numpy()
    real = is_order(orders["amount"].to_numpy())
    return (codes, days) if real.all() else (codes[real], days[real])


def order_history(cut: Cut, n: int) -> OrderDays:
    """The sorted order days of every customer of the cut (``n``: the size of the index).

    The order-sized arrays are few and, where they can be, worked on in place: at 10 M
    orders each new one is 10-40 MB of fresh pages for the kernel to clear, which cost this
    step more than its sorts."""
    codes, days = _orders_only(cut)
    origin = int(days.min()) if days.size else 0
    sorted_codes, sorted_days = sorted_pairs(codes, days - origin)
    first, last = first_last(sorted_codes, sorted_days, n)
    step = sorted_days[1:] - sorted_days[:-1]
    gap = sorted_codes[1:] == sorted_codes[:-1]
    gap &= step > 0  # between distinct order days
    gaps, gap_codes, gap_ends = step[gap], sorted_codes[1:][gap], sorted_days[1:][gap]
    del step, gap
    gap_count = sizes(gap_codes, n)
    ordering = ~np.isnan(first)  # a customer with orders has a first one
    gap_sorted_codes, gap_sorted = sorted_pairs(gap_codes, gaps)
    typical = np.where(
        gap_count >= MIN_GAPS, median_sorted(gap_sorted_codes, gap_sorted, n), np.nan
    )
    _, longest = first_last(gap_sorted_codes, gap_sorted, n)
    sorted_days += origin  # sorted_pairs' arrays are this step's own
    gap_ends += origin
    return OrderDays(
        sorted_codes,
        sorted_days,
        first + origin,
        last + origin,
        np.where(ordering, gap_count + 1, 0).astype(np.float64),
        gap_codes,
        gaps,
        gap_ends,
        typical,
        longest,
    )


@provides(
    "orders",
    order_count=(
        "orders",
        "orders up to the reference date (credit notes, i.e. negative amounts, are not orders)",
    ),
    order_days=("days", "distinct days with an order"),
    first_order_date=("date", "date of the first order"),
    last_order_date=("date", "date of the latest order"),
    tenure_days=("days", "days since the first order"),
    days_since_last_order=("days", "days since the latest order"),
    typical_gap_days=("days", "median days between order days (needs 3 order days)"),
    overdue_ratio=("ratio", "days since the latest order ÷ typical gap"),
)
def rhythm(inputs: Inputs) -> Features:
    """First and last order, the typical gap between order days, and how overdue that is."""
    history = order_days(inputs)
    as_of = inputs.window.as_of
    since_last = as_of - history.last
    return {
        "order_count": count(history.codes, inputs.window.customers),
        "order_days": history.distinct_days,
        "first_order_date": history.first,
        "last_order_date": history.last,
        "tenure_days": as_of - history.first,
        "days_since_last_order": since_last,
        "typical_gap_days": history.typical_gap,
        "overdue_ratio": ratio(since_last, history.typical_gap),
    }


@provides(
    "orders",
    needs=("first_order_date",),
    orders_recent=("orders", "orders in the recent window"),
    orders_baseline=("orders", "orders in the baseline window"),
    order_rate_recent=("orders/day", "orders per day in the recent window"),
    order_rate_baseline=(
        "orders/day",
        "orders per day in the baseline window (days as a customer)",
    ),
    order_frequency_change=("fraction", "order rate recent ÷ baseline − 1"),
    orders_expected_recent=(
        "orders",
        "orders the baseline rate predicts for the recent window",
    ),
    avg_order_value_recent=(
        "amount",
        "mean value of orders in the recent window (credit notes excluded)",
    ),
    avg_order_value_baseline=(
        "amount",
        "mean value of orders in the baseline window (credit notes excluded)",
    ),
    order_value_change=("fraction", "average order value recent ÷ baseline − 1"),
    revenue_recent=("amount", "net revenue in the recent window"),
    revenue_baseline=("amount", "net revenue in the baseline window"),
    revenue_change=("fraction", "revenue per day recent ÷ baseline − 1"),
    lifetime_revenue=("amount", "net revenue up to the reference date"),
    avg_order_value=("amount", "mean value of all orders up to the reference date"),
)
def volume(inputs: Inputs) -> Features:
    """Frequency, order value and revenue, recent against baseline."""
    orders = inputs.cut.frame("orders")
    codes = orders["customer"].to_numpy()
    days = orders["order_date"].to_numpy()
    amount = Amounts.of(orders["amount"].to_numpy())
    window, n = inputs.window, inputs.window.customers
    recent = _Totals.of(codes, amount, n, window.recent(days))
    baseline = _Totals.of(codes, amount, n, window.baseline(days))
    lifetime = _Totals.of(codes, amount, n)
    exposure = window.baseline_exposure(inputs.features["first_order_date"])
    rate_recent = recent.orders / window.recent_days
    rate_baseline = ratio(baseline.orders, exposure)
    enough_baseline = baseline.orders >= MIN_BASELINE_ORDERS
    daily_baseline = ratio(baseline.revenue, exposure)
    return {
        "orders_recent": recent.orders,
        "orders_baseline": baseline.orders,
        "order_rate_recent": rate_recent,
        "order_rate_baseline": np.where(np.isnan(exposure), np.nan, rate_baseline),
        "order_frequency_change": np.where(
            enough_baseline, ratio(rate_recent, rate_baseline) - 1, np.nan
        ),
        "orders_expected_recent": rate_baseline * window.recent_days,
        "avg_order_value_recent": recent.mean_order_value,
        "avg_order_value_baseline": baseline.mean_order_value,
        "order_value_change": ratio(recent.mean_order_value, baseline.mean_order_value) - 1,
        "revenue_recent": recent.revenue,
        "revenue_baseline": baseline.revenue,
        "revenue_change": np.where(
            enough_baseline, ratio(recent.revenue / window.recent_days, daily_baseline) - 1, np.nan
        ),
        "lifetime_revenue": lifetime.revenue,
        "avg_order_value": lifetime.mean_order_value,
    }


class _Totals(NamedTuple):
    """Per customer, within one window: orders, their value, and net revenue."""

    orders: np.ndarray
    order_value: np.ndarray
    """Sum of the orders' amounts (credit notes left out)."""
    revenue: np.ndarray
    """Sum of all amounts, credit notes included."""

    @classmethod
    def of(
        cls, codes: np.ndarray, amount: Amounts, n: int, where: np.ndarray | None = None
    ) -> _Totals:
        """The window's rows are taken out once; the three sums run over them alone."""
        if where is not None:
            codes, amount = codes[where], amount.taken(where)
        revenue = amount.sums(codes, n)
        real = is_order(amount.units)  # scaled or not, each amount keeps its sign
        if not real.all():  # credit notes count towards revenue only
            codes, amount = codes[real], amount.taken(real)
            return cls(count(codes, n), amount.sums(codes, n), revenue)
        return cls(count(codes, n), revenue, revenue)

    @property
    def mean_order_value(self) -> np.ndarray:
        """Missing where there was no order."""
        return ratio(self.order_value, self.orders)


OUTBOUND = 1
"""Code of "outbound" in the channel vocabulary (inbound, outbound)."""


@provides(
    "orders",
    needs=("orders.channel",),
    outbound_share_recent=("fraction", "share of sales-initiated orders in the recent window"),
    outbound_share_baseline=(
        "fraction",
        "share of sales-initiated orders in the baseline window",
    ),
    outbound_share_change=("fraction", "outbound share recent − baseline (share points)"),
)
def initiative(inputs: Inputs) -> Features:
    """Share of orders the sales side initiated."""
    orders = inputs.cut.frame("orders")
    real = is_order(orders["amount"].to_numpy())
    codes = orders["customer"].to_numpy()
    days = orders["order_date"].to_numpy()
    channel = orders["channel"].cat.codes.to_numpy()
    window, n = inputs.window, inputs.window.customers
    shares = {}
    for name, where in (("recent", window.recent(days)), ("baseline", window.baseline(days))):
        rows = where & real  # the window's orders, taken out once
        initiated = channel[rows]
        shares[name] = known_share(codes[rows], n, None, initiated == OUTBOUND, initiated >= 0)
    return {
        "outbound_share_recent": shares["recent"],
        "outbound_share_baseline": shares["baseline"],
        "outbound_share_change": shares["recent"] - shares["baseline"],
    }


@provides(
    "orders",
    longest_gap_days=("days", "longest time between two order days"),
    returned_after_days=(
        "days",
        "length of the latest long lapse (≥ [lifecycle] lost_min_days, 180, and ≥ 4 typical"
        " gaps) if the customer"
        " came back from it within [lifecycle] returner_days (180)",
    ),
    returner_since=(
        "date",
        "the first order after that lapse: the customer is a returner since then",
    ),
)
def lapses(inputs: Inputs) -> Features:
    """The longest gap, and a recent return after a long lapse."""
    longest = order_days(inputs).longest_gap
    length, since = _return_after_lapse(inputs)
    return {"longest_gap_days": longest, "returned_after_days": length, "returner_since": since}


def _return_after_lapse(inputs: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """Length and end of the latest lapse if the customer came back from it within
    ``returner_days``.

    A lapse is a gap of at least ``[lifecycle] lost_min_days`` (by default 180: long enough
    to count as lost) and ``LAPSE_GAPS`` typical gaps; gaps are
    grouped by customer in day order, so the last one per customer is the latest.
    """
    history, window = order_days(inputs), inputs.window
    codes, gaps, ends = history.gap_codes, history.gaps, history.gap_ends
    lost_after = inputs.population.lifecycle.lost_min_days  # a lapse that counted as lost
    long = np.flatnonzero(gaps >= lost_after)  # few: test only these against the rhythm
    typical_there = np.nan_to_num(history.typical_gap[codes[long]], nan=0.0)
    lapse = long[gaps[long] >= LAPSE_GAPS * typical_there]
    _, latest_gap = first_last(codes[lapse], gaps[lapse], window.customers)
    _, latest_end = first_last(codes[lapse], ends[lapse], window.customers)
    recent_return = latest_end > window.as_of - inputs.population.lifecycle.returner_days
    return (
        np.where(recent_return, latest_gap, np.nan),
        np.where(recent_return, latest_end, np.nan),
    )
