"""Small functions shared by the test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from churnwatch.api import open_exports
from churnwatch.ingest.load_summary import SourceSummary, summarise
from churnwatch.ingest.problems import Problem
from churnwatch.timeframe import Cut

FIXTURES = Path(__file__).resolve().parent / "fixtures"

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
