"""Data-driven rule cases: tests/rule_cases/<rule-id>/ holds tiny exports and a case.toml.

``case.toml`` names the reference date, the customers the rule must flag, the customers it
must not flag (near misses), and why for each.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from churnwatch.render.records import to_records
from churnwatch.rules.catalog import default_rules
from scan_helpers import RULE_CASES, fired_for, scan

CASES = sorted(path for path in RULE_CASES.iterdir() if (path / "case.toml").is_file())


def read_case(folder: Path) -> dict[str, Any]:
    with (folder / "case.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_every_default_rule_has_a_case() -> None:
    assert [path.name for path in CASES] == sorted(rule.id for rule in default_rules())


@pytest.mark.parametrize("folder", CASES, ids=[path.name for path in CASES])
def test_case_is_well_formed(folder: Path) -> None:
    case = read_case(folder)
    assert case["rule"] == folder.name
    assert case["flagged"]
    assert case["not_flagged"]
    assert not set(case["flagged"]) & set(case["not_flagged"])
    assert set(case["why"]) == set(case["flagged"]) | set(case["not_flagged"])


@pytest.mark.parametrize("folder", CASES, ids=[path.name for path in CASES])
def test_rule_flags_exactly_the_expected_customers(folder: Path) -> None:
    case = read_case(folder)
    result = scan(folder, as_of=case["as_of"])
    scanned = set(result.customers["customer_id"])
    assert set(case["flagged"]) | set(case["not_flagged"]) <= scanned
    assert case["rule"] not in {rule.id for rule in result.not_applicable}
    fired = fired_for(result, case["rule"])
    assert fired >= set(case["flagged"]), "missed: " + str(set(case["flagged"]) - fired)
    wrongly = fired & set(case["not_flagged"])
    assert not wrongly, "wrongly flagged: " + "; ".join(f"{c}: {case['why'][c]}" for c in wrongly)


@pytest.mark.parametrize("folder", CASES, ids=[path.name for path in CASES])
def test_flagged_customers_show_the_rule_in_their_records(folder: Path) -> None:
    """The signal reaches the output with its explanation filled in."""
    case = read_case(folder)
    records = {r["customer_id"]: r for r in to_records(scan(folder, as_of=case["as_of"]))}
    for customer in case["flagged"]:
        signal = next(s for s in records[customer]["signals"] if s["id"] == case["rule"])
        assert signal["detail"]
        assert "{" not in signal["detail"]
        assert signal["action"]
    for customer in case["not_flagged"]:
        assert case["rule"] not in [s["id"] for s in records[customer]["signals"]]
