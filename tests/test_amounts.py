"""Sums of money do not depend on the order of the rows: the same table, exported sorted
another way or written as parts, gives the same list to the last digit."""

from __future__ import annotations

import random
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from churnwatch.core.amounts import BLOCK, Amounts, sums_by

AS_OF = "2026-09-30"

cents = st.integers(min_value=-(10**11), max_value=10**11)
"""Amounts of up to four decimal places, as whole ten-thousandths."""


@given(
    units=st.lists(cents, min_size=1, max_size=60),
    groups=st.lists(st.integers(min_value=0, max_value=3), min_size=60, max_size=60),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_sums_are_the_exact_sums_in_any_order(
    units: list[int], groups: list[int], seed: int
) -> None:
    amounts = np.array([u / 10_000 for u in units])
    codes = np.array(groups[: len(units)])
    order = np.random.default_rng(seed).permutation(len(units))
    summed = sums_by(codes, amounts, 4)
    assert np.array_equal(summed, sums_by(codes[order], amounts[order], 4))
    exact = [
        sum((Fraction(u, 10_000) for u, g in zip(units, codes, strict=True) if g == k), Fraction(0))
        for k in range(4)
    ]
    assert summed.tolist() == [float(value) for value in exact]  # the nearest float to each


def test_the_rarest_tie_rounds_one_way() -> None:
    """160 orders of 83,399.00 in all: 521.24375 each on average, in every order of them."""
    rng = random.Random(4)
    values = [521.24] * 159 + [round(83_399 - 521.24 * 159, 2)]
    means = set()
    for _ in range(50):
        rng.shuffle(values)
        means.add(sums_by(np.zeros(160, np.intp), np.array(values), 1)[0] / 160)
    assert means == {83_399 / 160}


def test_amounts_of_more_places_are_summed_as_before() -> None:
    """Amounts that are no decimals of four places (computed net amounts, NaN for a missing
    one) are added as floats in the rows' order, exactly as before."""
    values = np.array([1 / 3, 2.000001, 7.25, np.nan, 1e-7])
    codes = np.array([0, 1, 0, 1, 0])
    expected = np.bincount(codes, weights=values, minlength=2)
    np.testing.assert_array_equal(sums_by(codes, values, 2), expected)
    assert Amounts.of(values).scale == 1.0


def test_edges_empty_negative_zero_whole_numbers_nan_and_huge_totals() -> None:
    none = np.empty(0, np.intp)
    assert sums_by(none, np.empty(0), 2).tolist() == [0.0, 0.0]
    assert sums_by(np.array([0, 0]), np.array([-0.0, 0.0]), 1).tolist() == [0.0]
    days = np.array([3, 4, 5])  # days late: whole numbers, summed exactly too
    assert sums_by(np.array([0, 1, 0]), days, 2).tolist() == [8.0, 4.0]
    missing = np.array([1.5, np.nan])
    assert Amounts.of(missing).scale == 1.0
    assert np.isnan(sums_by(np.array([0, 0]), missing, 1)[0])  # missing stays missing
    huge = np.array([5e11, 5e11])  # 2 * 5e15 ten-thousandths: past 2**53, added as floats
    assert Amounts.of(huge).scale == 1.0
    assert Amounts.of(huge[:1]).scale == 10_000.0
    assert Amounts.of(np.array([1e300])).scale == 1.0  # no overflow warning either


def test_long_columns_are_checked_block_by_block() -> None:
    values = np.full(3 * BLOCK + 5, 0.1)
    values[-1] = 0.123456  # the last block has a value of six places: summed as floats
    assert Amounts.of(values).scale == 1.0
    assert Amounts.of(values[:-1]).scale == 10_000.0


def test_the_same_orders_in_another_order_give_the_same_bytes(
    cli: Any, examples_dir: Path, tmp_path: Path
) -> None:
    """Sorted by channel, as the helper's repro had it, and shuffled: a mean of orders at a
    rounding tie (521.24375) showed 521.2438 in one list and 521.2437 in the other."""
    plain = tmp_path / "plain.csv"
    assert (
        cli("scan", examples_dir / "exports", "--as-of", AS_OF, "-f", "csv", "-o", plain).exit_code
        == 0
    )
    lines = (examples_dir / "exports" / "orders.csv").read_text().splitlines(keepends=True)
    by_channel = sorted(lines[1:], key=lambda line: line.split(",")[4])
    shuffled = lines[1:]
    random.Random(7).shuffle(shuffled)
    for name, rows in (("by-channel", by_channel), ("shuffled", shuffled)):
        folder = tmp_path / name
        shutil.copytree(examples_dir / "exports", folder)
        (folder / "orders.csv").write_text("".join(lines[:1] + rows))
        out = tmp_path / f"{name}.csv"
        assert cli("scan", folder, "--as-of", AS_OF, "-f", "csv", "-o", out).exit_code == 0
        assert out.read_bytes() == plain.read_bytes(), name
