"""`churnwatch winback`: the lost customers, worth first, with reasons and an approach."""

from __future__ import annotations

import csv
import io
import json

from scan_helpers import EXAMPLES, invoke, stderr_of, write_exports
from test_scan_examples import planted

AS_OF = "2026-09-30"


def winback(*options: str) -> dict:
    result = invoke("winback", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "json", *options)
    assert result.exit_code == 0, stderr_of(result)
    return json.loads(result.stdout)


def test_the_lost_customers_of_the_examples_worth_first() -> None:
    document = winback()
    customers = document["customers"]
    archetypes = planted("planted.csv")
    assert len(customers) == document["lost_customers"] >= 20
    assert {archetypes[c["customer_id"]] for c in customers} <= {"lost", "overdue", "multi"}
    assert sum(archetypes[c["customer_id"]] == "lost" for c in customers) == 21
    worth = [c["worth"] for c in customers]
    assert worth == sorted(worth, reverse=True)
    assert all(c["approach"].endswith("have a comeback offer ready") for c in customers)


def test_planted_trouble_before_leaving_is_a_reason() -> None:
    """The examples plant complaints shortly before a lost customer's last order."""
    customers = winback()["customers"]
    with_complaints = [c for c in customers if any("complaints" in r for r in c["reasons"])]
    assert len(with_complaints) >= len(customers) // 2
    assert all("complaint handling" in c["approach"] for c in with_complaints)


