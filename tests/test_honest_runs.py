"""What `scan` says about the data, and how it behaves under cron (issue: honest results).

Every data problem `validate` reports is one line on `scan`'s stderr naming file and column;
a clean run with `-o` prints nothing; `--quiet`, `--verbose` and `--strict` do what they say.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scan_helpers import EXAMPLES, invoke, stderr_of, write_exports

README = Path(__file__).resolve().parents[1] / "README.md"
CHURNWATCH = Path(sys.executable).with_name("churnwatch")


def fresh_orders(days_back: int = 1, customers: int = 3) -> str:
    """Steady customers who ordered every ten days up to ``days_back`` days ago."""
    today = dt.date.today()
    rows = ["customer_id,order_date,amount"]
    for number in range(customers):
        for step in range(12):
            day = today - dt.timedelta(days=days_back + 10 * step + number)
            rows.append(f"K{number},{day.isoformat()},100")
    return "\n".join(rows) + "\n"


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_scan_names_each_unknown_value_and_the_toml_to_paste(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount,channel\n"
        "A,2025-01-02,1,Webshop\nA,2025-01-03,1,Außendienst\nA,2025-01-04,1,Messe\n",
    )
    result = invoke("scan", folder, "--as-of", "2025-01-04", "--format", "json")
    assert result.exit_code == 0
    assert lines(stderr_of(result)) == [
        "warning: orders.csv:4: column 'channel': 1 value not understood ('Messe' 1 row): kept,"
        " with the channel unknown (2 rows understood); map it to inbound or outbound in"
        " churnwatch.toml",
        "    [sources.orders.values.channel]",
        '    inbound = ["Webshop"]',
        '    outbound = ["Außendienst"]',
        '    # inbound or outbound? add each to a list: "Messe"',
        "warning: no statistical base: only 1 customer ordered on two or more days (BG/NBD needs"
        " 20); p_alive, expected_orders_horizon and p_no_order_horizon are left empty",
    ]


def test_every_validate_warning_is_one_scan_line_naming_source_and_column(
    tmp_path: Path,
) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-02,1\nA,2025-01-02,1\n"
        "B,2025-13-01,2\nC,2025-01-03,x\n",
    )
    validate = invoke("validate", folder, "--as-of", "2025-01-03")
    scan = invoke("scan", folder, "--as-of", "2025-01-03", "--format", "csv")
    warnings = [line for line in lines(validate.stdout) if line.startswith("warning:")]
    assert len(warnings) == 3
    scanned = [line for line in lines(stderr_of(scan)) if line.startswith("warning:")]
    assert scanned[:-1] == warnings
    assert scanned[-1].startswith("warning: no statistical base: only 0 customers ordered")
    assert all(re.match(r"warning: orders\.csv(:\d+)?: ", w) for w in warnings)
    assert "column 'order_date'" in " ".join(warnings) and "column 'amount'" in " ".join(warnings)


def test_stale_exports_are_flagged(tmp_path: Path) -> None:
    folder = write_exports(tmp_path / "exports", orders=fresh_orders(days_back=60))
    result = invoke("scan", folder, "--format", "json")
    latest = (dt.date.today() - dt.timedelta(days=60)).isoformat()
    assert result.exit_code == 0
    assert (
        f"warning: orders.csv: latest order {latest}, 60 days before today: the exports look"
        " stale" in stderr_of(result)
    )


def test_rows_after_the_reference_date_are_noted(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-02,1\nA,2025-03-02,1\n",
    )
    result = invoke("scan", folder, "--as-of", "2025-01-31", "--format", "json")
    assert (
        "note: orders.csv: column 'order_date': 1 row dated after the reference date"
        " 2025-01-31 ignored" in stderr_of(result)
    )


def test_strict_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports", orders="customer_id,order_date,amount\nA,2025-01-02,1\nB,x,2\n"
    )
    target = tmp_path / "risks.csv"
    result = invoke("scan", folder, "--as-of", "2025-01-02", "--strict", "-o", target)
    assert result.exit_code == 2
    assert lines(stderr_of(result))[-1] == (
        "error: --strict: 1 data problem (above); nothing written"
    )
    assert not target.exists()
    assert invoke("scan", folder, "--as-of", "2025-01-02", "-o", target).exit_code == 0


def test_strict_and_quiet_still_show_the_problems_it_refuses(tmp_path: Path) -> None:
    """--quiet keeps the errors; under --strict the data warnings are why nothing is written."""
    folder = write_exports(
        tmp_path / "exports", orders="customer_id,order_date,amount\nA,2025-01-02,1\nB,x,2\n"
    )
    target = tmp_path / "risks.csv"
    result = invoke("scan", folder, "--as-of", "2025-01-02", "--strict", "-q", "-o", target)
    assert result.exit_code == 2 and not target.exists()
    assert lines(stderr_of(result)) == [
        "warning: orders.csv:3: column 'order_date': 1 row skipped: not a valid date in the form"
        " %Y-%m-%d (e.g. 'x')",
        "error: --strict: 1 data problem (above); nothing written",
    ]


def test_a_source_that_lost_most_rows_is_a_loud_warning(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-02,1\nB,x,2\nC,y,3\n",
    )
    result = invoke("scan", folder, "--as-of", "2025-01-02", "--format", "json")
    assert result.exit_code == 0
    first = lines(stderr_of(result))[0]
    assert first.startswith("warning: orders.csv: 2 of 3 rows (67%) were skipped")


def test_nul_bytes_are_noted(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "orders.csv").write_bytes(
        b"customer_id,order_date,amount\nA,2025-01-02,1\x002\nB,2025-01-02,5\n"
    )
    result = invoke("scan", folder, "--as-of", "2025-01-02", "--format", "json")
    assert "note: orders.csv:2: column 'amount': NUL bytes removed" in stderr_of(result)
    amounts = json.loads(result.stdout)["customers"]
    assert {c["customer_id"]: c["features"]["lifetime_revenue"] for c in amounts}["A"] == 12


def test_a_clean_run_with_output_prints_nothing(tmp_path: Path) -> None:
    folder = write_exports(tmp_path / "exports", orders=fresh_orders(customers=25))
    target = tmp_path / "risks.csv"
    quiet = invoke("scan", folder, "-o", target)
    assert quiet.exit_code == 0
    assert (quiet.stdout, stderr_of(quiet)) == ("", "")
    verbose = invoke("scan", folder, "-o", target, "--verbose")
    assert f"wrote {target}" in stderr_of(verbose)
    assert "note: default risk weights" in stderr_of(verbose)


def test_quiet_prints_nothing_but_errors(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports", orders="customer_id,order_date,amount\nA,2025-01-02,1\nB,x,2\n"
    )
    assert stderr_of(invoke("scan", folder, "--quiet", "-f", "json")) == ""
    missing = invoke("scan", tmp_path / "nowhere", "--quiet")
    assert missing.exit_code == 2
    assert len(lines(stderr_of(missing))) == 1


def test_messages_are_not_wrapped_outside_a_terminal(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports", orders="customer_id,order_date,amount\nA,2025-01-02,1\nB,x,2\n"
    )
    result = invoke("validate", folder, "--as-of", "2025-01-02")
    warning = next(line for line in result.stdout.splitlines() if line.startswith("warning:"))
    assert warning.endswith("(e.g. 'x')")  # the whole message on one line, even at 80 columns
    assert len(warning) > 80


def test_txt_report_is_plain_without_trailing_blanks_or_cli_hints(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    result = invoke("scan", EXAMPLES / "exports", "--as-of", "2026-09-30", "-o", target)
    assert result.exit_code == 0
    text = target.read_text(encoding="utf-8")
    assert all(len(line) <= 100 and line == line.rstrip() for line in text.splitlines())
    assert "--top" not in text and "--phase" not in text and "--format" not in text
    assert "showing" not in text


def test_table_on_a_narrow_terminal_stays_short(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 72-99 columns the reasons column used to be a few characters wide: hundreds of
    lines. Below 100 columns the customers are listed one below the other instead."""
    heights = {}
    for width in (72, 80, 99):
        monkeypatch.setenv("COLUMNS", str(width))
        result = invoke("scan", EXAMPLES / "exports", "--as-of", "2026-09-30")
        assert all(len(line) <= width for line in result.stdout.splitlines())
        heights[width] = len(result.stdout.splitlines())
    assert max(heights.values()) < 25 * 10  # it was 724 lines at 72 columns


