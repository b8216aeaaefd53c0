"""Win-back: the lost customers, ranked by what winning each back is worth, with the last
known reasons before they left and an approach that fits them.

Most lost customers would come back if asked; the ones worth asking first brought much revenue
per active year, left recently, and left suddenly (a customer whose orders held up until they
stopped left over something that happened, which can be talked about). The reasons are read
from the year before each customer's last order, all customers at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from churnwatch.analyses.result import ScanResult
from churnwatch.core.amounts import sums_by
from churnwatch.core.domain import Phase, is_order
from churnwatch.features.aggregate import count
from churnwatch.features.payments import invoices
from churnwatch.timeframe import Cut

YEAR = 365
SUDDEN_BONUS = 1.25
"""A sudden loss is worth more: it has a cause that can be found and answered."""


@dataclass(frozen=True)
class WinBack:
    """The lost customers, worth first."""

    rows: ScanResult
    worth: np.ndarray
    value_per_year: np.ndarray
    sudden: np.ndarray
    reasons: list[list[str]]
    """Per row, the reasons (keys: rarer, shrinking, complaints, late, unreachable, asked)
    that held before the customer left; the words are the renderer's, per language."""
    matching: int
    returners: ScanResult
    """The companion list: customers back from a long lapse, most recent return first."""
    none_because: dict[str, float] = field(default_factory=dict)
    """When no lost customer is listed, why, in numbers: ``lost`` and ``min_value`` (none is
    worth the value asked for), ``lost_in_all`` (none is with the owners or segments chosen),
    or ``lost_after_days`` and ``longest`` (the longest silence: nobody is lost yet)."""


def win_back(
    result: ScanResult,
    lost_after_days: int,
    *,
    top: int | None = None,
    min_value: float = 0,
    lost_in_all: int | None = None,
) -> WinBack:
    """Every lost customer with a value per year of at least ``min_value``, worth first;
    ``lost_in_all``: the lost customers of the whole export, when ``result`` is narrowed to
    some owners or segments."""
    frame = result.customers
    lost = np.flatnonzero(result.phases() == Phase.LOST)
    codes = frame.index.to_numpy()[lost]
    n = len(result.cut.customer_ids)
    last = np.full(n, np.nan)
    last[codes] = frame["last_order_date"].to_numpy(dtype=float)[lost]
    first = frame["first_order_date"].to_numpy(dtype=float)[lost]
    active_days = np.maximum(last[codes] - first, YEAR)
    value = frame["lifetime_revenue"].to_numpy(dtype=float)[lost] / active_days * YEAR
    flags, sudden = _reasons_before_leaving(result, last, n)
    since = frame["days_since_last_order"].to_numpy(dtype=float)[lost]
    recency = 1 / (1 + np.maximum(since - lost_after_days, 0) / YEAR)
    worth = value * recency * np.where(sudden[codes], SUDDEN_BONUS, 1.0)
    keep = value >= min_value
    order = np.lexsort((frame["customer_id"].to_numpy()[lost][keep], -worth[keep]))
    chosen = np.flatnonzero(keep)[order]
    chosen_shown = chosen if top is None else chosen[:top]
    rows = result.rows(lost[chosen_shown])
    shown_codes = codes[chosen_shown]
    reasons = [[key for key, flag in flags.items() if flag[code]] for code in shown_codes.tolist()]
    return WinBack(
        rows,
        worth[chosen_shown],
        value[chosen_shown],
        sudden[shown_codes],
        reasons,
        len(chosen),
        _returners(result),
        {}
        if chosen.size
        else _none_because(result, lost.size, lost_after_days, min_value, lost_in_all or 0),
    )


def _none_because(
    result: ScanResult, lost: int, lost_after_days: int, min_value: float, lost_in_all: int
) -> dict[str, float]:
    """Why the list is empty: lost customers worth less than asked, none with the owners or
    segments chosen, or nobody lost yet."""
    if lost:
        return {"lost": lost, "min_value": min_value}
    if lost_in_all:
        return {"lost_in_all": lost_in_all}
    silence = result.customers["days_since_last_order"].to_numpy(dtype=float)
    return {"lost_after_days": lost_after_days, "longest": float(silence.max(initial=0))}


