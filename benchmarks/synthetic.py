"""Generate large synthetic exports for the benchmarks (seeded, vectorised, a few seconds).

Written with pyarrow's CSV writer straight from numpy arrays; the data is realistic enough
to exercise every code path (ISO dates, credit notes, open invoices, open complaints). The
columns are those of the shared kit's ``gen.py``, so its DuckDB query reads these files too;
unlike ``gen.py`` (50 orders per customer) the number of customers is free, which
``headline.py --orders-per-customer`` uses to measure a shop of many one-off buyers.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

DAY0 = np.datetime64("2022-01-01", "D")
SPAN_DAYS = 4 * 365


def _ids(codes: np.ndarray) -> pa.Array:
    """Customer ids like ``K0001234`` built without a Python loop."""
    digits = pa.array(codes).cast(pa.string())
    import pyarrow.compute as pc

    return pc.binary_join_element_wise("K", pc.utf8_lpad(digits, 7, "0"), "")


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array((DAY0 + days.astype("timedelta64[D]")).astype("datetime64[D]"), pa.date32())


def write_orders(path: Path, rows: int, customers: int, rng: np.random.Generator) -> None:
    customer = rng.integers(0, customers, rows)
    days = rng.integers(0, SPAN_DAYS, rows)
    amount = np.round(rng.lognormal(6.0, 1.0, rows) * np.where(rng.random(rows) < 0.01, -1, 1), 2)
    channel = np.where(rng.random(rows) < 0.3, "outbound", "inbound")
    table = pa.table(
        {
            "order_id": pa.array(np.arange(rows) + 10_000_000).cast(pa.string()),
            "customer_id": _ids(customer),
            "order_date": _dates(days),
            "amount": amount,
            "channel": pa.array(channel),
        }
    )
    pacsv.write_csv(table, path)


def write_payments(path: Path, rows: int, customers: int, rng: np.random.Generator) -> None:
    customer = rng.integers(0, customers, rows)
    issued = rng.integers(0, SPAN_DAYS, rows)
    due = issued + 30
    delay = np.round(rng.gamma(2.0, 5.0, rows) - 5).astype(np.int64)
    paid = due + delay
    open_ = (paid > SPAN_DAYS) | (rng.random(rows) < 0.02)
    table = pa.table(
        {
            "invoice_id": pa.array(np.arange(rows) + 50_000_000).cast(pa.string()),
            "customer_id": _ids(customer),
            "invoice_date": _dates(issued),
            "due_date": _dates(due),
            "paid_date": pa.array(_dates(paid).to_numpy(zero_copy_only=False), mask=open_),
            "amount": np.round(rng.lognormal(6.0, 1.0, rows), 2),
        }
    )
    pacsv.write_csv(table, path)


def write_complaints(path: Path, rows: int, customers: int, rng: np.random.Generator) -> None:
    customer = rng.integers(0, customers, rows)
    opened = rng.integers(0, SPAN_DAYS, rows)
    closed = opened + rng.integers(0, 60, rows)
    open_ = closed > SPAN_DAYS
    severity = rng.choice(np.array(["low", "medium", "high"]), rows, p=[0.5, 0.35, 0.15])
    category = rng.choice(np.array(["delivery", "quality", "billing", "service"]), rows)
    table = pa.table(
        {
            "complaint_id": pa.array(np.arange(rows) + 90_000_000).cast(pa.string()),
            "customer_id": _ids(customer),
            "opened_date": _dates(opened),
            "closed_date": pa.array(_dates(closed).to_numpy(zero_copy_only=False), mask=open_),
            "severity": pa.array(severity),
            "category": pa.array(category),
        }
    )
    pacsv.write_csv(table, path)


def generate(folder: Path, orders: int, payments: int, complaints: int, customers: int) -> None:
    """Write orders/payments/complaints CSVs into ``folder`` unless they already exist."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for name, rows, writer in (
        ("orders.csv", orders, write_orders),
        ("payments.csv", payments, write_payments),
        ("complaints.csv", complaints, write_complaints),
    ):
        path = folder / name
        if rows and not path.exists():
            writer(path, rows, customers, rng)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--payments", type=int, default=8_000_000)
    parser.add_argument("--complaints", type=int, default=300_000)
    parser.add_argument("--customers", type=int, default=200_000)
    args = parser.parse_args()
    generate(args.folder, args.orders, args.payments, args.complaints, args.customers)
