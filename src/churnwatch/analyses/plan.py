"""The contact plan: for each customer who needs it, the next occasion to get in touch, with a
concrete reason and a due date.

Occasions, all computed on whole columns:

- **reorder**: a customer at risk whose usual reorder date (last order + usual gap) falls in
  the coming days, or has passed;
- **complaint**: a complaint open for two weeks or more;
- **invoice**: an invoice past due;
- **check-in**: a lost customer's regular check-in, every ``CHECK_IN_DAYS`` after they
  counted as lost (most lost customers would come back if asked);
- **returner**: a returner's first orders, to make them go perfectly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from churnwatch.analyses.result import ScanResult
from churnwatch.core.days import days_to_iso
from churnwatch.core.domain import Phase, Severity
from churnwatch.core.words import plural

CHECK_IN_DAYS = 90
COMPLAINT_DAYS = 14
RETURNER_FOLLOW_UP = 7
RETURNER_WEEKS = 9
"""A returner's first orders: the occasion stays in the plan this many weeks after the return."""


@dataclass(frozen=True)
class Occasion:
    due: str
    kind: str
    customer_id: str
    name: str | None
    owner: str | None
    reason: str


def contact_plan(
    result: ScanResult, days: int, lost_after_days: int, today: int | None = None
) -> list[Occasion]:
    """Every occasion due from ``today`` (default: the reference date) up to ``days`` ahead
    (overdue ones are due today), by owner, date and customer. Texts are built only for the
    occasions that are due."""
    frame = result.customers
    as_of = max(result.cut.as_of, today or result.cut.as_of)  # a calendar never looks back
    end = as_of + days
    lost = result.phases() == Phase.LOST
    at_risk = ~lost & (frame["severity"].to_numpy() >= Severity.LOW)
    due_now = np.full(len(frame), float(as_of))
    last = _column(frame, "last_order_date")
    check_in = _next_check_in(last + lost_after_days, as_of)
    candidates: dict[str, tuple[np.ndarray, np.ndarray, Callable[[int], str]]] = {
        "reorder": (at_risk, last + _column(frame, "typical_gap_days"), _reorder(frame)),
        "complaint": (
            _column(frame, "oldest_open_complaint_days") >= COMPLAINT_DAYS,
            due_now,
            _complaint(frame),
        ),
        "invoice": (_column(frame, "open_overdue_invoices") >= 1, due_now, _invoice(frame)),
        "check-in": (lost, check_in, lambda _: CHECK_IN),
        "returner": (
            _column(frame, "returner_since") >= as_of - RETURNER_WEEKS * 7,
            _column(frame, "returner_since") + RETURNER_FOLLOW_UP,
            lambda _: RETURNER,
        ),
    }
    occasions = []
    for kind, (wanted, due, reason) in candidates.items():
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(wanted & (due <= end))  # NaN dates are never due
        occasions += [
            Occasion(
                days_to_iso(int(max(due[row], as_of))),
                kind,
                str(frame["customer_id"].iloc[row]),
                _text(frame, "name", row),
                _text(frame, "owner", row),
                reason(row),
            )
            for row in rows.tolist()
        ]
    return sorted(occasions, key=lambda o: (o.owner or "", o.due, o.customer_id, o.kind))


CHECK_IN = "lost: the regular check-in; ask how they are and what it would take to come back"
RETURNER = "back after a long lapse: make the first orders go perfectly, and thank them"


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype=float)


def _next_check_in(lost_since: np.ndarray, as_of: int) -> np.ndarray:
    """The first check-in day on or after ``as_of``: every CHECK_IN_DAYS from ``lost_since``."""
    periods = np.ceil(np.maximum(as_of - lost_since, 0) / CHECK_IN_DAYS)
    return lost_since + periods * CHECK_IN_DAYS


def _reorder(frame: pd.DataFrame) -> Callable[[int], str]:
    gaps, last = _column(frame, "typical_gap_days"), _column(frame, "last_order_date")
    return lambda row: (
        f"usually orders every {plural(round(gaps[row]), 'day')}; the next order is expected"
        f" about {days_to_iso(int(last[row] + gaps[row]))}: ask about it"
    )


def _complaint(frame: pd.DataFrame) -> Callable[[int], str]:
    return _open_items(
        frame,
        ("open_complaints", "oldest_open_complaint_days"),
        noun="complaint",
        state="open",
        since="for",
        advice="call, and close them",
    )


def _invoice(frame: pd.DataFrame) -> Callable[[int], str]:
    return _open_items(
        frame,
        ("open_overdue_invoices", "max_days_overdue"),
        noun="invoice",
        state="past due",
        since="by",
        advice="ask kindly, and whether anything is wrong",
    )


def _open_items(
    frame: pd.DataFrame, columns: tuple[str, str], *, noun: str, state: str, since: str, advice: str
) -> Callable[[int], str]:
    """'2 complaints open, the oldest for 63 days: …' from a count and an age column."""
    count, oldest = (_column(frame, name) for name in columns)
    return lambda row: (
        f"{plural(int(count[row]), noun)} {state}"
        f"{', the oldest' if count[row] > 1 else ''} {since}"
        f" {plural(round(oldest[row]), 'day')}: {advice}"
    )


def _text(frame: pd.DataFrame, column: str, row: int) -> str | None:
    if column not in frame:
        return None
    value = frame[column].iloc[row]
    return None if pd.isna(value) else str(value)
