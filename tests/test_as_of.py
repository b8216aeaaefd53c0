"""The reference date: ``--as-of`` or the latest order date not after today."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from churnwatch.core.errors import InputError
from churnwatch.ingest.problems import Level
from helpers import codes, day, flat, ids, load, problem

ORDERS = "customer_id,order_date,amount\nC1,2025-01-02,1\nC2,2025-03-01,2\n"


def test_default_is_the_latest_order_not_after_today(exports, use_fixture):
    """An order dated 2099 is a typo or a planned delivery: ignored, and said so."""
    use_fixture("orders", "future_dates.csv")
    dataset = load(exports)
    assert dataset.as_of_iso == "2025-03-01"
    note = problem(dataset, "after_as_of")
    assert (note.level, note.column, note.count) == (Level.NOTE, "order_date", 1)
    assert note.message == "1 row dated after the reference date 2025-03-01 ignored"
    assert ids(dataset) == ["C1", "C2"]
    assert dataset.after_as_of["orders"] == 1


def test_commands_warn_of_orders_dated_after_today(exports, use_fixture):
    """What the commands see (``cut_of``, as of today): no export holds orders of 2099, so
    their dates are wrong; a warning names their lines, not a note on a reference date."""
    from churnwatch.api import cut_of, open_exports

    use_fixture("orders", "future_dates.csv")
    cut = cut_of(open_exports(exports).dataset, None)
    future = [p for p in cut.problems if p.code == "after_as_of" and p.source == "orders"]
    assert len(future) == 1
    assert (future[0].level, future[0].count, future[0].lines) == (Level.WARNING, 1, (4,))
    assert future[0].message.startswith("1 order dated after today (")
    assert future[0].message.endswith("the latest on 2099-01-01: left out; check these dates")


def test_explicit_as_of_ignores_later_rows(exports, use_fixture):
    use_fixture("orders", "future_dates.csv")
    dataset = load(exports, as_of=dt.date(2025, 1, 15))
    assert dataset.as_of == day("2025-01-15")
    assert ids(dataset) == ["C1"]
    assert problem(dataset, "after_as_of").message == (
        "2 rows dated after the reference date 2025-01-15 ignored"
    )


def test_as_of_after_all_data_keeps_everything(write_csv, exports):
    write_csv("orders.csv", ORDERS)
    dataset = load(exports, as_of=dt.date(2025, 6, 30))
    assert dataset.as_of_iso == "2025-06-30"
    assert ids(dataset) == ["C1", "C2"]
    # Only a note that the reference date lies well after the latest order.
    assert [p.message for p in dataset.problems] == [
        "the reference date 2025-06-30 is 121 days after the latest order (2025-03-01):"
        " every customer will look overdue"
    ]


def test_payment_made_after_as_of_is_still_open(write_csv, exports, use_fixture):
    write_csv("orders.csv", ORDERS)
    use_fixture("payments", "paid_after_as_of.csv")
    dataset = load(exports, as_of=dt.date(2025, 3, 15))
    paid = dataset.frame("payments")["paid_date"].tolist()
    assert paid[0] == day("2025-02-10")
    assert math.isnan(paid[1])  # paid on 20 March: open on the 15th
    assert math.isnan(paid[2])  # never paid
    assert codes(dataset) == []


def test_invoices_after_as_of_are_ignored(write_csv, exports, use_fixture):
    write_csv("orders.csv", ORDERS)
    use_fixture("payments", "paid_after_as_of.csv")
    dataset = load(exports, as_of=dt.date(2025, 3, 5))
    assert ids(dataset, "payments") == ["C1", "C2"]
    note = problem(dataset, "after_as_of", "payments")
    assert (note.column, note.count) == ("invoice_date", 1)


def test_complaint_closed_after_as_of_is_still_open(write_csv, exports):
    write_csv("orders.csv", ORDERS)
    write_csv(
        "complaints.csv",
        "customer_id,opened_date,closed_date\nC1,2025-01-05,2025-01-06\nC2,2025-02-01,2025-04-01\n",
    )
    dataset = load(exports, as_of=dt.date(2025, 3, 1))
    closed = dataset.frame("complaints")["closed_date"].tolist()
    assert closed[0] == day("2025-01-06")
    assert math.isnan(closed[1])


def test_as_of_before_every_order_is_an_input_error(write_csv, exports):
    path = write_csv("orders.csv", ORDERS)
    with pytest.raises(InputError) as raised:
        load(exports, as_of=dt.date(2024, 1, 1))
    assert str(raised.value) == f"{path}: no orders on or before 2024-01-01"


def test_cli_as_of(exports, use_fixture, cli):
    use_fixture("orders", "future_dates.csv")
    result = cli("validate", exports, "--as-of", "2025-01-15")
    assert result.exit_code == 0, result.stderr
    output = flat(result.stdout)
    assert f"{exports} · as of 2025-01-15" in output
    assert (
        "note: orders.csv: column 'order_date': 2 rows dated after the reference date"
        " 2025-01-15 ignored"
    ) in output
    assert "usable: as of 2025-01-15," in output


def test_cli_rejects_a_malformed_as_of(exports, use_fixture, cli):
    use_fixture("orders", "future_dates.csv")
    result = cli("validate", exports, "--as-of", "15.01.2025")
    assert result.exit_code == 2
    assert "--as-of" in result.stderr
    assert "Traceback" not in result.stderr
