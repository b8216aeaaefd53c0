"""Every feature against values computed by hand on a tiny set of exports.

Reference date 2025-06-30 with the default windows: recent is (2025-04-01, 2025-06-30],
baseline is (2024-04-01, 2025-04-01].

- A: a steady customer with orders, invoices, complaints and contacts in both windows.
- B: a new customer (first order 2025-03-20: 13 baseline days, too few) with a credit note
  and no known channel.
- C: ordered monthly in 2023, lapsed, came back in May 2025.
- D: three orders in early 2024, nothing since.
- E: only in customers.csv (no orders): not a row of the features.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from churnwatch.config import Lifecycle, Windows
from churnwatch.features import CATEGORY_FEATURES, FEATURES, features_of, lifecycle
from churnwatch.features.registry import THREADED_ORDERS, Inputs
from scan_helpers import day, features_by_id, invoke, write_exports

AS_OF = dt.date(2025, 6, 30)

ORDERS = """
    customer_id,order_date,amount,channel
    A,2024-05-01,100,inbound
    A,2024-08-01,200,inbound
    A,2024-11-01,300,outbound
    A,2025-02-01,400,inbound
    A,2025-05-01,50,outbound
    A,2025-05-01,30,inbound
    A,2025-06-10,70,outbound
    A,2025-07-05,999,inbound
    B,2025-03-20,500,
    B,2025-05-15,300,
    B,2025-05-15,-100,
    C,2023-01-10,100,inbound
    C,2023-02-10,100,inbound
    C,2023-03-10,100,inbound
    C,2023-04-10,100,inbound
    C,2025-05-20,100,inbound
    C,2025-06-20,100,inbound
    D,2024-01-15,100,inbound
    D,2024-02-15,100,inbound
    D,2024-03-15,100,inbound
"""
PAYMENTS = """
    customer_id,invoice_date,due_date,paid_date,amount
    A,2024-05-02,2024-06-01,2024-06-03,100
    A,2024-08-02,2024-09-01,2024-09-05,200
    A,2025-04-01,2025-05-01,2025-05-21,50
    A,2025-05-02,2025-06-01,,150
    A,2025-05-21,2025-06-20,,70
    A,2025-05-26,2025-06-25,2025-07-03,60
    A,2025-06-15,2025-07-15,,40
    B,2025-04-10,2025-05-10,2025-05-08,300
"""
COMPLAINTS = """
    customer_id,opened_date,closed_date,severity
    A,2023-01-01,2023-01-05,low
    A,2024-06-01,2024-06-11,low
    A,2025-04-10,2025-05-10,high
    A,2025-05-01,,high
    A,2025-06-01,2025-07-10,medium
    B,2025-05-16,2025-05-17,low
"""
CONTACTS = """
    customer_id,contact_date,outcome
    A,2024-07-01,reached
    A,2024-10-01,not_reached
    A,2025-01-10,reached
    A,2025-03-01,reached
    A,2025-04-15,not_reached
    A,2025-05-15,not_reached
    A,2025-06-15,reached
    B,2025-06-01,reached
"""
CUSTOMERS = """
    customer_id,name
    A,Alpha
    B,Beta
    C,Gamma
    D,Delta
    E,Epsilon
