"""Payment features: how late invoices are paid, against the customer's usual delay."""

from __future__ import annotations

import numpy as np
import pandas as pd

from churnwatch.core.amounts import sums_by
from churnwatch.features.aggregate import count, first_last, ratio, sorted_pairs
from churnwatch.features.registry import Features, Inputs, provides
from churnwatch.ingest.invoice_parts import INVOICE
from churnwatch.timeframe import Window


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
    payments, window = without_credit_notes(inputs.cut.frame("payments")), inputs.window
    n = window.customers
    codes, due, paid = _invoices(payments)
    invoices_recent, late_recent = _lateness(codes, due, paid, window.recent(due), window)
    _, late_baseline = _lateness(codes, due, paid, window.baseline(due), window)
    overdue = np.isnan(paid) & (due < window.as_of)
    overdue_codes, overdue_days = sorted_pairs(codes[overdue], window.as_of - due[overdue])
    _, oldest = first_last(overdue_codes, overdue_days, n)
    return {
        "invoices_recent": invoices_recent,
        "days_late_recent": late_recent,
        "days_late_baseline": late_baseline,
        "days_late_change": late_recent - late_baseline,
        "open_overdue_invoices": count(codes, n, overdue),
        "open_overdue_amount": _open_overdue_amount(payments, window),
        "max_days_overdue": oldest,
    }


def without_credit_notes(payments: pd.DataFrame) -> pd.DataFrame:
    """The rows that are debts: a credit note (a negative amount) is owed to the customer,
    so it is never "paid" and its being open says nothing about their paying (it is offset
    against a later invoice instead)."""
    credit = payments["amount"].to_numpy() < 0
    return payments[~credit] if credit.any() else payments


def invoices(payments: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each invoice once: its customer code, due day and paid day (NaN: some part still
    open), credit notes left out. Rows are invoices unless the load found invoices in
    parts (:mod:`churnwatch.ingest.invoice_parts`)."""
    return _invoices(without_credit_notes(payments))


def _invoices(payments: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`invoices` of rows without credit notes."""
    codes = payments["customer"].to_numpy()
    due = payments["due_date"].to_numpy()
    paid = payments["paid_date"].to_numpy(dtype=float)
    if INVOICE not in payments:
        return codes, due, paid
    group = payments[INVOICE].to_numpy()
    if group.size and int(group.max()) >= 2 * group.size:  # a part of the export: renumber
        group = np.unique(group, return_inverse=True)[1]
    size = int(group.max()) + 1 if group.size else 0
    row = np.full(size, -1, dtype=np.int64)
    row[group] = np.arange(group.size)  # any of its rows: they share customer and due day
    present = row >= 0
    still_open = np.bincount(group, weights=np.isnan(paid), minlength=size)[present] > 0
    last = np.full(size, -np.inf)
    np.maximum.at(last, group, np.nan_to_num(paid, nan=-np.inf))
    row = row[present]
    return codes[row], due[row], np.where(still_open, np.nan, last[present])


def _open_overdue_amount(payments: pd.DataFrame, window: Window) -> np.ndarray:
    """The unpaid amounts past due, per customer: the rows still open (an invoice paid in
    part is open for its unpaid parts only)."""
    codes = payments["customer"].to_numpy()
    paid = payments["paid_date"].to_numpy(dtype=float)
    overdue = np.isnan(paid) & (payments["due_date"].to_numpy() < window.as_of)
    return sums_by(codes, payments["amount"].to_numpy(), window.customers, overdue)


def _lateness(
    codes: np.ndarray, due: np.ndarray, paid: np.ndarray, where: np.ndarray, window: Window
) -> tuple[np.ndarray, np.ndarray]:
    """Invoices due in a window, and their mean days late, per customer (the window's rows
    are taken out once). An open invoice past due is as late as the reference date says,
    and growing."""
    codes, due, paid = codes[where], due[where], paid[where]
    late = np.where(np.isnan(paid), window.as_of - due, paid - due)
    invoices = count(codes, window.customers)
    return invoices, ratio(sums_by(codes, late, window.customers), invoices)
