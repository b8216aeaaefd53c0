"""Invoices in several rows (lines, part payments): each invoice counts once."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from churnwatch.ingest.problems import Level
from helpers import load, problem
from scan_helpers import features_by_id, invoke, write_exports

AS_OF = dt.date(2025, 6, 30)
ORDERS = "order_id,customer_id,order_date,amount\n1,K1,2025-04-10,500\n2,K2,2025-04-11,90\n"
PARTS = """invoice_id,customer_id,invoice_date,due_date,paid_date,amount
R-1,K1,2025-04-01,2025-05-01,2025-05-05,200
R-1,K1,2025-04-01,2025-05-01,2025-05-31,300
R-2,K1,2025-05-02,2025-06-01,2025-06-02,100
R-2,K1,2025-05-02,2025-06-01,,150
R-3,K2,2025-04-15,2025-05-15,2025-05-20,90
"""


@pytest.fixture
def parts(tmp_path: Path) -> Path:
    return write_exports(tmp_path / "exports", orders=ORDERS, payments=PARTS)


def test_an_invoice_paid_in_parts_is_one_invoice_paid_with_its_last_part(parts: Path) -> None:
    k1 = features_by_id(parts, AS_OF).loc["K1"]
    # Counted as rows: four invoices, 16 days late on average (4, 30, 1 and 29 open).
    assert k1["invoices_recent"] == 2
    assert k1["days_late_recent"] == pytest.approx((30 + 29) / 2)  # R-2 open: 29 days so far
    assert k1["open_overdue_invoices"] == 1
    assert k1["open_overdue_amount"] == pytest.approx(150)  # what is still unpaid of R-2
    assert k1["max_days_overdue"] == 29


def test_at_an_earlier_date_an_invoice_is_open_until_its_last_part(parts: Path) -> None:
    k1 = features_by_id(parts, dt.date(2025, 5, 20)).loc["K1"]
    # R-1's second part came on 2025-05-31: on 2025-05-20 only 200 of it were paid.
    assert k1["open_overdue_invoices"] == 1
    assert k1["open_overdue_amount"] == pytest.approx(300)
    assert k1["max_days_overdue"] == 19


def test_the_explain_timeline_has_an_invoice_late_by_its_last_part(parts: Path) -> None:
    result = invoke("explain", parts, "K1", "--as-of", "2025-06-30", "--format", "json")
    timeline = json.loads(result.stdout)["timeline"]
    late = dict(zip(timeline["months"], timeline["days_late"], strict=True))
    assert (late["2025-05"], late["2025-06"]) == (30.0, None)  # R-2 is not paid in full


def test_invoice_parts_are_a_note_naming_them(parts: Path) -> None:
    note = problem(load(parts, AS_OF), "invoice_parts", "payments")
    assert note.level is Level.NOTE and not note.skipped
    assert (note.column, note.count, note.lines) == ("invoice_id", 2, (3, 5))
    assert note.describe() == (
        "payments.csv: column 'invoice_id': 2 rows are further parts (a line or a part"
        " payment) of 2 invoices (the same invoice number, customer and due date): each"
        " invoice counts once, paid when its last part was paid, its open amount what is"
        " still unpaid (lines 3, 5)"
    )


def test_an_export_of_one_row_per_invoice_is_read_as_it_is(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders=ORDERS,
        payments="invoice_id,customer_id,due_date,paid_date,amount\n"
        "R-1,K1,2025-05-01,2025-05-05,200\nR-2,K1,2025-05-01,2025-05-31,300\n",
    )
    assert "invoice_parts" not in {p.code for p in load(folder, AS_OF).problems}
    k1 = features_by_id(folder, AS_OF).loc["K1"]
    assert k1["invoices_recent"] == 2
    assert k1["days_late_recent"] == pytest.approx((4 + 30) / 2)


def test_parts_listed_apart_are_found_too(tmp_path: Path) -> None:
    """Part payments listed by payment, say: no invoice's parts are neighbours."""
    header, *body = PARTS.splitlines()
    apart = [body[0], body[2], body[4], body[1], body[3]]
    folder = write_exports(
        tmp_path / "exports", orders=ORDERS, payments="\n".join([header, *apart]) + "\n"
    )
    k1 = features_by_id(folder, AS_OF).loc["K1"]
    assert (k1["invoices_recent"], k1["days_late_recent"]) == (2, pytest.approx((30 + 29) / 2))
    assert problem(load(folder, AS_OF), "invoice_parts", "payments").count == 2