"""
NAN = math.nan
# Days A existed within the baseline window: 2024-05-01 .. 2025-04-01.
A_EXPOSURE = day("2025-04-01") - day("2024-04-30")
C_LAPSE = day("2025-05-20") - day("2023-04-10")


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = write_exports(
        tmp_path_factory.mktemp("features") / "exports",
        orders=ORDERS,
        payments=PAYMENTS,
        complaints=COMPLAINTS,
        contacts=CONTACTS,
        customers=CUSTOMERS,
    )
    return features_by_id(folder, AS_OF)


EXPECTED: dict[str, dict[str, float]] = {
    "A": {
        "order_count": 7,  # the order of 2025-07-05 is after the reference date
        "first_order_date": day("2024-05-01"),
        "last_order_date": day("2025-06-10"),
        "tenure_days": 425,
        "days_since_last_order": 20,
        "typical_gap_days": 92,  # gaps 92, 92, 92, 89, 40 (the second order on 05-01 is no gap)
        "overdue_ratio": 20 / 92,
        "longest_gap_days": 92,
        "returned_after_days": NAN,
        "returner_since": NAN,
        "orders_recent": 3,
        "orders_baseline": 4,
        "order_rate_recent": 3 / 90,
        "order_rate_baseline": 4 / A_EXPOSURE,
        "order_frequency_change": (3 / 90) / (4 / A_EXPOSURE) - 1,
        "orders_expected_recent": 4 / A_EXPOSURE * 90,
        "avg_order_value_recent": 50,
        "avg_order_value_baseline": 250,
        "order_value_change": -0.8,
        "revenue_recent": 150,
        "revenue_baseline": 1000,
        "revenue_change": (150 / 90) / (1000 / A_EXPOSURE) - 1,
        "lifetime_revenue": 1150,
        "outbound_share_recent": 2 / 3,
        "outbound_share_baseline": 1 / 4,
        "outbound_share_change": 2 / 3 - 1 / 4,
        # due 05-01 paid 20 late; open 06-01 → 29; open 06-20 → 10; paid after as_of 06-25 → 5
        "invoices_recent": 4,
        "days_late_recent": (20 + 29 + 10 + 5) / 4,
        "days_late_baseline": (2 + 4) / 2,
        "days_late_change": 16 - 3,
        "open_overdue_invoices": 3,
        "open_overdue_amount": 150 + 70 + 60,
        "max_days_overdue": 29,
        "complaints_recent": 3,
        "complaints_baseline": 1,
        "complaint_rate_recent": 3.0,
        "complaint_rate_baseline": 1 / A_EXPOSURE * 90,
        "open_complaints": 2,  # one never closed, one closed after the reference date
        "oldest_open_complaint_days": 60,
        "median_resolution_days": 20,  # 10 and 30; the one of 2023 is outside both windows
        "high_severity_recent": 2,
        "contact_attempts_recent": 3,
        "not_reached_share_recent": 2 / 3,
        "not_reached_share_baseline": 1 / 4,
        "not_reached_change": 2 / 3 - 1 / 4,
        "phase": "degeneration",  # revenue per day 44 % below the baseline's
        "order_days": 6,  # two orders on 2025-05-01
        "avg_order_value": 1150 / 7,  # the order after the reference date does not count
        "p_alive": NAN,  # four customers are too few to fit BG/NBD
        "expected_orders_horizon": NAN,
        "p_no_order_horizon": NAN,
    },
    "B": {
        "first_order_date": day("2025-03-20"),
        "last_order_date": day("2025-05-15"),
        "tenure_days": 102,
        "days_since_last_order": 46,
        "typical_gap_days": NAN,  # two order days only
        "overdue_ratio": NAN,
        "longest_gap_days": 56,
        "orders_baseline": 1,
        "order_rate_baseline": NAN,  # 13 days as a customer in the baseline window
        "order_frequency_change": NAN,
        "orders_expected_recent": NAN,
        "avg_order_value_recent": 300,  # the credit note of -100 is no order
        "avg_order_value_baseline": 500,
        "order_value_change": -0.4,
        "revenue_recent": 200,
        "revenue_baseline": 500,
        "revenue_change": NAN,
        "lifetime_revenue": 700,
        "outbound_share_recent": NAN,  # no channel known
        "outbound_share_baseline": NAN,
        "outbound_share_change": NAN,
        "invoices_recent": 1,
        "days_late_recent": -2,
        "days_late_baseline": NAN,
        "days_late_change": NAN,
        "open_overdue_invoices": 0,
        "open_overdue_amount": 0,
        "max_days_overdue": NAN,
        "complaints_recent": 1,
        "complaint_rate_recent": 1.0,
        "complaint_rate_baseline": NAN,
        "open_complaints": 0,
        "oldest_open_complaint_days": NAN,
        "median_resolution_days": 1,
        "high_severity_recent": 0,
        "contact_attempts_recent": 1,
        "not_reached_share_recent": 0,
        "not_reached_share_baseline": NAN,
        "not_reached_change": NAN,
        "phase": "initiation",  # a customer for 102 days
        "order_days": 2,
        "avg_order_value": 400,  # the credit note is no order
    },
    "C": {
        "order_count": 6,
        "typical_gap_days": 31,  # 31, 28, 31, the lapse, 31
        "longest_gap_days": C_LAPSE,
        "returned_after_days": C_LAPSE,
        "returner_since": day("2025-05-20"),
        "days_since_last_order": 10,
        "overdue_ratio": 10 / 31,
        "orders_recent": 2,
        "orders_baseline": 0,
        "order_rate_baseline": 0,
        "order_frequency_change": NAN,  # nothing to compare with
        "avg_order_value_baseline": NAN,
        "order_value_change": NAN,
        "revenue_change": NAN,
        "outbound_share_recent": 0,
        "outbound_share_baseline": NAN,
        "invoices_recent": 0,
        "days_late_recent": NAN,
        "open_overdue_invoices": 0,
        "complaints_recent": 0,
        "complaint_rate_recent": 0,
        "complaint_rate_baseline": 0,
        "median_resolution_days": NAN,
        "contact_attempts_recent": 0,
        "not_reached_share_recent": NAN,
        "phase": "maturity",  # no baseline revenue to compare with
        "order_days": 6,
        "avg_order_value": 100,
    },
    "D": {
        "order_count": 3,
        "tenure_days": day("2025-06-30") - day("2024-01-15"),
        "days_since_last_order": day("2025-06-30") - day("2024-03-15"),
        "typical_gap_days": 30,  # median of 31 and 29
        "overdue_ratio": (day("2025-06-30") - day("2024-03-15")) / 30,
        "longest_gap_days": 31,
        "returned_after_days": NAN,
        "returner_since": NAN,
        "orders_recent": 0,
        "orders_baseline": 0,
        "order_rate_recent": 0,
        "order_rate_baseline": 0,
        "orders_expected_recent": 0,
        "avg_order_value_recent": NAN,
        "revenue_recent": 0,
        "lifetime_revenue": 300,
        "phase": "lost",  # no order for 472 days
        "order_days": 3,
        "avg_order_value": 100,
    },
}
CASES = [(c, name, value) for c, values in EXPECTED.items() for name, value in values.items()]


@pytest.mark.parametrize(("customer", "name", "expected"), CASES)
def test_feature_value(
    features: pd.DataFrame, customer: str, name: str, expected: float | str
) -> None:
    """The computed value equals the hand-computed one; NaN where history is too short."""
    actual = features.loc[customer, name]
    if isinstance(expected, str):
        assert actual == expected, f"{customer}.{name}"
    elif math.isnan(expected):
        assert math.isnan(actual), f"{customer}.{name} = {actual}, expected missing"
    else:
        assert actual == pytest.approx(expected, rel=1e-9), f"{customer}.{name}"


def test_every_feature_has_a_hand_computed_value() -> None:
    """No feature escapes the table above."""
    assert set(EXPECTED["A"]) == set(FEATURES)


def test_rows_are_customers_with_orders(features: pd.DataFrame) -> None:
    assert list(features.index) == ["A", "B", "C", "D"]
    assert list(features.columns) == list(FEATURES)


def test_only_orders_gives_only_order_features(tmp_path: Path) -> None:
    """An absent source makes its features absent columns, not columns of zeros."""
    folder = write_exports(tmp_path / "exports", orders=ORDERS)
    features = features_by_id(folder, AS_OF)
    assert list(features.columns) == features_of("orders")


OUTBOUND = ["outbound_share_recent", "outbound_share_baseline", "outbound_share_change"]


@pytest.mark.parametrize(
    ("source", "text", "absent"),
    [
        ("orders", "customer_id,order_date,amount\nA,2025-05-01,10\n", OUTBOUND),
        ("complaints", "customer_id,opened_date\nA,2025-05-01\n", ["high_severity_recent"]),
    ],
    ids=["orders-without-channel", "complaints-without-severity"],
)
def test_absent_optional_column_drops_its_features(
    tmp_path: Path, source: str, text: str, absent: list[str]
) -> None:
    files = {"orders": "customer_id,order_date,amount\nA,2025-05-01,10\n", source: text}
    features = features_by_id(write_exports(tmp_path / "exports", **files), AS_OF)
    expected = [name for name in features_of(source) if name not in absent]
    assert [name for name in features.columns if FEATURES[name].source == source] == expected


def test_complaints_without_closed_date_are_all_open(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-05-01,10\n",
        complaints="customer_id,opened_date\nA,2025-05-01\nA,2025-06-20\n",
    )
    row = features_by_id(folder, AS_OF).loc["A"]
    assert (row["open_complaints"], row["oldest_open_complaint_days"]) == (2, 60)
    assert math.isnan(row["median_resolution_days"])


def test_credit_notes_in_payments_are_no_invoices(tmp_path: Path) -> None:
    """An open credit note (owed to the customer, offset rather than paid) is neither an
    overdue invoice nor late: A's payment signals are those of its two invoices alone."""
    invoices = "A,2025-04-01,2025-05-01,2025-05-11,100\nA,2025-05-01,2025-06-01,,80\n"
    credits = "A,2025-03-01,2025-03-15,,-40\nA,2025-05-10,2025-05-24,2025-06-20,-20\n"
    header = "customer_id,invoice_date,due_date,paid_date,amount\n"
    orders = "customer_id,order_date,amount\nA,2025-05-01,10\n"
    plain = write_exports(tmp_path / "plain", orders=orders, payments=header + invoices)
    with_credits = write_exports(
        tmp_path / "credits", orders=orders, payments=header + credits + invoices
    )
    row = features_by_id(with_credits, AS_OF).loc["A"]
    assert (row["open_overdue_invoices"], row["open_overdue_amount"]) == (1, 80)
    assert row["max_days_overdue"] == 29
    pd.testing.assert_series_equal(row, features_by_id(plain, AS_OF).loc["A"])


