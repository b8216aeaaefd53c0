"""Explanations read like sentences: no '-0', no '1 orders', early payers are early."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from churnwatch.render.language import GERMAN_WORDS
from churnwatch.rules.wording import ENGLISH_WORDS, Words, check_spec, fill_rows, format_number
from scan_helpers import invoke, write_exports


@pytest.mark.parametrize(
    ("value", "spec", "text"),
    [
        (-0.3, ".0f", "0"),
        (-0.0004, "+.0%", "+0%"),
        (-0.04, ".1f", "0.0"),
        (-0.6, ".0f", "-1"),
        (1, ".0f|order", "1 order"),
        (1.2, ".0f|order", "1 order"),
        (2, ".0f|order", "2 orders"),
        (0, ".0f|day", "0 days"),
        (math.nan, ".0f|day", "– days"),
        (33, "lateness", "33 days late"),
        (-3, "lateness", "3 days early"),
        (-1, "lateness", "1 day early"),
        (0.3, "lateness", "on time"),
        (147.0, "", "147"),
    ],
)
def test_format_number(value: float, spec: str, text: str) -> None:
    assert format_number(value, spec) == text


HALVES = st.integers(-(10**6), 10**6).map(lambda n: n / 2)  # ties: 0.5, 2.5, -1.5
CENTS = st.integers(-(10**7), 10**7).map(lambda n: n / 100)  # 0.125 and the like as shares
ANY = st.floats(allow_nan=True, allow_infinity=True, width=64)


@pytest.mark.parametrize("words", [ENGLISH_WORDS, GERMAN_WORDS], ids=["en", "de"])
@pytest.mark.parametrize(
    "spec",
    [
        ".0f",
        ",.0f",
        "+.0f",
        "+,.0f",
        ".0%",
        "+.0%",
        ",.0%",
        ",.0f|order",
        ".0f|Tag/Tagen",
        "lateness",
    ],
)
@given(values=st.lists(st.one_of(HALVES, CENTS, ANY, st.just(-0.0)), max_size=60))
def test_a_column_reads_as_each_value_alone(spec: str, words: Words, values: list[float]) -> None:
    """A whole column of explanations is written from one value per text (the values that
    round alike): every row still reads exactly as that row's value formatted alone."""
    filled = fill_rows(f"{{x:{spec}}}", {"x": np.array(values)}, {}, len(values), words)
    assert filled.to_pylist() == [format_number(v, spec, words) for v in values]


@pytest.mark.parametrize("spec", ["q", ".0f|", "lateness|day"])
def test_bad_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        check_spec(spec)


def test_an_early_payer_who_turned_late_reads_early_before(tmp_path: Path) -> None:
    orders = ["customer_id,order_date,amount"]
    payments = ["customer_id,due_date,paid_date,amount"]
    for year, month in [(2024, m) for m in range(1, 13)] + [(2025, m) for m in range(1, 7)]:
        orders.append(f"A,{year}-{month:02d}-01,100")
        late = (year, month) >= (2025, 4)  # due in the recent window: 18 days late
        paid = f"{year}-{month:02d}-28" if late else f"{year}-{month:02d}-12"
        payments.append(f"A,{year}-{month:02d}-{10 if late else 15},{paid},100")
    folder = write_exports(
        tmp_path / "exports",
        orders="\n".join(orders) + "\n",
        payments="\n".join(payments) + "\n",
    )
    result = invoke("scan", folder, "--as-of", "2025-06-30", "-f", "json")
    signal = next(
        s for s in json.loads(result.stdout)["customers"][0]["signals"] if s["id"] == "paying-later"
    )
    assert signal["detail"] == (
        "invoices due recently 18 days late on average (open ones counted until now)"
        " vs 3 days early before"
    )


def test_one_order_is_singular(tmp_path: Path) -> None:
    rows = ["customer_id,order_date,amount"]
    rows += [f"A,2024-{m:02d}-05,100" for m in range(6, 13)]
    rows += [f"A,2025-0{m}-05,100" for m in range(1, 4)] + ["A,2025-05-20,100"]
    folder = write_exports(tmp_path / "exports", orders="\n".join(rows) + "\n")
    result = invoke("scan", folder, "--as-of", "2025-06-30", "-f", "json")
    details = [s["detail"] for s in json.loads(result.stdout)["customers"][0]["signals"]]
    assert any(d.startswith("1 order in the recent window") for d in details), details


def test_a_clause_with_a_missing_value_is_left_out_where_another_is_whole() -> None:
    """'0 open, the oldest – days; median resolution 28 days' said nothing the second clause
    does not; a row whose every clause has a gap keeps them all (something must be said)."""
    import numpy as np

    from churnwatch.rules.wording import fill_rows

    template = (
        "{open_complaints:.0f} open, the oldest {oldest_open_complaint_days:.0f|day};"
        " median resolution {median_resolution_days:.0f|day}"
    )
    numbers = {
        "open_complaints": np.array([0.0, 2.0, 1.0, 0.0]),
        "oldest_open_complaint_days": np.array([np.nan, 45.0, 31.0, np.nan]),
        "median_resolution_days": np.array([28.0, np.nan, 1.0, np.nan]),
    }
    assert fill_rows(template, numbers, {}, 4).to_pylist() == [
        "median resolution 28 days",
        "2 open, the oldest 45 days",
        "1 open, the oldest 31 days; median resolution 1 day",
        "0 open, the oldest – days; median resolution – days",
    ]