def _returners(result: ScanResult) -> ScanResult:
    since = result.customers["returner_since"].to_numpy(dtype=float)
    back = np.flatnonzero(~np.isnan(since))
    ids = result.customers["customer_id"].to_numpy()[back]
    return result.rows(back[np.lexsort((ids, -since[back]))])


def _reasons_before_leaving(
    result: ScanResult, last: np.ndarray, n: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per customer code, which reasons held in the year before the last order (False for
    customers who are not lost: their ``last`` is NaN)."""
    cut = result.cut
    orders = cut.frame("orders")
    o_codes = orders["customer"].to_numpy()
    o_days = orders["order_date"].to_numpy(dtype=float)
    real = is_order(orders["amount"].to_numpy())
    before = _within(o_days, last[o_codes], 0, YEAR) & real
    earlier = _within(o_days, last[o_codes], YEAR, 2 * YEAR) & real
    n_before, n_earlier = count(o_codes, n, before), count(o_codes, n, earlier)
    amounts = orders["amount"].to_numpy(dtype=float)
    mean_before = _mean(sums_by(o_codes, amounts, n, before), n_before)
    mean_earlier = _mean(sums_by(o_codes, amounts, n, earlier), n_earlier)
    flags = {
        "rarer": (n_earlier >= 3) & (n_before < 0.6 * n_earlier),
        "shrinking": (n_before >= 2) & (mean_before < 0.7 * mean_earlier),
        "complaints": _badly_handled(cut, last, n),
        "late": _paid_late(cut, last, n),
        "unreachable": _unreachable(cut, last, n),
        "asked": _asked(orders, before, o_codes, n),
    }
    sudden = (n_before >= 2) & ~flags["rarer"] & ~flags["shrinking"]
    return flags, sudden


def _within(days: np.ndarray, last: np.ndarray, start: int, end: int) -> np.ndarray:
    """Rows dated in ``(last - end, last - start]``; False where ``last`` is NaN."""
    with np.errstate(invalid="ignore"):
        return (days > last - end) & (days <= last - start)


def _mean(sums: np.ndarray, counts: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def _rows(cut_frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    return cut_frame["customer"].to_numpy(), cut_frame[column].to_numpy(dtype=float)


def _badly_handled(cut: Cut, last: np.ndarray, n: int) -> np.ndarray:
    if not cut.has("complaints"):
        return np.zeros(n, dtype=bool)
    frame = cut.frame("complaints")
    codes, opened = _rows(frame, "opened_date")
    closed = (
        frame["closed_date"].to_numpy(dtype=float)
        if "closed_date" in frame
        else np.full(len(frame), np.nan)
    )
    near = _within(opened, last[codes], -30, YEAR)
    bad = near & (np.isnan(closed) | (closed - opened >= 21))
    return count(codes, n, bad) > 0


def _paid_late(cut: Cut, last: np.ndarray, n: int) -> np.ndarray:
    if not cut.has("payments"):
        return np.zeros(n, dtype=bool)
    codes, due, paid = invoices(cut.frame("payments"))
    due = due.astype(float)
    near = _within(due, last[codes], 0, YEAR) & ~np.isnan(paid)
    late = _mean(sums_by(codes, np.nan_to_num(paid - due), n, near), count(codes, n, near))
    return np.nan_to_num(late, nan=0.0) >= 10


def _unreachable(cut: Cut, last: np.ndarray, n: int) -> np.ndarray:
    if not cut.has("contacts"):
        return np.zeros(n, dtype=bool)
    frame = cut.frame("contacts")
    codes, days = _rows(frame, "contact_date")
    near = _within(days, last[codes], -60, YEAR)
    missed = frame["outcome"].cat.codes.to_numpy() == 1  # not_reached
    attempts = count(codes, n, near)
    return (attempts >= 3) & (count(codes, n, near & missed) >= 0.5 * attempts)


def _asked(orders: pd.DataFrame, before: np.ndarray, codes: np.ndarray, n: int) -> np.ndarray:
    if "channel" not in orders:
        return np.zeros(n, dtype=bool)
    outbound = orders["channel"].cat.codes.to_numpy() == 1
    known = orders["channel"].cat.codes.to_numpy() >= 0
    orders_known = count(codes, n, before & known)
    return (orders_known >= 3) & (count(codes, n, before & outbound) >= 0.6 * orders_known)
