"""Exports of order lines: one row per product, several rows per order.

ERP systems often export order lines rather than orders. Counted as they are, every line
would be an order: a customer's order count multiplied by the lines per order, the average
order a line's value, and an order split into more lines than before would read as "orders
are getting smaller". Lines of one order share the order number, the customer and the day;
such rows are combined into one order, their amounts summed (a discount line lowers it).

Found wherever the lines are: neighbouring rows are compared first, as exports of lines list
an order's lines one after another; order numbers in increasing order (found by the check
for duplicates) repeat nowhere; otherwise the numbers are looked at for repeats. Once lines
are found, all rows are grouped. A return booked later under the same order number has
another day and stays a credit note of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.core.amounts import sums_by
from churnwatch.core.words import plural
from churnwatch.ingest.arrow_numpy import to_numpy, whole_numbers
from churnwatch.ingest.problems import Level, Problem, Reason

if TYPE_CHECKING:
    from churnwatch.ingest.dataset import SourceFrame

CANCELLED = 1e-9
"""An order whose lines sum to this share of their absolute amounts or less cancels out:
amounts in cents do not sum to exactly 0 in floating point (19.99 + 5.01 − 19.99 − 5.01)."""


def combine_order_lines(orders: SourceFrame) -> list[Problem]:
    """Combine rows that are lines of one order (same order number, customer and day) into
    the first of them, with the lines' amounts summed; a note says how many, and what was
    not combined."""
    frame = orders.frame
    documents = documents_of(orders, "order_id", "order_date")
    if documents is None:
        return []
    grouped = _Lines.of(frame, documents)
    kept = grouped.first & ~grouped.cancelled[grouped.group]
    orders.frame = frame[kept].copy()
    orders.frame["amount"] = grouped.sums[grouped.group[kept]]
    merged = np.flatnonzero(~grouped.first)
    tally = grouped.tally()
    return [
        Problem(
            orders.name,
            orders.path.name,
            Reason.ORDER_LINES,
            order_lines_found(*tally),
            column="order_id",
            count=merged.size,
            lines=orders.table.first_lines(frame.index.to_numpy()[merged]),
            level=Level.NOTE,
            tally=tally,
            wording=order_lines_found,
        )
    ]


def order_lines_found(
    merged: int, with_lines: int, cancelled: int, unnumbered: int, several_days: int
) -> str:
    """What combining the lines of orders did, counted."""
    clauses = [
        f"{plural(merged, 'row')} {'is a further line' if merged == 1 else 'are further lines'}"
        f" of {plural(with_lines, 'order')} (the same order number, customer and day): each"
        " order counts once, with its lines' amounts summed"
    ]
    if cancelled:
        clauses.append(
            f"{plural(cancelled, 'order')} whose lines cancel out (summing to 0) left out"
        )
    if unnumbered:
        clauses.append(
            f"{plural(unnumbered, 'row')} without an order number counted as orders of their own"
        )
    if several_days:
        clauses.append(
            f"{plural(several_days, 'order number')} with lines on several days:"
            " each day counted on its own (an order, or a credit note)"
        )
    return "; ".join(clauses)


@dataclass(frozen=True)
class _Lines:
    """The rows of an export of order lines, grouped into orders."""

    group: np.ndarray
    """Each row's order (rows without an order number are orders of their own)."""
    first: np.ndarray
    """Whether the row is its order's first line (the one kept)."""
    sums: np.ndarray
    """Per order, its lines' amounts summed."""
    cancelled: np.ndarray
    """Per order: its lines cancel out (a line reversed, summing to 0): no order at all."""
    unnumbered: int
    """Rows without an order number."""
    several_days: int
    """Order numbers of one customer with lines on several days (each day is an order)."""

    @classmethod
    def of(cls, frame: pd.DataFrame, documents: Documents) -> _Lines:
        group, first, unnumbered = documents.group, documents.first, documents.unnumbered
        amounts = frame["amount"].to_numpy()
        orders = int(group.max()) + 1
        sums = sums_by(group, amounts, orders)
        reversed_line = np.bincount(group, weights=amounts < 0, minlength=orders) > 0
        lines_total = np.bincount(group, weights=np.abs(amounts), minlength=orders)
        cancel_out = np.abs(sums) <= CANCELLED * lines_total  # cents summed: 1e-15 is 0
        days = documents.keys[first & ~unnumbered][["customer", "number"]]
        return cls(
            group,
            first,
            sums,
            reversed_line & cancel_out,
            int(unnumbered.sum()),
            int(days[days.duplicated()].drop_duplicates().shape[0]),
        )

    def tally(self) -> tuple[int, int, int, int, int]:
        """Rows combined into orders, those orders, orders cancelled out, rows without a
        number, numbers with lines on several days."""
        merged = int((~self.first).sum())
        with_lines = int(np.count_nonzero(np.bincount(self.group[~self.first])))  # no sort
        cancelled = int(self.cancelled.sum())
        return merged, with_lines, cancelled, self.unnumbered, self.several_days


