"""Payment features: how late invoices are paid, against the customer's usual delay."""

from __future__ import annotations

import numpy as np

from churnwatch.features.aggregate import count, first_last, mean, sorted_pairs, total
from churnwatch.features.registry import Features, Inputs, provides


@provides(
    "payments",
    invoices_recent=("invoices", "invoices due in the recent window"),
    days_late_recent=(
        "days",
        "mean days late of invoices due in the recent window (open ones: until the reference date)",
    ),
    days_late_baseline=("days", "mean days late of invoices due in the baseline window"),
    days_late_change=("days", "mean days late recent − baseline"),
    open_overdue_invoices=("invoices", "open invoices past their due date"),
    open_overdue_amount=("amount", "amount of open invoices past their due date"),
    max_days_overdue=("days", "days the oldest open invoice is past due"),
)
def payment_delays(inputs: Inputs) -> Features:
    payments, window = inputs.cut.frame("payments"), inputs.window
    codes = payments["customer"].to_numpy()
    due = payments["due_date"].to_numpy()
    paid = payments["paid_date"].to_numpy()
    amount = payments["amount"].to_numpy()
    n = window.customers
    still_open = np.isnan(paid)
    # An open invoice past due is as late as the reference date says, and growing.
    late = np.where(still_open, window.as_of - due, paid - due)
    recent, baseline = window.recent(due), window.baseline(due)
    late_recent, late_baseline = mean(codes, late, n, recent), mean(codes, late, n, baseline)
    overdue = still_open & (due < window.as_of)
    overdue_codes, overdue_days = sorted_pairs(codes[overdue], window.as_of - due[overdue])
    _, oldest = first_last(overdue_codes, overdue_days, n)
    return {
        "invoices_recent": count(codes, n, recent),
        "days_late_recent": late_recent,
        "days_late_baseline": late_baseline,
        "days_late_change": late_recent - late_baseline,
        "open_overdue_invoices": count(codes, n, overdue),
        "open_overdue_amount": total(codes, amount, n, overdue),
        "max_days_overdue": oldest,
    }