def test_windows_come_from_the_configuration(tmp_path: Path) -> None:
    """A 30-day recent window sees only A's order of 06-10."""
    folder = write_exports(tmp_path / "exports", orders=ORDERS)
    features = features_by_id(folder, AS_OF, Windows(recent_days=30, baseline_days=365))
    assert features.loc["A", "orders_recent"] == 1
    assert features.loc["A", "order_rate_recent"] == pytest.approx(1 / 30)
    assert features.loc["A", "orders_baseline"] == 5  # 2024-08-01 … 2025-05-01


def test_lapse_shorter_than_four_typical_gaps_is_no_return(tmp_path: Path) -> None:
    """Gaps of 60 days make a 200-day pause only 3.3 gaps: not a lapse."""
    dates = ["2024-01-01", "2024-03-01", "2024-04-30", "2024-06-29", "2025-01-15"]
    rows = "".join(f"R,{d},10\n" for d in dates)
    folder = write_exports(tmp_path / "x", orders="customer_id,order_date,amount\n" + rows)
    row = features_by_id(folder, AS_OF).loc["R"]
    assert row["typical_gap_days"] == 60
    assert row["longest_gap_days"] == 200
    assert math.isnan(row["returned_after_days"])


def test_return_longer_ago_than_180_days_is_no_longer_reported(tmp_path: Path) -> None:
    rows = "".join(f"R,{d},10\n" for d in ["2023-01-01", "2023-02-01", "2023-03-01"])
    rows += "R,2024-12-01,10\nR,2024-12-20,10\n"  # returned 211 days before the reference date
    folder = write_exports(tmp_path / "x", orders="customer_id,order_date,amount\n" + rows)
    row = features_by_id(folder, AS_OF).loc["R"]
    assert row["longest_gap_days"] == day("2024-12-01") - day("2023-03-01")
    assert math.isnan(row["returned_after_days"])