def test_names_are_not_cut_short_on_a_wide_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "Großhandel für Sanitär- und Heizungstechnik GmbH"
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-02,1\n",
        customers=f"customer_id,name\nA,{name}\n",
    )
    monkeypatch.setenv("COLUMNS", "200")
    assert name in invoke("scan", folder, "--as-of", "2025-01-02").stdout


def test_help_shows_no_type_placeholders() -> None:
    for command in ("scan", "backtest", "validate", "init", "rules", "calibrate"):
        text = invoke(command, "--help").stdout
        assert "<bool>" not in text and "%Y" not in text and "list[" not in text, command
    assert "[risk] horizon_days" in " ".join(invoke("scan", "--help").stdout.split())


def test_readme_documents_every_exit_code() -> None:
    text = README.read_text(encoding="utf-8")
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 130 |", "| 143 |", "| 129 |"):
        assert code in text


def test_toml_ending_mid_value_names_a_line(tmp_path: Path) -> None:
    config = tmp_path / "churnwatch.toml"
    config.write_text("[windows]\nrecent_days = ", encoding="utf-8")
    result = invoke("rules", "--check", config)
    assert result.exit_code == 2
    assert f"error: {config}: line 2, column 15: Invalid value" in stderr_of(result)


# -- cron, as the README shows it ---------------------------------------------------------


