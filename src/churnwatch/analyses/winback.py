"""Win-back: the lost customers, ranked by what winning each back is worth, with the last
known reasons before they left and an approach that fits them.

Most lost customers would come back if asked; the ones worth asking first brought much revenue
per active year, left recently, and left suddenly (a customer whose orders held up until they
stopped left over something that happened, which can be talked about). The reasons are read
from the year before each customer's last order, all customers at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnwatch.analyses.result import ScanResult
from churnwatch.core.domain import Phase, is_order
from churnwatch.core.words import plural
from churnwatch.features.aggregate import count, total
from churnwatch.features.payments import invoices
from churnwatch.timeframe import Cut

YEAR = 365
SUDDEN_BONUS = 1.25
"""A sudden loss is worth more: it has a cause that can be found and answered."""


@dataclass(frozen=True)
class Reason:
    key: str
    text: str


REASONS = {
    "complaints": "complaints before they left were left open or resolved slowly",
    "late": "they paid later than usual before they left",
    "shrinking": "their orders got smaller before they left",
    "rarer": "their orders came less often before they left",
    "unreachable": "they had become hard to reach",
    "asked": "they ordered mostly when sales asked",
}
APPROACHES = {
    "complaints": "show them what changed in complaint handling; ask what went wrong",
    "late": "ask about their situation and the conditions under which they would return",
    "shrinking": "find out where the volume went (price is rarely the true reason)",
    "rarer": "find out where the volume went (price is rarely the true reason)",
    "unreachable": "reach the buyer at a good moment, through another person if need be,"
    " and ask for a meeting",
    "asked": "ask under which conditions they would order again on their own",
}
DEFAULT_APPROACH = (
    "find out the true reason first (price is rarely it); call at a good moment to ask for a"
    " meeting; have a comeback offer ready"
)


@dataclass(frozen=True)
class WinBack:
    """The lost customers, worth first."""

    rows: ScanResult
    worth: np.ndarray
    value_per_year: np.ndarray
    sudden: np.ndarray
    reasons: list[list[str]]
    """Per row, the keys of :data:`REASONS` that held before the customer left."""
    matching: int
    returners: ScanResult
    """The companion list: customers back from a long lapse, most recent return first."""
    why_none: str = ""
    """Why no lost customer is listed, when none is."""

    def approach(self, row: int) -> str:
        found = [APPROACHES[key] for key in self.reasons[row]]
        unique = list(dict.fromkeys(found))
        return "; ".join([*unique, "have a comeback offer ready"]) if unique else DEFAULT_APPROACH


def win_back(
    result: ScanResult, lost_after_days: int, *, top: int | None = None, min_value: float = 0
) -> WinBack:
    """Every lost customer with a value per year of at least ``min_value``, worth first."""
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
        "" if chosen.size else _why_none(result, lost.size, lost_after_days, min_value),
    )


def _why_none(result: ScanResult, lost: int, lost_after_days: int, min_value: float) -> str:
    """``no customer is lost …, the longest silence is 81 days``, or the value asked for."""
    if lost:
        worth = f"{min_value:,.0f} or more per year (--min-value)"
        return f"{plural(lost, 'lost customer')}, none worth {worth}"
    silence = result.customers["days_since_last_order"].to_numpy(dtype=float)
    longest = f"; the longest silence is {int(silence.max()):,} days" if silence.size else ""
    return (
        f"no customer is lost (after {lost_after_days:,} days without an order, or sooner when"
        f" unlikely to order again){longest}"
    )


RETURNER_ACTION = "make the first orders go perfectly, and thank them for coming back"


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
    mean_before = _mean(total(o_codes, amounts, n, before), n_before)
    mean_earlier = _mean(total(o_codes, amounts, n, earlier), n_earlier)
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
    late = _mean(total(codes, np.nan_to_num(paid - due), n, near), count(codes, n, near))
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