def test_features_do_not_depend_on_other_customers(tmp_path: Path) -> None:
    """Whole customers are independent: A alone gives A's row of the full set."""
    full = write_exports(tmp_path / "full", orders=ORDERS, payments=PAYMENTS, complaints=COMPLAINTS)
    alone = write_exports(
        tmp_path / "alone",
        orders=_only("A", ORDERS),
        payments=_only("A", PAYMENTS),
        complaints=_only("A", COMPLAINTS),
    )
    pd.testing.assert_series_equal(
        features_by_id(full, AS_OF).loc["A"], features_by_id(alone, AS_OF).loc["A"]
    )


def _only(customer: str, text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return "\n".join([lines[0], *(ln for ln in lines[1:] if ln.startswith(f"{customer},"))]) + "\n"


# -- the registry -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FEATURES))
def test_registry_entry_is_complete(name: str) -> None:
    spec = FEATURES[name]
    assert spec.name == name
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name)
    assert spec.source in {"orders", "payments", "complaints", "contacts"}
    assert spec.unit.strip()
    assert len(spec.description.strip()) > 10


def test_every_computed_column_is_registered(features: pd.DataFrame) -> None:
    assert set(features.columns) <= set(FEATURES)
    numbers = [c for c in features.columns if c not in CATEGORY_FEATURES]
    assert all(features[c].dtype == np.float64 for c in numbers)
    assert list(features["phase"].cat.categories) == list(CATEGORY_FEATURES["phase"])