def test_min_value_top_and_owner_narrow_the_list() -> None:
    everyone = winback()["customers"]
    threshold = sorted(c["value_per_year"] for c in everyone)[len(everyone) // 2]
    rich = winback("--min-value", str(threshold))["customers"]
    assert rich and all(c["value_per_year"] >= threshold for c in rich)
    assert len(winback("--top", "3")["customers"]) == 3
    owner = everyone[0]["owner"]
    assert {c["owner"] for c in winback("--owner", owner)["customers"]} == {owner}


def test_winback_as_csv_and_table() -> None:
    csv_text = invoke("winback", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) >= 20 and rows[0]["rank"] == "1"
    table = invoke("winback", EXAMPLES / "exports", "--as-of", AS_OF, "--top", "2").stdout
    assert "lost customers as of 2026-09-30" in table and "→ " in table


def test_the_companion_list_holds_every_planted_returner() -> None:
    returners = winback()["returners"]
    archetypes = planted("planted.csv")
    assert {archetypes[r["customer_id"]] for r in returners} == {"returner"}
    assert len(returners) == sum(a == "returner" for a in archetypes.values())
    dates = [r["returner_since"] for r in returners]
    assert dates == sorted(dates, reverse=True)
    assert all("thank them for coming back" in r["action"] for r in returners)


def test_segment_narrows_the_list() -> None:
    chosen = winback("--segment", "a")["customers"]
    assert chosen and {c["segment"] for c in chosen} == {"A"}


def test_winback_in_every_machine_format(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    expected = [c["customer_id"] for c in winback()["customers"]]
    lines = invoke("winback", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "ndjson").stdout
    assert [json.loads(line)["customer_id"] for line in lines.splitlines()] == expected
    target = tmp_path / "winback.xlsx"
    assert invoke("winback", EXAMPLES / "exports", "--as-of", AS_OF, "-o", target).exit_code == 0
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == expected and isinstance(rows[1][6], float)


def test_no_lost_customer_is_said_with_the_longest_silence(tmp_path) -> None:  # type: ignore[no-untyped-def]
    young = write_exports(
        tmp_path / "young",
        orders="customer_id,order_date,amount\nK1,2025-04-10,500\nK2,2025-04-11,90\n",
    )
    result = invoke("winback", young, "--as-of", "2025-06-30")
    assert result.exit_code == 0
    assert (
        "no customer is lost (after 365 days without an order, or sooner when unlikely to order"
        " again); the longest silence is 81 days"
    ) in " ".join(result.stdout.split())


def test_lost_customers_below_the_value_asked_for_are_said_so() -> None:
    """Said once, without a headline that counts "0 lost customers" before it; a program
    reading the JSON gets the same sentence."""
    result = invoke("winback", EXAMPLES / "exports", "--as-of", AS_OF, "--min-value", "1000000")
    said = " ".join(result.stdout.split())
    why = "none of the 21 lost customers is worth 1,000,000 or more per year"
    assert said.startswith(why)
    assert "0 lost customers" not in said
    document = winback("--min-value", "1000000")
    assert document["customers"] == [] and document["lost_customers"] == 0
    assert document["why_none"].startswith(why)
    assert winback()["why_none"] is None


def test_without_master_data_the_table_has_no_empty_name_and_owner_columns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\n"
        + "".join(f"K{i},2023-0{1 + i % 9}-10,{100 + i}\n" for i in range(12))
        + "K99,2025-06-01,5\n",
    )
    result = invoke("winback", folder, "--as-of", "2025-06-30")
    header = next(line for line in result.stdout.splitlines() if "customer" in line.split())
    assert header.split()[:4] == ["#", "customer", "per", "year"]


def test_win_back_in_german() -> None:
    """--lang de: the reasons, approaches and table in German; ids, dates and figures in
    JSON stay as they are."""
    english = json.loads(
        invoke("winback", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "json").stdout
    )
    german = json.loads(
        invoke(
            "winback", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "json", "--lang", "de"
        ).stdout
    )
    same = ("customer_id", "last_order_date", "value_per_year", "left_suddenly")
    assert [[c[k] for k in same] for c in german["customers"]] == [
        [c[k] for k in same] for c in english["customers"]
    ]
    reasons = {r for c in german["customers"] for r in c["reasons"]}
    assert "Reklamationen blieben vor dem Abschied offen oder wurden langsam erledigt" in reasons
    assert all(c["approach"].endswith("bereithalten") for c in german["customers"])
    table = invoke("winback", EXAMPLES / "exports", "--as-of", AS_OF, "--lang", "de").stdout
    assert "verlorene Kunden zum Stichtag 30.09.2026" in " ".join(table.split())


def test_lost_customers_outside_the_owners_chosen_are_said_so() -> None:
    """Not "no customer is lost": the export has lost customers, none of them this owner's."""
    options = ("--as-of", AS_OF, "--owner", "Ben Carter", "--segment", "A")
    result = invoke("winback", EXAMPLES / "exports", *options)
    assert (
        "the export has 21 lost customers, none of them with the owners or segments chosen"
    ) in " ".join(result.stdout.split())


def test_winback_json_keys_come_in_the_csv_columns_order() -> None:
    """A program that reads either gets the same fields in the same order."""
    csv_text = invoke("winback", EXAMPLES / "exports", "--as-of", AS_OF, "-f", "csv").stdout
    header = next(csv.reader(io.StringIO(csv_text)))
    assert list(winback()["customers"][0]) == header


def test_long_and_hostile_ids_keep_the_table_in_shape(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A 3000-character id pushed every other column out of the table, and an id holding an
    escape sequence was measured raw, so its row's later cells stood 8 columns off."""
    long_id, escaped = "L" + "x" * 2998 + "E", "\x1b[31mRED\x1b[0m"
    rows = "".join(f"K{i},2023-0{1 + i % 9}-10,{100 + i}\n" for i in range(12))
    rows += f"{long_id},2023-02-10,500\n{escaped},2023-03-10,400\nK99,2025-06-01,5\n"
    folder = write_exports(tmp_path / "exports", orders="customer_id,order_date,amount\n" + rows)
    result = invoke("winback", folder, "--as-of", "2025-06-30")
    assert result.exit_code == 0, stderr_of(result)
    assert long_id not in result.stdout and "\x1b" not in result.stdout
    assert "Lxxxxxx…xxxxxxxxxxxxxxxE" in result.stdout and "\\x1b[31mRED\\x1b[0m" in result.stdout
    dates = [line.index("2023-") for line in result.stdout.splitlines() if "2023-" in line]
    assert len(dates) == 14 and len(set(dates)) == 1  # every row's last order in one column


def test_winback_csv_for_german_excel() -> None:
    """``--csv-dialect excel-de``, as the scan has it: ';', decimal commas and the BOM by
    which Excel reads UTF-8; a CSV option with another format is refused."""
    base = ("winback", EXAMPLES / "exports", "--as-of", AS_OF, "--top", "3")
    plain = list(csv.DictReader(io.StringIO(invoke(*base, "-f", "csv").stdout)))
    german = invoke(*base, "-f", "csv", "--csv-dialect", "excel-de")
    assert german.exit_code == 0, stderr_of(german)
    assert german.stdout.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(german.stdout.lstrip("\ufeff")), delimiter=";"))
    assert [r["customer_id"] for r in rows] == [r["customer_id"] for r in plain]
    assert [r["worth"] for r in rows] == [r["worth"].replace(".", ",") for r in plain]
    refused = invoke(*base, "-f", "json", "--csv-dialect", "excel-de")
    assert refused.exit_code == 2
    assert "--csv-dialect and --no-formula-guard apply to csv output, not json" in stderr_of(
        refused
    )