@dataclass(frozen=True)
class Documents:
    """Rows grouped into documents (orders, invoices): those with the same number, customer
    and day are one; a row without a number is a document of its own."""

    keys: pd.DataFrame
    """Each row's customer, day and number (a negative number of its own where it has none)."""
    group: np.ndarray
    """Each row's document, numbered from 0."""
    first: np.ndarray
    """Whether the row is its document's first."""
    unnumbered: np.ndarray
    """Whether the row has no number."""

    @classmethod
    def of(cls, frame: pd.DataFrame, numbers: pa.ChunkedArray, day: str) -> Documents:
        encoded = pc.dictionary_encode(numbers.combine_chunks())
        number = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
        unnumbered = number < 0
        number = np.where(unnumbered, -2 - np.arange(len(number)), number)  # each its own
        customer, days = frame["customer"].to_numpy(), frame[day].to_numpy()
        keys = pd.DataFrame({"customer": customer, "number": number, "day": days})
        documents = keys.groupby(["customer", "day", "number"], sort=False)
        group = documents.ngroup().to_numpy()
        return cls(keys, group, documents.cumcount().to_numpy() == 0, unnumbered)


def documents_of(source: SourceFrame, number: str, day: str) -> Documents | None:
    """The rows of ``source`` grouped into documents by their ``number``, customer and
    ``day``, where some document has several rows; None where none has, or where the
    number is not mapped."""
    frame = source.frame
    if number not in frame.columns or len(frame) < 2:
        return None
    numbers = pa.chunked_array(pa.array(frame[number]))
    return _documents_in_parts(frame, numbers, day, in_order=source.in_order == number)


def _documents_in_parts(
    frame: pd.DataFrame, numbers: pa.ChunkedArray, day: str, *, in_order: bool
) -> Documents | None:
    """The rows grouped into documents, where some document number has several rows of one
    customer and ``day`` (wherever they are); None where none has. Cheap looks first:
    numbers in increasing order (as the check for duplicates found them), which repeat
    nowhere; neighbours (0.05 s for ten million rows); customers with a single row per day,
    who have no document in parts (0.3 s for ten million, integers sorted); numbers that
    repeat (whole numbers sorted; text counted, about 0.3 s per million). Only then are the
    rows grouped."""
    if in_order:
        return None
    if not _neighbours_share_a_document(frame, numbers, day) and (
        not _a_day_repeats(frame, day) or not _some_number_repeats(numbers)
    ):
        return None
    documents = Documents.of(frame, numbers, day)
    return documents if (~documents.first).any() else None


def _a_day_repeats(frame: pd.DataFrame, day: str) -> bool:
    """Whether some customer has several rows on one day (the rows of a document share
    both)."""
    days = frame[day].to_numpy()
    present = ~np.isnan(days) if days.dtype.kind == "f" else np.ones(len(days), dtype=bool)
    days = days[present].astype(np.int64)
    if days.size < 2:
        return False
    span = int(days.max()) - int(days.min()) + 1
    keys = frame["customer"].to_numpy()[present].astype(np.int64) * span + (days - days.min())
    return _repeats(keys)


def _some_number_repeats(numbers: pa.ChunkedArray) -> bool:
    """Whether a value occurs twice ('007' and '7' count as one: a first look)."""
    present = numbers.drop_null()
    whole = whole_numbers(present)
    if whole is None:
        return bool(pc.count_distinct(present).as_py() < len(present))
    return _repeats(to_numpy(whole))


def _repeats(values: np.ndarray) -> bool:
    """Whether some integer occurs twice (sorted: no hashing)."""
    ordered = np.sort(values)
    return bool((ordered[1:] == ordered[:-1]).any())


def _neighbours_share_a_document(frame: pd.DataFrame, numbers: pa.ChunkedArray, day: str) -> bool:
    """Whether some row has the number, customer and ``day`` of the row before it (whole
    columns against themselves shifted by a row: 0.05 s for ten million rows). Numbers are
    compared only where customer and day are: text compared whole took twice that."""
    customer = frame["customer"].to_numpy()
    days = frame[day].to_numpy()
    after = np.flatnonzero((customer[1:] == customer[:-1]) & (days[1:] == days[:-1]))
    if not after.size:
        return False
    equal = pc.equal(numbers.take(pa.array(after + 1)), numbers.take(pa.array(after)))
    return bool(pc.any(equal.fill_null(False)).as_py())