def test_features_command_lists_every_feature(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    result = invoke("features")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.strip()}
    for name, spec in FEATURES.items():
        assert rows[name][1:3] == [spec.source, spec.unit.split()[0]]
    assert "\x1b[" not in result.stdout


PHASE_COLUMNS = (
    "days_since_last_order",
    "tenure_days",
    "order_days",
    "p_alive",
    "revenue_change",
    "order_frequency_change",
    "overdue_ratio",
    "orders_expected_recent",
    "orders_recent",
)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        # days since the last order, tenure, order days, P(alive), revenue and frequency
        # change, overdue ratio, orders the usual rhythm expects in the recent window, orders
        # in it
        ((400, 900, 20, 0.9, 0.0, 0.0, 1.0, 6.0, 6.0), "lost"),  # a year without an order
        # one order, half a year ago
        ((200, 200, 1, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan), "lost"),
        ((200, 900, 20, 0.1, 0.0, 0.0, 1.0, 6.0, 6.0), "lost"),  # half a year, very likely gone
        # quiet, but likely still there
        ((200, 900, 20, 0.5, np.nan, np.nan, np.nan, np.nan, np.nan), "maturity"),
        # one order, 100 days ago
        ((100, 100, 1, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan), "initiation"),
        ((10, 100, 20, 0.9, 0.5, 0.0, 1.0, 6.0, 6.0), "initiation"),  # a customer for 100 days
        ((10, 900, 20, 0.9, -0.3, 0.0, 1.0, 6.0, 6.0), "degeneration"),
        ((10, 900, 20, 0.9, 0.0, -0.5, 1.0, 6.0, 6.0), "degeneration"),
        ((60, 900, 20, 0.9, 0.0, 0.0, 4.0, 6.0, 6.0), "degeneration"),  # four usual gaps overdue
        ((10, 900, 20, 0.9, 0.2, 0.0, 1.0, 6.0, 6.0), "growth"),
        ((10, 900, 20, 0.9, 0.1, 0.0, 1.0, 6.0, 6.0), "maturity"),
        ((10, 900, 20, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan), "maturity"),
        # a quarterly customer's 90 days hold one order or none by the calendar alone
        ((90, 900, 12, 0.9, -1.0, -1.0, 1.0, 1.2, 0.0), "maturity"),
        ((10, 900, 12, 0.9, 1.0, 1.0, 1.0, 1.2, 1.0), "maturity"),
        # … but revenue down over two orders or more is a decline, whatever the rhythm
        ((10, 900, 12, 0.9, -0.5, 0.5, 0.5, 1.2, 3.0), "degeneration"),
        ((300, 900, 12, 0.9, -1.0, -1.0, 3.3, 1.2, 0.0), "degeneration"),  # three gaps overdue
    ],
)
def test_phase(row: tuple[float, ...], expected: str) -> None:
    values = {name: np.array([v], dtype=float) for name, v in zip(PHASE_COLUMNS, row, strict=True)}
    population = SimpleNamespace(lifecycle=Lifecycle())
    inputs = Inputs(cut=None, window=None, population=population, features=values)  # type: ignore[arg-type]
    assert lifecycle.phase(inputs)["phase"].tolist() == [expected]


