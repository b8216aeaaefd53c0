"""``churnwatch backtest`` and ``churnwatch calibrate``, and the measures they report."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from churnwatch.analyses.evaluation import calibration, roc_auc, top_share
from scan_helpers import EXAMPLES, invoke, stderr_of, write_exports

EXPORTS = EXAMPLES / "exports"  # orders up to 2026-09-30: the last 90-day cut-off is 2026-07-02


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")


# -- the measures ---------------------------------------------------------------------------


@given(
    st.integers(2, 40).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 0.3, 0.5, 1.0])),
            hnp.arrays(np.float64, n, elements=st.sampled_from([0.0, 1.0])),
        )
    )
)
def test_auc_is_the_share_of_correctly_ordered_pairs(data: tuple[np.ndarray, np.ndarray]) -> None:
    scores, labels = data
    pairs = [
        1.0 if scores[i] > scores[j] else 0.5 if scores[i] == scores[j] else 0.0
        for i, j in itertools.product(range(len(scores)), repeat=2)
        if labels[i] == 1 and labels[j] == 0
    ]
    expected = sum(pairs) / len(pairs) if pairs else float("nan")
    assert roc_auc(scores, labels) == pytest.approx(expected, nan_ok=True)


def test_top_share_precision_recall_and_lift() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1, 0.05, 0.0, 0.0, 0.0, 0.0])
    labels = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0], dtype=float)
    top = top_share(scores, labels, 0.2)
    assert (top.flagged, top.precision, top.recall, top.lift) == (2, 1.0, 2 / 3, 1.0 / 0.3)


def test_calibration_bins_cover_everyone() -> None:
    predicted = np.linspace(0, 1, 95)
    labels = (predicted > 0.5).astype(float)
    result = calibration(predicted, labels)
    assert sum(b.customers for b in result.bins) == 95
    assert len(result.bins) == 10
    assert result.brier == pytest.approx(np.mean((predicted - labels) ** 2))


# -- the command ----------------------------------------------------------------------------


def run_json(*options: object) -> dict[str, Any]:
    result = invoke("backtest", EXPORTS, "--format", "json", *options)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_one_cut_off_reports_every_measure() -> None:
    document = run_json("--as-of", "2026-06-30")
    assert (document["schema_version"], document["horizon_days"]) == (2, 90)
    [cut_off] = document["cut_offs"]
    assert cut_off["as_of"] == "2026-06-30"
    assert cut_off["risk_model"]["weights"] == "fitted"
    groups = {g["name"]: g for g in cut_off["groups"]}
    assert list(groups) == ["all customers", "ordered in the recent window"]
    everyone = groups["all customers"]
    assert 0 < everyone["churn_rate"] < 1
    scores = {s["name"]: s for s in everyone["scores"]}
    assert list(scores) == ["churnwatch risk", "days since the last order", "BG/NBD P(no order)"]
    risk = scores["churnwatch risk"]
    assert [t["share"] for t in risk["top"]] == [0.05, 0.1, 0.2]
    assert len(risk["calibration"]["deciles"]) == 10
    assert scores["days since the last order"]["calibration"] is None
    assert {r["id"] for r in everyone["rules"]} >= {"overdue-customer", "paying-later"}
    assert document["lead_time"] is None  # one cut-off: no lead time


def test_a_series_of_cut_offs_steps_from_the_first_to_the_last() -> None:
    document = run_json("--from", "2026-03-01", "--to", "2026-06-29", "--every", "30")
    assert [c["as_of"] for c in document["cut_offs"]] == [
        "2026-03-01",
        "2026-03-31",
        "2026-04-30",
        "2026-05-30",
        "2026-06-29",
    ]


def declining_exports(folder: Path) -> Path:
    """150 customers ordering weekly since 2024; 40 of them order monthly from April 2025 and
    stop after July 2025. Ordering less often is a warning (severity medium) for them."""
    start = dt.date(2024, 1, 1)
    rows = []
    for number in range(150):
        customer, last = f"C{number:03d}", dt.date(2025, 12, 31)
        day = start + dt.timedelta(days=number % 7)
        while day <= last:
            rows.append(f"{customer},{day},100")
            declining = number < 40 and day >= dt.date(2025, 4, 1)
            day += dt.timedelta(days=30 if declining else 7)
            if declining and day > dt.date(2025, 7, 31):
                break
    rules = '[[rules]]\nid = "ordering-less-often"\nseverity = "medium"\n'
    return write_exports(
        folder,
        orders="customer_id,order_date,amount\n" + "\n".join(rows) + "\n",
        **{"churnwatch.toml": rules},
    )


def test_a_series_of_cut_offs_reports_the_lead_time(tmp_path: Path) -> None:
    """The decliners are warned while they still order; the lead time says by how much."""
    folder = declining_exports(tmp_path / "exports")
    result = invoke(
        "backtest", folder, "--from", "2025-04-15", "--to", "2025-10-15", "--every", "30",
        "--horizon", "60", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lead = json.loads(result.stdout)["lead_time"]
    assert lead["churners_warned"] == 40
    assert lead["churners"] >= 40  # every customer who stopped, warned or not
    assert lead["median_days"] > 0
    assert lead["warned_before_last_order"] == 1.0


def test_a_lead_time_with_nobody_warned_is_said_not_left_out() -> None:
    """Customers stopped during the backtest, none of them warned at a cut-off: the lead time
    says so in every format instead of disappearing (as if it had not been measured)."""
    span = ("--from", "2026-03-01", "--to", "2026-07-01", "--every", "30")
    lead = run_json(*span)["lead_time"]
    assert lead["churners"] > 0 and lead["churners_warned"] == 0
    assert lead["median_days"] is None and lead["warned_before_last_order"] is None
    said = f"Lead time: none of the {lead['churners']} customers who stopped ordering"
    for output in ("table", "md"):
        result = invoke("backtest", EXPORTS, "--format", output, *span)
        assert result.exit_code == 0, result.output
        assert said in " ".join(result.stdout.split())


def test_default_cut_off_is_the_last_with_a_whole_horizon_after_it() -> None:
    assert [c["as_of"] for c in run_json()["cut_offs"]] == ["2026-07-02"]
    assert [c["as_of"] for c in run_json("--horizon", "30")["cut_offs"]] == ["2026-08-31"]


def test_a_cut_off_too_close_to_the_end_names_the_last_usable_one() -> None:
    result = invoke("backtest", EXPORTS, "--as-of", "2026-08-01")
    assert result.exit_code == 2
    error = " ".join(stderr_of(result).split())
    assert "cut-off 2026-08-01 is too close to the end of the data (2026-09-30)" in error
    assert "the last usable cut-off is 2026-07-02" in error


def test_as_of_and_a_series_do_not_mix() -> None:
    result = invoke("backtest", EXPORTS, "--as-of", "2026-06-30", "--from", "2026-01-01")
    assert result.exit_code == 2
    assert "either with --as-of or with --from/--to/--every" in stderr_of(result)


@pytest.mark.parametrize(("name", "start"), [("bt.md", b"# Backtest"), ("bt.txt", b"Backtest")])
def test_markdown_and_text_files(tmp_path: Path, name: str, start: bytes) -> None:
    target = tmp_path / name
    result = invoke("backtest", EXPORTS, "--as-of", "2026-06-30", "-o", target)
    assert result.exit_code == 0, result.output
    text = target.read_bytes()
    assert text.startswith(start)
    assert b"churnwatch risk" in text and b"calibration of the risk" in text
    assert b"\x1b[" not in text


def test_the_table_on_a_terminal_shows_the_same_figures() -> None:
    result = invoke("backtest", EXPORTS, "--as-of", "2026-06-30")
    assert result.exit_code == 0
    auc = run_json("--as-of", "2026-06-30")["cut_offs"][0]["groups"][0]["scores"][0]["roc_auc"]
    assert f"churnwatch risk {auc:.3f}" in " ".join(result.stdout.split())


# -- calibrate ------------------------------------------------------------------------------


def test_calibrate_writes_a_rules_file_that_loads(tmp_path: Path) -> None:
    target = tmp_path / "rules.toml"
    result = invoke("calibrate", EXPORTS, "--output", target)
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    rules = tomllib.loads(text)["rules"]
    assert {r["id"] for r in rules} >= {"paying-later", "overdue-customer", "lost-customer"}
    assert all(0 <= r["weight"] <= 100 for r in rules)
    pinned = {r["id"] for r in rules if r.get("pin")}
    assert "ordering-less-often" in pinned  # fired in the history: its fitted weight is kept
    assert "paying-later" not in pinned  # never fired there: as configured, not pinned
    assert "fired on" in text and "lift" in text and "never fired" in text
    # --config takes the folder's churnwatch.toml's place: its mapping would be lost
    assert "append it to the churnwatch.toml that maps the exports" in text
    assert "within 90 days with at least this probability" in text
    checked = invoke("rules", "--check", target)
    assert checked.exit_code == 0, checked.output


def test_weights_trained_on_a_shorter_horizon_are_said_to_be_its_chances() -> None:
    """Trained on 30 days where 90 were asked (too short a history): a weight is a chance
    within 30 days, carried on by the order history, and no floor on the 90-day risk; the
    file said '90 days with at least this probability'."""
    from churnwatch.render.rules_file import _weight_lines

    text = " ".join(_weight_lines(30, 90))
    assert "places no order within 30 days with at least this probability" in text
    assert "so it may be lower than a weight" in text
    assert _weight_lines(90, 90) == [_weight_lines(30, 90)[0].replace("30 days", "90 days")]


def test_calibrate_refuses_when_the_history_is_too_short() -> None:
    result = invoke("calibrate", EXAMPLES / "exports-de")
    assert result.exit_code == 2
    assert "cannot calibrate: default risk weights: too little history" in stderr_of(result)


@pytest.mark.parametrize("output", ["table", "md"])
def test_a_horizon_of_one_day_is_one_day(output: str) -> None:
    text = invoke("backtest", EXPORTS, "--horizon", "1", "--format", output).stdout
    assert "no order within 1 day" in text and "1 days" not in text
