"""One customer on one screen: the scan's row for them and a monthly timeline of their history.

The timeline covers the baseline and the recent window (the months the features compare), so
what a signal says ("orders come less often") can be seen month by month.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from churnwatch.analyses.plan import Occasion, contact_plan
from churnwatch.analyses.result import ScanResult
from churnwatch.core.amounts import sums_by
from churnwatch.core.domain import Phase, is_order
from churnwatch.core.errors import UsageError
from churnwatch.core.suggest import closest
from churnwatch.core.words import inline
from churnwatch.features.payments import invoices
from churnwatch.ingest.customer_ids import digits_only, without_leading_zeros

YEAR = 366
MAX_CANDIDATES = 20_000
"""Ids compared for a 'did you mean' (the nearest by text among those of similar length)."""


@dataclass(frozen=True)
class Timeline:
    """Per calendar month (oldest first): what the customer did."""

    months: list[str]
    recent_from: str
    """The first month that belongs to the recent window."""
    customer_from: str
    """The month of the first order: the months before it are no baseline."""
    orders: list[int]
    revenue: list[float]
    days_late: list[float | None]
    """Mean days late of the invoices due that month (negative: early)."""
    complaints: list[int]
    contact_attempts: list[int]
    not_reached: list[int]


@dataclass(frozen=True)
class Profile:
    row: ScanResult
    """The scan result with this customer's row only."""
    rank: int
    ranked: int
    """Customers in the ranking (those with orders), of which this one is ``rank``."""
    listed: int
    listed_of: int
    """Its place among the customers of its list, as a table shows them: those not lost (the
    default table), or those lost (``--phase lost``); the list has ``listed_of``."""
    lost: bool
    timeline: Timeline
    open_complaints: int
    next_contact: Occasion | None
    """The first occasion of the contact plan for this customer, if any within a year."""


def profile(
    result: ScanResult,
    customer_id: str,
    recent_days: int,
    baseline_days: int,
    lost_after_days: int = 365,
    *,
    today: int | None = None,
) -> Profile:
    """The customer's row and timeline; an unknown id is an error naming the nearest ids."""
    ids = result.cut.customer_ids
    scored = ids[result.customers.index.to_numpy()]  # the customers with orders
    wanted = unicodedata.normalize("NFC", customer_id.strip())  # as the loader reads ids
    if wanted not in ids:
        wanted = _meant(wanted, ids) or ""
        if not wanted:
            raise UsageError(
                f"customer {customer_id!r} not found{_nearest(customer_id.strip(), scored)}"
            )
    code = int(np.flatnonzero(ids == wanted)[0])  # ids are unique: one position
    positions = np.flatnonzero(result.customers.index.to_numpy() == code)
    if positions.size == 0:
        raise UsageError(
            f"customer {customer_id!r} has no orders up to {result.as_of}"
            f"{_padded(wanted, scored) or _nearest(wanted, scored)}"
        )
    position = int(positions[0])
    row = result.rows(np.array([position]))
    recent_start = result.cut.as_of - recent_days
    timeline = _timeline(result, code, recent_start - baseline_days, recent_start)
    complaints = _rows_of(result, "complaints", code)
    still_open = 0 if complaints is None else int(complaints["closed_date"].isna().sum())
    occasions = contact_plan(row, YEAR, lost_after_days, today)
    upcoming = min(occasions, key=lambda o: o.due) if occasions else None
    lost = result.phases() == Phase.LOST
    same_list = lost == lost[position]
    listed = int(same_list[:position].sum()) + 1
    return Profile(
        row,
        position + 1,
        result.count,
        listed,
        int(same_list.sum()),
        bool(lost[position]),
        timeline,
        still_open,
        upcoming,
    )


def _meant(wanted: str, ids: pd.Index) -> str | None:
    """The one id ``wanted`` can only mean: written in other case (``c0143`` for C0143), or
    as the lists show an id with control characters (``C0070\\x1b[2J``, copied from the
    table, for the id holding an escape byte)."""
    for same in (
        lambda i: i.casefold() == wanted.casefold(),
        lambda i: not i.isprintable() and inline(i) == wanted,
    ):
        found = [str(i) for i in ids if same(str(i))]
        if len(found) == 1:
            return found[0]
    return None


