"""Time: the reference date, the windows, and views of the dataset as it was known then."""

from churnwatch.timeframe.cut import (
    Cut,
    cut_at,
    future_orders,
    ordered_in,
    reference_day,
    stale_exports,
)
from churnwatch.timeframe.window import Window

__all__ = [
    "Cut",
    "Window",
    "cut_at",
    "future_orders",
    "ordered_in",
    "reference_day",
    "stale_exports",
]
