"""Golden files: every renderer's exact output for a tiny fixed set of exports.

After an intended change of the output, regenerate and review the diff::

    CHURNWATCH_UPDATE_GOLDEN=1 pytest tests/test_render_golden.py
"""

from __future__ import annotations

import json
import os

import pytest

from scan_helpers import ANSI, GOLDEN, invoke

EXPORTS = GOLDEN / "exports"
AS_OF = "2025-06-30"
UPDATE = os.environ.get("CHURNWATCH_UPDATE_GOLDEN") == "1"
OUTPUTS = {
    "scan.json": ["--format", "json"],
    "scan.ndjson": ["--format", "ndjson"],
    "scan.csv": ["--format", "csv"],
    "scan.txt": [],
    "scan-top2.txt": ["--top", "2"],
}


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def render(options: list[str]) -> str:
    result = invoke("scan", EXPORTS, "--as-of", AS_OF, *options)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("name", list(OUTPUTS))
def test_output_matches_golden_file(name: str) -> None:
    text = render(OUTPUTS[name])
    golden = GOLDEN / name
    if UPDATE:
        golden.write_text(text, encoding="utf-8", newline="")
    expected = golden.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs; see the module docstring to regenerate"
    assert ANSI not in text


def test_golden_outputs_show_the_planted_signals() -> None:
    """A guard against blessing a broken golden file: the signals behind it are right."""
    records = {r["customer_id"]: r for r in json.loads(render(OUTPUTS["scan.json"]))["customers"]}
    # D (lost a year ago) is the likeliest not to order; A has every warning signal.
    assert list(records) == ["D", "A", "C", "B"]
    assert [records[c]["phase"] for c in "DACB"] == [
        "lost",
        "degeneration",
        "maturity",
        "initiation",
    ]
    assert {s["id"] for s in records["A"]["signals"]} == {
        "shrinking-orders",
        "orders-only-when-asked",
        "complaining-more",
        "complaints-unresolved",
        "paying-later",
        "overdue-invoices",
    }
    assert [s["id"] for s in records["C"]["signals"]] == ["returned-after-lapse"]
    assert [s["id"] for s in records["D"]["signals"]] == ["lost-customer"]
    assert records["B"]["signals"] == []
    assert records["B"]["name"] == "=Beta()"  # JSON is not a spreadsheet: left as it is