def _padded(wanted: str, scored: pd.Index) -> str:
    """The customers with orders whose id is ``wanted`` but for leading zeros (``1`` and
    ``00001``: exports that write the number in two ways)."""
    if not wanted.isdigit():
        return ""
    numbers = digits_only(pa.array(scored.to_numpy(dtype=object), pa.string()))
    same = numbers.filter(pc.equal(without_leading_zeros(numbers), wanted.lstrip("0")))
    if not len(same):
        return ""
    return f"; {', '.join(same.to_pylist()[:3])} has orders (the same number, other leading zeros)"


def _nearest(wanted: str, ids: pd.Index) -> str:
    similar = [i for i in ids if abs(len(str(i)) - len(wanted)) <= 2][:MAX_CANDIDATES]
    near = []
    for _ in range(3):
        match = closest(wanted, [i for i in similar if i not in near], cutoff=0.5)
        if match is None:
            break
        near.append(match)
    return f"; nearest: {', '.join(near)}" if near else ""


def _rows_of(result: ScanResult, source: str, code: int) -> pd.DataFrame | None:
    if not result.cut.has(source):
        return None
    frame = result.cut.frame(source)
    return frame[frame["customer"].to_numpy() == code]


def _timeline(result: ScanResult, code: int, start_day: int, recent_start: int) -> Timeline:
    as_of = result.cut.as_of
    first = _month(start_day + 1)
    months = np.arange(first, _month(as_of) + 1)
    orders = _rows_of(result, "orders", code)
    assert orders is not None
    real = is_order(orders["amount"].to_numpy())
    order_days = orders["order_date"].to_numpy()
    payments = _rows_of(result, "payments", code)
    complaints = _rows_of(result, "complaints", code)
    contacts = _rows_of(result, "contacts", code)
    return Timeline(
        months=[str(np.datetime64(int(m), "M")) for m in months],
        recent_from=str(np.datetime64(_month(recent_start + 1), "M")),
        customer_from=str(np.datetime64(_month(order_days.min()), "M")),
        orders=_count(months, order_days[real]),
        revenue=_sum(months, order_days, orders["amount"].to_numpy()),
        days_late=_late(months, payments),
        complaints=[] if complaints is None else _count(months, complaints["opened_date"]),
        contact_attempts=[] if contacts is None else _count(months, contacts["contact_date"]),
        not_reached=[] if contacts is None else _missed(months, contacts),
    )


def _month(day: float) -> int:
    return int(np.datetime64(int(day), "D").astype("datetime64[M]").astype(np.int64))


def _months_of(days: np.ndarray) -> np.ndarray:
    return (
        np.asarray(days, dtype="int64")
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype(np.int64)
    )


def _count(months: np.ndarray, days: pd.Series | np.ndarray) -> list[int]:
    values = np.asarray(days, dtype=np.float64)
    values = values[~np.isnan(values)]
    found = _months_of(values) - months[0]
    found = found[(found >= 0) & (found < len(months))]
    return np.bincount(found, minlength=len(months)).tolist()


def _sum(months: np.ndarray, days: np.ndarray, amounts: np.ndarray) -> list[float]:
    found = _months_of(days) - months[0]
    inside = (found >= 0) & (found < len(months))
    totals = sums_by(found, amounts, len(months), inside)
    return [round(float(v), 2) for v in totals]


def _late(months: np.ndarray, payments: pd.DataFrame | None) -> list[float | None]:
    if payments is None:
        return []
    _, due, paid = invoices(payments)  # an invoice paid in parts: when its last part was
    settled = ~np.isnan(paid)
    due, paid = due[settled].astype(np.float64), paid[settled]
    found = _months_of(due) - months[0]
    inside = (found >= 0) & (found < len(months))
    delay = (paid - due)[inside]
    counts = np.bincount(found[inside], minlength=len(months))
    sums = np.bincount(found[inside], weights=delay, minlength=len(months))
    return [round(float(s / c), 1) if c else None for s, c in zip(sums, counts, strict=True)]


def _missed(months: np.ndarray, contacts: pd.DataFrame) -> list[int]:
    missed = contacts["outcome"].cat.codes.to_numpy() == 1  # not_reached
    return _count(months, contacts["contact_date"].to_numpy()[missed])
