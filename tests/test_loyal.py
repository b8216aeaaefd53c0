"""`churnwatch loyal`: the loyal core, most valuable first."""

from __future__ import annotations

import csv
import io
import json

from scan_helpers import EXAMPLES, invoke, stderr_of, write_exports
from test_scan_examples import planted

AS_OF = "2026-09-30"


def test_the_loyal_core_of_the_examples_is_healthy_long_and_valuable() -> None:
    result = invoke("loyal", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "json")
    assert result.exit_code == 0, stderr_of(result)
    customers = json.loads(result.stdout)["customers"]
    archetypes = planted("planted.csv")
    assert len(customers) >= 20
    assert {archetypes[c["customer_id"]] for c in customers} == {"healthy"}
    assert all(c["features"]["tenure_days"] >= 730 and c["risk"] < 0.4 for c in customers)
    values = [c["features"]["lifetime_revenue"] / c["features"]["tenure_days"] for c in customers]
    assert values == sorted(values, reverse=True)
    assert [c["rank"] for c in customers] == list(range(1, len(customers) + 1))


def test_the_loyal_table_says_what_to_do() -> None:
    result = invoke("loyal", EXAMPLES / "exports", "--as-of", AS_OF, "--top", "3")
    lines = result.stdout.splitlines()
    assert "loyal customers as of 2026-09-30" in lines[0]
    assert "Thank them explicitly" in result.stdout
    assert "showing 3 of" in lines[-1]
    assert all(line == line.rstrip() for line in lines)


def test_loyal_as_csv_has_the_scan_columns() -> None:
    result = invoke("loyal", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    scan = invoke("scan", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "csv").stdout
    assert list(rows[0]) == scan.splitlines()[0].replace('"', "").split(",")


def test_filters_narrow_the_core_without_changing_it() -> None:
    base = ("loyal", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "json")
    everyone = json.loads(invoke(*base).stdout)["customers"]
    mine = json.loads(invoke(*base, "--owner", "Ben Carter", "--segment", "A").stdout)["customers"]
    expected = [
        c["customer_id"] for c in everyone if (c["owner"], c["segment"]) == ("Ben Carter", "A")
    ]
    assert [c["customer_id"] for c in mine] == expected


def test_an_empty_loyal_core_says_which_criterion_no_one_meets(tmp_path) -> None:  # type: ignore[no-untyped-def]
    young = write_exports(
        tmp_path / "young",
        orders="customer_id,order_date,amount\nK1,2025-04-10,500\nK1,2025-05-10,90\n"
        "K2,2025-04-11,90\n",
    )
    result = invoke("loyal", young, "--as-of", "2025-06-30")
    assert result.exit_code == 0
    assert "none qualifies: 2 not lost, of them 0 a customer for 730 days or more" in " ".join(
        result.stdout.split()
    )


def test_a_loyal_core_outside_the_segment_chosen_is_said_so() -> None:
    result = invoke("loyal", EXAMPLES / "exports", "--as-of", AS_OF, "--segment", "C")
    assert result.exit_code == 0
    assert (
        "the loyal core has 45 customers, none of them with the owners or segments chosen"
        in " ".join(result.stdout.split())
    )


def test_the_loyal_core_in_german() -> None:
    table = invoke("loyal", EXAMPLES / "exports", "--as-of", AS_OF, "--top", "3", "--lang", "de")
    text = " ".join(table.stdout.split())
    assert "45 treue Kunden zum Stichtag 30.09.2026: seit 730 Tagen oder länger Kunde" in text
    assert "→ Bedanken Sie sich ausdrücklich" in text and "3 von 45 gezeigt (--top)" in text
    empty = invoke(
        "loyal", EXAMPLES / "exports", "--as-of", AS_OF, "--segment", "C", "--lang", "de"
    )
    assert "im treuen Kern: 45 Kunden, keiner davon bei den gewählten" in " ".join(
        empty.stdout.split()
    )


def test_loyal_machine_output_takes_the_scans_output_options() -> None:
    """Sales ops take the loyal core into a German spreadsheet as they take the scan's list:
    ``--lang`` reached the table only (the CSV's texts stayed English), and ``loyal`` had no
    ``--csv-dialect``, ``--no-formula-guard`` or ``--pretty``."""
    base = ("loyal", EXAMPLES / "exports", "--as-of", AS_OF, "--top", "2")
    german = invoke(*base, "-f", "csv", "--lang", "de", "--csv-dialect", "excel-de")
    assert german.exit_code == 0, stderr_of(german)
    assert german.stdout.startswith("\ufeff") and '"rank";"as_of"' in german.stdout
    row = next(csv.DictReader(io.StringIO(german.stdout.lstrip("\ufeff")), delimiter=";"))
    assert "bestellt sonst alle" in row["history"] and "," in row["risk"]
    pretty = invoke(*base, "-f", "json", "--pretty")
    assert pretty.stdout.startswith('{\n  "schema_version"')
    assert json.loads(pretty.stdout) == json.loads(invoke(*base, "-f", "json").stdout)
    unguarded = invoke(*base, "-f", "csv", "--no-formula-guard")
    assert unguarded.exit_code == 0, stderr_of(unguarded)
    for options, said in [
        (("-f", "json", "--csv-dialect", "excel"), "apply to csv output, not json"),
        (("-f", "csv", "--pretty"), "--pretty applies to json output, not csv"),
    ]:
        refused = invoke(*base, *options)
        assert refused.exit_code == 2 and said in stderr_of(refused)
