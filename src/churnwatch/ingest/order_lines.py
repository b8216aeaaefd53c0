"""Exports of order lines: one row per product, several rows per order.

ERP systems often export order lines rather than orders. Counted as they are, every line
would be an order: a customer's order count multiplied by the lines per order, the average
order a line's value, and an order split into more lines than before would read as "orders
are getting smaller". Lines of one order share the order number, the customer and the day;
such rows are combined into one order, their amounts summed (a discount line lowers it).

Found where the export lists the lines of an order one after another, as exports of lines
do: comparing neighbouring rows costs little, and hashing ten million order numbers to look
for repeats anywhere would cost seconds on every export of orders. Once lines are found, all
rows are grouped, neighbours or not. A return booked later under the same order number has
another day and stays a credit note of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.ingest.arrow_numpy import to_numpy
from churnwatch.ingest.problems import MAX_LINES, Level, Problem, Reason

if TYPE_CHECKING:
    from churnwatch.ingest.dataset import SourceFrame


def combine_order_lines(orders: SourceFrame) -> list[Problem]:
    """Combine rows that are lines of one order (same order number, customer and day) into
    the first of them, with the lines' amounts summed; a note says how many."""
    frame = orders.frame
    if "order_id" not in frame.columns or len(frame) < 2:
        return []
    numbers = pa.chunked_array(pa.array(frame["order_id"]))
    if not _neighbours_share_an_order(frame, numbers):
        return []
    group, first = _orders_of_lines(frame, numbers)
    merged = ~first
    amounts = frame["amount"].to_numpy()
    sums = np.bincount(group, weights=amounts, minlength=int(group.max()) + 1)
    lines = orders.table.lines(frame.index.to_numpy()[merged][:MAX_LINES])
    orders_with_lines = int(np.unique(group[merged]).size)
    kept = frame[first].copy()
    kept["amount"] = sums[group[first]]
    orders.frame = kept
    text = (
        f"{int(merged.sum()) + orders_with_lines:,} rows are lines of"
        f" {orders_with_lines:,} orders (the same order number, customer and day): each order"
        " counts once, with its lines' amounts summed"
    )
    return [
        Problem(
            orders.name,
            orders.path.name,
            Reason.ORDER_LINES,
            text,
            column="order_id",
            count=int(merged.sum()),
            lines=tuple(int(x) for x in lines),
            level=Level.NOTE,
        )
    ]


def _neighbours_share_an_order(frame: pd.DataFrame, numbers: pa.ChunkedArray) -> bool:
    """Whether some row has the order number, customer and day of the row before it (whole
    columns against themselves shifted by a row: 0.05 s for ten million orders)."""
    customer = frame["customer"].to_numpy()
    day = frame["order_date"].to_numpy()
    same = (customer[1:] == customer[:-1]) & (day[1:] == day[:-1])
    if not same.any():
        return False
    equal = pc.equal(numbers.slice(1), numbers.slice(0, len(numbers) - 1)).fill_null(False)
    return bool((to_numpy(equal) & same).any())


def _orders_of_lines(
    frame: pd.DataFrame, numbers: pa.ChunkedArray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's order (a group number) and whether it is the order's first line. A row
    without an order number is an order of its own."""
    encoded = pc.dictionary_encode(numbers.combine_chunks())
    number = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
    number = np.where(number < 0, -2 - np.arange(len(number)), number)  # each its own
    customer, day = frame["customer"].to_numpy(), frame["order_date"].to_numpy()
    keys = pd.DataFrame({"customer": customer, "day": day, "number": number})
    group = keys.groupby(["customer", "day", "number"], sort=False).ngroup().to_numpy()
    return group, ~keys.duplicated().to_numpy()
