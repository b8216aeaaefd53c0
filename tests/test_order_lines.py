"""Exports of order lines: the lines of one order count as one order, their amounts summed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from churnwatch.ingest.problems import Level
from helpers import load, problem
from scan_helpers import day, features_by_id, fired_for, scan, write_exports

AS_OF = dt.date(2025, 6, 30)
LINES = """order_id,customer_id,order_date,amount,product
A-1,K1,2025-01-10,100,widget
A-1,K1,2025-01-10,50,bolt
A-1,K1,2025-01-10,-10,discount
A-2,K2,2025-01-11,70,widget
A-5,K2,2025-02-01,500,widget
A-5,K2,2025-02-01,-500,cancelled
A-3,K1,2025-03-10,120,widget
A-3,K1,2025-03-10,30,bolt
,K2,2025-03-11,5,sample A
,K2,2025-03-11,5,sample B
A-3,K1,2025-04-01,-30,return
A-1,K1,2025-01-10,5,late line
A-4,K1,2025-05-02,80,widget
"""


@pytest.fixture
def lines(tmp_path: Path) -> Path:
    return write_exports(tmp_path / "exports", orders=LINES)


def test_the_lines_of_an_order_count_once_with_their_amounts_summed(lines: Path) -> None:
    features = features_by_id(lines, AS_OF)
    # K1: A-1 (100 + 50 - 10 + 5, its last line listed apart), A-3, A-4; the return of
    # 2025-04-01 under A-3's number is a credit note of its own.
    assert features.loc["K1", "order_count"] == 3
    assert features.loc["K1", "lifetime_revenue"] == pytest.approx(145 + 150 - 30 + 80)
    assert features.loc["K1", "avg_order_value"] == pytest.approx((145 + 150 + 80) / 3)
    # K2: rows without an order number are orders of their own; A-5, cancelled line by line
    # on its day, is no order.
    assert features.loc["K2", "order_count"] == 3
    assert features.loc["K2", "lifetime_revenue"] == pytest.approx(80)


def test_combined_lines_are_a_note_naming_them_and_what_was_left(lines: Path) -> None:
    note = problem(load(lines, AS_OF), "order_lines")
    assert note.level is Level.NOTE and not note.skipped
    assert (note.column, note.count, note.lines) == ("order_id", 5, (3, 4, 7, 9, 13))
    assert note.describe() == (
        "orders.csv: column 'order_id': 5 rows are further lines of 3 orders (the same order"
        " number, customer and day): each order counts once, with its lines' amounts summed;"
        " 1 order whose lines cancel out (summing to 0) left out; 2 rows without an order"
        " number counted as orders of their own; 1 order number with lines on several days:"
        " each day counted on its own (an order, or a credit note) (lines 3, 4, 7, 9, 13)"
    )


def test_an_order_split_into_more_lines_is_not_a_shrinking_order(tmp_path: Path) -> None:
    """The same 100 every ten days, one line each for a year, then three lines each: counted
    as lines, the orders looked 67 % smaller."""
    rows = ["order_id,customer_id,order_date,amount"]
    for k in range(36):
        day = dt.date(2024, 7, 1) + dt.timedelta(days=10 * k)
        parts = (50, 30, 20) if day > AS_OF - dt.timedelta(days=90) else (100,)
        rows += [f"O{k},STEADY,{day},{part}" for part in parts]
    folder = write_exports(tmp_path / "exports", orders="\n".join(rows) + "\n")
    features = features_by_id(folder, AS_OF)
    assert features.loc["STEADY", "order_count"] == 36
    assert features.loc["STEADY", "order_value_change"] == pytest.approx(0.0)
    assert "STEADY" not in fired_for(scan(folder, AS_OF), "shrinking-orders")


def test_an_export_of_orders_is_left_as_it_is(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="order_id,customer_id,order_date,amount\n1,K1,2025-01-10,10\n2,K1,2025-01-10,10\n",
    )
    dataset = load(folder, AS_OF)
    assert "order_lines" not in {p.code for p in dataset.problems}
    assert features_by_id(folder, AS_OF).loc["K1", "order_count"] == 2


def test_an_order_cancelled_line_by_line_in_cents_is_no_order(tmp_path: Path) -> None:
    """19.99 + 5.01 − 19.99 − 5.01 is 1.8e-15 in floating point, not 0: the cancelled order
    was kept as an order worth nothing, and the customer looked active."""
    folder = write_exports(
        tmp_path / "exports",
        orders="order_id,customer_id,order_date,amount,product\n"
        "A,K1,2025-01-10,40,p\nB,K1,2025-03-10,40,p\n"
        "C,K1,2025-05-10,19.99,p\nC,K1,2025-05-10,5.01,q\n"
        "C,K1,2025-05-10,-19.99,p\nC,K1,2025-05-10,-5.01,q\n",
    )
    features = features_by_id(folder, AS_OF)
    assert features.loc["K1", "order_count"] == 2
    assert features.loc["K1", "last_order_date"] == day("2025-03-10")
    note = problem(load(folder, AS_OF), "order_lines")
    assert note.describe().startswith(
        "orders.csv: column 'order_id': 3 rows are further lines of 1 order (the same order"
        " number, customer and day): each order counts once, with its lines' amounts summed;"
        " 1 order whose lines cancel out (summing to 0) left out"
    )


def test_lines_listed_apart_are_found_too(tmp_path: Path) -> None:
    """An export of lines where no order's lines are neighbours (sorted by product, say):
    each line had been counted as an order of its own, without a word."""
    folder = write_exports(
        tmp_path / "exports",
        orders="order_id,customer_id,order_date,amount,product\n"
        "A-1,K1,2025-01-10,100,widget\nB-1,K2,2025-01-10,70,widget\n"
        "A-2,K1,2025-02-10,80,widget\nA-1,K1,2025-01-10,50,bolt\n"
        "B-1,K2,2025-01-10,30,bolt\nA-1,K1,2025-01-10,-10,discount\n",
    )
    features = features_by_id(folder, AS_OF)
    assert features.loc["K1", "order_count"] == 2
    assert features.loc["K1", "avg_order_value"] == pytest.approx((140 + 80) / 2)
    assert features.loc["K2", "order_count"] == 1
    assert problem(load(folder, AS_OF), "order_lines").count == 3


@pytest.mark.parametrize("numbers", ["text", "whole numbers"])
def test_an_export_of_orders_in_any_order_is_left_as_it_is(tmp_path: Path, numbers: str) -> None:
    prefix = "A-" if numbers == "text" else ""
    rows = [f"{prefix}{n},K{n % 3},2025-0{1 + n % 5}-1{n % 9},{n}" for n in (7, 3, 9, 1, 5, 2)]
    folder = write_exports(
        tmp_path / "exports", orders="order_id,customer_id,order_date,amount\n" + "\n".join(rows)
    )
    assert "order_lines" not in {p.code for p in load(folder, AS_OF).problems}
    assert features_by_id(folder, AS_OF)["order_count"].sum() == 6