@pytest.mark.parametrize("seed", range(5))
def test_group_statistics_of_sorted_rows_match_a_per_customer_reading(seed: int) -> None:
    """Counts, first/last and medians found by binary search over sorted codes equal what
    each customer's own rows give, including customers without rows at either end."""
    from churnwatch.features.aggregate import first_last, median_sorted, sizes, sorted_pairs

    rng = np.random.default_rng(seed)
    n = 50
    codes = rng.integers(3, n - 3, size=400).astype(np.int32)
    values = rng.integers(0, 1000, size=400).astype(np.int32)
    sorted_codes, sorted_values = sorted_pairs(codes, values)
    first, last = first_last(sorted_codes, sorted_values, n)
    middle = median_sorted(sorted_codes, sorted_values, n)
    np.testing.assert_array_equal(sizes(sorted_codes, n), np.bincount(codes, minlength=n))
    for code in range(n):
        own = values[codes == code]
        if own.size == 0:
            assert math.isnan(first[code]) and math.isnan(last[code]) and math.isnan(middle[code])
        else:
            assert (first[code], last[code]) == (own.min(), own.max())
            assert middle[code] == np.median(own)


def _groups(monkeypatch, *groups):
    """Replace the registered feature groups with ``(compute, names, needs)`` triples."""
    from churnwatch.features import registry

    made = [
        registry.FeatureGroup(
            compute, tuple(registry.FeatureSpec(n, "orders", "count", n) for n in names), needs
        )
        for compute, names, needs in groups
    ]
    monkeypatch.setattr(registry, "GROUPS", made)
    return registry


def _inputs(orders: int) -> Inputs:
    """Inputs whose cut has ``orders`` orders: from ``THREADED_ORDERS`` the groups run on two
    threads, below one after another; the rules for the groups are the same."""
    cut = SimpleNamespace(has=lambda source: True, frame=lambda source: range(orders))
    return Inputs(cut, None, None)  # type: ignore[arg-type]


BOTH_WAYS = pytest.mark.parametrize("orders", [10, THREADED_ORDERS], ids=["in-turn", "threaded"])


@BOTH_WAYS
def test_a_group_runs_after_the_groups_whose_features_it_needs(monkeypatch, orders):
    import time

    def slow(inputs):
        time.sleep(0.2)  # the other worker is free long before this ends
        return {"first": 1.0}

    registry = _groups(
        monkeypatch,
        (slow, ["first"], ("orders",)),
        (lambda inputs: {"second": inputs.features["first"] + 1}, ["second"], ("first",)),
        (lambda inputs: {"alone": 5.0}, ["alone"], ("orders",)),
    )
    assert registry.run_groups(_inputs(orders)) == {"first": 1.0, "alone": 5.0, "second": 2.0}


@BOTH_WAYS
def test_a_failing_group_fails_the_run_and_the_groups_after_it_do_not_start(monkeypatch, orders):
    started = []

    def broken(inputs):
        raise ValueError("bad data")

    def later(inputs):
        started.append("later")
        return {"later": 1.0}

    registry = _groups(
        monkeypatch, (broken, ["first"], ("orders",)), (later, ["later"], ("first",))
    )
    with pytest.raises(ValueError, match="bad data"):
        registry.run_groups(_inputs(orders))
    assert started == []


@BOTH_WAYS
def test_a_group_returning_other_features_than_it_declares_is_a_bug(monkeypatch, orders):
    registry = _groups(monkeypatch, (lambda inputs: {"other": 1.0}, ["declared"], ("orders",)))
    with pytest.raises(AssertionError, match="returned \\['other'\\], not \\['declared'\\]"):
        registry.run_groups(_inputs(orders))


@pytest.mark.parametrize("size", [0, 5, (1 << 20) + 7])
def test_a_large_sort_split_over_two_threads_sorts_as_one(size):
    from churnwatch.features.aggregate import sort_in_place

    keys = np.random.default_rng(size).integers(0, 1 << 29, size).astype(np.uint32)
    expected = np.sort(keys)
    sort_in_place(keys)
    assert np.array_equal(keys, expected)
