"""Machine-readable output (JSON, NDJSON, CSV), output files, and the table for people."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

import churnwatch.deliver.atomic
from churnwatch.features import DATE_FEATURES, FEATURES, VALUE_FEATURES
from scan_helpers import ANSI, EXAMPLES, GOLDEN, invoke, scan, stderr_of, write_exports

EXPORTS = EXAMPLES / "exports"
AS_OF = "2026-09-30"
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FIXED = [
    "rank",
    "customer_id",
    "name",
    "segment",
    "owner",
    "email",
    "risk",
    "severity",
    "phase",
    "base_risk",
    "history",
]


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")


def scan_text(*options: object, folder: Path = EXPORTS, as_of: str = AS_OF) -> str:
    result = invoke("scan", folder, "--as-of", as_of, *options)
    assert result.exit_code == 0, result.output
    return result.stdout


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    result = invoke("scan", EXPORTS, "--as-of", AS_OF, "--format", "json")
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


# -- JSON / NDJSON ------------------------------------------------------------------------


def test_json_header(document: dict[str, Any]) -> None:
    assert list(document) == [
        "schema_version",
        "as_of",
        "horizon_days",
        "risk_model",
        "sources",
        "rules_not_applicable",
        "notes",
        "customers",
    ]
    assert (document["schema_version"], document["as_of"]) == (4, AS_OF)
    assert document["horizon_days"] == 90
    assert document["risk_model"]["weights"] == "fitted"
    # the latest day of the training grid (15 days apart) on or before as_of − 90 days
    assert document["risk_model"]["trained_as_of"][:2] == ["2026-06-21", "2026-06-06"]
    assert [s["name"] for s in document["sources"]] == [
        "orders",
        "payments",
        "complaints",
        "contacts",
        "customers",
    ]
    assert document["sources"][0]["file"] == "orders.csv"
    assert document["rules_not_applicable"] == []


def test_json_customers_are_ranked(document: dict[str, Any]) -> None:
    customers = document["customers"]
    assert len(customers) == 300
    assert [c["rank"] for c in customers] == list(range(1, 301))
    risks = [c["risk"] for c in customers]
    assert risks == sorted(risks, reverse=True)
    assert all(0 <= r <= 1 for r in risks)
    assert list(customers[0]) == [*FIXED, "signals", "features"]
    assert list(customers[0]["features"]) == list(VALUE_FEATURES)


def test_json_dates_are_iso(document: dict[str, Any]) -> None:
    for customer in document["customers"]:
        for name in DATE_FEATURES:
            value = customer["features"][name]
            assert value is None or ISO.match(value), value
    assert all(c["features"]["first_order_date"] for c in document["customers"])


def test_json_whole_counts_are_integers(document: dict[str, Any]) -> None:
    features = document["customers"][0]["features"]
    assert isinstance(features["order_count"], int)
    assert isinstance(features["tenure_days"], int)
    assert isinstance(features["order_rate_recent"], float)


def test_ndjson_is_one_object_per_line(document: dict[str, Any]) -> None:
    text = scan_text("--format", "ndjson")
    assert text.endswith("\n")
    lines = text.split("\n")[:-1]
    assert len(lines) == 300
    records = [json.loads(line) for line in lines]
    assert all(isinstance(r, dict) for r in records)
    assert all(r.pop("as_of") == AS_OF for r in records)  # each line stands alone
    assert records == document["customers"]


@pytest.mark.parametrize("output_format", ["json", "ndjson", "csv"])
def test_machine_output_is_deterministic(output_format: str) -> None:
    first = scan_text("--format", output_format)
    assert scan_text("--format", output_format) == first


@pytest.mark.parametrize("output_format", ["json", "ndjson", "csv"])
def test_machine_output_has_no_ansi_even_when_colour_is_forced(
    monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ANSI not in scan_text("--format", output_format)


# -- CSV ----------------------------------------------------------------------------------


def test_csv_has_one_row_per_customer(document: dict[str, Any]) -> None:
    text = scan_text("--format", "csv")
    assert not text.startswith("\ufeff")  # a BOM only in the dialects for Excel
    rows = csv_rows(text)
    assert len(rows) == 300
    assert list(rows[0]) == [
        "rank",
        "as_of",
        *FIXED[1:],
        "signals",
        "reasons",
        "action",
        *VALUE_FEATURES,
    ]
    assert {row["as_of"] for row in rows} == {AS_OF}
    for row, record in zip(rows, document["customers"], strict=True):
        assert row["customer_id"] == record["customer_id"]
        assert float(row["risk"]) == record["risk"]
        assert row["history"] == record["history"]
        assert row["severity"] == record["severity"]
        assert row["signals"] == "; ".join(s["id"] for s in record["signals"])
        assert row["last_order_date"] == record["features"]["last_order_date"]


def test_csv_values_round_trip_to_json(document: dict[str, Any]) -> None:
    rows = csv_rows(scan_text("--format", "csv"))
    for row, record in zip(rows[:40], document["customers"][:40], strict=True):
        for name, value in record["features"].items():
            if value is None:
                assert row[name] == ""
            elif name in DATE_FEATURES:
                assert row[name] == value
            else:
                assert float(row[name]) == pytest.approx(value), name


def test_csv_first_action_and_reasons(document: dict[str, Any]) -> None:
    row = csv_rows(scan_text("--format", "csv", "--top", "1"))[0]
    signals = document["customers"][0]["signals"]
    assert row["action"] == signals[0]["action"]
    assert row["reasons"] == " | ".join(f"{s['title']}: {s['detail']}" for s in signals)


INJECTION = {
    "A": (
        '"=HYPERLINK(""http://evil.example"",""click"")"',
        '=HYPERLINK("http://evil.example","click")',
    ),
    "B": ("+cmd|' /C calc'!A0", "+cmd|' /C calc'!A0"),
    "C": ("@x", "@x"),
    "D": ("-cmd", "-cmd"),
    "E": ('"\tTAB"', "\tTAB"),
}
NUMBERS = {"F": "-5", "G": "-1.5e3", "H": "+49", "I": "Plain Name"}


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    ids = [*INJECTION, *NUMBERS]
    names = {c: written for c, (written, _) in INJECTION.items()} | NUMBERS
    return write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\n" + "".join(f"{c},2025-01-10,100\n" for c in ids),
        customers="customer_id,name,owner\n"
        + "".join(f"{c},{names[c]},{'=1+1' if c == 'A' else 'Ann'}\n" for c in ids),
    )


def test_csv_neutralises_formulas(hostile: Path) -> None:
    rows = {r["customer_id"]: r for r in csv_rows(scan_text("--format", "csv", folder=hostile))}
    for customer, (_, name) in INJECTION.items():
        assert rows[customer]["name"] == "'" + name
    assert rows["A"]["owner"] == "'=1+1"
    assert rows["B"]["owner"] == "Ann"


def test_csv_keeps_numbers_as_numbers(hostile: Path) -> None:
    """A name that is a plain number (even negative) is no formula, and features stay numbers."""
    rows = {r["customer_id"]: r for r in csv_rows(scan_text("--format", "csv", folder=hostile))}
    for customer, name in NUMBERS.items():
        assert rows[customer]["name"] == name
    assert all(not v.startswith("'") for r in rows.values() for k, v in r.items() if k in FEATURES)


def test_negative_feature_values_are_plain_numbers_in_csv() -> None:
    rows = csv_rows(scan_text("--format", "csv"))
    negative = [r["order_value_change"] for r in rows if r["order_value_change"].startswith("-")]
    assert negative
    assert all(float(v) < 0 for v in negative)


def test_a_change_that_rounds_to_nothing_is_zero_not_minus_zero() -> None:
    """-0.00001 rounds to -0.0, which JSON writes as ``-0.0`` and a CSV as ``-0``."""
    import pandas as pd

    from churnwatch.render.records import output_array

    values = output_array("order_value_change", pd.Series([-0.00001, -0.0, 0.25, -0.5]))
    assert [str(v) for v in values.to_pylist()] == ["0.0", "0.0", "0.25", "-0.5"]


def test_json_keeps_names_verbatim(hostile: Path) -> None:
    records = json.loads(scan_text("--format", "json", folder=hostile))["customers"]
    names = {r["customer_id"]: r["name"] for r in records}
    assert names["A"] == INJECTION["A"][1]
    assert names["F"] == "-5"


# -- narrowing ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "top"),
    [(["--top", "10"], 10), (["--min-risk", "50"], None), (["--min-risk", "50", "--top", "5"], 5)],
)
def test_top_and_min_risk_narrow(
    document: dict[str, Any], options: list[str], top: int | None
) -> None:
    narrowed = json.loads(scan_text("--format", "json", *options))["customers"]
    risky = [c for c in document["customers"] if "--min-risk" not in options or c["risk"] >= 0.495]
    assert narrowed == risky[:top]
    rows = csv_rows(scan_text("--format", "csv", *options))
    assert [r["customer_id"] for r in rows] == [c["customer_id"] for c in narrowed]


def test_min_risk_keeps_the_risks_shown_at_the_threshold(document: dict[str, Any]) -> None:
    """A risk shown as 81 % is kept by --min-risk 81 (the comparison is on the shown percent)."""
    shown = round(document["customers"][20]["risk"] * 100)
    narrowed = json.loads(scan_text("--format", "json", "--min-risk", str(shown)))
    expected = [c for c in document["customers"] if round(c["risk"] * 100) >= shown]
    assert narrowed["customers"] == expected


def test_min_risk_above_everyone_gives_an_empty_list() -> None:
    narrowed = json.loads(scan_text("--format", "json", "--min-risk", "100"))
    assert narrowed["customers"] == []
    assert csv_rows(scan_text("--format", "csv", "--min-risk", "100")) == []


# -- output files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("out.json", lambda b: json.loads(b.decode())["as_of"] == AS_OF),
        ("out.ndjson", lambda b: len(b.decode().splitlines()) == 300),
        ("out.jsonl", lambda b: json.loads(b.decode().splitlines()[0])["rank"] == 1),
        ("out.csv", lambda b: b.startswith(b'"rank","as_of",')),
        ("OUT.CSV", lambda b: b.startswith(b'"rank","as_of",')),
        ("out.xlsx", lambda b: b.startswith(b"PK\x03\x04")),
        ("out.txt", lambda b: b.decode().startswith("300 customers as of")),
    ],
)
def test_output_format_follows_the_extension(tmp_path: Path, name: str, check: Any) -> None:
    target = tmp_path / name
    result = invoke("scan", EXPORTS, "--as-of", AS_OF, "--output", target)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert stderr_of(result) == ""  # a clean run with -o prints nothing (cron mails nothing)
    assert check(target.read_bytes())
    if not name.endswith(".xlsx"):  # compressed bytes may hold anything
        assert ANSI.encode() not in target.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_output_file_matches_stdout(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    invoke("scan", EXPORTS, "--as-of", AS_OF, "--output", target)
    assert target.read_text(encoding="utf-8") == scan_text("--format", "json")


def test_explicit_format_wins_over_the_extension(tmp_path: Path) -> None:
    target = tmp_path / "report.dat"
    result = invoke("scan", EXPORTS, "--as-of", AS_OF, "-o", target, "-f", "ndjson", "--top", "2")
    assert result.exit_code == 0
    assert len(target.read_text().splitlines()) == 2


@pytest.mark.parametrize("name", ["out.xls", "out", "out.json.bak"])
def test_unknown_extension_exits_2(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    result = invoke("scan", EXPORTS, "--as-of", AS_OF, "--output", target)
    assert result.exit_code == 2
    error = " ".join(stderr_of(result).split())
    assert "cannot tell the format from" in error
    assert "hint: use one of .txt, .json, .ndjson, .jsonl, .csv, .xlsx or pass --format" in error
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_output_into_a_missing_folder_exits_2(tmp_path: Path) -> None:
    target = tmp_path / "nope" / "out.json"
    result = invoke("scan", EXPORTS, "--as-of", AS_OF, "--output", target)
    assert result.exit_code == 2
    assert "does not exist" in stderr_of(result)


def test_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Atomic: the report is written beside the target and renamed; a failure changes nothing."""
    target = tmp_path / "out.json"
    target.write_text("old report")

    def refuse(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(churnwatch.deliver.atomic.os, "replace", refuse)
    result = invoke("scan", EXPORTS, "--as-of", AS_OF, "--output", target)
    assert result.exit_code == 2
    assert "cannot write: No space left on device" in stderr_of(result)
    assert target.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failed_scan_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    result = invoke("scan", tmp_path / "missing", "--output", target)
    assert result.exit_code == 2
    assert not target.exists()


# -- the table ----------------------------------------------------------------------------


def table_ranks(text: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)\s+C\d{4}\s", text, re.MULTILINE)]


def summary(document: dict[str, Any]) -> str:
    """The summary the table must start with, counted from the JSON of the same scan."""
    active = [c for c in document["customers"] if c["phase"] != "lost"]
    bands = ["critical", "high", "medium", "low", "none"]
    counts = [(band, sum(c["severity"] == band for c in active)) for band in bands]
    spread = " · ".join(f"{band} {n}" for band, n in counts if n)
    lost = len(document["customers"]) - len(active)
    latest, *earlier = document["risk_model"]["trained_as_of"]
    return (
        "300 customers as of 2026-09-30 · risk = chance of no order within 90 days"
        f" not lost: {spread} · lost {lost}, not shown (--phase lost lists them)"
        f" weights fitted on this export's history (as of {latest} and {len(earlier)} earlier"
        " cut-offs:"
    )


SHOWING_HINT = "(--top, --min-risk, --phase, --owner, --segment, --severity; --format csv for all)"
"""Where the table's last line points when the list is cut or narrowed."""


def test_table_shows_the_top_25_not_lost_with_a_summary(document: dict[str, Any]) -> None:
    text = scan_text()
    flat = " ".join(text.split())
    assert flat.startswith(summary(document))
    assert "sources: orders, payments, complaints, contacts, customers" in flat
    assert table_ranks(text) == list(range(1, 26))
    ids = re.findall(r"^\s*\d+\s+(C\d{4})\s", text, re.MULTILINE)
    active = [c for c in document["customers"] if c["phase"] != "lost"]
    assert ids == [c["customer_id"] for c in active[:25]]
    assert flat.endswith(f"showing 25 of 279 {SHOWING_HINT}")
    assert ANSI not in text


def test_table_lists_the_lost_ones_when_asked(document: dict[str, Any]) -> None:
    text = scan_text("--phase", "lost")
    ids = re.findall(r"^\s*\d+\s+(C\d{4})\s", text, re.MULTILINE)
    lost = [c["customer_id"] for c in document["customers"] if c["phase"] == "lost"]
    assert ids == lost
    assert "not shown" not in text


def test_table_top_shows_history_reasons_and_next_step(document: dict[str, Any]) -> None:
    text = scan_text("--top", "3")
    assert table_ranks(text) == [1, 2, 3]
    flat = " ".join(text.split())
    first = next(c for c in document["customers"] if c["phase"] != "lost")
    signal = first["signals"][0]
    assert f"{first['history']} ({first['phase']})" in flat
    mark = "" if signal["weight_fitted"] else "*"
    points = f"(+{signal['contribution'] * 100:.0f} pts{mark})"
    assert f"{signal['title']} {points}: {signal['detail']}" in flat
    assert f"→ {signal['action']}" in flat
    assert f"{first['risk'] * 100:.0f}%" in flat
    shown = [c for c in document["customers"] if c["phase"] != "lost"][:25]
    many = next(c for c in shown if len(c["signals"]) > 2)
    assert f"… and {len(many['signals']) - 2} more" in " ".join(scan_text().split())


def test_table_of_all_customers_has_no_footer(tmp_path: Path) -> None:
    text = scan_text("--phase", "initiation", "--phase", "maturity", "--phase", "degeneration",
                     folder=GOLDEN / "exports", as_of="2025-06-30")  # fmt: skip
    assert "showing" not in text
    assert "2 order days, the latest 46 days ago (initiation)" in " ".join(text.split())


def test_table_lists_rules_that_are_not_applicable(tmp_path: Path) -> None:
    folder = write_exports(tmp_path / "x", orders="customer_id,order_date,amount\nA,2025-01-10,5\n")
    flat = " ".join(scan_text(folder=folder, as_of="2025-06-30").split())
    assert flat.startswith("1 customer as of 2025-06-30 · risk = chance of no order within 90 days")
    assert "default risk weights: too little history to fit them" in flat
    assert "the risk counts the warning rules only" in flat
    assert (
        "not applicable (no data for them): orders-only-when-asked, hard-to-reach,"
        " complaining-more, complaints-unresolved, paying-later, overdue-invoices" in flat
    )
    assert "one order only, 171 days ago (initiation)" in flat


def test_table_summary_counts_every_scanned_customer_with_min_risk(
    document: dict[str, Any],
) -> None:
    flat = " ".join(scan_text("--min-risk", "50", "--top", "3").split())
    assert flat.startswith(summary(document))
    matching = sum(
        round(c["risk"] * 100) >= 50 and c["phase"] != "lost" for c in document["customers"]
    )
    assert flat.endswith(f"showing 3 of 279, {matching} of them match the filters {SHOWING_HINT}")


def test_a_list_narrowed_to_one_owner_says_of_how_many(document: dict[str, Any]) -> None:
    owner = "Priya Nair"
    flat = " ".join(scan_text("--owner", owner).split())
    theirs = [c for c in document["customers"] if c["owner"] == owner and c["phase"] != "lost"]
    assert 0 < len(theirs) < 25
    assert table_ranks(scan_text("--owner", owner)) == list(range(1, len(theirs) + 1))
    assert flat.endswith(f"showing {len(theirs)} of 279 {SHOWING_HINT}")


def test_json_is_compact_unless_pretty() -> None:
    compact = invoke("scan", EXPORTS, "--as-of", AS_OF, "--format", "json", "--top", "3")
    pretty = invoke("scan", EXPORTS, "--as-of", AS_OF, "--format", "json", "--top", "3", "--pretty")
    assert json.loads(compact.stdout) == json.loads(pretty.stdout)
    lines = compact.stdout.splitlines()
    assert len(lines) == 1 + 3 + 1  # the header, one line per customer, the end
    assert lines[0].startswith('{"schema_version":4,"as_of":"2026-09-30",')
    assert '": ' not in lines[1] and lines[1].startswith('{"rank":1,')
    assert pretty.stdout.startswith('{\n  "schema_version": 4,\n  "as_of": "2026-09-30",')
    assert '\n      "customer_id": ' in pretty.stdout  # customers indented too
    assert len(pretty.stdout) > 1.3 * len(compact.stdout)


def test_pretty_is_only_for_json() -> None:
    result = invoke("scan", EXPORTS, "--as-of", AS_OF, "--format", "csv", "--pretty")
    assert result.exit_code == 2 and "--pretty applies to json output" in stderr_of(result)


@pytest.mark.parametrize("dialect", ["standard", "excel-de"])
def test_a_csv_written_in_batches_is_the_csv_written_at_once(
    monkeypatch: pytest.MonkeyPatch, dialect: str
) -> None:
    """Batches of 7 customers (ranks, the header once, the BOM once) give the bytes of a
    single batch: where the batches meet is invisible."""
    from churnwatch.render import csv_rows

    def scan() -> bytes:
        command = ("scan", EXPORTS, "--as-of", AS_OF, "--format", "csv", "--csv-dialect", dialect)
        result = invoke(*command)
        assert result.exit_code in (0, 1), stderr_of(result)
        return result.stdout_bytes

    whole = scan()
    monkeypatch.setattr(csv_rows, "BATCH_ROWS", 7)
    batched = scan()
    assert batched == whole
    assert whole.count(b"rank") == 1 and len(whole.splitlines()) > 3 * 7


def test_json_batches_agree_on_which_numbers_are_whole() -> None:
    """A whole-unit feature with a fraction somewhere in the list (a typical gap of 8.5 days)
    is a decimal in every batch of the JSON lines, as in one batch of them all."""
    import datetime as dt

    from churnwatch.render.json_text import joined_lines, record_lines

    result = scan(EXPORTS, dt.date.fromisoformat(AS_OF))

    def text(size: int) -> bytes:
        return b"".join(joined_lines(lines, "\n", "\n") for lines in record_lines(result, size))

    assert text(7) == text(len(result.customers))


def test_json_batches_made_on_two_threads_come_in_rank_order() -> None:
    import datetime as dt

    from churnwatch.render.json_text import joined_lines, record_lines, record_texts

    result = scan(EXPORTS, dt.date.fromisoformat(AS_OF))
    (one,) = record_lines(result, len(result.customers))
    batched = list(record_texts(result, "\n", "\n", size=7))
    assert len(batched) == -(-len(result.customers) // 7)
    assert b"".join(batched) == joined_lines(one, "\n", "\n")


def test_ahead_keeps_the_order_and_makes_only_a_few_in_advance() -> None:
    """Results in the items' order however the threads finish, and no more than ``workers``
    made before the caller takes them: a streamed output's memory stays flat."""
    import threading
    import time

    from churnwatch.render.csv_rows import ahead

    lock = threading.Lock()
    made: list[int] = []
    taken = 0
    most_ahead = 0

    def make(item: int) -> int:
        nonlocal most_ahead
        time.sleep(0.002 * (item % 3))  # later items sometimes finish first
        with lock:
            made.append(item)
            most_ahead = max(most_ahead, len(made) - taken)
        return item * item

    results = []
    for value in ahead(make, range(20), workers=2):
        results.append(value)
        with lock:
            taken += 1
    assert results == [i * i for i in range(20)]
    assert most_ahead <= 2


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_a_large_csv_written_in_two_halves_reads_as_one(delimiter: str) -> None:
    """Two writer threads, one header: the text is what a single writer would give, with
    quoted separators, newlines and empty cells at the seam too."""
    import numpy as np
    import pyarrow as pa

    from churnwatch.render.csv_rows import SLICE_ROWS, csv_bytes

    rows = 2 * SLICE_ROWS + 7
    texts = [f'name {i}{delimiter} "x"\n' if i % 3 else None for i in range(rows)]
    table = pa.table(
        {"rank": np.arange(rows), "name": pa.array(texts, pa.string()), "risk": np.arange(rows) / 7}
    )
    written = csv_bytes(table, delimiter=delimiter).decode()
    read = list(csv.reader(io.StringIO(written, newline=""), delimiter=delimiter))
    assert read[0] == ["rank", "name", "risk"]
    assert len(read) == rows + 1
    assert [int(row[0]) for row in read[1:]] == list(range(rows))
    assert [row[1] or None for row in read[1:]] == texts


@pytest.mark.parametrize(
    "command",
    [
        ["explain", str(EXPORTS), "C0258", "--as-of", AS_OF, "-f", "json"],
        ["winback", str(EXPORTS), "--as-of", AS_OF, "-f", "json"],
        ["plan", str(EXPORTS), "--as-of", AS_OF, "-f", "json"],
    ],
)
def test_every_commands_json_is_compact_unless_pretty(command: list[str]) -> None:
    """As scan's: no blanks between tokens, so a pipe gets the data and not the layout;
    ``--pretty`` indents the same data for reading."""
    compact = invoke(*command)
    assert compact.exit_code == 0, stderr_of(compact)
    assert compact.stdout.count("\n") == 1 and '": ' not in compact.stdout[:200]
    pretty = invoke(*command, "--pretty")
    assert pretty.stdout.startswith('{\n  "schema_version": ')
    assert json.loads(pretty.stdout) == json.loads(compact.stdout)
    refused = invoke(*command[:-1], "table", "--pretty")
    assert refused.exit_code == 2 and "--pretty applies to json output" in stderr_of(refused)


def test_parts_of_the_ranked_list_are_its_rows_in_rank_order() -> None:
    """The result ranks its rows only where they are read (an output's batches, a filter,
    ``--top``): every part is the same rows as the whole ranked table, with their signals."""
    import numpy as np
    import pandas as pd

    result = scan(EXAMPLES / "exports")
    whole = result.customers
    assert result.count == len(whole) > 100
    assert whole["risk"].is_monotonic_decreasing
    assert sorted(result.unranked["customer_id"]) == sorted(whole["customer_id"])
    picked = np.array([5, 0, 17, 3])
    part = result.rows(picked)
    pd.testing.assert_frame_equal(part.customers, whole.iloc[picked])
    assert list(part.phases()) == list(whole["phase"].astype(object).iloc[picked])
    batch = result.rows(slice(10, 40)).rows(slice(2, 5))
    pd.testing.assert_frame_equal(batch.customers, whole.iloc[12:15])
    assert np.array_equal(batch.fired, result.fired[12:15])
    chosen = result.select(top=7, min_risk=30)
    expected = whole[np.round(whole["risk"].to_numpy() * 100) >= 30].head(7)
    pd.testing.assert_frame_equal(chosen.rows.customers, expected)
    assert chosen.matching == int((np.round(whole["risk"].to_numpy() * 100) >= 30).sum())