def cron_line() -> str:
    """The README's crontab line, without its schedule."""
    line = next(x for x in README.read_text(encoding="utf-8").splitlines() if x.startswith("0 6 "))
    return line.split(None, 5)[5]


@pytest.fixture
def cron(tmp_path: Path) -> object:
    """Run the README's cron line on a folder, with a `mail` that records what it was sent."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    mail = bin_dir / "mail"
    mail.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/mailed\ncat >> {tmp_path}/mailed\n')
    mail.chmod(0o755)

    def run(exports: Path) -> tuple[subprocess.CompletedProcess[str], str]:
        reports = tmp_path / "reports"
        reports.mkdir(exist_ok=True)
        command = cron_line().replace("/data/exports", str(exports))
        command = command.replace("/data/reports", str(reports))
        path = f"{bin_dir}:{CHURNWATCH.parent}:{os.environ['PATH']}"
        done = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": path},
            check=False,
        )
        mailed = tmp_path / "mailed"
        return done, mailed.read_text() if mailed.exists() else ""

    return run


def test_cron_line_is_silent_on_a_clean_run(cron: object, tmp_path: Path) -> None:
    folder = write_exports(tmp_path / "exports", orders=fresh_orders())
    done, mailed = cron(folder)  # type: ignore[operator]
    assert (done.stdout, done.stderr, mailed) == ("", "", "")


def test_cron_line_mails_the_risks(cron: object, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    shutil.copytree(EXAMPLES / "exports", folder)
    done, mailed = cron(folder)  # type: ignore[operator]
    assert done.stdout == "" and done.stderr == ""
    assert "customers at risk" in mailed and '"rank","as_of"' in mailed


def test_cron_line_reports_an_error_in_one_line(cron: object, tmp_path: Path) -> None:
    done, mailed = cron(tmp_path / "missing")  # type: ignore[operator]
    assert mailed == ""
    assert len(lines(done.stderr)) == 1 and done.stderr.startswith("error: ")


def test_churnwatch_exit_codes_under_cron(tmp_path: Path) -> None:
    risky = tmp_path / "risky"
    shutil.copytree(EXAMPLES / "exports", risky)
    base = [str(CHURNWATCH), "scan", "-o", str(tmp_path / "r.csv"), "--fail-on", "high", "-q"]
    assert subprocess.run([*base, str(risky)], check=False).returncode == 1
    assert (
        subprocess.run(
            [*base, str(tmp_path / "missing")], capture_output=True, check=False
        ).returncode
        == 2
    )


def test_a_source_whose_rows_were_all_skipped_is_left_out_not_scored_as_empty(
    tmp_path: Path,
) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-02,1\nA,2025-02-02,1\n",
        complaints="customer_id,opened_date\nA,02/30/2025\nA,13/13/2025\n",
    )
    result = invoke("scan", folder, "--as-of", "2025-02-02", "--format", "json")
    document = json.loads(result.stdout)
    assert "complaints" not in [s["name"] for s in document["sources"]]
    assert "complaining-more" in document["rules_not_applicable"]
    assert any("complaints is left out" in note for note in document["notes"])
    assert "complaints is left out, and the rules that need it are not applicable" in stderr_of(
        result
    )


def test_a_source_of_empty_rows_only_is_said_to_hold_no_data(tmp_path: Path) -> None:
    """Its empty rows are left out, not skipped: "all 0 rows were skipped" said nothing."""
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount\nA,2025-01-02,1\nA,2025-02-02,1\n",
        contacts="customer_id;contact_date;outcome\n;;\n;;\n",
    )
    said = stderr_of(invoke("scan", folder, "--as-of", "2025-02-02", "--format", "json"))
    assert "contacts.csv: no row holds data (see above); contacts is left out" in said
    assert "0 rows" not in said


def test_no_note_when_the_csv_options_meet_a_csv_file(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    result = invoke(
        "scan",
        EXAMPLES / "exports",
        "--as-of",
        "2026-09-30",
        "-o",
        target,
        "--csv-dialect",
        "excel-de",
        "--no-formula-guard",
    )
    assert (result.exit_code, stderr_of(result)) == (0, "")


def test_one_signal_point_is_singular() -> None:
    from churnwatch.render.table import _why

    record = {
        "history": "x",
        "phase": "maturity",
        "signals": [
            {
                "title": "T",
                "weight_fitted": True,
                "contribution": 0.011,
                "detail": "",
                "action": "a",
            }
        ],
    }
    assert "(+1 pt)" in _why(record).plain


def test_validate_prints_the_toml_to_paste_too(tmp_path: Path) -> None:
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount,channel\n"
        "A,2025-01-02,1,Webshop\nA,2025-01-03,1,Außendienst\nA,2025-01-04,1,Messe\n",
    )
    result = invoke("validate", folder, "--as-of", "2025-01-04")
    assert '    # inbound or outbound? add each to a list: "Messe"' in result.stdout.splitlines()


def test_a_statistical_fit_that_fails_is_a_warning_whatever_the_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BG/NBD's P(alive) and forecasts go empty for everyone when its fit fails: a CSV for a
    spreadsheet would show empty columns without a word, the note came only with --verbose.
    Too few repeat customers for the fit is a warning too."""
    from dataclasses import replace

    from churnwatch.features import bgnbd

    fit = bgnbd.fit
    monkeypatch.setattr(bgnbd, "fit", lambda *a: replace(fit(*a), converged=False, message="X"))
    target = tmp_path / "risks.csv"
    result = invoke("scan", EXAMPLES / "exports", "--as-of", "2026-09-30", "-o", target)
    assert result.exit_code == 0
    assert (
        "warning: no statistical base: the BG/NBD fit did not converge (X); p_alive,"
        " expected_orders_horizon and p_no_order_horizon are left empty"
    ) in " ".join(stderr_of(result).split())
    assert "p_alive" in target.read_text(encoding="utf-8").splitlines()[0]


def test_a_long_value_not_understood_is_quoted_by_its_start_and_not_offered_to_paste(
    tmp_path: Path,
) -> None:
    note = "Bitte beachten: " + "x" * 5000
    folder = write_exports(
        tmp_path / "exports",
        orders="customer_id,order_date,amount,channel\n"
        f'A,2025-01-02,1,Webshop\nA,2025-01-03,1,Außendienst\nA,2025-01-04,1,"{note}"\n',
    )
    result = invoke("scan", folder, "--as-of", "2025-01-04", "--format", "json")
    assert result.exit_code == 0
    said = lines(stderr_of(result))
    assert said[0].startswith(
        "warning: orders.csv:4: column 'channel': 1 value not understood ('Bitte beachten: xxx"
    )
    assert sum(map(len, said)) < 1500
    assert said[1:4] == [
        "    [sources.orders.values.channel]",
        '    inbound = ["Webshop"]',
        '    outbound = ["Außendienst"]',
    ]
    assert said[4].startswith("    # and 1 value longer than 100 characters")
