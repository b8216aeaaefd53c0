"""Time: the reference date, the windows, and views of the dataset as it was known then."""

from churnwatch.timeframe.cut import (
    EVER,
    Cut,
    OrderSpans,
    cut_at,
    future_orders,
    of_customers,
    ordered_in,
    reference_day,
    stale_exports,
)
from churnwatch.timeframe.window import Window

__all__ = [
    "EVER",
    "Cut",
    "OrderSpans",
    "Window",
    "cut_at",
    "future_orders",
    "of_customers",
    "ordered_in",
    "reference_day",
    "stale_exports",
]
