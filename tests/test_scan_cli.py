"""``churnwatch scan`` exit codes, errors, and the installed console script in a real pipe."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scan_helpers import EXAMPLES, GOLDEN, RULE_CASES, invoke, stderr_of, write_exports

EXPORTS = EXAMPLES / "exports"
SCRIPT = Path(sys.executable).parent / "churnwatch"
GOLDEN_EXPORTS = GOLDEN / "exports"


@pytest.fixture(autouse=True)
def pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")


# -- --fail-on ----------------------------------------------------------------------------
# The golden exports: as of 2025-06-30 customer A is critical; as of 2025-06-01 A is high
# and nobody is critical.


@pytest.mark.parametrize(
    ("folder", "as_of", "fail_on", "output_format"),
    [
        (GOLDEN_EXPORTS, "2025-06-01", "critical", "json"),
        (GOLDEN_EXPORTS, "2025-06-01", "critical", "table"),
        (RULE_CASES / "lost-customer", "2025-06-30", "critical", "csv"),  # high at most
    ],
)
def test_fail_on_not_met_exits_0(
    folder: Path, as_of: str, fail_on: str, output_format: str
) -> None:
    result = invoke("scan", folder, "--as-of", as_of, "--fail-on", fail_on, "-f", output_format)
    assert result.exit_code == 0
    assert "exit 1" not in stderr_of(result)
    assert result.stdout


@pytest.mark.parametrize(
    ("as_of", "fail_on"),
    [("2025-06-30", "critical"), ("2025-06-30", "high"), ("2025-06-01", "high")],
)
def test_fail_on_met_exits_1(as_of: str, fail_on: str) -> None:
    result = invoke("scan", GOLDEN_EXPORTS, "--as-of", as_of, "--fail-on", fail_on, "-f", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["as_of"] == as_of  # the output is still complete
    assert "error" not in stderr_of(result)


def test_fail_on_counts_every_customer_not_only_the_shown_ones() -> None:
    """With --min-risk 100 nobody is shown, but a high customer still exists."""
    result = invoke(
        "scan", GOLDEN_EXPORTS, "--as-of", "2025-06-01", "--min-risk", "100",
        "--fail-on", "critical", "-f", "json",
    )  # fmt: skip
    assert result.exit_code == 0
    assert json.loads(result.stdout)["customers"] == []


def test_a_filter_that_leaves_nobody_says_so_instead_of_an_empty_table() -> None:
    result = invoke("scan", GOLDEN_EXPORTS, "--as-of", "2025-06-01", "--min-risk", "100")
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith(
        "no customer matches the filters (--min-risk, --phase, --owner, --segment, --severity)"
    )
    assert "severity   why" not in result.stdout  # no empty table


def test_a_list_empty_because_every_customer_is_lost_says_so_not_that_filters_did_it() -> None:
    """No filter was given: the list is empty because lost customers are not listed."""
    result = invoke("scan", GOLDEN_EXPORTS, "--as-of", "2035-01-01")
    assert result.exit_code == 0
    last = result.stdout.rstrip().splitlines()[-1]
    assert last.startswith("no customer to show: every customer (")
    assert last.endswith("is lost, and lost customers are not listed (--phase lost lists them)")
    listed = invoke("scan", GOLDEN_EXPORTS, "--as-of", "2035-01-01", "--phase", "lost")
    assert "no customer to show" not in listed.stdout


def test_fail_on_met_does_not_report_an_internal_error() -> None:
    result = invoke("scan", GOLDEN_EXPORTS, "--as-of", "2025-06-30", "--fail-on", "high")
    assert "Traceback" not in stderr_of(result)
    assert result.exit_code != 0


# -- usage, input and configuration errors exit 2 -----------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xml"], "Invalid value for '--format'"),
        (["--fail-on", "bogus"], "Invalid value for '--fail-on'"),
        (["--top", "0"], "Invalid value for '--top'"),
        (["--min-risk", "101"], "Invalid value for '--min-risk'"),
        (["--as-of", "2025-13-01"], "'--as-of': 2025-13-01 is no day of the calendar"),
        (["--as-of", "2026-02-30"], "'--as-of': 2026-02-30 is no day of the calendar"),
        (["--as-of", "30.06.2025"], "'--as-of': '30.06.2025': write the date as YYYY-MM-DD"),
        (["--no-such-option"], "No such option"),
        (["--config", "/no/such/churnwatch.toml"], "config file not found"),
        (["--output", "report.pdf"], "cannot tell the format"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str) -> None:
    result = invoke("scan", GOLDEN_EXPORTS, *args)
    assert result.exit_code == 2
    assert message in " ".join(stderr_of(result).split())
    assert result.stdout == ""
    assert "Traceback" not in stderr_of(result)


def test_scan_without_folder_is_a_usage_error() -> None:
    result = invoke("scan")
    assert result.exit_code == 2
    assert "Missing argument" in stderr_of(result)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "orders file not found"),
        ({"orders": "customer_id,order_date\nA,2025-01-01\n"}, "amount"),
        ({"orders": ""}, "the file is empty"),
        (
            {
                "orders": "customer_id,order_date,amount\nA,2025-01-01,1\n",
                "churnwatch.toml": "[windows]\nrecent_days =\n",
            },
            "churnwatch.toml: line 2, column 14: Invalid value",
        ),
        (
            {
                "orders": "customer_id,order_date,amount\nA,2025-01-01,1\n",
                "churnwatch.toml": "[windows]\nrecent_dayz = 30\n",
            },
            "windows.recent_dayz: unknown key (did you mean 'recent_days'?)",
        ),
        (
            {
                "orders": "customer_id,order_date,amount\nA,2025-01-01,1\n",
                "churnwatch.toml": "[risk]\nhigh = 90\ncritical = 80\n",
            },
            "bands must satisfy critical >= high >= medium >= low",
        ),
    ],
    ids=["no-orders", "missing-column", "empty-orders", "bad-toml", "typo-key", "bad-bands"],
)
def test_input_and_config_errors_exit_2(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    for name, text in files.items():
        (folder / (name if "." in name else f"{name}.csv")).write_text(text)
    result = invoke("scan", folder, "--format", "json")
    assert result.exit_code == 2
    error = " ".join(stderr_of(result).split())
    assert error.startswith("error: ")
    assert message in error
    assert "Traceback" not in error
    assert result.stdout == ""


def test_missing_folder_exits_2(tmp_path: Path) -> None:
    result = invoke("scan", tmp_path / "nope")
    assert result.exit_code == 2
    assert stderr_of(result) == f"error: {tmp_path / 'nope'}: exports folder not found\n"


def test_data_quality_warning_goes_to_stderr_only(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-01,1\nB,2025-01-02,abc\n",
    )
    result = invoke("scan", folder, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["customers"][0]["customer_id"] == "A"
    assert (
        "warning: orders.csv:3: column 'amount': 1 row skipped: not a number (decimal '.')"
        " (e.g. 'abc')" in stderr_of(result).splitlines()
    )


def test_complaints_without_severity_column_still_scan(tmp_path: Path) -> None:
    orders = "".join(f"A,2025-0{m}-10,100\n" for m in range(1, 7))
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\n" + orders,
        complaints="customer_id,opened_date,closed_date\n"
        "A,2025-05-01,2025-05-02\nA,2025-05-05,2025-05-06\nA,2025-05-20,2025-05-21\n",
    )
    result = invoke("scan", folder, "--as-of", "2025-06-30", "--format", "json")
    assert result.exit_code == 0, stderr_of(result)
    signal = json.loads(result.stdout)["customers"][0]["signals"][0]
    assert signal["id"] == "complaining-more"
    assert signal["detail"].startswith("3 complaints in the recent window")


# -- the installed console script, as a real process -----------------------------------------


def run_script(*args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, env=env, timeout=60, check=False
    )


def test_console_script_is_installed() -> None:
    assert SCRIPT.is_file()
    result = run_script("--version")
    assert result.returncode == 0
    assert result.stdout.decode().startswith("churnwatch ")


def test_script_writes_json_to_stdout_deterministically() -> None:
    """Two processes (different hash seeds) give byte-identical output."""
    first = run_script("scan", str(EXPORTS), "--format", "json", "--as-of", "2026-09-30")
    second = run_script("scan", str(EXPORTS), "--format", "json", "--as-of", "2026-09-30")
    assert first.returncode == 0
    assert first.stderr == b""
    assert first.stdout == second.stdout
    document = json.loads(first.stdout)
    assert len(document["customers"]) == 300
    assert b"\x1b[" not in first.stdout


@pytest.mark.parametrize("output_format", ["json", "ndjson", "csv", "table"])
def test_script_survives_a_closed_pipe(output_format: str) -> None:
    """Like `churnwatch scan … | head -c 100`: the reader goes away early."""
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1"}
    command = [str(SCRIPT), "scan", str(EXPORTS), "--format", output_format, "--top", "300"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        head = process.stdout.read(100)
        process.stdout.close()
        stderr = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert len(head) == 100
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
    assert "BrokenPipeError" not in stderr
    assert code == 0


@pytest.mark.parametrize("output", ["file", "stdout"])
def test_a_closed_stderr_loses_only_the_messages(tmp_path: Path, output: str) -> None:
    """Like `churnwatch scan … -o risks.csv 2>&1 | head -1`, or a log reader that died: the
    stale-data warning met the closed pipe, and the run ended there with exit 0 and nothing
    written; a cron job saw success."""
    target = tmp_path / "risks.csv"
    where = ["-o", str(target)] if output == "file" else []
    command = [str(SCRIPT), "scan", str(EXPORTS), "-f", "csv", "--fail-on", "high", *where]
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            command, check=False, stdout=subprocess.PIPE, stderr=write, timeout=120
        )
    finally:
        os.close(write)
    assert done.returncode == 1  # --fail-on: customers at high risk or worse
    written = target.read_bytes() if output == "file" else done.stdout
    assert written.startswith(b'"rank","as_of","customer_id"') and written.count(b"\n") == 301


def test_script_reports_an_error_without_traceback(tmp_path: Path) -> None:
    result = run_script("scan", str(tmp_path))
    assert result.returncode == 2
    assert result.stdout == b""
    assert result.stderr.decode().startswith(f"error: {tmp_path / 'orders.csv'}: orders file")
    assert b"Traceback" not in result.stderr


def test_python_dash_m_works_too() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "churnwatch", "schema"], capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["$schema"].startswith("https://json-schema.org/")


def test_filters_by_owner_segment_and_severity() -> None:
    folder = EXAMPLES / "exports"
    base = ("scan", folder, "--as-of", "2026-09-30", "-f", "json")
    everyone = json.loads(invoke(*base).stdout)["customers"]
    chosen = json.loads(
        invoke(
            *base,
            "--owner",
            " anna SCHMIDT ",
            "--segment",
            "A",
            "--severity",
            "medium",
            "--severity",
            "low",
        ).stdout
    )["customers"]
    expected = [
        c["customer_id"]
        for c in everyone
        if c["owner"] == "Anna Schmidt"
        and c["segment"] == "A"
        and c["severity"] in ("medium", "low")
    ]
    assert expected and [c["customer_id"] for c in chosen] == expected


def test_an_unknown_owner_is_an_error_with_the_nearest_one() -> None:
    result = invoke("scan", EXAMPLES / "exports", "--as-of", "2026-09-30", "--owner", "Ana Schmidt")
    assert result.exit_code == 2
    assert "--owner 'Ana Schmidt': no customer has this owner (did you mean 'Anna Schmidt'?)" in (
        " ".join(stderr_of(result).split())
    )


def test_the_table_shows_the_owner_and_every_reason_with_long() -> None:
    base = ("scan", EXAMPLES / "exports", "--as-of", "2026-09-30", "--top", "25")
    short, long = invoke(*base).stdout, invoke(*base, "--long").stdout
    assert " owner " in short.splitlines()[5]
    assert "more (--long)" in short and "more (--long)" not in long
    assert len(long.splitlines()) > len(short.splitlines())


def test_a_horizon_shorter_than_the_usual_rhythm_is_pointed_out(tmp_path: Path) -> None:
    """Quarterly buyers: within 90 days the risk mostly tells when the next order falls due
    (who just ordered looks riskiest), and the table says which horizon would rank who has
    stopped."""
    start = dt.date(2022, 1, 10)
    rows = [  # 100 quarterly buyers over four years, of whom every fifth stopped at some point
        f"Q{c:02d},{start + dt.timedelta(days=91 * k + c)},100"
        for c in range(100)
        for k in range(16 if c % 5 else 4 + c % 11)
    ]
    folder = write_exports(
        tmp_path / "exports", orders="customer_id,order_date,amount\n" + "\n".join(rows) + "\n"
    )
    hint = "most customers order every 91 days or less often"
    table = " ".join(invoke("scan", folder, "--as-of", "2025-12-01").stdout.split())
    assert hint in table and "--horizon 180 (about two usual gaps)" in table
    longer = invoke("scan", folder, "--as-of", "2025-12-01", "--horizon", "180").stdout
    assert hint not in " ".join(longer.split())
    # Too few to model the history: the horizon would change no risk. 19 customers, below the
    # 20 repeat buyers a BG/NBD fit needs: with 20 as regular as these, whether the fit came
    # out degenerate (alpha at its bound) depended on the machine's rounding.
    nineteen = [
        f"Q{c:02d},{dt.date(2024, 1, 10) + dt.timedelta(days=91 * k + c)},100"
        for c in range(19)
        for k in range(8)
    ]
    few = write_exports(
        tmp_path / "few", orders="customer_id,order_date,amount\n" + "\n".join(nineteen) + "\n"
    )
    table = " ".join(invoke("scan", few, "--as-of", "2025-12-01").stdout.split())
    assert "no model of the order history" in table and hint not in table
