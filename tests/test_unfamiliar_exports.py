"""Exports in words no one on the project chose go through `init` → `scan` unedited, and every
planted signal fires. The fixtures come from
``python examples/generate.py --unfamiliar tests/fixtures/unfamiliar``.

- ``shop-de``: a German online shop; UTF-8 with BOM and Excel's ``sep=;`` line, amounts like
  ``2.588,81 €``, order channels ``Online-Shop``/``Telefon``/``Außendienst``, priorities
  ``Prio 1``–``Prio 3``, contact outcomes ``Mailbox``/``besetzt``/``keine Antwort``.
- ``crm-en``: an English CRM; US dates, ``$1,234.56``, lead sources ``Web``/``E-mail``/
  ``Inbound Call``/``Sales Rep``, priorities ``P1 - Urgent``…, outcomes ``Left Voicemail``….
- ``erp-de``: a German ERP; cp1252, a DATEV ``EXTF`` line, ``Brutto`` before ``Netto``, order
  types ``Selbstbesteller`` (known to no list) and ``Außendienst``, severities ``1``–``3``.
"""

from __future__ import annotations

import csv
import json
import shutil
from typing import Any

import pytest

from churnwatch.config import read_toml
from scan_helpers import TESTS, invoke, stderr_of
from test_scan_examples import TYPICAL

FIXTURES = TESTS / "fixtures" / "unfamiliar"
VARIANTS = ("shop-de", "crm-en", "erp-de")


@pytest.fixture(scope="module", params=VARIANTS)
def initialised(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder = tmp_path_factory.mktemp("unfamiliar") / request.param
    shutil.copytree(FIXTURES / request.param, folder)
    init = invoke("init", folder)
    assert init.exit_code == 0, stderr_of(init)
    scan = invoke("scan", folder, "--format", "json", "--as-of", "2026-09-30")
    assert scan.exit_code == 0, stderr_of(scan)
    with (FIXTURES / f"{request.param}.planted.csv").open(encoding="utf-8") as handle:
        planted = {row["customer_id"]: row["archetype"] for row in csv.DictReader(handle)}
    return request.param, folder, init, scan, planted


def test_init_understands_every_value(initialised: Any) -> None:
    _, _, init, _, _ = initialised
    assert "not understood" not in init.stdout
    assert "warning" not in init.stdout


def test_scan_reports_no_data_problem(initialised: Any) -> None:
    _, _, _, scan, _ = initialised
    assert "warning" not in stderr_of(scan)
    assert "not understood" not in stderr_of(scan)


@pytest.mark.parametrize("archetype", list(TYPICAL))
def test_every_planted_signal_fires(initialised: Any, archetype: str) -> None:
    _, _, _, scan, planted = initialised
    customers = json.loads(scan.stdout)["customers"]
    fired = [
        {s["id"] for s in c["signals"]} for c in customers if planted[c["customer_id"]] == archetype
    ]
    assert fired
    assert all(signals & TYPICAL[archetype] for signals in fired)


def test_high_severity_complaints_are_counted(initialised: Any) -> None:
    _, _, _, scan, planted = initialised
    customers = json.loads(scan.stdout)["customers"]
    high = [
        c["features"]["high_severity_recent"]
        for c in customers
        if planted[c["customer_id"]] == "complaining"
    ]
    assert all(h >= 1 for h in high), high


def test_init_says_what_it_inferred(initialised: Any) -> None:
    name, folder, init, _, _ = initialised
    config = read_toml(folder / "churnwatch.toml")["sources"]
    text = (folder / "churnwatch.toml").read_text(encoding="utf-8")
    if name == "erp-de":
        assert config["orders"]["columns"]["amount"] == "Netto"
        assert config["orders"]["values"]["channel"] == {
            "inbound": ["Selbstbesteller"],
            "outbound": ["Außendienst"],
        }
        assert "# 'Selbstbesteller' read as inbound (inferred" in text
        assert config["complaints"]["values"]["severity"] == {
            "low": ["1"],
            "medium": ["2"],
            "high": ["3"],
        }
    if name == "shop-de":
        assert config["complaints"]["values"]["severity"]["high"] == ["Prio 1"]
        assert "(ranked by the numbers in the values)" in " ".join(init.stdout.split())
