"""Nothing dated after the reference date reaches features, fits, weights, risks or phases."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from churnwatch import api
from scan_helpers import EXAMPLES, invoke

AS_OF = "2026-06-30"


def rewrite(path: Path, change: Any) -> None:
    """Apply ``change(row)`` to every row of a CSV file (it may return extra rows to add)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    out: list[dict[str, str]] = []
    for row in rows:
        out += change(row)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields or [])
        writer.writeheader()
        writer.writerows(out)


def later(day: str) -> bool:
    return bool(day) and day > AS_OF


def change_orders(row: dict[str, str]) -> list[dict[str, str]]:
    if not later(row["order_date"]):
        return [row]
    louder = {**row, "amount": str(float(row["amount"]) * 10), "order_date": "2026-09-29"}
    newcomer = {**row, "customer_id": "C9999", "order_id": row["order_id"] + "N"}
    return [louder, newcomer]


def change_payments(row: dict[str, str]) -> list[dict[str, str]]:
    if later(row["paid_date"]):
        return [{**row, "paid_date": "2026-09-30"}]
    if later(row["invoice_date"]):
        return [{**row, "due_date": "2026-12-31", "amount": "1"}]
    return [row]


def change_complaints(row: dict[str, str]) -> list[dict[str, str]]:
    if later(row["opened_date"]):
        return [{**row, "severity": "high", "opened_date": "2026-07-01"}]
    if later(row["closed_date"]):
        return [{**row, "closed_date": ""}]  # still open when the reference date came
    return [row]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    original = tmp_path_factory.mktemp("original") / "exports"
    shutil.copytree(EXAMPLES / "exports", original)
    changed = tmp_path_factory.mktemp("changed") / "exports"
    shutil.copytree(EXAMPLES / "exports", changed)
    rewrite(changed / "orders.csv", change_orders)
    rewrite(changed / "payments.csv", change_payments)
    rewrite(changed / "complaints.csv", change_complaints)
    assert (changed / "orders.csv").read_bytes() != (original / "orders.csv").read_bytes()
    return original, changed


def test_machine_output_is_identical(folders: tuple[Path, Path]) -> None:
    documents = [
        json.loads(invoke("scan", folder, "--as-of", AS_OF, "--format", "json").stdout)
        for folder in folders
    ]
    assert documents[0]["risk_model"]["weights"] == "fitted"
    # The notes describe the files as read (the changed one has duplicates after the
    # reference date); everything computed must be the same.
    notes = [document.pop("notes") for document in documents]
    assert notes[0] == [] and all("duplicate" in note for note in notes[1])
    assert documents[0] == documents[1]


def test_fitted_parameters_are_identical(folders: tuple[Path, Path]) -> None:
    runs = [api.scan_exports(folder, as_of=dt.date.fromisoformat(AS_OF)) for folder in folders]
    results = [run.result for run in runs]
    assert results[0].model.training == results[1].model.training
    assert results[0].model.weights == results[1].model.weights
    for column in ("risk", "base_risk", "p_alive", "severity"):
        assert np.array_equal(
            results[0].customers[column].to_numpy(), results[1].customers[column].to_numpy()
        )
    assert list(results[0].phases()) == list(results[1].phases())
    assert runs[1].cut.later("orders").shape[0] > runs[0].cut.later("orders").shape[0]
