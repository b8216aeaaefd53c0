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
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from churnwatch.analyses.result import ScanResult
from churnwatch.core.days import days_to_iso
from churnwatch.core.domain import Phase, Severity

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
    facts: dict[str, float] = field(default_factory=dict)
    """What its reason says, in numbers (the words are the renderer's, in each language):
    ``gap`` (days) and ``expected`` (a day number) for a reorder; ``count`` and ``oldest``
    (days) for open complaints and invoices past due."""
    since: str = ""
    """The day the occasion arose (a reorder's expected day, the oldest open complaint's or
    unpaid invoice's): what it is known by from one plan to the next, while ``due`` moves on
    to each plan's day as long as it is overdue."""


def contact_plan(
    result: ScanResult, days: int, lost_after_days: int, today: int | None = None
) -> list[Occasion]:
    """Every occasion due from ``today`` (default: the reference date) up to ``days`` ahead
    (overdue ones are due today), by owner, date and customer, each with the facts its
    reason states (the words are the renderer's, in the language asked for)."""
    frame = result.customers
    as_of = max(result.cut.as_of, today or result.cut.as_of)  # a calendar never looks back
    end = as_of + days
    lost = result.phases() == Phase.LOST
    at_risk = ~lost & (frame["severity"].to_numpy() >= Severity.LOW)
    due_now = np.full(len(frame), float(as_of))
    last = _column(frame, "last_order_date")
    check_in = _next_check_in(last + lost_after_days, as_of)
    oldest_complaint = as_of - _column(frame, "oldest_open_complaint_days")
    oldest_invoice = as_of - _column(frame, "max_days_overdue")
    candidates: dict[str, _Candidates] = {
        "reorder": (
            at_risk,
            last + _column(frame, "typical_gap_days"),
            None,
            _facts(frame, gap="typical_gap_days", last="last_order_date"),
        ),
        "complaint": (
            _column(frame, "oldest_open_complaint_days") >= COMPLAINT_DAYS,
            due_now,
            oldest_complaint,
            _facts(frame, count="open_complaints", oldest="oldest_open_complaint_days"),
        ),
        "invoice": (
            _column(frame, "open_overdue_invoices") >= 1,
            due_now,
            oldest_invoice,
            _facts(frame, count="open_overdue_invoices", oldest="max_days_overdue"),
        ),
        "check-in": (lost, check_in, None, _facts(frame)),
        "returner": (
            _column(frame, "returner_since") >= as_of - RETURNER_WEEKS * 7,
            _column(frame, "returner_since") + RETURNER_FOLLOW_UP,
            None,
            _facts(frame),
        ),
    }
    occasions = []
    for kind, (wanted, due, arose, facts) in candidates.items():
        since = due if arose is None else np.where(np.isnan(arose), due, arose)
        with np.errstate(invalid="ignore"):
            rows = np.flatnonzero(wanted & (due <= end))  # NaN dates are never due
        occasions += [
            Occasion(
                days_to_iso(int(max(due[row], as_of))),
                kind,
                str(frame["customer_id"].iloc[row]),
                _text(frame, "name", row),
                _text(frame, "owner", row),
                facts(row),
                days_to_iso(int(since[row])),
            )
            for row in rows.tolist()
        ]
    return sorted(occasions, key=lambda o: (o.owner or "", o.due, o.customer_id, o.kind))


_Candidates = tuple[np.ndarray, np.ndarray, np.ndarray | None, Callable[[int], dict[str, float]]]
"""Per kind: who has the occasion, when it is due, when it arose (None: when it was due),
and each one's facts."""


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.nan)
    return frame[name].to_numpy(dtype=float)


def _next_check_in(lost_since: np.ndarray, as_of: int) -> np.ndarray:
    """The first check-in day on or after ``as_of``: every CHECK_IN_DAYS from ``lost_since``."""
    periods = np.ceil(np.maximum(as_of - lost_since, 0) / CHECK_IN_DAYS)
    return lost_since + periods * CHECK_IN_DAYS


def _facts(frame: pd.DataFrame, **columns: str) -> Callable[[int], dict[str, float]]:
    """A row's facts: ``name=column`` for each; ``last`` gives ``expected``, the last order
    plus the usual gap."""
    values = {name: _column(frame, column) for name, column in columns.items()}

    def facts(row: int) -> dict[str, float]:
        found = {name: float(column[row]) for name, column in values.items()}
        if "last" in found:
            found["expected"] = found.pop("last") + found["gap"]
        return found

    return facts


def _text(frame: pd.DataFrame, column: str, row: int) -> str | None:
    if column not in frame:
        return None
    value = frame[column].iloc[row]
    return None if pd.isna(value) else str(value)
