"""Does the ranking predict? Real purchase histories: CDNOW, sample and full file.

Reference date 1997-09-30; churned = no purchase after it up to 1998-06-30 (39 weeks). The
order of ``scan --format json`` and the ``backtest`` (with that horizon) must beat the better
of the two simple baselines, days since the last order and BG/NBD's P(no order), over all
customers and over those who ordered in the 90 days before the reference date.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cdnow_data import LABEL_END, MISSING, REFERENCE, data_file, write_orders
from churnwatch.analyses.evaluation import roc_auc
from scan_helpers import invoke

pytestmark = pytest.mark.skipif(data_file("full") is None, reason=MISSING)
HORIZON = "273"  # 1997-09-30 + 273 days = 1998-06-30
# (all customers, ordered in the last 90 days): how far above the better baseline at least
MARGIN = {"sample": (0.005, -0.005), "full": (0.008, 0.008)}


@pytest.fixture(scope="module", params=["sample", "full"])
def exports(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = write_orders(request.param, tmp_path_factory.mktemp(request.param))
    return request.param, folder


def churned(folder: Path) -> dict[str, bool]:
    """Per customer with an order up to the reference date: no purchase after it, up to the end."""
    seen: dict[str, bool] = {}
    with (folder / "orders.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            day, customer = row["order_date"], row["customer_id"].lstrip("0")
            if day <= REFERENCE:
                seen.setdefault(customer, True)
            elif day <= LABEL_END:
                seen[customer] = False
    return seen


def backtest(folder: Path, *options: str) -> dict[str, Any]:
    result = invoke("backtest", folder, "--as-of", REFERENCE, "--format", "json", *options)
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def auc_of(group: dict[str, Any], name: str) -> float:
    return float(next(s["roc_auc"] for s in group["scores"] if s["name"] == name))


def baselines(group: dict[str, Any]) -> float:
    return max(auc_of(group, "days since the last order"), auc_of(group, "BG/NBD P(no order)"))


def test_scan_order_beats_the_baselines(exports: Any) -> None:
    which, folder = exports
    result = invoke("scan", folder, "--as-of", REFERENCE, "--format", "json")
    assert result.exit_code == 0
    customers = json.loads(result.stdout)["customers"]
    truth = churned(folder)
    labels = np.array([truth[c["customer_id"].lstrip("0")] for c in customers], dtype=float)
    order = -np.arange(len(customers), dtype=float)  # the first is the riskiest
    recent = np.array([c["features"]["days_since_last_order"] < 90 for c in customers])
    groups = backtest(folder, "--horizon", HORIZON)["cut_offs"][0]["groups"]
    masks = (np.ones_like(recent), recent)
    for index, (mask, margin) in enumerate(zip(masks, MARGIN[which], strict=True)):
        assert groups[index]["customers"] == int(mask.sum())
        ours = roc_auc(order[mask], labels[mask])
        assert ours >= baselines(groups[index]) + margin, (which, groups[index]["name"], ours)


def test_backtest_beats_the_baselines(exports: Any) -> None:
    which, folder = exports
    groups = backtest(folder, "--horizon", HORIZON)["cut_offs"][0]["groups"]
    for group, margin in zip(groups, MARGIN[which], strict=True):
        assert auc_of(group, "churnwatch risk") >= baselines(group) + margin, (which, group)


def test_the_risk_is_calibrated_on_the_full_file(tmp_path: Path) -> None:
    """Observed and predicted no-order rates (the default 90-day horizon) agree within 5 points
    in every decile of predicted risk."""
    group = backtest(write_orders("full", tmp_path))["cut_offs"][0]["groups"][0]
    risk = next(s for s in group["scores"] if s["name"] == "churnwatch risk")
    gaps = [abs(d["predicted"] - d["observed"]) for d in risk["calibration"]["deciles"]]
    assert max(gaps) <= 0.05
    assert risk["calibration"]["expected_error"] <= 0.02
