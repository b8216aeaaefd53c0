"""Small functions shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from churnwatch.api import open_exports
from churnwatch.ingest.load_summary import SourceSummary, summarise
from churnwatch.ingest.problems import Problem
from churnwatch.timeframe import Cut

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SPELLINGS = ("{id}", " {id} ", '"{id}"', "{id}.0", "{id}\u00a0")
"""Ways one customer number is written in real exports: the loader reads all as one id."""

ORDERS = "customer_id,order_date,amount\nC1,2025-01-02,10.5\nC2,2025-01-03,20\n"
"""Two clean orders, for tests about another source or about the file's bytes."""


def load(folder: Path, as_of: dt.date | None = None) -> Cut:
    """Load a folder and cut it the way the CLI does (its churnwatch.toml, if any, included)."""
    return open_exports(folder).cut(as_of)


def problem(dataset: Cut, code: str, source: str = "orders") -> Problem:
    """The one problem with ``code`` for ``source``."""
    found = [p for p in dataset.problems if p.code == code and p.source == source]
    assert len(found) == 1, f"expected one {code!r} problem for {source}, got {dataset.problems}"
    return found[0]


def codes(dataset: Cut) -> list[tuple[str, str]]:
    """``(source, code)`` of every problem, in the order they were recorded."""
    return [(p.source, p.code) for p in dataset.problems]


def summary(dataset: Cut, source: str = "orders") -> SourceSummary:
    return next(s for s in summarise(dataset.dataset) if s.source == source)


def ids(dataset: Cut, source: str = "orders") -> list[str]:
    """The customer id of each loaded row of ``source``, in file order."""
    frame = dataset.frame(source)
    return [dataset.customer_ids[code] for code in frame["customer"]]


def day(iso: str) -> int:
    """Day number (days since 1970-01-01) of an ISO date."""
    return (dt.date.fromisoformat(iso) - dt.date(1970, 1, 1)).days


def flat(text: str) -> str:
    """Text with every run of whitespace (including Rich's line wrapping) made one space."""
    return " ".join(text.split())


def flawed_export(folder: Path, rows: int, seed: int) -> None:
    """Orders and payments with the flaws the loader reports: dates and amounts it cannot
    read, rows repeated, short rows, invoices of customers without orders."""
    rng = random.Random(seed)
    orders = ["customer_id;order_date;amount;order_id"]
    for number in range(rows):
        day = f"{rng.randrange(1, 28):02d}.{rng.randrange(1, 12):02d}.2024"
        day = "31.02.2024" if rng.random() < 0.02 else day
        amount = "zwölf" if rng.random() < 0.02 else f"{rng.randrange(1, 999)},50"
        line = f"{rng.choice(SPELLINGS).format(id=rng.randrange(1, 80))};{day};{amount};A{number}"
        orders += [line, line] if rng.random() < 0.03 else [line]
        if rng.random() < 0.01:
            orders.append("kaputt")
    payments = ["customer_id;invoice_id;invoice_date;due_date;paid_date;amount"]
    for number in range(rows // 2):
        customer = rng.randrange(1, 95)  # some never ordered
        payments.append(f"{customer};R{number};02.03.2024;16.03.2024;20.03.2024;10,00")
    (folder / "orders.csv").write_text("\n".join(orders) + "\n", encoding="utf-8")
    (folder / "payments.csv").write_text("\n".join(payments) + "\n", encoding="utf-8")
