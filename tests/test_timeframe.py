"""One load, many cuts: a cut is the data as known at its reference date, nothing later."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from churnwatch.api import Opened, open_exports
from churnwatch.config import Windows
from churnwatch.features import compute_features, population_step
from churnwatch.timeframe import EVER, Cut, OrderSpans, cut_at, of_customers, ordered_in
from scan_helpers import EXAMPLES, day, features_by_id

DATES = [dt.date(2026, 3, 31), dt.date(2026, 7, 31)]


@pytest.fixture(scope="module")
def opened() -> Opened:
    return open_exports(EXAMPLES / "exports")


def features_of(cut: Cut) -> pd.DataFrame:
    frame = compute_features(cut, population_step(cut, Windows()))
    ids = cut.customer_ids[frame.index.to_numpy()]
    frame.index = pd.Index(ids, name="customer_id")
    return frame


@pytest.mark.parametrize("as_of", DATES)
def test_one_load_cut_twice_equals_separate_runs(opened: Opened, as_of: dt.date) -> None:
    """Cutting one loaded dataset at two dates gives exactly what a fresh ``--as-of`` run gives."""
    from_one_load = features_of(opened.cut(as_of))
    separate = features_by_id(EXAMPLES / "exports", as_of)
    pd.testing.assert_frame_equal(from_one_load, separate)


def test_cuts_of_one_dataset_differ_and_leave_it_whole(opened: Opened) -> None:
    rows = {name: len(opened.dataset.frame(name)) for name in opened.dataset.sources}
    early, late = (opened.cut(as_of) for as_of in DATES)
    assert len(early.frame("orders")) < len(late.frame("orders")) < rows["orders"]
    assert {name: len(opened.dataset.frame(name)) for name in rows} == rows  # never cut in place
    assert not features_of(early).equals(features_of(late))


def test_rows_after_the_cut_stay_available_as_labels(opened: Opened) -> None:
    cut = opened.cut(DATES[0])
    later = cut.later("orders")
    assert len(later) > 0
    assert (later["order_date"].to_numpy() > cut.as_of).all()
    assert len(cut.frame("orders")) + len(later) == len(opened.dataset.frame("orders"))
    assert cut.after_as_of["orders"] == len(later)


def test_settled_after_the_cut_counts_as_open(opened: Opened) -> None:
    """An invoice paid after the reference date was still open then; the dataset keeps the date."""
    cut = opened.cut(DATES[0])
    full = opened.dataset.frame("payments")["paid_date"].to_numpy()
    seen = cut.frame("payments")["paid_date"].to_numpy()
    kept = cut.frame("payments").index
    paid_later = full[opened.dataset.frame("payments").index.get_indexer(kept)] > cut.as_of
    assert paid_later.any()
    assert np.isnan(seen[paid_later]).all()
    assert (opened.dataset.frame("payments")["paid_date"].to_numpy() > cut.as_of).any()


def test_a_cut_before_the_first_order_is_an_error(opened: Opened) -> None:
    from churnwatch.core.errors import InputError

    with pytest.raises(InputError, match="no orders on or before 2020-01-01"):
        cut_at(opened.dataset, day("2020-01-01"))


def test_default_reference_date_is_the_latest_order(opened: Opened) -> None:
    latest = int(opened.dataset.frame("orders")["order_date"].max())
    assert opened.cut().as_of == latest


def test_a_cut_reads_no_free_text_of_dated_sources(opened: Opened) -> None:
    """Document numbers stay in the dataset; the cut holds what the stages read."""
    cut = opened.cut(DATES[0])
    assert "order_id" in opened.dataset.frame("orders")
    assert "order_id" not in cut.frame("orders")
    assert "name" in cut.frame("customers")  # master data has no date: shown as it is


def test_a_cut_of_some_customers_holds_them_whole(opened: Opened) -> None:
    """The training's view of some customers: each with every row the whole cut has of
    them, under codes of their own that name the same customers."""
    chosen = np.zeros(len(opened.dataset.customer_ids), dtype=bool)
    chosen[::3] = True
    some = of_customers(opened.dataset, chosen)
    assert list(some.customer_ids) == list(opened.dataset.customer_ids[chosen])
    part = cut_at(some, day("2026-07-31"))
    whole = opened.cut(DATES[1])
    for name in ("orders", "payments"):
        theirs = whole.frame(name)[chosen[whole.frame(name)["customer"].to_numpy()]]
        ours = part.frame(name)
        assert list(some.customer_ids[ours["customer"].to_numpy()]) == list(
            whole.customer_ids[theirs["customer"].to_numpy()]
        )
        columns = [c for c in ours.columns if c != "customer"]
        pd.testing.assert_frame_equal(ours[columns], theirs[columns])


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 5),  # customer code
            st.integers(-20, 40),  # order day
            st.sampled_from([-5.0, 0.0, 12.5]),  # a credit note, a zero order, an order
        ),
        max_size=40,
    ),
    days=st.lists(st.integers(-25, 45), min_size=1, max_size=6, unique=True),
)
def test_order_spans_answer_as_a_pass_of_their_own_does(
    rows: list[tuple[int, int, float]], days: list[int]
) -> None:
    """Every window between two of the given days (or from the start) gets the same
    customers as :func:`ordered_in`, credit notes left out, the bounds' days included."""
    customer, date, amount = zip(*rows, strict=True) if rows else ((), (), ())
    orders = pd.DataFrame(
        {
            "customer": np.array(customer, dtype=np.int32),
            "order_date": np.array(date, dtype=np.int32),
            "amount": np.array(amount, dtype=np.float64),
        }
    )
    spans = OrderSpans(orders, days, 6)
    for after in [EVER, *days]:
        for until in days:
            assert spans.answers(after, until)
            expected = ordered_in(orders, after, until, 6)
            np.testing.assert_array_equal(spans.ordered_in(after, until), expected)
    assert not spans.answers(min(days) - 1, max(days))


def test_order_spans_over_a_long_range_of_days_search_each() -> None:
    """Days spread wider than there are orders take the other way to the same answer."""
    orders = pd.DataFrame(
        {
            "customer": np.array([0, 1, 1], dtype=np.int32),
            "order_date": np.array([-700_000, 10, 900_000], dtype=np.int32),
            "amount": [1.0, 1.0, 1.0],
        }
    )
    spans = OrderSpans(orders, [0, 100], 3)
    assert spans.ordered_in(EVER, 0).tolist() == [True, False, False]
    assert spans.ordered_in(0, 100).tolist() == [False, True, False]
