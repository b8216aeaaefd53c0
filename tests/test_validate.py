"""``churnwatch validate``: per-source counts and the data-quality report."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from rich.console import Console

from churnwatch.ingest.problems import Level, Problem
from churnwatch.render.data_quality import render_problems
from helpers import flat, load, problem
from scan_helpers import write_exports

ROW = re.compile(
    r"^\s*(?P<source>orders|payments|complaints|contacts|customers)\s+(?P<rows>[\d,]+)"
    r"\s+(?P<skipped>[\d,]+)\s+(?P<dupes>[\d,]+)\s+(?P<customers>[\d,]+)\s+(?P<orphans>[\d,]+)"
    r"\s+(?P<first>\S+)\s+(?P<last>\S+)\s*$"
)


def table_rows(output: str) -> dict[str, dict[str, str]]:
    """The summary table of ``validate``, as {source: {column: text}}."""
    rows = {}
    for line in output.splitlines():
        match = ROW.match(line)
        if match:
            rows[match["source"]] = match.groupdict()
    return rows


def number(text: str) -> int:
    return int(text.replace(",", ""))


def data_lines(path: Path, encoding: str = "utf-8") -> list[str]:
    return path.read_text(encoding=encoding).splitlines()[1:]


def test_validate_canonical_exports(examples_dir, cli):
    folder = examples_dir / "exports"
    result = cli("validate", folder, "--as-of", "2026-09-30")  # the examples' latest order
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    rows = table_rows(result.stdout)
    assert list(rows) == ["orders", "payments", "complaints", "contacts", "customers"]
    for source, row in rows.items():
        assert number(row["rows"]) == len(data_lines(folder / f"{source}.csv")), source
        assert (row["skipped"], row["dupes"], row["orphans"]) == ("0", "0", "0"), source
    with (folder / "orders.csv").open(newline="") as handle:
        orders = list(csv.DictReader(handle))
    latest = max(order["order_date"] for order in orders)
    assert rows["orders"]["first"] == min(order["order_date"] for order in orders)
    assert rows["orders"]["last"] == latest
    customers = {order["customer_id"] for order in orders}
    assert number(rows["orders"]["customers"]) == len(customers)
    output = flat(result.stdout)
    assert f"{folder} · as of {latest}" in output
    assert "orders: orders.csv read as utf-8, delimiter ',', decimal '.', dates %Y-%m-%d" in output
    assert f"usable: as of {latest}, {len(customers):,} customers" in output
    assert "warning:" not in output
    padded = [line for line in result.stdout.splitlines() if line.endswith(" ")]
    assert padded == []  # piped into diff or grep: no blanks padding the table's lines


def test_validate_german_exports_reports_bad_dates_and_the_duplicate(examples_dir, cli):
    folder = examples_dir / "exports-de"
    lines = data_lines(folder / "Auftraege.csv", "cp1252")
    bad = [n + 2 for n, line in enumerate(lines) if re.search(r"31\.02\.2025|xx\.05\.2025", line)]
    twin = [n + 2 for n in range(1, len(lines)) if lines[n] == lines[n - 1]]
    assert len(bad) == 2 and len(twin) == 1  # the defects the README plants

    result = cli("validate", folder, "--as-of", "2026-09-30")
    assert result.exit_code == 0, result.stderr
    orders = table_rows(result.stdout)["orders"]
    assert (number(orders["rows"]), orders["skipped"], orders["dupes"]) == (len(lines), "2", "1")
    output = flat(result.stdout)
    assert (
        f"warning: Auftraege.csv: column 'Belegdatum': 2 rows skipped: not a valid date in the"
        f" form %d.%m.%Y (lines {bad[0]}, {bad[1]}; e.g. '31.02.2025', 'xx.05.2025')"
    ) in output
    assert (
        f"warning: Auftraege.csv:{twin[0]}: 1 row dropped: exact duplicate of an earlier row"
    ) in output
    assert (
        "orders: Auftraege.csv read as cp1252, delimiter ';', decimal ',', thousands '.',"
        " dates %d.%m.%Y"
    ) in output
    assert output.count("warning:") == 2


def test_validate_warns_about_stale_exports_as_the_scan_does(examples_dir, cli):
    """What `scan --strict` refuses, `validate` shows: exports not refreshed for long."""
    result = cli("validate", examples_dir / "exports", "--as-of", "2026-09-30")
    assert "stale" not in result.stdout + result.stderr  # a past date asked for on purpose
    stale = cli("validate", examples_dir / "exports")  # today is long after the examples' end
    assert stale.exit_code == 0
    assert "the exports look stale" in flat(stale.stdout + stale.stderr)


def test_validate_counts_skipped_rows_once(exports, use_fixture, cli):
    """A row with a bad date and a bad amount is one skipped row, not two."""
    use_fixture("orders", "bad_date_and_amount_same_row.csv")
    result = cli("validate", exports)
    assert result.exit_code == 0, result.stderr
    orders = table_rows(result.stdout)["orders"]
    assert (orders["rows"], orders["skipped"], orders["customers"]) == ("3", "1", "2")


def test_validate_fails_when_most_rows_are_skipped(exports, use_fixture, cli):
    """3 of 5 rows unreadable smells of a wrong dialect: counted, shown, and not usable."""
    use_fixture("orders", "bad_amounts.csv")
    result = cli("validate", exports)
    assert result.exit_code == 2
    orders = table_rows(result.stdout)["orders"]
    assert (orders["rows"], orders["skipped"], orders["customers"]) == ("5", "3", "2")
    assert "not usable: orders.csv: 3 of 5 rows (60%) were skipped" in flat(result.stderr)


def test_problem_list_shows_warnings_first_and_is_capped():
    problems = [
        Problem("orders", "orders.csv", "orphan", f"note {i}", level=Level.NOTE) for i in range(3)
    ]
    problems += [Problem("orders", "orders.csv", "bad_date", f"warning {i}") for i in range(22)]
    out = io.StringIO()
    render_problems(Console(file=out, width=120), problems)
    lines = out.getvalue().splitlines()
    assert lines[:20] == [f"warning: orders.csv: warning {i}" for i in range(20)]
    assert lines[20:] == ["… and 5 more"]


def test_optional_columns_named_otherwise_are_pointed_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Without a mapping, 'Account Manager' is not read as the owner: said, with the lines to
    paste, where --owner would otherwise find no owner column without a word why."""
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nK1,2025-01-02,5\n",
        customers="Customer ID,Company Name,Account Manager\nK1,Kunde GmbH,Anna Schmidt\n",
    )
    note = problem(load(folder), "unread_columns", "customers")
    assert note.level is Level.NOTE
    assert note.fix == (
        "[sources.customers.columns]",
        'name = "Company Name"',
        'owner = "Account Manager"',
    )
    assert "'Account Manager' looks like owner" in note.describe()
